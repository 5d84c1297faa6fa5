//! Heap allocations per request, counted by a global allocator that wraps the system one
//! (`stats_alloc`, so this file has no `unsafe`): the same contenders and bytes as the
//! `pipeline` bench. Every figure is the average over many requests after a warm-up, so
//! one-time costs (lazy statics, thread-locals) do not count.
//!
//! Run: `cargo bench -p tencent-webhook-benches --bench allocations`.

use std::alloc::System;
use std::future::Future;
use std::hint::black_box;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::Full;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, Stats, StatsAlloc};
use tencent_webhook::{CallbackFn, WebhookResponse, WebhookService};
use tencent_webhook_benches::hand::{self, HandConfig};
use tencent_webhook_benches::{AckCallback, core_service, signed_request};
use tokio::runtime::Runtime;
use tower::Service;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

type Core = WebhookService<CallbackFn<AckCallback>>;

const REQUESTS: usize = 10_000;

struct Counted {
    allocations: f64,
    reallocations: f64,
    bytes: f64,
}

/// Run `f` [`REQUESTS`] times after a warm-up and count what it allocates per call.
fn count(mut f: impl FnMut()) -> Counted {
    for _ in 0..100 {
        f();
    }
    let region = Region::new(GLOBAL);
    for _ in 0..REQUESTS {
        f();
    }
    Counted::per_request(region.change())
}

impl Counted {
    fn per_request(stats: Stats) -> Self {
        let n = REQUESTS as f64;
        Counted {
            allocations: stats.allocations as f64 / n,
            reallocations: stats.reallocations as f64 / n,
            bytes: stats.bytes_allocated as f64 / n,
        }
    }
}

fn hand_written(config: &HandConfig, uri: &Uri, body: &Bytes) -> WebhookResponse {
    hand::respond(config, uri.query(), body)
}

async fn core_staged(
    service: &Core,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> WebhookResponse {
    match service.admit(&Method::POST, uri, headers) {
        Ok(admission) => service.dispatch(admission, body.clone()).await,
        Err(response) => response,
    }
}

/// Like [`count`], for an async contender: all calls inside one `block_on` (a framework
/// is already inside its runtime), warm-up included.
fn count_async<F: Future>(runtime: &Runtime, mut f: impl FnMut() -> F) -> Counted {
    runtime.block_on(async {
        for _ in 0..100 {
            f().await;
        }
        let region = Region::new(GLOBAL);
        for _ in 0..REQUESTS {
            f().await;
        }
        Counted::per_request(region.change())
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--list") {
        // `cargo test --benches` and `--list`: nothing to run.
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");

    let config = HandConfig::default();
    let service = core_service();
    let (parts, _) = signed_request().into_request().into_parts();
    let (uri, headers) = (parts.uri, parts.headers);
    let body = signed_request().body().clone();

    // Every contender must accept the request, or we would count the refusal path.
    assert_eq!(hand_written(&config, &uri, &body).status(), 200);
    let staged_ok = |runtime: &Runtime| {
        let response = runtime.block_on(core_staged(&service, &uri, &headers, &body));
        assert_eq!(response.status(), 200);
    };
    staged_ok(&runtime);

    let floor = count(|| {
        black_box(serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap());
    });
    let hand = count(|| {
        black_box(hand_written(&config, black_box(&uri), &body));
    });
    let staged = count_async(&runtime, || async {
        black_box(core_staged(&service, black_box(&uri), &headers, &body).await);
    });
    // The request itself is built outside the counted region: a framework hands it over.
    let mut requests: Vec<Request<Full<Bytes>>> = Vec::with_capacity(REQUESTS + 100);
    let fill = |requests: &mut Vec<_>| {
        requests.clear();
        requests.extend((0..REQUESTS + 100).map(|_| {
            let mut r = Request::new(Full::new(body.clone()));
            *r.method_mut() = Method::POST;
            *r.uri_mut() = uri.clone();
            *r.headers_mut() = headers.clone();
            r
        }));
        requests.reverse();
    };
    fill(&mut requests);
    let tower = count_async(&runtime, || {
        let request = requests.pop().expect("enough requests");
        // axum clones the service for every request, so do we.
        let mut service = service.clone();
        async move {
            let Ok(response) = service.call(request).await;
            black_box(response);
        }
    });
    staged_ok(&runtime);

    println!(
        "heap allocations per request (mean of {REQUESTS}; seed sample, {} byte body)",
        body.len()
    );
    println!("| contender | allocations | reallocations | bytes allocated |");
    println!("|---|---:|---:|---:|");
    for (name, c) in [
        ("(i) serde_json::Value alone", &floor),
        ("(ii) hand-written handler", &hand),
        ("core pipeline (staged: admit + dispatch)", &staged),
        ("core as tower Service (+ body read, boxed future)", &tower),
    ] {
        println!(
            "| {name} | {:.1} | {:.1} | {:.0} |",
            c.allocations, c.reallocations, c.bytes
        );
    }
    println!(
        "core staged / (ii): {:.2}x the allocations; tower service / (ii): {:.2}x",
        staged.allocations / hand.allocations,
        tower.allocations / hand.allocations
    );
}
