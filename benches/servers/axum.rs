//! Load-test server for axum: `bench-server-axum bare|hand|core PORT [WORKERS]`.
//! Started and stopped by `benches/load.sh`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use tencent_webhook::axum::WebhookRouterExt;
use tencent_webhook_benches::hand::{self, HandConfig};
use tencent_webhook_benches::server::{Args, Variant};
use tencent_webhook_benches::{OK_ENVELOPE, PATH, core_service};

/// (a) Take the body, answer the static OK envelope.
async fn bare(_body: Bytes) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OK_ENVELOPE)
}

/// (a) with `BENCH_LOG=1`: one line printed per request.
async fn bare_printing(body: Bytes) -> impl IntoResponse {
    println!("bytes={}", body.len());
    ([(header::CONTENT_TYPE, "application/json")], OK_ENVELOPE)
}

/// (b) The hand-written handler, as an axum handler.
async fn hand_written(
    State(config): State<Arc<HandConfig>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> impl IntoResponse {
    let (status, envelope) = hand::handle(&config, query.as_deref(), &body);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(envelope))
}

/// (b) with `BENCH_LOG=1`: one line printed per accepted event.
async fn hand_printing(
    State(config): State<Arc<HandConfig>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> impl IntoResponse {
    let (status, envelope) = hand::handle_printing(&config, query.as_deref(), &body);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(envelope))
}

fn main() {
    let args = Args::from_env();
    let app: Router = match args.variant {
        Variant::Bare if args.log => Router::new().route(PATH, post(bare_printing)),
        Variant::Bare => Router::new().route(PATH, post(bare)),
        Variant::Hand if args.log => Router::new()
            .route(PATH, post(hand_printing))
            .with_state(Arc::new(HandConfig::default())),
        Variant::Hand => Router::new()
            .route(PATH, post(hand_written))
            .with_state(Arc::new(HandConfig::default())),
        // (c) The middleware, mounted the documented way.
        Variant::Core => Router::new().tencent_webhook(PATH, core_service()),
    };
    args.tokio_runtime().block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr())
            .await
            .expect("bind 127.0.0.1");
        axum::serve(listener, app).await.expect("serve");
    });
}
