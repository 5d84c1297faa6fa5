//! An existing axum app (its own routes and state) with the Tencent webhook mounted beside
//! them. Run: `cargo run --example axum`, then `cargo run --example send` in another
//! terminal. Settings: see `examples/common/mod.rs` (TENCENT_SDKAPPID,
//! TENCENT_CALLBACK_TOKEN, TRTC_CALLBACK_KEY, LISTEN_ADDR).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tencent_webhook::Scheme;
use tencent_webhook::axum::WebhookRouterExt;
use tencent_webhook_examples::{AppState, Settings, TRTC_PATH, WEBHOOK_PATH};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let settings = Settings::from_env();
    let state = AppState::default();

    // One callback serves both endpoints.
    let webhook_state = state.clone();
    let on_webhook = move |hook| webhook_state.clone().on_webhook(hook);
    let config = settings.webhook_config();
    // With REDIS_URL set: Redis dedupe, the durable hand-off and a worker (examples/common/replicas.rs).
    let inbox = tencent_webhook_examples::replicas::inbox(on_webhook);
    // Each endpoint only where a secret (or the unsigned demo) lets it accept anything.
    let webhook = Settings::endpoint(&config, Scheme::Chat, inbox.clone());
    let trtc = Settings::endpoint(&config, Scheme::Trtc, inbox);

    let mut app = Router::new()
        .route(
            "/healthz",
            get(|State(state): State<AppState>| async move { state.health() }),
        )
        .with_state(state);
    if let Some(webhook) = webhook {
        app = app.tencent_webhook(WEBHOOK_PATH, webhook);
    }
    if let Some(trtc) = trtc {
        app = app.tencent_webhook(TRTC_PATH, trtc);
    }

    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    settings.announce(listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
