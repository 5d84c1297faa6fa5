//! Load-test server for warp: `bench-server-warp bare|hand|core PORT [WORKERS]`.
//! Started and stopped by `benches/load.sh`.

use std::sync::Arc;

use bytes::Bytes;
use tencent_webhook_benches::hand::{self, HandConfig};
use tencent_webhook_benches::server::{Args, Variant};
use tencent_webhook_benches::{BODY_LIMIT, OK_ENVELOPE, core_service};
use warp::Filter;
use warp::http::StatusCode;

fn main() {
    let args = Args::from_env();
    let route = warp::post().and(warp::path!("tencent" / "callback"));
    let log = args.log;
    let routes = match args.variant {
        // (a) Take the body, answer the static OK envelope.
        Variant::Bare => route
            .and(warp::body::bytes())
            .map(move |body: Bytes| {
                if log {
                    println!("bytes={}", body.len());
                }
                warp::reply::with_header(OK_ENVELOPE, "content-type", "application/json")
            })
            .map(warp::reply::Reply::into_response)
            .boxed(),
        // (b) The hand-written handler, as a warp filter chain.
        Variant::Hand => {
            let config = Arc::new(HandConfig::default());
            route
                .and(warp::query::raw().or(warp::any().map(String::new)).unify())
                .and(warp::body::content_length_limit(BODY_LIMIT as u64))
                .and(warp::body::bytes())
                .map(move |query: String, body: Bytes| {
                    let (status, envelope) = if log {
                        hand::handle_printing(&config, Some(&query), &body)
                    } else {
                        hand::handle(&config, Some(&query), &body)
                    };
                    let status =
                        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    warp::reply::with_status(warp::reply::json(&envelope), status)
                })
                .map(warp::reply::Reply::into_response)
                .boxed()
        }
        // (c) The middleware, mounted the documented way.
        Variant::Core => warp::path!("tencent" / "callback")
            .and(tencent_webhook::warp::webhook(core_service()))
            .boxed(),
    };
    args.tokio_runtime()
        .block_on(warp::serve(routes).run(args.addr()));
}
