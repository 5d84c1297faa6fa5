use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use actix_web::http::header;
use actix_web::{App, HttpResponse, guard, middleware, test, web};
use tencent_webhook_core::test_util::TestRequest;
use tencent_webhook_core::{Ack, Rejection, SdkApp, Webhook, WebhookConfig, WebhookService};

use super::*;

const APP: u64 = 1400000000;
const OK_BODY: &[u8] = br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#;

type Seen = Arc<Mutex<Vec<usize>>>;

/// The callback: records the raw length of every body it is handed.
#[derive(Clone, Default)]
struct Recorder(Seen);

impl Service<Webhook> for Recorder {
    type Response = Ack;
    type Error = Infallible;
    type Future = Ready<Result<Ack, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, hook: Webhook) -> Self::Future {
        self.0.lock().unwrap().push(hook.context.raw_body.len());
        ready(Ok(Ack::ok()))
    }
}

fn service(body_limit: usize) -> (WebhookService<Recorder>, Seen) {
    let config = WebhookConfig::builder()
        .app(SdkApp::new(APP).token("tok"))
        .body_limit(body_limit)
        .build()
        .unwrap();
    let recorder = Recorder::default();
    let seen = recorder.0.clone();
    (WebhookService::new(config, recorder), seen)
}

fn signed(body: &str) -> test::TestRequest {
    let req = TestRequest::new(
        APP,
        "Follow.CallbackAfterCloudRecordingChanged",
        body.to_owned(),
    )
    .token("tok")
    .path("/tencent/callback");
    test::TestRequest::post()
        .uri(&req.path_and_query())
        .set_payload(req.body().clone())
}

fn recording() -> String {
    tencent_webhook_core::test_util::samples::RECORDING_CHANGED.to_owned()
}

fn header_str<'a>(headers: &'a header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).unwrap().to_str().unwrap()
}

fn envelope(rejection: Rejection) -> String {
    format!(
        r#"{{"ActionStatus":"FAIL","ErrorCode":{},"ErrorInfo":"{rejection}"}}"#,
        rejection.error_code()
    )
}

#[actix_web::test]
async fn webhook_beside_the_apps_own_routes_data_and_middleware() {
    let (svc, seen) = service(4096);
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(String::from("healthy")))
            .wrap(middleware::DefaultHeaders::new().add(("x-app", "mine")))
            .route(
                "/healthz",
                web::get().to(|s: web::Data<String>| async move { s.get_ref().clone() }),
            )
            .service(webhook("/tencent/callback", svc)),
    )
    .await;

    let response = test::call_service(&app, signed(&recording()).to_request()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header_str(response.headers(), "content-type"),
        "application/json"
    );
    assert_eq!(
        header_str(response.headers(), "x-app"),
        "mine",
        "the app's middleware ran"
    );
    assert_eq!(&test::read_body(response).await[..], OK_BODY);
    assert_eq!(*seen.lock().unwrap(), [recording().len()]);

    let health = test::TestRequest::get().uri("/healthz").to_request();
    assert_eq!(test::call_and_read_body(&app, health).await, "healthy");
}

#[actix_web::test]
async fn other_methods_get_the_core_405() {
    let (svc, seen) = service(4096);
    let app = test::init_service(App::new().service(webhook("/tencent/callback", svc))).await;
    for method in ["GET", "PUT", "DELETE", "PATCH", "PURGE"] {
        let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        let req = test::TestRequest::default()
            .method(method.clone())
            .uri("/tencent/callback?SdkAppid=1")
            .to_request();
        let response = test::call_service(&app, req).await;
        assert_eq!(response.status(), 405, "{method}");
        assert_eq!(header_str(response.headers(), "allow"), "POST");
        assert_eq!(
            header_str(response.headers(), "content-type"),
            "application/json"
        );
        let body = test::read_body(response).await;
        assert_eq!(body, envelope(Rejection::MethodNotAllowed));
    }
    assert!(seen.lock().unwrap().is_empty());
}

#[actix_web::test]
async fn the_cores_limit_not_actix_payload_config() {
    // Well past actix's 256 KiB PayloadConfig default, within the core's 1 MiB.
    let big = recording().replacen('{', &format!("{{\"Pad\":\"{}\",", "x".repeat(300 << 10)), 1);
    let (svc, seen) = service(1 << 20);
    let app = test::init_service(App::new().service(webhook("/tencent/callback", svc))).await;
    let response = test::call_service(&app, signed(&big).to_request()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(*seen.lock().unwrap(), [big.len()]);

    // And past the core's limit: 413 with the core's envelope.
    let (svc, seen) = service(1024);
    let app = test::init_service(App::new().service(webhook("/tencent/callback", svc))).await;
    let response = test::call_service(&app, signed(&recording().repeat(4)).to_request()).await;
    assert_eq!(response.status(), 413);
    let body = test::read_body(response).await;
    assert_eq!(body, envelope(Rejection::BodyTooLarge));
    assert!(seen.lock().unwrap().is_empty());
}

#[actix_web::test]
async fn mounts_inside_a_scope() {
    let (svc, _) = service(4096);
    let app = test::init_service(
        App::new().service(web::scope("/tencent").service(webhook("/callback", svc))),
    )
    .await;
    let response = test::call_service(&app, signed(&recording()).to_request()).await;
    assert_eq!(response.status(), 200);
}

#[actix_web::test]
async fn handle_by_hand_on_a_guarded_resource() {
    let (svc, seen) = service(4096);
    let app = test::init_service(
        App::new().service(
            web::resource("/tencent/callback")
                .guard(guard::Header("x-from", "tencent"))
                .to(move |req: HttpRequest, body: web::Payload| {
                    let svc = svc.clone();
                    async move { handle(&svc, &req, body).await }
                }),
        ),
    )
    .await;
    let response = test::call_service(&app, signed(&recording()).to_request()).await;
    assert_eq!(response.status(), 404, "the guard refuses");
    let req = signed(&recording()).insert_header(("x-from", "tencent"));
    let response = test::call_service(&app, req.to_request()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[actix_web::test]
async fn request_head_reads_losslessly() {
    let mut secret = header::HeaderValue::from_static("Bearer x");
    secret.set_sensitive(true);
    let req = test::TestRequest::default()
        .method(actix_web::http::Method::from_bytes(b"PURGE").unwrap())
        .uri("/p/a%20th?SdkAppid=1&x=%E4%BD%A0&Sign=ab")
        .append_header(("x-many", "one"))
        .append_header(("x-many", "two"))
        .append_header((
            "x-bytes",
            header::HeaderValue::from_bytes(b"\xe4\xbd\xa0").unwrap(),
        ))
        .insert_header((header::AUTHORIZATION, secret))
        .to_http_request();
    let head = ActixHead(&req);
    assert_eq!(head.method(), "PURGE");
    assert_eq!(head.query(), Some("SdkAppid=1&x=%E4%BD%A0&Sign=ab"));
    let many = head.header("x-many");
    assert_eq!((many.first(), many.repeated()), (Some(&b"one"[..]), true));
    let bytes = head.header("x-bytes");
    assert_eq!(
        (bytes.first(), bytes.repeated()),
        (Some(&b"\xe4\xbd\xa0"[..]), false)
    );
    assert_eq!(head.header("authorization").first(), Some(&b"Bearer x"[..]));
    assert_eq!(head.header("x-absent"), HeaderValues::default());
}

#[actix_web::test]
async fn response_converts_losslessly() {
    let core = http::Response::builder()
        .status(418)
        .header("content-type", "application/json")
        .header("allow", "POST")
        .header("x-many", "one")
        .header("x-many", "two")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(b"{}")))
        .unwrap();
    let response: HttpResponse = convert::response(core).await;
    assert_eq!(response.status().as_u16(), 418);
    let many: Vec<_> = response.headers().get_all("x-many").collect();
    assert_eq!(many, ["one", "two"]);
    assert_eq!(header_str(response.headers(), "allow"), "POST");
    assert_eq!(
        header_str(response.headers(), "content-type"),
        "application/json"
    );
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap();
    assert_eq!(&body[..], b"{}");
}
