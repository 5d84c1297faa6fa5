//! actix-web under the conformance suite.

use actix_web::{App, HttpServer, web};

use super::{Adapter, SuiteServices, TRTC_PATH, WEBHOOK_PATH};

pub struct Actix;

impl Adapter for Actix {
    const NAME: &'static str = "actix";

    fn serve(
        listener: std::net::TcpListener,
        services: SuiteServices,
        stop: tokio::sync::oneshot::Receiver<()>,
    ) {
        actix_rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    .route("/healthz", web::get().to(|| async { "ok" }))
                    .service(tencent_webhook::actix::webhook(
                        WEBHOOK_PATH,
                        services.chat.clone(),
                    ))
                    .service(tencent_webhook::actix::webhook(
                        TRTC_PATH,
                        services.trtc.clone(),
                    ))
            })
            .workers(2)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
            let handle = server.handle();
            actix_rt::spawn(async move {
                let _ = stop.await;
                handle.stop(false).await;
            });
            server.await.unwrap();
        });
    }
}
