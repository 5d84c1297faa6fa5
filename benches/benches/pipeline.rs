//! Criterion: one webhook request through the middleware's core pipeline (query parse,
//! `SdkAppid` and `Sign` check, body parsed into the typed event, envelope), against
//! (i) `serde_json::from_slice::<serde_json::Value>` alone and (ii) the handler written by
//! hand, all on the same bytes: the seed sample, signed as Tencent signs it.
//!
//! After criterion's own report, a paired run times the contenders in interleaved batches
//! and prints the median per-round ratio against (i) and (ii), which is what BENCHMARKS.md
//! reports: on a noisy machine a ratio of neighbouring batches is steadier than two
//! absolute times taken seconds apart.
//!
//! Run: `cargo bench -p tencent-webhook-benches --bench pipeline`.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::Criterion;
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::Full;
use tencent_webhook::{CallbackFn, WebhookResponse, WebhookService};
use tencent_webhook_benches::hand::{self, HandConfig};
use tencent_webhook_benches::{AckCallback, core_service, signed_request};
use tokio::runtime::Runtime;
use tower::Service;

type Core = WebhookService<CallbackFn<AckCallback>>;

/// One signed request, split the way a framework hands it over.
struct Input {
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl Input {
    /// Signed now: valid for the 60 s replay window, so make one per benchmark.
    fn fresh() -> Self {
        let (parts, _) = signed_request().into_request().into_parts();
        Self {
            uri: parts.uri,
            headers: parts.headers,
            body: signed_request().body().clone(),
        }
    }

    fn request(&self) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// (i) The floor any handler pays: the body into a `Value`.
fn floor(input: &Input) -> serde_json::Value {
    serde_json::from_slice(&input.body).expect("the sample is JSON")
}

/// (ii) The hand-written handler, answering the same `http::Response` the core answers.
fn hand_written(config: &HandConfig, input: &Input) -> WebhookResponse {
    hand::respond(config, input.uri.query(), &input.body)
}

/// The core pipeline, through the staged API the actix and warp adapters use: admit
/// (method, query, app id, signature, replay window), then dispatch (typed event, the
/// callback as a task of its own, envelope).
async fn core_staged(service: &Core, input: &Input) -> WebhookResponse {
    match service.admit(&Method::POST, &input.uri, &input.headers) {
        Ok(admission) => service.dispatch(admission, input.body.clone()).await,
        Err(response) => response,
    }
}

/// The core as the tower `Service` axum mounts: also reads the body (with its size and
/// time limits) and boxes the response future.
async fn core_service_call(service: &mut Core, request: Request<Full<Bytes>>) -> WebhookResponse {
    let Ok(response) = service.call(request).await;
    response
}

/// Time `iters` runs of an async contender inside one `block_on`, so the runtime's entry
/// cost is not charged per request (a framework is already inside its runtime).
fn time_async<F: Future>(runtime: &Runtime, iters: u64, mut f: impl FnMut() -> F) -> Duration {
    runtime.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(f().await);
        }
        start.elapsed()
    })
}

fn assert_ok(what: &str, response: &WebhookResponse) {
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{what} refused the request"
    );
}

/// Check that every contender accepts the request (a stale signature would otherwise
/// time the cheap refusal path).
fn check_all(runtime: &Runtime, config: &HandConfig, service: &mut Core, input: &Input) {
    assert!(floor(input).is_object());
    assert_ok("hand-written", &hand_written(config, input));
    assert_ok(
        "core (staged)",
        &runtime.block_on(core_staged(service, input)),
    );
    assert_ok(
        "core (service)",
        &runtime.block_on(core_service_call(service, input.request())),
    );
}

fn bench_pipeline(c: &mut Criterion, runtime: &Runtime) {
    let config = HandConfig::default();
    let mut service = core_service();
    let mut group = c.benchmark_group("pipeline");

    let input = Input::fresh();
    check_all(runtime, &config, &mut service, &input);
    group.bench_function("i_serde_json_value", |b| {
        b.iter(|| floor(black_box(&input)))
    });

    let input = Input::fresh();
    group.bench_function("ii_hand_written", |b| {
        b.iter(|| hand_written(&config, black_box(&input)))
    });
    check_all(runtime, &config, &mut service, &input);

    let input = Input::fresh();
    group.bench_function("core_staged", |b| {
        b.iter_custom(|iters| {
            time_async(runtime, iters, || core_staged(&service, black_box(&input)))
        })
    });
    check_all(runtime, &config, &mut service, &input);

    let input = Input::fresh();
    group.bench_function("core_admit_only", |b| {
        b.iter(|| {
            service
                .admit(&Method::POST, black_box(&input.uri), &input.headers)
                .expect("admitted")
        })
    });

    let input = Input::fresh();
    group.bench_function("core_tower_service", |b| {
        b.iter_custom(|iters| {
            // The requests are built outside the timed region: a framework hands them over.
            let mut requests: Vec<_> = (0..iters).map(|_| input.request()).collect();
            let service = service.clone();
            time_async(runtime, iters, move || {
                let request = requests.pop().expect("one request per iteration");
                let mut service = service.clone();
                async move { core_service_call(&mut service, request).await }
            })
        })
    });
    check_all(runtime, &config, &mut service, &input);
    group.finish();
}

/// Interleaved batches: every round times a batch of each contender, in rotating order;
/// the per-round ratios' median is printed.
fn paired(runtime: &Runtime) {
    const ROUNDS: usize = 151;
    const BATCH: u64 = 1000;
    let config = HandConfig::default();
    let mut service = core_service();
    let input = Input::fresh();
    check_all(runtime, &config, &mut service, &input);
    let names = ["(i) Value", "(ii) hand", "core staged", "core service"];
    let mut times: [Vec<f64>; 4] = Default::default();
    for round in 0..ROUNDS {
        for k in 0..4 {
            let which = (round + k) % 4;
            let elapsed = match which {
                0 => {
                    let start = Instant::now();
                    (0..BATCH).for_each(|_| drop(black_box(floor(black_box(&input)))));
                    start.elapsed()
                }
                1 => {
                    let start = Instant::now();
                    (0..BATCH)
                        .for_each(|_| drop(black_box(hand_written(&config, black_box(&input)))));
                    start.elapsed()
                }
                2 => time_async(runtime, BATCH, || core_staged(&service, black_box(&input))),
                _ => {
                    let mut requests: Vec<_> = (0..BATCH).map(|_| input.request()).collect();
                    let service = service.clone();
                    time_async(runtime, BATCH, move || {
                        let request = requests.pop().expect("one request per iteration");
                        let mut service = service.clone();
                        async move { core_service_call(&mut service, request).await }
                    })
                }
            };
            times[which].push(elapsed.as_nanos() as f64 / BATCH as f64);
        }
    }
    check_all(runtime, &config, &mut service, &input);
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ratio =
        |a: usize, b: usize| median(times[a].iter().zip(&times[b]).map(|(x, y)| x / y).collect());
    println!("\npaired run: {ROUNDS} rounds x {BATCH} requests per contender, interleaved");
    println!("| contender | median ns/request | ratio to (i) | ratio to (ii) |");
    println!("|---|---:|---:|---:|");
    for (k, name) in names.iter().enumerate() {
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} |",
            median(times[k].clone()),
            ratio(k, 0),
            ratio(k, 1)
        );
    }
}

fn main() {
    // The core runs the callback as a tokio task and times the body read: it needs a
    // runtime, as inside any of the three frameworks. One thread, like the load test's
    // server.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .nresamples(20_000)
        .configure_from_args();
    bench_pipeline(&mut criterion, &runtime);
    criterion.final_summary();

    let args: Vec<String> = std::env::args().collect();
    let benchmarking = args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| a == "--test" || a == "--list" || a.starts_with("--profile-time"));
    if benchmarking {
        paired(&runtime);
    }
}
