//! At least 2,000 signed events at 64 concurrent connections per adapter: zero errors,
//! every event delivered exactly once, and memory back to its warmed-up level afterwards
//! (no per-request growth). Loopback only, bounded in count and time.

use tencent_webhook_conformance::load::{LoadReport, run};
use tencent_webhook_conformance::{Actix, Axum, Warp};

const EVENTS: usize = 2_000;
const CONNECTIONS: usize = 64;
const ROUNDS: usize = 2;
/// Allowed growth of resident memory from after the warm-up round to after the measured
/// rounds: 4,000 more events may add at most this much (about 1 KiB per event, far below
/// what a leaked request or body would cost, and room for the probe's own records).
const MAX_GROWTH_KIB: u64 = 4 * 1024;

fn check(report: &LoadReport) {
    assert!(
        report.rss_warm_kib > 0 && report.rss_after_kib > 0,
        "resident memory could not be read from /proc/self/statm"
    );
    println!(
        "{}: {} events over {} connections in {:.2?} ({:.0} events/s); RSS before {} KiB, warm {} KiB, after {} KiB",
        report.adapter,
        report.events,
        report.connections,
        report.elapsed,
        report.events as f64 / report.elapsed.as_secs_f64(),
        report.rss_before_kib,
        report.rss_warm_kib,
        report.rss_after_kib,
    );
    let growth = report.rss_after_kib.saturating_sub(report.rss_warm_kib);
    assert!(
        growth <= MAX_GROWTH_KIB,
        "{}: memory grew {growth} KiB after warm-up ({report:?})",
        report.adapter
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_events_per_adapter_each_delivered_once() {
    check(&run::<Axum>(EVENTS, CONNECTIONS, ROUNDS).await);
    check(&run::<Actix>(EVENTS, CONNECTIONS, ROUNDS).await);
    check(&run::<Warp>(EVENTS, CONNECTIONS, ROUNDS).await);
}
