//! Runs one pipeline contender a given number of times: `bench-count CONTENDER COUNT`,
//! CONTENDER one of `value` (i), `hand` (ii), `staged`, `service`, `admit`. Used by
//! `benches/callgrind.sh`: valgrind counts the instructions of two runs with different
//! counts, and their difference divided by the difference of the counts is the
//! contender's instructions per request, setup excluded.

use std::hint::black_box;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use tencent_webhook_benches::hand::{self, HandConfig};
use tencent_webhook_benches::{core_service, signed_request};
use tower_service::Service;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(contender), Some(Ok(count))) = (args.get(1), args.get(2).map(|c| c.parse::<u64>()))
    else {
        eprintln!("usage: bench-count value|hand|staged|service|admit COUNT");
        std::process::exit(2);
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let signed = signed_request();
    let body = signed.body().clone();
    let (parts, _) = signed.into_request().into_parts();
    let (uri, headers) = (parts.uri, parts.headers);
    let config = HandConfig::default();
    let mut service = core_service();
    let request = || {
        let mut request = Request::new(Full::new(body.clone()));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri.clone();
        *request.headers_mut() = headers.clone();
        request
    };
    let ok = |status: StatusCode| assert_eq!(status, StatusCode::OK, "{contender} refused");
    match contender.as_str() {
        "value" => (0..count).for_each(|_| {
            let value: serde_json::Value = serde_json::from_slice(black_box(&body)).unwrap();
            black_box(value);
        }),
        "hand" => (0..count).for_each(|_| {
            ok(hand::respond(&config, black_box(uri.query()), black_box(&body)).status())
        }),
        "admit" => (0..count).for_each(|_| {
            let admission = service.admit(&Method::POST, black_box(&uri), &headers);
            drop(black_box(admission.expect("admitted")));
        }),
        "staged" => runtime.block_on(async {
            for _ in 0..count {
                let response = match service.admit(&Method::POST, black_box(&uri), &headers) {
                    Ok(admission) => service.dispatch(admission, body.clone()).await,
                    Err(response) => response,
                };
                ok(response.status());
            }
        }),
        "service" => runtime.block_on(async {
            // Requests are built before the counted loop's calls would need them, in both
            // runs alike, so their cost is the same per request and cancels out.
            let mut requests: Vec<Request<Full<Bytes>>> = (0..count).map(|_| request()).collect();
            for _ in 0..count {
                let request = requests.pop().expect("one per call");
                let Ok(response) = service.call(request).await;
                ok(response.status());
            }
        }),
        _ => {
            eprintln!("unknown contender {contender}");
            std::process::exit(2);
        }
    }
}
