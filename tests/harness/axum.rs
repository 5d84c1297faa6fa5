//! axum under the conformance suite.

use axum::Router;
use axum::routing::get;
use tencent_webhook::WebhookService;
use tencent_webhook::axum::WebhookRouterExt;

use super::{Adapter, SuiteInner, WEBHOOK_PATH};

pub struct Axum;

impl Adapter for Axum {
    const NAME: &'static str = "axum";

    fn serve(
        listener: std::net::TcpListener,
        service: WebhookService<SuiteInner>,
        stop: tokio::sync::oneshot::Receiver<()>,
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let app = Router::new()
                .route("/healthz", get(|| async { "ok" }))
                .tencent_webhook(WEBHOOK_PATH, service);
            tokio::select! {
                result = axum::serve(listener, app) => result.unwrap(),
                _ = stop => {}
            }
        });
    }
}
