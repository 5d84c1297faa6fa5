use super::*;
use tencent_webhook_core::Rejection;
use tencent_webhook_core::test_util::{TestRequest, samples};
use tencent_webhook_core::{Ack, SdkApp, WebhookConfig, command};

const APP: u64 = 1400000000;
const PATH: &str = "/tencent/callback";
const OK: &[u8] = br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#;

fn service() -> WebhookService<
    impl Service<Webhook, Response = Ack, Error = Infallible, Future: Send>
    + Clone
    + Send
    + Sync
    + 'static,
> {
    let config = WebhookConfig::builder()
        .app(SdkApp::new(APP).token("tok"))
        .body_limit(1024)
        .build()
        .unwrap();
    WebhookService::from_fn(config, |_hook: Webhook| async { Ack::ok() })
}

fn signed() -> TestRequest {
    TestRequest::recording(APP).token("tok").path(PATH)
}

fn post(req: &TestRequest) -> warp::test::RequestBuilder {
    warp::test::request()
        .method("POST")
        .path(&req.path_and_query())
        .body(req.body())
}

fn fail(rejection: Rejection) -> String {
    let info = rejection.to_string();
    format!(
        r#"{{"ActionStatus":"FAIL","ErrorCode":{},"ErrorInfo":"{info}"}}"#,
        rejection.error_code()
    )
}

fn health() -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path!("healthz")
        .and(warp::get())
        .map(|| "ok".into_response())
}

fn callback() -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path!("tencent" / "callback").and(webhook(service()))
}

#[tokio::test]
async fn beside_the_apps_routes_in_either_order() {
    let before = health().or(callback()).unify().boxed();
    let after = callback().or(health()).unify().boxed();
    for routes in [before, after] {
        let res = post(&signed()).reply(&routes).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(res.body().as_ref(), OK);

        let res = warp::test::request().path("/healthz").reply(&routes).await;
        assert_eq!(
            (res.status().as_u16(), res.body().as_ref()),
            (200, &b"ok"[..])
        );

        // Another path is not the webhook's: warp's own 404, from the app's routes.
        let res = post(&signed().path("/elsewhere")).reply(&routes).await;
        assert_eq!(res.status(), 404);
        // The app's own routes keep warp's answers: not the webhook's envelope.
        let res = warp::test::request()
            .method("POST")
            .path("/healthz")
            .reply(&routes)
            .await;
        assert_eq!(res.status(), 405);
        assert_ne!(res.headers()["content-type"], "application/json");
    }
}

#[tokio::test]
async fn other_methods_get_the_core_405() {
    // A route that checks the method first rejects with warp's 405 before the webhook is
    // tried; the webhook's answer replaces that rejection.
    let get_first = warp::get()
        .and(warp::path!("healthz"))
        .map(|| "ok".into_response());
    let routes = get_first.or(callback()).unify().or(health()).unify();
    for method in ["GET", "PUT", "DELETE", "HEAD"] {
        let res = warp::test::request()
            .method(method)
            .path(PATH)
            .reply(&routes)
            .await;
        assert_eq!(res.status(), 405, "{method}");
        assert_eq!(res.headers()["allow"], "POST");
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(res.body(), &fail(Rejection::MethodNotAllowed));
    }
}

#[tokio::test]
async fn no_query_string_is_the_core_400() {
    let res = warp::test::request()
        .method("POST")
        .path(PATH)
        .body("{}")
        .reply(&callback())
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.body(), &fail(Rejection::MissingParameter("SdkAppid")));
}

#[tokio::test]
async fn oversized_and_lying_bodies_are_the_core_413() {
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(2000));
    let req = signed();
    let res = post(&req).body(&big).reply(&callback()).await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.body(), &fail(Rejection::BodyTooLarge));
    // A Content-Length within the limit over a longer body: the limit counts the bytes
    // that arrive, not the header.
    let res = warp::test::request()
        .method("POST")
        .path(&req.path_and_query())
        .body(&big)
        .header("content-length", "10")
        .reply(&callback())
        .await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.body(), &fail(Rejection::BodyTooLarge));
}

#[tokio::test]
async fn a_body_taken_by_an_earlier_filter_is_the_core_400_not_a_warp_500() {
    let greedy = warp::body::bytes()
        .and(warp::path!("tencent" / "callback"))
        .and(webhook(service()))
        .map(|_: bytes::Bytes, reply: Response| reply);
    let res = post(&signed()).reply(&greedy).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.body(), &fail(Rejection::BodyRead));
}

#[tokio::test]
async fn never_rejects_and_boxes_and_recovers_like_any_route() {
    let alone = webhook(service());
    let res = warp::test::request()
        .method("POST")
        .path("/any/path")
        .filter(&alone)
        .await;
    let res: Response = match res {
        Ok(res) => res,
        Err(never) => match never {},
    };
    assert_eq!(res.status(), 400);

    let routes = callback()
        .or(health())
        .unify()
        .recover(|_: warp::Rejection| async {
            Ok::<_, Infallible>(
                warp::reply::with_status("nope", http::StatusCode::IM_A_TEAPOT).into_response(),
            )
        })
        .unify()
        .boxed();
    let res = post(&signed()).reply(&routes).await;
    assert_eq!(res.body().as_ref(), OK);
    let res = warp::test::request().path("/nowhere").reply(&routes).await;
    assert_eq!(res.status(), 418);
}

#[tokio::test]
async fn unknown_commands_are_delivered() {
    let req = TestRequest::new(
        APP,
        "Room.CallbackAfterCreateRoom",
        samples::UNKNOWN_COMMAND,
    )
    .token("tok")
    .path(PATH);
    let res = post(&req).reply(&callback()).await;
    assert_eq!(res.body().as_ref(), OK);
    let req = TestRequest::new(
        APP,
        command::LIVE_CLOUD_RECORDING_CHANGED,
        samples::LIVE_RECORDING_CHANGED,
    )
    .token("tok")
    .path(PATH);
    assert_eq!(post(&req).reply(&callback()).await.body().as_ref(), OK);
}
