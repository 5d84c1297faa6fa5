//! Several replicas over real sockets: three processes of the `replica` app (webhook +
//! durable hand-off + worker) and one worker-only process share one real redis-server.
//! A client sends thousands of signed TRTC events, each to a random replica, re-sends a
//! share of them to other replicas as Tencent's retries would (some at the same moment),
//! and kills one replica and the extra worker mid-run (SIGKILL, while they hold events).
//!
//! Afterwards: every event was acknowledged, every acknowledged event was handed to user
//! code, its side effect was applied exactly once, nothing is left in the stream, nothing
//! was dead-lettered, and only events held by a killed worker were handed over twice.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tencent_webhook::redis::{connect, redis};
use tencent_webhook::test_util::{TrtcTestRequest, trtc_webhook};
use tencent_webhook_redis_tests::{APP, KEY, Persistence, event, eventually, redis_or_skip};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const EVENTS: u64 = 3000;
const CLIENTS: u64 = 24;
/// Share (in percent) of events re-sent to another replica after their first answer.
const RESEND_PERCENT: u64 = 20;
/// Share (in percent) of events sent to two replicas at the same moment.
const TWIN_PERCENT: u64 = 5;
const PREFIX: &str = "replicas";
const LEASE_MS: u64 = 1500;
const BATCH: usize = 32;

struct Process {
    child: Child,
    port: Option<u16>,
}

async fn spawn(redis_url: &str, role: &str, consumer: &str, delay_ms: u64) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_replica"))
        .env("REDIS_URL", redis_url)
        .env("PREFIX", PREFIX)
        .env("ROLE", role)
        .env("CONSUMER", consumer)
        .env("HANDLER_DELAY_MS", delay_ms.to_string())
        .env("LEASE_MS", LEASE_MS.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the replica binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("the replica is ready within 20 s")
        .unwrap()
        .expect("a first line");
    let port = first
        .strip_prefix("listening ")
        .map(|p| p.parse().expect("a port"));
    Process { child, port }
}

/// POST one signed body to a replica; the answer's status and whether it was `{"code":0}`.
async fn post(port: u16, body: String) -> Result<bool, String> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut request = TrtcTestRequest::new(APP, body)
        .key(KEY)
        .path("/trtc")
        .into_request();
    request.headers_mut().insert(
        http::header::HOST,
        http::HeaderValue::from_static("127.0.0.1"),
    );
    let response = tokio::time::timeout(Duration::from_secs(10), sender.send_request(request))
        .await
        .map_err(|_| "no answer within 10 s".to_owned())?
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok(status == 200 && body.as_ref() == br#"{"code":0}"#)
}

/// A small deterministic generator (xorshift), so a failing run can be replayed.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[derive(Default)]
struct Tally {
    acknowledged: AtomicU64,
    answers_ok: AtomicU64,
    refused_or_unreachable: AtomicU64,
    resends: AtomicU64,
}

/// Send event `n` (and maybe its retries) until one replica acknowledges it.
async fn deliver(n: u64, ports: &[u16], alive: &[std::sync::atomic::AtomicBool], tally: &Tally) {
    let mut rng = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let pick = |rng: &mut u64, not: Option<usize>| loop {
        let r = (next(rng) % ports.len() as u64) as usize;
        if Some(r) != not {
            return r;
        }
    };
    let first = pick(&mut rng, None);
    let twin = next(&mut rng) % 100 < TWIN_PERCENT;
    let resend = next(&mut rng) % 100 < RESEND_PERCENT;
    let mut attempt = 0;
    let mut target = first;
    let mut acknowledged = false;
    if twin {
        let other = pick(&mut rng, Some(first));
        let (a, b) = tokio::join!(
            post(ports[first], event(n, 0)),
            post(ports[other], event(n, 1))
        );
        tally.resends.fetch_add(1, Ordering::Relaxed);
        for r in [a, b] {
            match r {
                Ok(true) => {
                    acknowledged = true;
                    tally.answers_ok.fetch_add(1, Ordering::Relaxed);
                }
                _ => {
                    tally.refused_or_unreachable.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        attempt = 2;
        target = other;
    }
    // Like TRTC: retry (to any replica) until a 200 {"code":0}, bounded.
    while !acknowledged {
        assert!(attempt < 40, "event {n} was never acknowledged");
        if !alive[target].load(Ordering::Relaxed) {
            target = pick(&mut rng, Some(target));
        }
        match post(ports[target], event(n, attempt)).await {
            Ok(true) => {
                acknowledged = true;
                tally.answers_ok.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                tally.refused_or_unreachable.fetch_add(1, Ordering::Relaxed);
                target = pick(&mut rng, Some(target));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        attempt += 1;
    }
    tally.acknowledged.fetch_add(1, Ordering::Relaxed);
    if resend {
        // A retry of an event already acknowledged (its answer was "late"), to another replica.
        let other = pick(&mut rng, Some(target));
        tally.resends.fetch_add(1, Ordering::Relaxed);
        if alive[other].load(Ordering::Relaxed) {
            match post(ports[other], event(n, attempt + 1)).await {
                Ok(true) => tally.answers_ok.fetch_add(1, Ordering::Relaxed),
                _ => tally.refused_or_unreachable.fetch_add(1, Ordering::Relaxed),
            };
        }
    }
}

async fn pending_of(conn: &mut redis::aio::ConnectionManager, consumer: &str) -> u64 {
    let consumers: Vec<HashMap<String, redis::Value>> = redis::cmd("XINFO")
        .arg("CONSUMERS")
        .arg(format!("{{{PREFIX}}}:events"))
        .arg("workers")
        .query_async(conn)
        .await
        .unwrap_or_default();
    consumers
        .iter()
        .find(|c| {
            c.get("name")
                .and_then(|n| redis::from_redis_value_ref::<String>(n).ok())
                .is_some_and(|n| n == consumer)
        })
        .and_then(|c| c.get("pending"))
        .and_then(|p| redis::from_redis_value_ref::<u64>(p).ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_and_a_worker_share_one_redis_and_lose_nothing() {
    let server = redis_or_skip!(Persistence::None);
    let url = server.url();
    let mut replicas = Vec::new();
    for i in 0..3 {
        replicas.push(spawn(&url, "both", &format!("replica-{i}"), 2).await);
    }
    // The extra worker spends 300 ms in its handler, so it holds events when it is killed.
    let mut extra_worker = spawn(&url, "worker", "extra-worker", 300).await;
    let ports: Arc<Vec<u16>> = Arc::new(replicas.iter().map(|r| r.port.unwrap()).collect());
    let alive: Arc<Vec<std::sync::atomic::AtomicBool>> = Arc::new(
        (0..3)
            .map(|_| std::sync::atomic::AtomicBool::new(true))
            .collect(),
    );
    let tally = Arc::new(Tally::default());
    let next_event = Arc::new(AtomicU64::new(0));
    let mut redis_conn = connect(&server.client(), Duration::from_secs(2)).unwrap();

    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (ports, alive, tally, next_event) = (
                ports.clone(),
                alive.clone(),
                tally.clone(),
                next_event.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let n = next_event.fetch_add(1, Ordering::Relaxed);
                    if n >= EVENTS {
                        return;
                    }
                    deliver(n, &ports, &alive, &tally).await;
                }
            })
        })
        .collect();

    // Kill replica 2 (its webhook and its worker) after a third, the extra worker after two
    // thirds; both while holding events.
    let held = Arc::new(AtomicUsize::new(0));
    let mut killed_replica_held = 0;
    let mut killed_worker_held = 0u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    while next_event.load(Ordering::Relaxed) < EVENTS / 3 {
        assert!(Instant::now() < deadline, "the client stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    killed_replica_held += pending_of(&mut redis_conn, "replica-2").await;
    alive[2].store(false, Ordering::Relaxed);
    replicas[2].child.start_kill().unwrap();
    let _ = replicas[2].child.wait().await;
    while next_event.load(Ordering::Relaxed) < 2 * EVENTS / 3 {
        assert!(Instant::now() < deadline, "the client stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Kill it while it holds events (they were handed to its handler, not acknowledged).
    let wait = Instant::now() + Duration::from_secs(10);
    while killed_worker_held == 0 && Instant::now() < wait {
        killed_worker_held = pending_of(&mut redis_conn, "extra-worker").await;
        if killed_worker_held == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    extra_worker.child.start_kill().unwrap();
    let _ = extra_worker.child.wait().await;
    held.store(
        (killed_replica_held + killed_worker_held) as usize,
        Ordering::Relaxed,
    );

    for c in clients {
        c.await.expect("no client task panicked");
    }
    let send_time = started.elapsed();

    // Every event's idempotency key, as the replicas compute it.
    let keys: Vec<String> = (0..EVENTS)
        .map(|n| {
            trtc_webhook(APP, event(n, 0))
                .unwrap()
                .context
                .idempotency_key()
                .to_string()
        })
        .collect();
    let applied_key = format!("{PREFIX}:effects:applied");
    let drained = eventually(Duration::from_secs(30), || {
        let mut conn = redis_conn.clone();
        let applied_key = applied_key.clone();
        async move {
            let applied: u64 = redis::cmd("HLEN")
                .arg(&applied_key)
                .query_async(&mut conn)
                .await
                .unwrap_or(0);
            let left: u64 = redis::cmd("XLEN")
                .arg(format!("{{{PREFIX}}}:events"))
                .query_async(&mut conn)
                .await
                .unwrap_or(1);
            applied == EVENTS && left == 0
        }
    })
    .await;
    let total_time = started.elapsed();

    let calls: HashMap<String, u64> = redis::cmd("HGETALL")
        .arg(format!("{PREFIX}:effects:calls"))
        .query_async(&mut redis_conn)
        .await
        .unwrap();
    let applied: HashMap<String, String> = redis::cmd("HGETALL")
        .arg(&applied_key)
        .query_async(&mut redis_conn)
        .await
        .unwrap();
    let dead: u64 = redis::cmd("XLEN")
        .arg(format!("{{{PREFIX}}}:dead"))
        .query_async(&mut redis_conn)
        .await
        .unwrap();
    let acknowledged = tally.acknowledged.load(Ordering::Relaxed);
    let answers_ok = tally.answers_ok.load(Ordering::Relaxed);
    let lost = keys.iter().filter(|k| !applied.contains_key(*k)).count();
    let handed: u64 = calls.values().sum();
    let redelivered = handed - calls.len() as u64;
    let twice = calls.values().filter(|&&c| c > 1).count();
    eprintln!(
        "\nmulti-replica: {EVENTS} events, {} resends to other replicas, {acknowledged} acknowledged, \
         {} answers 200 (so {} duplicates acknowledged without a second hand-over), \
         {} refused or unreachable (killed replica, retried elsewhere); \
         killed while holding events: replica-2 {killed_replica_held}, extra worker {killed_worker_held}; \
         handed to user code {handed} times = {} events + {redelivered} redeliveries ({twice} events twice); \
         effects applied {} (exactly once each), lost {lost}, dead-lettered {dead}; \
         sending took {:.2} s ({:.0} events/s acknowledged), drained after {:.2} s\n",
        tally.resends.load(Ordering::Relaxed),
        answers_ok,
        answers_ok - acknowledged,
        tally.refused_or_unreachable.load(Ordering::Relaxed),
        calls.len(),
        applied.len(),
        send_time.as_secs_f64(),
        acknowledged as f64 / send_time.as_secs_f64(),
        total_time.as_secs_f64(),
    );
    assert!(drained, "the stream was not drained in time");
    assert_eq!(acknowledged, EVENTS);
    assert_eq!(lost, 0, "acknowledged events never handed to user code");
    assert_eq!(applied.len() as u64, EVENTS);
    assert_eq!(
        calls.len() as u64,
        EVENTS,
        "only these events were handed over"
    );
    assert_eq!(dead, 0);
    assert!(
        killed_replica_held + killed_worker_held > 0,
        "a kill landed mid-event"
    );
    // Only events held by a killed worker are handed over a second time.
    assert!(
        redelivered <= killed_replica_held + killed_worker_held + 2 * BATCH as u64,
        "{redelivered} redeliveries, {} held at the kills",
        held.load(Ordering::Relaxed)
    );
    assert!(
        calls.values().all(|&c| c <= 2),
        "no event handed over three times"
    );
}
