//! warp under the conformance suite.

use tencent_webhook::warp::webhook;
use warp::Filter;

use super::{Adapter, SuiteServices, serve_on_tokio};

pub struct Warp;

impl Adapter for Warp {
    const NAME: &'static str = "warp";

    fn serve(
        listener: std::net::TcpListener,
        services: SuiteServices,
        stop: tokio::sync::oneshot::Receiver<()>,
    ) {
        serve_on_tokio(listener, stop, |listener| async move {
            // WEBHOOK_PATH is /tencent/callback and TRTC_PATH /trtc/callback; warp spells
            // paths as filters.
            let health = warp::path!("healthz").and(warp::get()).map(|| "ok");
            let callback = warp::path!("tencent" / "callback").and(webhook(services.chat));
            let trtc = warp::path!("trtc" / "callback").and(webhook(services.trtc));
            warp::serve(health.or(callback).or(trtc))
                .incoming(listener)
                .run()
                .await;
        });
    }
}
