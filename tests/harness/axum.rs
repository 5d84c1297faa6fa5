//! axum under the conformance suite.

use axum::Router;
use axum::routing::get;
use tencent_webhook::WebhookService;
use tencent_webhook::axum::WebhookRouterExt;

use super::{Adapter, SuiteInner, WEBHOOK_PATH, serve_on_tokio};

pub struct Axum;

impl Adapter for Axum {
    const NAME: &'static str = "axum";

    fn serve(
        listener: std::net::TcpListener,
        service: WebhookService<SuiteInner>,
        stop: tokio::sync::oneshot::Receiver<()>,
    ) {
        serve_on_tokio(listener, stop, |listener| async move {
            let app = Router::new()
                .route("/healthz", get(|| async { "ok" }))
                .tencent_webhook(WEBHOOK_PATH, service);
            axum::serve(listener, app).await.unwrap();
        });
    }
}
