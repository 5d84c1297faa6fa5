//! An existing actix-web app (its own routes and shared state) with the Tencent
//! webhook mounted beside them. Run: `cargo run --example actix`, then
//! `cargo run --example send` in another terminal. Settings: see `examples/common/mod.rs`
//! (TENCENT_SDKAPPID, TENCENT_CALLBACK_TOKEN, TRTC_CALLBACK_KEY, LISTEN_ADDR).

use actix_web::{App, HttpServer, web};
use tencent_webhook::Scheme;
use tencent_webhook_examples::{AppState, Settings, TRTC_PATH, WEBHOOK_PATH};

async fn health(state: web::Data<AppState>) -> String {
    state.health()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let settings = Settings::from_env();
    let state = web::Data::new(AppState::default());

    // One callback serves both endpoints.
    let webhook_state = state.get_ref().clone();
    let on_webhook = move |hook| webhook_state.clone().on_webhook(hook);
    let config = settings.webhook_config();
    // With REDIS_URL set: Redis dedupe, the durable hand-off and a worker (examples/common/replicas.rs).
    let inbox = tencent_webhook_examples::replicas::inbox(on_webhook);
    // Each endpoint only where a secret (or the unsigned demo) lets it accept anything.
    let webhook = Settings::endpoint(&config, Scheme::Chat, inbox.clone());
    let trtc = Settings::endpoint(&config, Scheme::Trtc, inbox);

    let listener = std::net::TcpListener::bind(settings.listen)?;
    settings.announce(listener.local_addr()?);
    // Stops gracefully on Ctrl-C (actix's own signal handling).
    HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/healthz", web::get().to(health))
            .configure(|cfg| {
                if let Some(webhook) = &webhook {
                    cfg.service(tencent_webhook::actix::webhook(
                        WEBHOOK_PATH,
                        webhook.clone(),
                    ));
                }
                if let Some(trtc) = &trtc {
                    cfg.service(tencent_webhook::actix::webhook(TRTC_PATH, trtc.clone()));
                }
            })
    })
    .listen(listener)?
    .run()
    .await
}
