//! An existing actix-web app (its own routes and shared state) with the Tencent
//! webhook mounted beside them. Run: `cargo run --example actix`, then
//! `cargo run --example send` in another terminal. Settings: see `examples/common/mod.rs`
//! (TENCENT_SDKAPPID, TENCENT_CALLBACK_TOKEN, LISTEN_ADDR).

use actix_web::{App, HttpServer, web};
use tencent_webhook::WebhookService;
use tencent_webhook_examples::{AppState, Settings, WEBHOOK_PATH};

async fn health(state: web::Data<AppState>) -> String {
    state.health()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let settings = Settings::from_env();
    let state = web::Data::new(AppState::default());

    let webhook_state = state.get_ref().clone();
    let webhook = WebhookService::from_fn(settings.webhook_config(), move |hook| {
        webhook_state.clone().on_webhook(hook)
    });

    let listener = std::net::TcpListener::bind(settings.listen)?;
    settings.announce(listener.local_addr()?);
    // Stops gracefully on Ctrl-C (actix's own signal handling).
    HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/healthz", web::get().to(health))
            .service(tencent_webhook::actix::webhook(
                WEBHOOK_PATH,
                webhook.clone(),
            ))
    })
    .listen(listener)?
    .run()
    .await
}
