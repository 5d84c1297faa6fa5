//! Load: thousands of signed events over many connections, each delivered exactly once,
//! with the process's memory read before, during and after.

use std::time::{Duration, Instant};

use tencent_webhook::command;

use super::cases::{OK_BODY, assert_envelope, recording_with_task, signed};
use super::client::{self, Conn};
use super::{Adapter, Server};

/// What one load run measured.
#[derive(Debug)]
pub struct LoadReport {
    pub adapter: &'static str,
    pub events: usize,
    pub connections: usize,
    pub elapsed: Duration,
    /// Resident memory (KiB) before the server started, after a warm-up round, and after
    /// the measured rounds.
    pub rss_before_kib: u64,
    pub rss_warm_kib: u64,
    pub rss_after_kib: u64,
}

/// Resident set size of this process in KiB (Linux), 0 elsewhere.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4)
}

/// Send `events` distinct signed events over `connections` keep-alive connections, once
/// as a warm-up and then `rounds` more times, checking every answer and that every event
/// was delivered exactly once.
pub async fn run<A: Adapter>(events: usize, connections: usize, rounds: usize) -> LoadReport {
    let rss_before_kib = rss_kib();
    let server = Server::start::<A>();
    let mut rss_warm_kib = 0;
    let started = Instant::now();
    for round in 0..=rounds {
        let addr = server.addr;
        let mut tasks = Vec::new();
        for c in 0..connections {
            tasks.push(tokio::spawn(async move {
                let mut conn = Conn::open(addr).await;
                let mut i = c;
                while i < events {
                    let body = recording_with_task(&format!("load-{round}-{i}"));
                    let req = signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, &body);
                    let response = conn
                        .request(&client::post(&req.path_and_query(), req.body()))
                        .await;
                    assert_envelope(&response, 200, OK_BODY, "load");
                    i += connections;
                }
            }));
        }
        for task in tasks {
            task.await.expect("no client errors");
        }
        if round == 0 {
            rss_warm_kib = rss_kib();
        }
    }
    let elapsed = started.elapsed();
    let by_task = server.probe.by_task();
    assert_eq!(
        by_task.len(),
        events * (rounds + 1),
        "{}: every event delivered",
        A::NAME
    );
    assert!(
        by_task.values().all(|&n| n == 1),
        "{}: each exactly once",
        A::NAME
    );
    let rss_after_kib = rss_kib();
    LoadReport {
        adapter: A::NAME,
        events: events * (rounds + 1),
        connections,
        elapsed,
        rss_before_kib,
        rss_warm_kib,
        rss_after_kib,
    }
}
