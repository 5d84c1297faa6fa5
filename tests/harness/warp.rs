//! warp under the conformance suite.

use tencent_webhook::WebhookService;
use tencent_webhook::warp::webhook;
use warp::Filter;

use super::{Adapter, SuiteInner, serve_on_tokio};

pub struct Warp;

impl Adapter for Warp {
    const NAME: &'static str = "warp";

    fn serve(
        listener: std::net::TcpListener,
        service: WebhookService<SuiteInner>,
        stop: tokio::sync::oneshot::Receiver<()>,
    ) {
        serve_on_tokio(listener, stop, |listener| async move {
            // WEBHOOK_PATH is /tencent/callback; warp spells paths as filters.
            let health = warp::path!("healthz").and(warp::get()).map(|| "ok");
            let callback = warp::path!("tencent" / "callback").and(webhook(service));
            warp::serve(health.or(callback))
                .incoming(listener)
                .run()
                .await;
        });
    }
}
