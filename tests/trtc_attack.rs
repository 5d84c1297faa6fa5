//! Slow and flooding forged TRTC bodies (harness/trtc_attack.rs) against every adapter while
//! valid signed events keep arriving: every valid event answered 200 `{"code":0}` and
//! delivered exactly once, the buffer budget never exceeded, resident memory bounded.
//! Loopback only, bounded in time (the body timeout ends every slow body).

use std::time::Duration;

use tencent_webhook_conformance::trtc_attack::{Attack, AttackReport, WARM_UP_ROUNDS, run};
use tencent_webhook_conformance::{Actix, Axum, BODY_TIMEOUT, TRTC_BODY_LIMIT, Warp};

const ATTACK: Attack = Attack {
    // Far below the 8 MiB default, so that what the slow senders announce (300 × 16 KiB,
    // 4.8 MiB) is more than the whole budget: only bytes actually received may count.
    budget: 2 * 1024 * 1024,
    slow_connections: 300,
    slow_announced: TRTC_BODY_LIMIT - 1,
    slow_first: 1024,
    trickle_every: Duration::from_millis(100),
    trickle_for: Duration::from_millis(700),
    // 160 × 16 KiB in flight would be 2.5 MiB: the flood can fill the budget.
    flood_connections: 160,
    flood_per_connection: 5,
    valid_connections: 8,
};

/// Allowed growth of resident memory during the measured round over the level after the
/// warm-up rounds (which already held the budget, the frameworks' per-connection buffers
/// and the clients' own requests, all in this process; the probe's records of a round's
/// valid events add about 1 MiB). The measured round alone must refuse more full-size
/// forged bodies than fit in this bound, so keeping them would show.
const MAX_GROWTH_KIB: u64 = 8 * 1024;

fn check(report: &AttackReport) {
    println!("{report:#?}");
    assert!(
        ATTACK.trickle_for < BODY_TIMEOUT,
        "no byte in flight at the timeout"
    );
    assert!(
        ATTACK.slow_connections * ATTACK.slow_announced > report.budget,
        "the slow senders announce more than the budget"
    );
    assert_eq!(
        report.slow_408 + report.slow_503,
        (WARM_UP_ROUNDS + 1) * ATTACK.slow_connections,
        "{}: every slow sender answered",
        report.adapter
    );
    assert!(
        report.peak_buffered_slow >= ATTACK.slow_connections * ATTACK.slow_first / 4,
        "{}: the gauge saw the slow bodies' bytes ({} bytes at most)",
        report.adapter,
        report.peak_buffered_slow
    );
    assert!(report.peak_buffered_slow <= report.budget);
    assert!(report.peak_buffered_flood <= report.budget);
    assert!(
        report.flood_measured * TRTC_BODY_LIMIT > MAX_GROWTH_KIB as usize * 1024,
        "{}: the measured round's flood ({} bodies) could not show in memory",
        report.adapter,
        report.flood_measured
    );
    assert!(
        report.valid_during_slow >= ATTACK.valid_connections
            && report.valid_during_flood >= ATTACK.valid_connections,
        "{}: valid events went through during both attacks",
        report.adapter
    );
    assert!(
        report.rss_warm_kib > 0 && report.rss_peak_kib > 0,
        "resident memory could not be read from /proc/self/statm"
    );
    let growth = report.rss_peak_kib.saturating_sub(report.rss_warm_kib);
    assert!(
        growth <= MAX_GROWTH_KIB,
        "{}: memory grew {growth} KiB after the warm-up round",
        report.adapter
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_flooding_forged_bodies_neither_exhaust_memory_nor_starve_valid_events() {
    check(&run::<Axum>(ATTACK).await);
    check(&run::<Actix>(ATTACK).await);
    check(&run::<Warp>(ATTACK).await);
}
