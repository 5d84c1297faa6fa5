//! actix under the conformance suite. PLACEHOLDER until the actix adapter lands: every case
//! fails loudly here, by design.

use tencent_webhook::WebhookService;

use super::{Adapter, SuiteInner};

pub struct Actix;

impl Adapter for Actix {
    const NAME: &'static str = "actix";

    fn serve(
        _listener: std::net::TcpListener,
        _service: WebhookService<SuiteInner>,
        _stop: tokio::sync::oneshot::Receiver<()>,
    ) {
        unimplemented!("the actix adapter is not written yet")
    }
}
