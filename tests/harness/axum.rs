//! axum under the conformance suite.

use axum::Router;
use axum::routing::get;
use tencent_webhook::axum::WebhookRouterExt;

use super::{Adapter, SuiteServices, TRTC_PATH, WEBHOOK_PATH, serve_on_tokio};

pub struct Axum;

impl Adapter for Axum {
    const NAME: &'static str = "axum";

    fn serve(
        listener: std::net::TcpListener,
        services: SuiteServices,
        stop: tokio::sync::oneshot::Receiver<()>,
    ) {
        serve_on_tokio(listener, stop, |listener| async move {
            let app = Router::new()
                .route("/healthz", get(|| async { "ok" }))
                .tencent_webhook(WEBHOOK_PATH, services.chat)
                .tencent_webhook(TRTC_PATH, services.trtc);
            axum::serve(listener, app).await.unwrap();
        });
    }
}
