//! The cases every adapter must pass, each against a fresh server over a real socket.
//!
//! Every answer is compared byte for byte with the envelope the core defines, with
//! `Content-Type: application/json` and a matching `Content-Length`, so adapters that
//! pass give the same answers.

use std::time::{Duration, Instant};

use tencent_webhook::Rejection;
use tencent_webhook::command;
use tencent_webhook::test_util::{TestRequest, samples};

use super::client::{self, Conn, Response};
use super::{
    APP, Adapter, BODY_LIMIT, BODY_TIMEOUT, DEADLINE, Server, TOKEN, UNSIGNED_APP, WEBHOOK_PATH,
};

/// The exact OK envelope.
pub const OK_BODY: &[u8] = br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#;

/// The exact FAIL envelope of a rejection.
pub fn fail_body(rejection: Rejection) -> Vec<u8> {
    envelope_body("FAIL", rejection.error_code(), &rejection.to_string())
}

fn envelope_body(status: &str, code: i64, info: &str) -> Vec<u8> {
    let info = serde_json::to_string(info).unwrap();
    format!(r#"{{"ActionStatus":"{status}","ErrorCode":{code},"ErrorInfo":{info}}}"#).into_bytes()
}

/// Status, content type, length and body, exactly.
pub fn assert_envelope(response: &Response, status: u16, body: &[u8], context: &str) {
    assert_eq!(
        response.status,
        status,
        "{context}: status (body {})",
        response.text()
    );
    assert_eq!(
        response.header("content-type"),
        Some("application/json"),
        "{context}: content-type"
    );
    if let Some(len) = response.header("content-length") {
        assert_eq!(len, body.len().to_string(), "{context}: content-length");
    }
    assert_eq!(
        response.text(),
        String::from_utf8_lossy(body),
        "{context}: envelope"
    );
}

/// The answer to a rejected request, exactly (with `Allow: POST` for 405).
pub fn assert_rejected(response: &Response, rejection: Rejection, context: &str) {
    assert_envelope(
        response,
        rejection.status().as_u16(),
        &fail_body(rejection),
        context,
    );
    if rejection == Rejection::MethodNotAllowed {
        assert_eq!(response.header("allow"), Some("POST"), "{context}: allow");
    }
}

/// A signed request for the recording sample, to the suite's path.
pub fn signed(command: &str, body: &str) -> TestRequest {
    TestRequest::new(APP, command, body.to_owned())
        .token(TOKEN)
        .path(WEBHOOK_PATH)
}

fn raw(req: &TestRequest) -> Vec<u8> {
    client::post(&req.path_and_query(), req.body())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The documented recording sample, signed, to the suite's path.
pub fn seed() -> TestRequest {
    signed(
        command::FOLLOW_CLOUD_RECORDING_CHANGED,
        samples::RECORDING_CHANGED,
    )
}

/// The recording sample with its TaskId replaced.
pub fn recording_with_task(task: &str) -> String {
    samples::RECORDING_CHANGED.replace("-m9-bVVU7id***K-m928oZWQndiborbEWH3zY-lIXlprc-gQvQE", task)
}

pub async fn recording_under_every_name<A: Adapter>() {
    let server = Server::start::<A>();
    let names = [
        (
            command::FOLLOW_CLOUD_RECORDING_CHANGED,
            samples::RECORDING_CHANGED.to_owned(),
        ),
        (
            command::LIVE_CLOUD_RECORDING_CHANGED,
            samples::LIVE_RECORDING_CHANGED.to_owned(),
        ),
        (
            command::CALL_RECORD_CHANGED,
            samples::CALL_RECORD_CHANGED.to_owned(),
        ),
        (
            command::CALL_CLOUD_RECORDING_CHANGED,
            samples::CALL_RECORD_CHANGED.replace(
                command::CALL_RECORD_CHANGED,
                command::CALL_CLOUD_RECORDING_CHANGED,
            ),
        ),
    ];
    for (cmd, body) in &names {
        let response = client::roundtrip(server.addr, &raw(&signed(cmd, body))).await;
        assert_envelope(&response, 200, OK_BODY, &format!("{}: {cmd}", A::NAME));
    }
    let deliveries = server.probe.deliveries();
    assert_eq!(deliveries.len(), names.len(), "{}", A::NAME);
    for ((cmd, body), d) in names.iter().zip(&deliveries) {
        assert_eq!(d.command, *cmd);
        assert!(d.typed, "{cmd} decoded as a recording event");
        assert_eq!(d.raw_len, body.len());
    }
    assert_eq!(deliveries[0].event_type, Some(305));
    assert_eq!(deliveries[2].event_type, Some(311));
}

pub async fn unknown_command_is_delivered<A: Adapter>() {
    let server = Server::start::<A>();
    let req = signed("Room.CallbackAfterCreateRoom", samples::UNKNOWN_COMMAND);
    let response = client::roundtrip(server.addr, &raw(&req)).await;
    assert_envelope(&response, 200, OK_BODY, A::NAME);
    let deliveries = server.probe.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].command, "Room.CallbackAfterCreateRoom");
    assert!(!deliveries[0].typed);
}

pub async fn unsigned_app_is_accepted<A: Adapter>() {
    let server = Server::start::<A>();
    let req = TestRequest::recording(UNSIGNED_APP).path(WEBHOOK_PATH);
    let response = client::roundtrip(server.addr, &raw(&req)).await;
    assert_envelope(&response, 200, OK_BODY, A::NAME);
    assert_eq!(server.probe.count(), 1);
}

/// Secure by default: an app with no secret of a scheme gets none of its requests through,
/// unsigned or signed with the other scheme's secret, on either endpoint (401, 40107), and
/// nothing is delivered.
pub async fn an_app_without_a_secret_of_the_scheme_is_401<A: Adapter>() {
    use super::trtc_cases::{assert_trtc_rejected, trtc_raw};
    use super::{CHAT_ONLY_APP, TRTC_KEY, TRTC_ONLY_APP, TRTC_PATH};
    use tencent_webhook::test_util::{TrtcTestRequest, samples::trtc};
    let server = Server::start::<A>();
    for req in [
        TestRequest::recording(TRTC_ONLY_APP).path(WEBHOOK_PATH),
        TestRequest::recording(TRTC_ONLY_APP)
            .token(TOKEN)
            .path(WEBHOOK_PATH),
    ] {
        let response = client::roundtrip(server.addr, &raw(&req)).await;
        assert_rejected(&response, Rejection::NoSecret, A::NAME);
    }
    for req in [
        TrtcTestRequest::new(CHAT_ONLY_APP, trtc::USER_ENTERED).path(TRTC_PATH),
        TrtcTestRequest::new(CHAT_ONLY_APP, trtc::USER_ENTERED)
            .key(TRTC_KEY)
            .path(TRTC_PATH),
    ] {
        let response = client::roundtrip(server.addr, &trtc_raw(&req)).await;
        assert_trtc_rejected(&response, Rejection::NoSecret, A::NAME);
    }
    assert_eq!(server.probe.count(), 0, "{}: nothing delivered", A::NAME);
    // The same apps' own scheme goes through.
    let req = TestRequest::recording(CHAT_ONLY_APP)
        .token(TOKEN)
        .path(WEBHOOK_PATH);
    let response = client::roundtrip(server.addr, &raw(&req)).await;
    assert_envelope(&response, 200, OK_BODY, A::NAME);
    assert_eq!(server.probe.count(), 1, "{}", A::NAME);
}

pub async fn callback_failure_is_200_fail<A: Adapter>() {
    let server = Server::start::<A>();
    let req = seed().client_ip(Some("fail"));
    let response = client::roundtrip(server.addr, &raw(&req)).await;
    assert_envelope(
        &response,
        200,
        &envelope_body("FAIL", 4242, "suite says no"),
        A::NAME,
    );
}

pub async fn malformed_requests_are_400<A: Adapter>() {
    let server = Server::start::<A>();
    let cmd = command::FOLLOW_CLOUD_RECORDING_CHANGED;
    let good = signed(cmd, samples::RECORDING_CHANGED);
    let good_query = good.query();
    let cases: Vec<(String, Vec<u8>, Rejection)> = vec![
        (
            format!("{WEBHOOK_PATH}?CallbackCommand={cmd}"),
            samples::RECORDING_CHANGED.into(),
            Rejection::MissingParameter("SdkAppid"),
        ),
        (
            format!("{WEBHOOK_PATH}?SdkAppid={APP}"),
            samples::RECORDING_CHANGED.into(),
            Rejection::MissingParameter("CallbackCommand"),
        ),
        (
            format!("{WEBHOOK_PATH}?SdkAppid=14x&CallbackCommand={cmd}"),
            samples::RECORDING_CHANGED.into(),
            Rejection::MalformedParameter("SdkAppid"),
        ),
        (
            format!("{WEBHOOK_PATH}?{good_query}&sdkappid={APP}"),
            samples::RECORDING_CHANGED.into(),
            Rejection::DuplicateParameter("SdkAppid"),
        ),
        (
            format!("{WEBHOOK_PATH}?{good_query}&Sign=00"),
            samples::RECORDING_CHANGED.into(),
            Rejection::DuplicateParameter("Sign"),
        ),
        (
            good.path_and_query(),
            b"{\"EventType\":".to_vec(),
            Rejection::InvalidJson,
        ),
        (good.path_and_query(), Vec::new(), Rejection::InvalidJson),
        (
            good.path_and_query(),
            b"\xff\xfe\xfd".to_vec(),
            Rejection::InvalidJson,
        ),
        (
            good.path_and_query(),
            b"[1,2,3]".to_vec(),
            Rejection::NotAnObject,
        ),
        (
            good.path_and_query(),
            b"\"text\"".to_vec(),
            Rejection::NotAnObject,
        ),
        (
            signed(command::LIVE_CLOUD_RECORDING_CHANGED, "").path_and_query(),
            samples::RECORDING_CHANGED.into(),
            Rejection::CommandMismatch,
        ),
    ];
    for (uri, body, rejection) in cases {
        let response = client::roundtrip(server.addr, &client::post(&uri, &body)).await;
        assert_rejected(&response, rejection, &format!("{}: {uri}", A::NAME));
    }
    // A request with no query string at all.
    let response = client::roundtrip(server.addr, &client::post(WEBHOOK_PATH, b"{}")).await;
    assert_rejected(&response, Rejection::MissingParameter("SdkAppid"), A::NAME);
    assert_eq!(server.probe.count(), 0, "nothing malformed is delivered");
    // A verified body is never refused for its shape (there is no 40006): a mistyped field
    // reads as absent and the event is delivered.
    let mistyped = br#"{"EventType":305,"EventInfo":{"RoomId":8489.0,"TaskId":"t"}}"#;
    let response =
        client::roundtrip(server.addr, &client::post(&good.path_and_query(), mistyped)).await;
    assert_envelope(&response, 200, OK_BODY, &format!("{}: mistyped", A::NAME));
    let delivered = server.probe.deliveries();
    assert_eq!(delivered.len(), 1, "{}", A::NAME);
    assert!(
        delivered[0].typed && delivered[0].room.is_none(),
        "{}: {delivered:?}",
        A::NAME
    );
    assert_eq!(delivered[0].task_id.as_deref(), Some("t"), "{}", A::NAME);
}

pub async fn signature_problems_are_401<A: Adapter>() {
    let server = Server::start::<A>();
    let cmd = command::FOLLOW_CLOUD_RECORDING_CHANGED;
    let body = samples::RECORDING_CHANGED;
    let unsigned = TestRequest::new(APP, cmd, body).path(WEBHOOK_PATH);
    let now = now();
    let cases = [
        (unsigned.path_and_query(), Rejection::MissingSignature),
        (
            format!("{}&RequestTime={now}", unsigned.path_and_query()),
            Rejection::MissingSignature,
        ),
        (
            TestRequest::new(APP, cmd, body)
                .token("not-the-token")
                .path(WEBHOOK_PATH)
                .path_and_query(),
            Rejection::BadSignature,
        ),
        (
            format!("{}&Sign=abc&RequestTime={now}", unsigned.path_and_query()),
            Rejection::BadSignature,
        ),
        (
            signed(cmd, body).request_time(now - 3600).path_and_query(),
            Rejection::StaleRequestTime,
        ),
        (
            signed(cmd, body).request_time(now + 3600).path_and_query(),
            Rejection::StaleRequestTime,
        ),
        (
            format!(
                "{}&Sign={}&RequestTime=-5",
                unsigned.path_and_query(),
                "0".repeat(64)
            ),
            Rejection::BadSignature,
        ),
    ];
    for (uri, rejection) in cases {
        let response = client::roundtrip(server.addr, &client::post(&uri, body.as_bytes())).await;
        assert_rejected(&response, rejection, &format!("{}: {uri}", A::NAME));
    }
    assert_eq!(server.probe.count(), 0);
}

pub async fn foreign_app_is_403<A: Adapter>() {
    let server = Server::start::<A>();
    let req = TestRequest::recording(1499999999)
        .token(TOKEN)
        .path(WEBHOOK_PATH);
    let response = client::roundtrip(server.addr, &raw(&req)).await;
    assert_rejected(&response, Rejection::UnknownApp, A::NAME);
    assert_eq!(server.probe.count(), 0);
}

pub async fn other_methods_are_405<A: Adapter>() {
    let server = Server::start::<A>();
    let req = seed();
    for method in ["GET", "PUT", "DELETE", "PATCH"] {
        let response = client::roundtrip(
            server.addr,
            &client::request(method, &req.path_and_query(), &[], b""),
        )
        .await;
        assert_rejected(
            &response,
            Rejection::MethodNotAllowed,
            &format!("{}: {method}", A::NAME),
        );
    }
    // Without a query string too.
    let response =
        client::roundtrip(server.addr, &client::request("GET", WEBHOOK_PATH, &[], b"")).await;
    assert_rejected(
        &response,
        Rejection::MethodNotAllowed,
        &format!("{}: GET no query", A::NAME),
    );
    assert_eq!(server.probe.count(), 0);
}

pub async fn oversized_bodies_are_413<A: Adapter>() {
    let server = Server::start::<A>();
    let req = seed();
    // Declared too large: answered from the headers, before any body byte is sent.
    let mut conn = Conn::open(server.addr).await;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n",
        req.path_and_query(),
        BODY_LIMIT + 1
    );
    conn.send_raw(head.as_bytes()).await.unwrap();
    let response = conn
        .read_response()
        .await
        .expect("413 without waiting for the body");
    assert_rejected(
        &response,
        Rejection::BodyTooLarge,
        &format!("{}: content-length", A::NAME),
    );
    // Streamed in chunks past the limit.
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(BODY_LIMIT));
    let response = client::roundtrip(
        server.addr,
        &client::post_chunked(&req.path_and_query(), big.as_bytes(), 1000),
    )
    .await;
    assert_rejected(
        &response,
        Rejection::BodyTooLarge,
        &format!("{}: chunked", A::NAME),
    );
    // A chunked body within the limit is fine.
    let ok = client::post_chunked(&req.path_and_query(), req.body(), 50);
    let response = client::roundtrip(server.addr, &ok).await;
    assert_envelope(
        &response,
        200,
        OK_BODY,
        &format!("{}: chunked within the limit", A::NAME),
    );
    assert_eq!(server.probe.count(), 1);
}

pub async fn slow_body_is_408<A: Adapter>() {
    let server = Server::start::<A>();
    let req = seed();
    let mut conn = Conn::open(server.addr).await;
    // Promise 100 bytes, send 10, then wait.
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{{\"Event\":1",
        req.path_and_query()
    );
    let started = Instant::now();
    conn.send_raw(head.as_bytes()).await.unwrap();
    let response = conn.read_response().await.expect("an answer, not a hang");
    assert_rejected(&response, Rejection::BodyTimeout, A::NAME);
    let took = started.elapsed();
    assert!(
        took >= BODY_TIMEOUT,
        "{}: answered before the timeout ({took:?})",
        A::NAME
    );
    assert!(
        took < BODY_TIMEOUT + Duration::from_secs(3),
        "{}: took {took:?}",
        A::NAME
    );
    assert_eq!(server.probe.count(), 0);
}

pub async fn contenttype_not_json_is_415<A: Adapter>() {
    let server = Server::start::<A>();
    let req = seed();
    let uri = req
        .path_and_query()
        .replace("contenttype=json", "contenttype=xml");
    let response = client::roundtrip(server.addr, &client::post(&uri, req.body())).await;
    assert_rejected(&response, Rejection::UnsupportedContentType, A::NAME);
    assert_eq!(server.probe.count(), 0);
}

pub async fn panic_is_500_and_serving_continues<A: Adapter>() {
    let server = Server::start::<A>();
    let mut conn = Conn::open(server.addr).await;
    let boom = seed().client_ip(Some("panic"));
    let response = conn.request(&raw(&boom)).await;
    assert_rejected(&response, Rejection::CallbackPanicked, A::NAME);
    // The same connection, then a new one, still work.
    let fine = seed();
    assert_envelope(&conn.request(&raw(&fine)).await, 200, OK_BODY, A::NAME);
    assert_envelope(
        &client::roundtrip(server.addr, &raw(&fine)).await,
        200,
        OK_BODY,
        A::NAME,
    );
    assert_eq!(server.probe.count(), 2);
}

pub async fn slow_callback_is_503<A: Adapter>() {
    let server = Server::start::<A>();
    let slow = seed().client_ip(Some("slow"));
    let started = Instant::now();
    let response = client::roundtrip(server.addr, &raw(&slow)).await;
    let took = started.elapsed();
    assert_rejected(&response, Rejection::CallbackTimeout, A::NAME);
    assert!(
        took >= DEADLINE && took < DEADLINE + Duration::from_secs(2),
        "{}: {took:?}",
        A::NAME
    );
    // The slow callback would record at 5 s; well past that, nothing was recorded: the
    // deadline cancelled it for good.
    tokio::time::sleep(Duration::from_secs(6).saturating_sub(started.elapsed())).await;
    assert_eq!(
        server.probe.count(),
        0,
        "{}: a cancelled callback must not finish later",
        A::NAME
    );
}

/// Callbacks whose senders hung up run on, but only within `max_running_callbacks`: at
/// the cap a new request is answered 503 (50303) before its body is read, the running ones
/// are not cancelled for it, and once they end (here at the deadline) requests are accepted
/// again.
pub async fn running_callbacks_are_capped<A: Adapter>() {
    let config = super::suite_config()
        .max_running_callbacks(2)
        .build()
        .unwrap();
    let server = Server::start_with::<A>(config.clone());
    // Two slow callbacks whose senders hang up as soon as the request is sent.
    for _ in 0..2 {
        let slow = seed().client_ip(Some("slow"));
        let mut conn = Conn::open(server.addr).await;
        conn.send_raw(&raw(&slow)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(conn);
    }
    let started = Instant::now();
    while config.running_callbacks() < 2 && started.elapsed() < DEADLINE / 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(config.running_callbacks(), 2, "{}: both run on", A::NAME);
    if A::NAME != "actix" {
        // hyper drops a request whose client hung up: the callback runs on detached.
        // actix-web keeps the handler running instead; either way it keeps its place.
        while config.detached_callbacks() < 2 && started.elapsed() < DEADLINE / 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(config.detached_callbacks(), 2, "{}: detached", A::NAME);
    }
    let response = client::roundtrip(server.addr, &raw(&seed())).await;
    assert_rejected(&response, Rejection::TooManyCallbacks, A::NAME);
    assert_eq!(server.probe.count(), 0, "{}: nothing delivered", A::NAME);
    // The deadline ends the two slow ones (they would record at 5 s, the deadline is 2 s).
    while config.running_callbacks() > 0 && started.elapsed() < DEADLINE * 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        config.running_callbacks(),
        0,
        "{}: the deadline ended them",
        A::NAME
    );
    assert_eq!(config.detached_callbacks(), 0, "{}", A::NAME);
    let response = client::roundtrip(server.addr, &raw(&seed())).await;
    assert_envelope(&response, 200, OK_BODY, A::NAME);
    assert_eq!(server.probe.count(), 1, "{}", A::NAME);
}

/// A refusal that never reads the body (401, 403, 413 from the headers) must not leave the
/// connection out of step: the next request on it is either answered correctly or the
/// server closed the connection cleanly, never answered with a stray response.
pub async fn refusals_with_unread_bodies_keep_connections_in_step<A: Adapter>() {
    let server = Server::start::<A>();
    let cmd = command::FOLLOW_CLOUD_RECORDING_CHANGED;
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(BODY_LIMIT + 100));
    let refusals: [(Vec<u8>, Rejection); 3] = [
        (
            raw(&TestRequest::new(APP, cmd, samples::RECORDING_CHANGED).path(WEBHOOK_PATH)),
            Rejection::MissingSignature,
        ),
        (
            raw(&TestRequest::recording(1499999999).path(WEBHOOK_PATH)),
            Rejection::UnknownApp,
        ),
        (
            client::post(&signed(cmd, "").path_and_query(), big.as_bytes()),
            Rejection::BodyTooLarge,
        ),
    ];
    let fine = raw(&signed(cmd, samples::RECORDING_CHANGED));
    let mut answered_on_same_connection = 0;
    for (refused, rejection) in refusals {
        let mut conn = Conn::open(server.addr).await;
        let response = conn.request(&refused).await;
        assert_rejected(&response, rejection, &format!("{}: {rejection:?}", A::NAME));
        if conn.send_raw(&fine).await.is_ok()
            && let Ok(next) = conn.read_response().await
        {
            assert_envelope(
                &next,
                200,
                OK_BODY,
                &format!("{}: after {rejection:?}", A::NAME),
            );
            answered_on_same_connection += 1;
        }
    }
    let delivered = server.probe.count();
    assert_eq!(delivered, answered_on_same_connection, "{}", A::NAME);
    still_serving(&server, A::NAME).await;
}

pub async fn keep_alive_serves_many_requests_on_one_connection<A: Adapter>() {
    let server = Server::start::<A>();
    let mut conn = Conn::open(server.addr).await;
    for i in 0..50 {
        let body = recording_with_task(&format!("keepalive-{i}"));
        let req = signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, &body);
        assert_envelope(
            &conn.request(&raw(&req)).await,
            200,
            OK_BODY,
            &format!("{}: #{i}", A::NAME),
        );
        // A refused request in between does not break the connection either.
        if i % 10 == 0 {
            let bad = client::post(&req.path_and_query(), b"[]");
            assert_rejected(&conn.request(&bad).await, Rejection::NotAnObject, A::NAME);
        }
    }
    let by_task = server.probe.by_task();
    assert_eq!(by_task.len(), 50);
    assert!(by_task.values().all(|&n| n == 1));
}

pub async fn concurrent_events_are_each_delivered_once<A: Adapter>() {
    const CONNECTIONS: usize = 32;
    const PER_CONNECTION: usize = 10;
    let server = Server::start::<A>();
    let addr = server.addr;
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await;
            for i in 0..PER_CONNECTION {
                let body = recording_with_task(&format!("task-{c}-{i}"));
                let req = signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, &body);
                let response = conn.request(&raw(&req)).await;
                assert_envelope(&response, 200, OK_BODY, "concurrent");
            }
        }));
    }
    for task in tasks {
        task.await.expect("every client task succeeds");
    }
    let by_task = server.probe.by_task();
    assert_eq!(by_task.len(), CONNECTIONS * PER_CONNECTION, "{}", A::NAME);
    assert!(
        by_task.values().all(|&n| n == 1),
        "{}: each event exactly once",
        A::NAME
    );
}

pub async fn apps_own_routes_still_answer<A: Adapter>() {
    let server = Server::start::<A>();
    let response =
        client::roundtrip(server.addr, &client::request("GET", "/healthz", &[], b"")).await;
    assert_eq!(response.status, 200, "{}", A::NAME);
    assert_eq!(response.text(), "ok");
}

// ---- hostile input (issue: reliability and security) ---------------------------------
//
// Each case ends with a healthy request, so "the server keeps serving" is checked too,
// and bounds the time of every answer.

/// How long a refused request may take to be answered.
const PROMPT: Duration = Duration::from_secs(2);

async fn still_serving(server: &Server, context: &str) {
    let fine = seed();
    let response = client::roundtrip(server.addr, &raw(&fine)).await;
    assert_envelope(
        &response,
        200,
        OK_BODY,
        &format!("{context}: still serving"),
    );
}

async fn prompt_roundtrip(server: &Server, raw_request: &[u8], context: &str) -> Response {
    let started = Instant::now();
    let response = client::roundtrip(server.addr, raw_request).await;
    assert!(
        started.elapsed() < PROMPT,
        "{context}: took {:?}",
        started.elapsed()
    );
    response
}

fn sign_raw(token: &str, time: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(
        Sha256::new()
            .chain_update(token)
            .chain_update(time)
            .finalize()
            .as_slice(),
    )
}

pub async fn hostile_lying_content_length<A: Adapter>() {
    let server = Server::start::<A>();
    let req = seed();
    // Claims 10 bytes, sends the whole body: only the 10 bytes are the body, which is not
    // JSON. What follows is garbage the framework itself refuses; the first answer is ours.
    let mut conn = Conn::open(server.addr).await;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n",
        req.path_and_query()
    );
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(req.body());
    conn.send_raw(&bytes).await.unwrap();
    let response = conn
        .read_response()
        .await
        .expect("an answer to the first request");
    assert_rejected(
        &response,
        Rejection::InvalidJson,
        &format!("{}: short content-length", A::NAME),
    );
    // Claims more than it sends: answered by the body timeout (see slow_body_is_408).
    still_serving(&server, A::NAME).await;
    assert_eq!(server.probe.count(), 1);
}

pub async fn hostile_huge_content_length<A: Adapter>() {
    let server = Server::start::<A>();
    let req = seed();
    for len in ["1000000000000", "4611686018427387904"] {
        let mut conn = Conn::open(server.addr).await;
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len}\r\n\r\n{{",
            req.path_and_query()
        );
        let started = Instant::now();
        conn.send_raw(head.as_bytes()).await.unwrap();
        let response = conn
            .read_response()
            .await
            .expect("answered from the headers");
        assert!(started.elapsed() < PROMPT);
        assert_rejected(
            &response,
            Rejection::BodyTooLarge,
            &format!("{}: content-length {len}", A::NAME),
        );
    }
    still_serving(&server, A::NAME).await;
}

pub async fn hostile_deep_nesting<A: Adapter>() {
    let server = Server::start::<A>();
    let depth = 1500; // within the suite's 4 KiB body limit, far past serde_json's 128 levels
    let deep = format!("{{\"x\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
    // A command decoded into a typed event skips the unknown field without recursion, and
    // a verified body is never refused for its shape: delivered.
    let typed = signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, &deep);
    let response = prompt_roundtrip(&server, &raw(&typed), A::NAME).await;
    assert_envelope(
        &response,
        200,
        OK_BODY,
        &format!("{}: deep, typed", A::NAME),
    );
    // An unknown command is decoded into a JSON tree, which stops at 128 levels.
    let unknown = signed("Room.CallbackAfterCreateRoom", &deep);
    let response = prompt_roundtrip(&server, &raw(&unknown), A::NAME).await;
    assert_rejected(
        &response,
        Rejection::InvalidJson,
        &format!("{}: deep, unknown", A::NAME),
    );
    still_serving(&server, A::NAME).await;
    assert_eq!(server.probe.count(), 2);
}

pub async fn hostile_bad_encodings<A: Adapter>() {
    let server = Server::start::<A>();
    let req = seed();
    // Invalid UTF-8 inside a JSON string of the body.
    let mut body = samples::RECORDING_CHANGED.as_bytes().to_vec();
    let at = body.windows(5).position(|w| w == b"user1").unwrap();
    body[at] = 0xff;
    let response = prompt_roundtrip(
        &server,
        &client::post(&req.path_and_query(), &body),
        A::NAME,
    )
    .await;
    assert_rejected(
        &response,
        Rejection::InvalidJson,
        &format!("{}: invalid utf-8 body", A::NAME),
    );
    // Invalid UTF-8 (percent-encoded) in the app id.
    let uri = req
        .path_and_query()
        .replace("SdkAppid=1400000000", "SdkAppid=14%FF00");
    let response = prompt_roundtrip(&server, &client::post(&uri, req.body()), A::NAME).await;
    assert_rejected(
        &response,
        Rejection::MalformedParameter("SdkAppid"),
        A::NAME,
    );
    // A NUL and a newline in the command (log injection attempt): refused as a mismatch
    // with the body, and logged escaped.
    let uri = req
        .path_and_query()
        .replace("CallbackCommand=", "CallbackCommand=%00%0Afake%3Dline%20");
    let response = prompt_roundtrip(&server, &client::post(&uri, req.body()), A::NAME).await;
    assert_rejected(&response, Rejection::CommandMismatch, A::NAME);
    still_serving(&server, A::NAME).await;
    assert_eq!(server.probe.count(), 1);
}

pub async fn hostile_empty_and_odd_parameters<A: Adapter>() {
    let server = Server::start::<A>();
    let cmd = command::FOLLOW_CLOUD_RECORDING_CHANGED;
    let req = signed(cmd, samples::RECORDING_CHANGED);
    let q = req.path_and_query();
    let cases = [
        (
            q.replace("SdkAppid=1400000000", "SdkAppid="),
            Rejection::MissingParameter("SdkAppid"),
        ),
        (
            q.replace(&format!("CallbackCommand={cmd}"), "CallbackCommand="),
            Rejection::MissingParameter("CallbackCommand"),
        ),
        (
            format!("{q}&RequestTime=1"),
            Rejection::DuplicateParameter("RequestTime"),
        ),
        (
            format!("{q}&CALLBACKCOMMAND={cmd}"),
            Rejection::DuplicateParameter("CallbackCommand"),
        ),
        (
            format!("{q}&contenttype=json"),
            Rejection::DuplicateParameter("contenttype"),
        ),
        (
            format!("{WEBHOOK_PATH}?&&&=&="),
            Rejection::MissingParameter("SdkAppid"),
        ),
        (
            format!("{WEBHOOK_PATH}?SdkAppid=-1400000000&CallbackCommand={cmd}"),
            Rejection::MalformedParameter("SdkAppid"),
        ),
    ];
    for (uri, rejection) in cases {
        let response = prompt_roundtrip(&server, &client::post(&uri, req.body()), A::NAME).await;
        assert_rejected(&response, rejection, &format!("{}: {uri}", A::NAME));
    }
    // Empty Sign / RequestTime values.
    let unsigned = TestRequest::new(APP, cmd, samples::RECORDING_CHANGED)
        .path(WEBHOOK_PATH)
        .path_and_query();
    for tail in [
        "&Sign=&RequestTime=",
        "&Sign=&RequestTime=1669872112",
        "&Sign=00&RequestTime=",
    ] {
        let uri = format!("{unsigned}{tail}");
        let response = prompt_roundtrip(&server, &client::post(&uri, req.body()), A::NAME).await;
        assert_rejected(
            &response,
            Rejection::BadSignature,
            &format!("{}: {tail}", A::NAME),
        );
    }
    // Unknown extra parameters are ignored; names in any case and percent-encoded work.
    let odd = req
        .path_and_query()
        .replace("SdkAppid=", "sDkApPiD=")
        .replace("contenttype=json", "%63ontenttype=json&Extra=1");
    let response = prompt_roundtrip(&server, &client::post(&odd, req.body()), A::NAME).await;
    assert_envelope(
        &response,
        200,
        OK_BODY,
        &format!("{}: odd but valid", A::NAME),
    );
    still_serving(&server, A::NAME).await;
    assert_eq!(server.probe.count(), 2);
}

pub async fn hostile_request_times<A: Adapter>() {
    let server = Server::start::<A>();
    let cmd = command::FOLLOW_CLOUD_RECORDING_CHANGED;
    let unsigned = TestRequest::new(APP, cmd, samples::RECORDING_CHANGED)
        .path(WEBHOOK_PATH)
        .path_and_query();
    let body = samples::RECORDING_CHANGED.as_bytes();
    // Signed correctly with the real token, but not a Unix time in seconds.
    for time in [
        "-1",
        "abc",
        "1e9",
        " 1669872112",
        "123456789012345678901234567890",
        "18446744073709551616",
    ] {
        let uri = format!(
            "{unsigned}&Sign={}&RequestTime={}",
            sign_raw(TOKEN, time),
            time.replace(' ', "%20")
        );
        let response = prompt_roundtrip(&server, &client::post(&uri, body), A::NAME).await;
        assert_rejected(
            &response,
            Rejection::InvalidRequestTime,
            &format!("{}: {time:?}", A::NAME),
        );
    }
    // Numeric but absurd, correctly signed: outside the window.
    for time in [0u64, 1, 9_223_372_036_854_775_807] {
        let uri = format!(
            "{unsigned}&Sign={}&RequestTime={time}",
            tencent_webhook::sign(TOKEN, time)
        );
        let response = prompt_roundtrip(&server, &client::post(&uri, body), A::NAME).await;
        assert_rejected(
            &response,
            Rejection::StaleRequestTime,
            &format!("{}: {time}", A::NAME),
        );
    }
    still_serving(&server, A::NAME).await;
    assert_eq!(server.probe.count(), 1);
}

pub async fn deadline_holds_under_load<A: Adapter>() {
    const CONCURRENT: usize = 64;
    let server = Server::start::<A>();
    let addr = server.addr;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENT {
        tasks.push(tokio::spawn(async move {
            let slow = seed().client_ip(Some("slow"));
            client::roundtrip(addr, &raw(&slow)).await
        }));
    }
    for task in tasks {
        let response = task.await.unwrap();
        assert_rejected(&response, Rejection::CallbackTimeout, A::NAME);
    }
    let took = started.elapsed();
    assert!(
        took < DEADLINE + Duration::from_secs(2),
        "{}: {CONCURRENT} slow callbacks took {took:?}",
        A::NAME
    );
    still_serving(&server, A::NAME).await;
}
