//! Unverified TRTC bodies under attack: a TRTC body can only be verified once it has been
//! read, so forged bodies cost memory until then. Two attacks, each while valid signed
//! events keep arriving, with the service's buffer budget gauge and the process's resident
//! memory sampled throughout:
//!
//! 1. **Slow bodies**: many connections send TRTC headers with a `Content-Length` near the
//!    TRTC body limit, a first part of the body, then one byte at a time, until the body
//!    timeout answers them (408). A slow sender holds only what it has sent, so valid events
//!    keep getting 200 at once, even though what the attackers *announce* is more than the
//!    whole budget.
//! 2. **A flood of full-size forged bodies**, as fast as the server reads them: each is
//!    refused, 401 (read, then the signature fails) or 503 (the budget is full). A valid
//!    sender that meets a 503 retries, as TRTC does, and is delivered exactly once.
//!
//! Loopback only; every socket operation bounded in time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tencent_webhook::Rejection;
use tencent_webhook::test_util::samples::trtc;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::client::{self, Conn, Response};
use super::load::rss_kib;
use super::trtc_cases::{
    TRTC_OK_BODY, assert_trtc_answer, trtc_fail_body, trtc_raw, trtc_recording_with_task,
    trtc_signed,
};
use super::{APP, Adapter, Server, TRTC_BODY_LIMIT, TRTC_PATH, suite_config};

/// How long any one connect or write may take before the test fails.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(10);
/// Rounds of both attacks before the one whose memory is measured.
pub const WARM_UP_ROUNDS: usize = 2;
/// Between opening one slow connection and the next.
const SLOW_OPEN_SPACING: Duration = Duration::from_millis(2);

/// The shape of one attack run.
#[derive(Debug, Clone, Copy)]
pub struct Attack {
    /// The service's buffer budget for this run.
    pub budget: usize,
    /// Slow connections, each announcing `slow_announced` bytes.
    pub slow_connections: usize,
    pub slow_announced: usize,
    /// What a slow connection sends at once, before trickling.
    pub slow_first: usize,
    /// One more byte every this long, for this long (from the first write; shorter than
    /// the body timeout, so that no byte is in flight when the server gives up and closes:
    /// a server that closes with unread bytes resets the connection, which can destroy
    /// its own 408 answer on the way).
    pub trickle_every: Duration,
    pub trickle_for: Duration,
    /// Flooding connections, each sending `flood_per_connection` full-size forged bodies
    /// one after another (a count, not a duration, so that every round refuses as many
    /// bytes however busy the machine is).
    pub flood_connections: usize,
    pub flood_per_connection: usize,
    /// Connections sending valid events during each attack, one event after another.
    pub valid_connections: usize,
}

/// What one attack run measured.
#[derive(Debug, Default)]
pub struct AttackReport {
    pub adapter: &'static str,
    pub budget: usize,
    // Counts are over all rounds; times and peaks the largest of any round.
    /// Slow connections answered 408 (body timeout) and 503 (budget).
    pub slow_408: usize,
    pub slow_503: usize,
    /// How long the opening of the slow connections is spread over.
    pub slow_spread: Duration,
    /// How long the slow phase took.
    pub slow_elapsed: Duration,
    /// Flood requests answered 401 and 503, and closed by the server without an answer
    /// (a refusal before the body was read can close the connection with the body unread,
    /// and the reset that follows can overtake the answer).
    pub flood_401: usize,
    pub flood_503: usize,
    pub flood_closed: usize,
    /// Flood requests in the measured round alone.
    pub flood_measured: usize,
    pub flood_elapsed: Duration,
    /// Valid events sent (each answered 200 in the end) during the slow phase and the flood.
    pub valid_during_slow: usize,
    pub valid_during_flood: usize,
    /// 503s (or connections closed without an answer) valid senders met during the flood,
    /// and retried.
    pub valid_retries: usize,
    /// Highest `buffered_bytes()` seen, in each phase, and how many samples were taken.
    pub peak_buffered_slow: usize,
    pub peak_buffered_flood: usize,
    pub samples: usize,
    /// Resident memory (KiB): before the server started, after the warm-up rounds, highest
    /// during the measured round, and after the server stopped.
    pub rss_before_kib: u64,
    pub rss_warm_kib: u64,
    pub rss_peak_kib: u64,
    pub rss_after_kib: u64,
}

/// The headers of a forged TRTC request (a well-formed `Sign` that does not match) for a
/// body of `len` bytes.
fn forged_head(len: usize) -> String {
    format!(
        "POST {TRTC_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nSdkAppId: {APP}\r\nSign: {}\r\nContent-Length: {len}\r\n\r\n",
        trtc::SAMPLE_SIGN
    )
}

/// A forged body of `len` bytes: valid JSON, so only the signature refuses it.
fn forged_body(len: usize) -> Vec<u8> {
    let head = br#"{"EventGroupId":3,"EventType":305,"Pad":""#;
    let mut body = head.to_vec();
    body.resize(len - 2, b'x');
    body.extend_from_slice(br#""}"#);
    body
}

async fn open(addr: std::net::SocketAddr) -> Conn {
    timeout(SOCKET_TIMEOUT, Conn::open(addr))
        .await
        .expect("connect in time")
}

async fn send(conn: &mut Conn, bytes: &[u8]) -> std::io::Result<()> {
    timeout(SOCKET_TIMEOUT, conn.send_raw(bytes))
        .await
        .unwrap_or_else(|_| Err(std::io::Error::other("write timed out")))
}

/// Samples the budget gauge (every millisecond) and resident memory (every 20 ms) until
/// stopped; asserts the gauge never exceeds the budget.
struct Sampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<(usize, u64, usize)>,
}

impl Sampler {
    fn start(config: tencent_webhook::WebhookConfig) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let (mut peak, mut rss_peak, mut samples) = (0usize, 0u64, 0usize);
            while !stopped.load(Ordering::Relaxed) {
                let buffered = config.buffered_bytes();
                assert!(
                    buffered <= config.buffer_budget(),
                    "buffered {buffered} bytes, budget {}",
                    config.buffer_budget()
                );
                peak = peak.max(buffered);
                if samples % 20 == 0 {
                    rss_peak = rss_peak.max(rss_kib());
                }
                samples += 1;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            (peak, rss_peak, samples)
        });
        Sampler { stop, task }
    }

    async fn finish(self) -> (usize, u64, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("the budget never exceeded")
    }
}

/// Valid signed events, one after another on each connection, until `done`; a 503 for a
/// full budget is retried (as TRTC does) when `retry_503`. Returns (events, retries).
fn valid_senders(
    server: &Server,
    phase: String,
    connections: usize,
    done: Arc<AtomicBool>,
    retry_503: bool,
) -> tokio::task::JoinHandle<(usize, usize)> {
    let addr = server.addr;
    tokio::spawn(async move {
        let mut tasks = Vec::new();
        for c in 0..connections {
            let done = done.clone();
            let phase = phase.clone();
            tasks.push(tokio::spawn(async move {
                let (mut sent, mut retries) = (0, 0);
                let mut conn = open(addr).await;
                while !done.load(Ordering::Relaxed) || sent == 0 {
                    let body = trtc_recording_with_task(&format!("{phase}-{c}-{sent}"));
                    let raw = trtc_raw(&trtc_signed(&body));
                    let mut attempts = 0;
                    loop {
                        let answer = match send(&mut conn, &raw).await {
                            Ok(()) => conn.read_response().await,
                            Err(e) => Err(e),
                        };
                        let response = match answer {
                            Ok(response) => response,
                            // Closed after a refusal of an earlier attempt: try again.
                            Err(_) if retry_503 && attempts < 200 => {
                                attempts += 1;
                                retries += 1;
                                conn = open(addr).await;
                                continue;
                            }
                            Err(e) => panic!("{phase}: a valid event unanswered: {e}"),
                        };
                        if retry_503 && response.status == 503 && attempts < 200 {
                            assert_trtc_answer(
                                &response,
                                503,
                                &trtc_fail_body(Rejection::BufferBudgetExhausted),
                                &phase,
                            );
                            attempts += 1;
                            retries += 1;
                            // The refusal may leave the body unread: start afresh.
                            conn = open(addr).await;
                            tokio::time::sleep(Duration::from_millis(5)).await;
                            continue;
                        }
                        assert_trtc_answer(&response, 200, TRTC_OK_BODY, &phase);
                        break;
                    }
                    sent += 1;
                }
                (sent, retries)
            }));
        }
        let mut totals = (0, 0);
        for task in tasks {
            let (sent, retries) = task.await.expect("every valid sender succeeds");
            totals.0 += sent;
            totals.1 += retries;
        }
        totals
    })
}

/// One slow sender: the head, `first` bytes of the body, then a byte every `every` until
/// answered. Returns the answer.
async fn slow_sender(addr: std::net::SocketAddr, attack: Attack) -> Response {
    let mut stream = timeout(SOCKET_TIMEOUT, TcpStream::connect(addr))
        .await
        .expect("connect in time")
        .expect("connect");
    let body = forged_body(attack.slow_announced);
    let mut first = forged_head(attack.slow_announced).into_bytes();
    first.extend_from_slice(&body[..attack.slow_first]);
    timeout(SOCKET_TIMEOUT, stream.write_all(&first))
        .await
        .expect("write in time")
        .expect("write the head");
    let mut sent = attack.slow_first;
    let started = Instant::now();
    // Trickle until the server says something or it is time to stop; then wait for the
    // answer (bounded by the client's read timeout).
    while started.elapsed() < attack.trickle_for && sent < body.len() {
        let readable = tokio::select! {
            r = stream.readable() => Some(r),
            () = tokio::time::sleep(attack.trickle_every) => None,
        };
        match readable {
            Some(r) => {
                r.expect("readable");
                break;
            }
            None => {
                // The server may already have answered and closed: stop trickling then.
                if timeout(SOCKET_TIMEOUT, stream.write_all(&body[sent..=sent]))
                    .await
                    .expect("write in time")
                    .is_err()
                {
                    break;
                }
                sent += 1;
            }
        }
    }
    Conn::from_stream(stream)
        .read_response()
        .await
        .expect("the slow sender is answered")
}

/// Start the slow senders, spread over a few milliseconds each so that the listener's
/// accept queue keeps up.
fn slow_senders(
    addr: std::net::SocketAddr,
    attack: Attack,
) -> Vec<tokio::task::JoinHandle<Response>> {
    (0..attack.slow_connections)
        .map(|i| {
            tokio::spawn(async move {
                tokio::time::sleep(SLOW_OPEN_SPACING * u32::try_from(i).unwrap()).await;
                slow_sender(addr, attack).await
            })
        })
        .collect()
}

/// `flood_per_connection` full-size forged bodies, one after another on a connection;
/// returns the answers' statuses (0: closed without an answer).
async fn flood_sender(addr: std::net::SocketAddr, attack: Attack) -> Vec<u16> {
    let mut raw = forged_head(TRTC_BODY_LIMIT).into_bytes();
    raw.extend_from_slice(&forged_body(TRTC_BODY_LIMIT));
    let mut statuses = Vec::new();
    let mut conn = open(addr).await;
    while statuses.len() < attack.flood_per_connection {
        let answer = match send(&mut conn, &raw).await {
            Ok(()) => conn.read_response().await,
            Err(e) => Err(e),
        };
        let Ok(response) = answer else {
            statuses.push(0);
            conn = open(addr).await;
            continue;
        };
        let rejection = match response.status {
            401 => Rejection::BadSignature,
            503 => Rejection::BufferBudgetExhausted,
            other => panic!("a forged body answered {other}: {}", response.text()),
        };
        assert_trtc_answer(
            &response,
            rejection.status().as_u16(),
            &trtc_fail_body(rejection),
            "flood",
        );
        statuses.push(response.status);
        if response.status == 503 {
            // Refused before its body was read: the connection may be closed.
            conn = open(addr).await;
        }
    }
    statuses
}

/// Run both attacks against adapter `A`: [`WARM_UP_ROUNDS`] times to warm up (connection
/// buffers, allocator arenas, worker stacks), then once more with resident memory measured
/// against the level after the warm-up, so that anything kept per request shows as growth.
pub async fn run<A: Adapter>(attack: Attack) -> AttackReport {
    let rss_before_kib = rss_kib();
    let config = suite_config().buffer_budget(attack.budget).build().unwrap();
    let server = Server::start_with::<A>(config);
    let mut report = AttackReport {
        adapter: A::NAME,
        budget: server.config.buffer_budget(),
        rss_before_kib,
        ..AttackReport::default()
    };
    for round in 0..=WARM_UP_ROUNDS {
        let flood_before = report.flood_401 + report.flood_503 + report.flood_closed;
        let rss_peak = slow_phase(&server, attack, round, &mut report).await;
        let rss_peak = rss_peak.max(flood_phase(&server, attack, round, &mut report).await);
        if round < WARM_UP_ROUNDS {
            report.rss_warm_kib = rss_kib();
        } else {
            report.rss_peak_kib = rss_peak.max(rss_kib());
            report.flood_measured =
                report.flood_401 + report.flood_503 + report.flood_closed - flood_before;
        }
    }
    // Every valid event delivered exactly once; nothing forged delivered; nothing charged.
    let by_task = server.probe.by_task();
    assert_eq!(
        by_task.len(),
        report.valid_during_slow + report.valid_during_flood,
        "{}: every valid event delivered",
        A::NAME
    );
    assert!(
        by_task.values().all(|&n| n == 1),
        "{}: each exactly once",
        A::NAME
    );
    assert_eq!(
        server.config.buffered_bytes(),
        0,
        "{}: nothing stays charged",
        A::NAME
    );
    let response = client::roundtrip(server.addr, &trtc_raw(&trtc_signed(trtc::DOC_BODY))).await;
    assert_trtc_answer(&response, 200, TRTC_OK_BODY, "after the attacks");
    drop(server);
    report.rss_after_kib = rss_kib();
    report
}

/// Slow bodies while valid events arrive (which must never need a retry); returns the
/// highest resident memory seen.
async fn slow_phase(
    server: &Server,
    attack: Attack,
    round: usize,
    report: &mut AttackReport,
) -> u64 {
    let addr = server.addr;
    let sampler = Sampler::start(server.config.clone());
    let done = Arc::new(AtomicBool::new(false));
    let valid = valid_senders(
        server,
        format!("slow{round}"),
        attack.valid_connections,
        done.clone(),
        false,
    );
    let started = Instant::now();
    let slow = slow_senders(addr, attack);
    report.slow_spread = SLOW_OPEN_SPACING * u32::try_from(attack.slow_connections).unwrap();
    for task in slow {
        let response = task.await.expect("every slow sender is answered");
        let rejection = match response.status {
            408 => Rejection::BodyTimeout,
            503 => Rejection::BufferBudgetExhausted,
            other => panic!("a slow forged body answered {other}: {}", response.text()),
        };
        assert_trtc_answer(
            &response,
            rejection.status().as_u16(),
            &trtc_fail_body(rejection),
            &format!("{}: slow", report.adapter),
        );
        match response.status {
            408 => report.slow_408 += 1,
            _ => report.slow_503 += 1,
        }
    }
    report.slow_elapsed = report.slow_elapsed.max(started.elapsed());
    done.store(true, Ordering::Relaxed);
    let (sent, retries) = valid.await.expect("valid senders");
    assert_eq!(retries, 0, "no retries asked of the slow phase's senders");
    report.valid_during_slow += sent;
    let (peak, rss_peak, samples) = sampler.finish().await;
    report.peak_buffered_slow = report.peak_buffered_slow.max(peak);
    report.samples += samples;
    rss_peak
}

/// A flood of full-size forged bodies while valid events arrive (retrying a 503 as TRTC
/// does); returns the highest resident memory seen.
async fn flood_phase(
    server: &Server,
    attack: Attack,
    round: usize,
    report: &mut AttackReport,
) -> u64 {
    let addr = server.addr;
    let sampler = Sampler::start(server.config.clone());
    let done = Arc::new(AtomicBool::new(false));
    let valid = valid_senders(
        server,
        format!("flood{round}"),
        attack.valid_connections,
        done.clone(),
        true,
    );
    let started = Instant::now();
    let flood: Vec<_> = (0..attack.flood_connections)
        .map(|_| tokio::spawn(flood_sender(addr, attack)))
        .collect();
    for task in flood {
        for status in task.await.expect("every flood sender is answered") {
            match status {
                401 => report.flood_401 += 1,
                503 => report.flood_503 += 1,
                _ => report.flood_closed += 1,
            }
        }
    }
    report.flood_elapsed = report.flood_elapsed.max(started.elapsed());
    done.store(true, Ordering::Relaxed);
    let (sent, retries) = valid.await.expect("valid senders");
    report.valid_during_flood += sent;
    report.valid_retries += retries;
    let (peak, rss_peak, samples) = sampler.finish().await;
    report.peak_buffered_flood = report.peak_buffered_flood.max(peak);
    report.samples += samples;
    rss_peak
}
