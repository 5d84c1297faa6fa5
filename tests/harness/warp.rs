//! warp under the conformance suite.

use tencent_webhook::WebhookService;
use tencent_webhook::warp::webhook;
use warp::Filter;

use super::{Adapter, SuiteInner};

pub struct Warp;

impl Adapter for Warp {
    const NAME: &'static str = "warp";

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
            // WEBHOOK_PATH is /tencent/callback; warp spells paths as filters.
            let health = warp::path!("healthz").and(warp::get()).map(|| "ok");
            let callback = warp::path!("tencent" / "callback").and(webhook(service));
            let app = health.or(callback);
            tokio::select! {
                () = warp::serve(app).incoming(listener).run() => {}
                _ = stop => {}
            }
        });
    }
}
