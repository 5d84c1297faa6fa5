//! Load-test server for actix-web: `bench-server-actix bare|hand|core PORT [WORKERS]`.
//! Started and stopped by `benches/load.sh`.

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use tencent_webhook_benches::hand::{self, HandConfig};
use tencent_webhook_benches::server::{Args, Variant};
use tencent_webhook_benches::{BODY_LIMIT, OK_ENVELOPE, PATH, core_service};

/// (a) Take the body, answer the static OK envelope.
async fn bare(_body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OK_ENVELOPE)
}

/// (b) The hand-written handler, as an actix-web handler.
async fn hand_written(
    config: web::Data<HandConfig>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (status, envelope) = hand::handle(&config, Some(request.query_string()), &body);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).json(envelope)
}

/// (a) with `BENCH_LOG=1`: one line printed per request.
async fn bare_printing(body: web::Bytes) -> HttpResponse {
    println!("bytes={}", body.len());
    bare(body).await
}

/// (b) with `BENCH_LOG=1`: one line printed per accepted event.
async fn hand_printing(
    config: web::Data<HandConfig>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (status, envelope) = hand::handle_printing(&config, Some(request.query_string()), &body);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).json(envelope)
}

fn main() -> std::io::Result<()> {
    let args = Args::from_env();
    let (variant, log) = (args.variant, args.log);
    let config = web::Data::new(HandConfig::default());
    let core = core_service();
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            let app = App::new().app_data(web::PayloadConfig::new(BODY_LIMIT));
            match variant {
                Variant::Bare if log => app.route(PATH, web::post().to(bare_printing)),
                Variant::Bare => app.route(PATH, web::post().to(bare)),
                Variant::Hand if log => app
                    .app_data(config.clone())
                    .route(PATH, web::post().to(hand_printing)),
                Variant::Hand => app
                    .app_data(config.clone())
                    .route(PATH, web::post().to(hand_written)),
                // (c) The middleware, mounted the documented way.
                Variant::Core => app.service(tencent_webhook::actix::webhook(PATH, core.clone())),
            }
        })
        .workers(args.workers)
        .bind(args.addr())?
        .run()
        .await
    })
}
