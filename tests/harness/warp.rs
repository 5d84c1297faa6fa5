//! warp under the conformance suite. PLACEHOLDER until the warp adapter lands: every case
//! fails loudly here, by design.

use tencent_webhook::WebhookService;

use super::{Adapter, SuiteInner};

pub struct Warp;

impl Adapter for Warp {
    const NAME: &'static str = "warp";

    fn serve(
        _listener: std::net::TcpListener,
        _service: WebhookService<SuiteInner>,
        _stop: tokio::sync::oneshot::Receiver<()>,
    ) {
        unimplemented!("the warp adapter is not written yet")
    }
}
