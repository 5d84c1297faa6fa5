//! Bounded memory on both paths, measured: many slow senders of maximal bodies, on the Chat
//! and the TRTC endpoint at once, with and without `Content-Length`, against every adapter
//! over real sockets. The heap is counted by a global allocator that wraps the system one
//! (`stats_alloc`, so this file has no `unsafe`), alone in its binary so that the count is
//! this test's own.
//!
//! Each run: every sender opens its connection and sends its head (what connections cost,
//! whatever the library does); then every sender sends half of a maximal body and stalls.
//! Each adapter runs twice: with room for every body, where the library must charge at least
//! every byte it received (and at most twice that: its buffer grows by doubling), and with
//! a budget a fifth of what the senders send, where it must hold no more than the budget,
//! answer the rest 503 (50302), and the process must hold less by at least half of what
//! the budget kept out. Printed figures are quoted in SECURITY.md ("Memory").
//!
//! Loopback only; every socket operation and the whole run bounded in time.

use std::alloc::System;
use std::time::Duration;

use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use tencent_webhook::test_util::{TestRequest, TrtcTestRequest};
use tencent_webhook_conformance::client::Conn;
use tencent_webhook_conformance::{
    APP, Actix, Adapter, Axum, Server, TOKEN, TRTC_BODY_LIMIT, TRTC_KEY, TRTC_PATH, WEBHOOK_PATH,
    Warp, suite_config,
};
use tokio::time::timeout;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The heap in use right now, in bytes.
fn heap() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64 + s.bytes_reallocated as i64
}

/// The budget of this run: far below what the senders offer.
const BUDGET: usize = 1024 * 1024;
/// The Chat body limit of this run (the largest body a Chat sender announces).
const CHAT_LIMIT: usize = 64 * 1024;
/// Senders per endpoint and framing (`Content-Length` or chunked).
const SENDERS: usize = 64;
/// The body timeout: longer than the run's stall, so no sender is cut off while measured.
const BODY_TIMEOUT: Duration = Duration::from_secs(20);
const IO_TIMEOUT: Duration = Duration::from_secs(10);

struct Sender {
    conn: Conn,
    /// The second part of the body, to send once everyone has sent their head.
    part: Vec<u8>,
}

/// A maximal Chat body: a JSON object padded to `len` bytes.
fn padded(len: usize) -> Vec<u8> {
    let mut body = br#"{"CallbackCommand":"Live.CallbackAfterCreateRoom","Pad":""#.to_vec();
    body.resize(len - 2, b'x');
    body.extend_from_slice(b"\"}");
    body
}

/// The head of a request, what is sent of its body (half of it, framed; the rest is never
/// sent) and how many bytes of body that is.
fn request(chat: bool, chunked: bool) -> (Vec<u8>, Vec<u8>, usize) {
    let (path_and_query, headers, body) = if chat {
        let body = padded(CHAT_LIMIT);
        let req = TestRequest::new(APP, "Live.CallbackAfterCreateRoom", body.clone())
            .token(TOKEN)
            .path(WEBHOOK_PATH);
        (req.path_and_query(), Vec::new(), body)
    } else {
        let body = padded(TRTC_BODY_LIMIT);
        let req = TrtcTestRequest::new(APP, body.clone()).key(TRTC_KEY);
        let headers = vec![
            ("SdkAppId".to_owned(), APP.to_string()),
            ("Sign".to_owned(), req.sign().unwrap()),
        ];
        (TRTC_PATH.to_owned(), headers, body)
    };
    let mut head = format!("POST {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let half = &body[..body.len() / 2];
    let part = if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
        let mut part = Vec::new();
        for piece in half.chunks(4096) {
            part.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            part.extend_from_slice(piece);
            part.extend_from_slice(b"\r\n");
        }
        part
    } else {
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        half.to_vec()
    };
    (head.into_bytes(), part, half.len())
}

/// What one run measured (all in bytes).
#[derive(Debug)]
#[allow(dead_code, reason = "printed with Debug for the record")]
struct Report {
    adapter: &'static str,
    senders: usize,
    /// What the senders sent of their bodies, in all (body bytes, without framing).
    offered_bytes: usize,
    /// The heap after every sender sent its head, over the level before.
    connections_bytes: i64,
    /// The heap while the senders stall mid-body, over the level before: connections still
    /// open, and the bodies held.
    stalled_bytes: i64,
    /// The heap while they stall over the heap after the heads: the bodies, as held.
    bodies_bytes: i64,
    /// `buffered_bytes()` while they stall.
    buffered_bytes: usize,
    /// Senders answered 503 (50302) at once; the others still wait for their bodies.
    answered_503: usize,
}

async fn run<A: Adapter>(budget: usize) -> Report {
    let config = suite_config()
        .body_limit(CHAT_LIMIT)
        .buffer_budget(budget)
        .body_timeout(Some(BODY_TIMEOUT))
        .build()
        .unwrap();
    let server = Server::start_with::<A>(config.clone());
    let addr = server.addr;
    // Everything the senders will send is built before the first reading.
    let mut prepared = Vec::new();
    for chat in [true, false] {
        for chunked in [false, true] {
            for _ in 0..SENDERS {
                prepared.push(request(chat, chunked));
            }
        }
    }
    let offered_bytes = prepared.iter().map(|(_, _, body)| body).sum();
    let mut senders = Vec::with_capacity(prepared.len());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = heap();
    for (head, part, _) in prepared {
        let mut conn = timeout(IO_TIMEOUT, Conn::open(addr)).await.unwrap();
        timeout(IO_TIMEOUT, conn.send_raw(&head))
            .await
            .unwrap()
            .unwrap();
        senders.push(Sender { conn, part });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let connected = heap();
    for sender in &mut senders {
        // A sender the server has already refused may find its socket closed. The part
        // stays allocated until the end, so that the readings count the server alone.
        let _ = timeout(IO_TIMEOUT, sender.conn.send_raw(&sender.part)).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let stalled = heap();
    let buffered_bytes = config.buffered_bytes();
    // The refused are answered at once; the others are still waiting for their bodies.
    let mut answered_503 = 0;
    for sender in &mut senders {
        if let Ok(Ok(response)) =
            timeout(Duration::from_millis(20), sender.conn.read_response()).await
        {
            assert_eq!(response.status, 503, "{}: {}", A::NAME, response.text());
            assert!(response.text().contains("50302"), "{}", response.text());
            assert_eq!(response.header("connection"), Some("close"), "{}", A::NAME);
            answered_503 += 1;
        }
    }
    drop(senders);
    drop(server);
    Report {
        adapter: A::NAME,
        senders: 4 * SENDERS,
        offered_bytes,
        connections_bytes: connected - before,
        stalled_bytes: stalled - before,
        bodies_bytes: stalled - connected,
        buffered_bytes,
        answered_503,
    }
}

/// The library's accounting against what the senders sent (known from the client side,
/// not from the counter itself): with room for every body, every byte received is held in
/// the library's buffer and charged, at most twice over (a buffer grows by doubling).
fn check_unbounded(report: &Report) {
    println!("unbounded: {report:?}");
    assert_eq!(
        report.answered_503, 0,
        "{}: room for every body",
        report.adapter
    );
    assert!(
        report.buffered_bytes >= report.offered_bytes
            && report.buffered_bytes <= 2 * report.offered_bytes,
        "{}: {} bytes charged for {} bytes received",
        report.adapter,
        report.buffered_bytes,
        report.offered_bytes
    );
}

/// The same senders against a budget a fifth of what they send: the library holds no more
/// than the budget, refuses the rest (503, 50302, before or while reading), and the process
/// holds less by at least half of what the budget kept out (the rest of what is held is
/// the frameworks' own per-connection buffers, the same in both runs).
fn check_bounded(report: &Report, unbounded: &Report) {
    println!("bounded:   {report:?}");
    assert!(
        report.offered_bytes > 4 * BUDGET,
        "the senders offer far more than the budget"
    );
    assert!(report.buffered_bytes <= BUDGET, "{report:?}");
    assert!(
        report.buffered_bytes >= BUDGET / 2,
        "{}: the budget was used ({report:?})",
        report.adapter
    );
    assert!(
        report.answered_503 > 0,
        "{}: senders beyond the budget were refused",
        report.adapter
    );
    let kept_out = (report.offered_bytes - BUDGET) as i64;
    assert!(
        unbounded.stalled_bytes - report.stalled_bytes >= kept_out / 2,
        "{}: {} bytes held with the budget, {} without: the budget kept out too little",
        report.adapter,
        report.stalled_bytes,
        unbounded.stalled_bytes
    );
}

/// Far more than the senders send: every body fits.
const NO_LIMIT: usize = 64 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_slow_senders_of_maximal_bodies_hold_no_more_than_the_budget() {
    let axum = run::<Axum>(NO_LIMIT).await;
    check_unbounded(&axum);
    check_bounded(&run::<Axum>(BUDGET).await, &axum);
    let actix = run::<Actix>(NO_LIMIT).await;
    check_unbounded(&actix);
    check_bounded(&run::<Actix>(BUDGET).await, &actix);
    let warp = run::<Warp>(NO_LIMIT).await;
    check_unbounded(&warp);
    check_bounded(&run::<Warp>(BUDGET).await, &warp);
}
