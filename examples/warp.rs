//! An existing warp app (its own routes and shared state) with the Tencent webhook mounted
//! beside them. Run: `cargo run --example warp`, then `cargo run --example send` in another
//! terminal. Settings: see `examples/common/mod.rs` (TENCENT_SDKAPPID,
//! TENCENT_CALLBACK_TOKEN, TRTC_CALLBACK_KEY, LISTEN_ADDR).

use tencent_webhook::{Scheme, WebhookService};
use tencent_webhook_examples::{AppState, Settings, TRTC_PATH, WEBHOOK_PATH};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

// warp spells paths as filters: `path!("tencent" / "callback")` below is WEBHOOK_PATH.
const _: () = assert!(matches!(WEBHOOK_PATH.as_bytes(), b"/tencent/callback"));
const _: () = assert!(matches!(TRTC_PATH.as_bytes(), b"/trtc/callback"));

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
    // Each endpoint only where a secret (or the unsigned demo) lets it accept anything;
    // an endpoint not mounted is a 404, as any unknown path.
    let webhook = Settings::endpoint(&config, Scheme::Chat, inbox.clone());
    let trtc = Settings::endpoint(&config, Scheme::Trtc, inbox);

    let with_state = warp::any().map(move || state.clone());
    let health = warp::path!("healthz")
        .and(warp::get())
        .and(with_state)
        .map(|state: AppState| state.health());
    let callback = warp::path!("tencent" / "callback").and(mounted(webhook));
    let trtc = warp::path!("trtc" / "callback").and(mounted(trtc));
    let routes = health.or(callback).or(trtc);

    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    settings.announce(listener.local_addr()?);
    warp::serve(routes)
        .incoming(listener)
        .graceful(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .run()
        .await;
    Ok(())
}

/// The webhook filter, or one that rejects every request (a 404) when the endpoint is not
/// mounted.
fn mounted<S>(service: Option<WebhookService<S>>) -> BoxedFilter<(Response,)>
where
    S: tower_service::Service<tencent_webhook::Webhook> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Response: tencent_webhook::IntoAck,
    S::Error: Into<tencent_webhook::BoxError>,
{
    match service {
        Some(service) => tencent_webhook::warp::webhook(service).boxed(),
        None => warp::any()
            .and_then(|| async { Err::<Response, _>(warp::reject::not_found()) })
            .boxed(),
    }
}
