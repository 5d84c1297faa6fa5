//! The TRTC console callback cases (<https://trtc.io/document/39558>,
//! <https://trtc.io/document/54914>), each against a fresh server over a real socket, at
//! [`TRTC_PATH`].
//!
//! Every answer is compared byte for byte with what the core defines for TRTC (`{"code":0}`
//! on success, `{"code":n,"message":".."}` otherwise), with `Content-Type:
//! application/json` and a matching `Content-Length`, and every answer received is checked
//! to fit TRTC's limit of 2,000 bytes for status line, headers and body together.

use std::time::{Duration, Instant};

use tencent_webhook::test_util::{TrtcTestRequest, samples::trtc};
use tencent_webhook::{Rejection, RoomEventKind, Scheme, WebhookContext};

use super::cases::{OK_BODY, assert_envelope, assert_rejected, seed};
use super::client::{self, Conn, Response};
use super::{
    APP, Adapter, BODY_LIMIT, BODY_TIMEOUT, DEADLINE, Server, TOKEN, TRTC_BODY_LIMIT, TRTC_KEY,
    TRTC_PATH, TRTC_ROTATED_KEY, UNSIGNED_APP, WEBHOOK_PATH,
};

/// The exact success answer.
pub const TRTC_OK_BODY: &[u8] = br#"{"code":0}"#;
/// The most bytes TRTC accepts for a whole answer (status line, headers and body).
pub const TRTC_ANSWER_MAX: usize = 2000;
/// The task id of [`trtc::RECORDING_UPLOAD_STOPPED`].
const SAMPLE_TASK: &str = "-m9-bVVU7id***K-m928oZWQndiborbEWH3zY-lIXlprc-gQvQE";

/// The exact answer body of a rejection.
pub fn trtc_fail_body(rejection: Rejection) -> Vec<u8> {
    trtc_body(rejection.error_code(), &rejection.to_string())
}

fn trtc_body(code: i64, message: &str) -> Vec<u8> {
    let message = serde_json::to_string(message).unwrap();
    format!(r#"{{"code":{code},"message":{message}}}"#).into_bytes()
}

/// Status, content type, length and body exactly, and the whole answer within TRTC's limit.
pub fn assert_trtc_answer(response: &Response, status: u16, body: &[u8], context: &str) {
    assert_envelope(response, status, body, context);
    assert_eq!(
        response.header("content-length"),
        Some(body.len().to_string().as_str()),
        "{context}: content-length"
    );
    assert!(
        response.wire_len <= TRTC_ANSWER_MAX,
        "{context}: the answer takes {} bytes on the wire, TRTC allows {TRTC_ANSWER_MAX}",
        response.wire_len
    );
}

/// The answer to a rejected TRTC request, exactly (with `Allow: POST` for 405).
pub fn assert_trtc_rejected(response: &Response, rejection: Rejection, context: &str) {
    assert_trtc_answer(
        response,
        rejection.status().as_u16(),
        &trtc_fail_body(rejection),
        context,
    );
    if rejection == Rejection::MethodNotAllowed {
        assert_eq!(response.header("allow"), Some("POST"), "{context}: allow");
    }
}

/// `body` for [`APP`], signed with the suite's first TRTC key, to [`TRTC_PATH`].
pub fn trtc_signed(body: &str) -> TrtcTestRequest {
    TrtcTestRequest::new(APP, body.to_owned())
        .key(TRTC_KEY)
        .path(TRTC_PATH)
}

/// The request as Tencent sends it: its headers in Tencent's order, then the body.
pub fn trtc_raw(req: &TrtcTestRequest) -> Vec<u8> {
    let mut raw = format!("POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\n", req.path_str());
    for (name, value) in req.headers() {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str("\r\n");
    let mut raw = raw.into_bytes();
    raw.extend_from_slice(req.body());
    raw
}

/// A `POST` to [`TRTC_PATH`] with exactly these headers (and `Content-Length`).
fn trtc_post(headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    client::request("POST", TRTC_PATH, headers, body)
}

/// The recording sample with its TaskId replaced.
pub fn trtc_recording_with_task(task: &str) -> String {
    trtc::RECORDING_UPLOAD_STOPPED.replace(SAMPLE_TASK, task)
}

/// The user-entered sample with the suite callback's trigger word as its `UserId`.
fn user_entered_as(user: &str) -> String {
    trtc::USER_ENTERED.replace(r#""UserId":"alice""#, &format!(r#""UserId":"{user}""#))
}

/// A signed event of exactly `len` bytes (an unknown group, padded).
fn padded_event(len: usize) -> String {
    let head = r#"{"EventGroupId":9,"EventType":901,"Pad":""#;
    let tail = r#""}"#;
    format!("{head}{}{tail}", "x".repeat(len - head.len() - tail.len()))
}

/// A healthy TRTC event is still answered 200 `{"code":0}`.
async fn still_serving_trtc(server: &Server, context: &str) {
    let response = client::roundtrip(server.addr, &trtc_raw(&trtc_signed(trtc::DOC_BODY))).await;
    assert_trtc_answer(
        &response,
        200,
        TRTC_OK_BODY,
        &format!("{context}: still serving"),
    );
}

pub async fn trtc_doc_vector_is_code_0<A: Adapter>() {
    let server = Server::start::<A>();
    let req = trtc_signed(trtc::DOC_BODY);
    assert_eq!(
        req.sign().as_deref(),
        Some(trtc::DOC_SIGN),
        "Tencent's vector"
    );
    let response = client::roundtrip(server.addr, &trtc_raw(&req)).await;
    assert_trtc_answer(&response, 200, TRTC_OK_BODY, A::NAME);
    assert_eq!(response.body, b"{\"code\":0}", "{}: exactly", A::NAME);
    let deliveries = server.probe.deliveries();
    assert_eq!(deliveries.len(), 1, "{}", A::NAME);
    let d = &deliveries[0];
    assert_eq!(d.scheme, Scheme::Trtc);
    assert_eq!(d.sdk_app_id, APP);
    assert_eq!(d.command, "TRTC.2.204");
    assert_eq!(d.room_kind, Some(RoomEventKind::AudioStopped));
    assert_eq!(d.raw_len, trtc::DOC_BODY.len(), "the raw body, as sent");
    assert!(
        d.idempotency_key.starts_with(&format!("trtc-{APP}-")),
        "{}",
        d.idempotency_key
    );
    assert_eq!(server.config.buffered_bytes(), 0, "nothing stays charged");
}

/// The signature covers the raw bytes however they travel: chunked (as a proxy might
/// re-frame it) or with `Content-Length` in many small writes.
pub async fn trtc_chunked_and_split_bodies_verify<A: Adapter>() {
    let server = Server::start::<A>();
    let req = trtc_signed(trtc::DOC_BODY);
    let app = APP.to_string();
    let mut chunked = format!(
        "POST {TRTC_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nSdkAppId: {app}\r\nSign: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
        trtc::DOC_SIGN
    )
    .into_bytes();
    for part in req.body().chunks(7) {
        chunked.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        chunked.extend_from_slice(part);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let response = client::roundtrip(server.addr, &chunked).await;
    assert_trtc_answer(
        &response,
        200,
        TRTC_OK_BODY,
        &format!("{}: chunked", A::NAME),
    );
    let mut conn = Conn::open(server.addr).await;
    for piece in trtc_raw(&req).chunks(16) {
        conn.send_raw(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let response = conn.read_response().await.expect("an answer");
    assert_trtc_answer(&response, 200, TRTC_OK_BODY, &format!("{}: split", A::NAME));
    let deliveries = server.probe.deliveries();
    assert_eq!(deliveries.len(), 2, "{}", A::NAME);
    assert!(deliveries.iter().all(|d| d.raw_len == trtc::DOC_BODY.len()));
}

/// With the default freshness window (5 minutes), Tencent's documented vector of 2022
/// verifies and is then refused as stale (401 40106), a fresh `CallbackTs` is accepted,
/// and a verified body without one is delivered.
pub async fn trtc_freshness_window_applies_when_set<A: Adapter>() {
    let config = super::suite_config()
        .trtc_freshness_window(Some(tencent_webhook::DEFAULT_TRTC_FRESHNESS_WINDOW))
        .build()
        .unwrap();
    let server = Server::start_with::<A>(config);
    // The doc vector was sent in 2022.
    let response = client::roundtrip(server.addr, &trtc_raw(&trtc_signed(trtc::DOC_BODY))).await;
    assert_trtc_rejected(&response, Rejection::StaleCallbackTs, A::NAME);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let fresh = trtc::USER_ENTERED.replace("1687770730166", &now_ms.to_string());
    let response = client::roundtrip(server.addr, &trtc_raw(&trtc_signed(&fresh))).await;
    assert_trtc_answer(&response, 200, TRTC_OK_BODY, A::NAME);
    assert_eq!(server.probe.count(), 1, "{}: only the fresh event", A::NAME);
    let without = trtc::USER_EXITED.replace(r#""CallbackTs":1687770790166,"#, "");
    assert!(!without.contains("CallbackTs"));
    let response = client::roundtrip(server.addr, &trtc_raw(&trtc_signed(&without))).await;
    assert_trtc_answer(&response, 200, TRTC_OK_BODY, A::NAME);
    assert_eq!(server.probe.count(), 2, "{}: and the one without", A::NAME);
}

pub async fn trtc_independent_vector_with_the_rotated_key<A: Adapter>() {
    let server = Server::start::<A>();
    let req = TrtcTestRequest::new(APP, trtc::SAMPLE_BODY)
        .key(TRTC_ROTATED_KEY)
        .path(TRTC_PATH);
    assert_eq!(req.sign().as_deref(), Some(trtc::SAMPLE_SIGN));
    let response = client::roundtrip(server.addr, &trtc_raw(&req)).await;
    assert_trtc_answer(&response, 200, TRTC_OK_BODY, A::NAME);
    // The same body under the first key verifies too: any configured key matches.
    let response = client::roundtrip(server.addr, &trtc_raw(&trtc_signed(trtc::SAMPLE_BODY))).await;
    assert_trtc_answer(&response, 200, TRTC_OK_BODY, A::NAME);
    let deliveries = server.probe.deliveries();
    assert_eq!(deliveries.len(), 2, "{}", A::NAME);
    for d in &deliveries {
        assert_eq!(d.command, "TRTC.1.101");
        assert_eq!(d.room_kind, Some(RoomEventKind::RoomCreated));
    }
}

/// What is wrong, the headers, the body, and the expected refusal.
type Forgery<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [u8], Rejection);

pub async fn trtc_forgeries_are_refused_and_never_delivered<A: Adapter>() {
    let server = Server::start::<A>();
    let body = trtc::DOC_BODY.as_bytes();
    let app = APP.to_string();
    let sign = trtc::DOC_SIGN;
    let mut one_byte_changed = body.to_vec();
    let at = trtc::DOC_BODY.find("8489").unwrap() + 3;
    one_byte_changed[at] = b'0';
    let mut one_byte_more = body.to_vec();
    one_byte_more.push(b'\n');
    let signed_with = |key: &str| tencent_webhook::trtc_sign(key, body);
    let other_key = signed_with("otherkey");
    let token_as_key = signed_with(TOKEN);
    let hex_sign = {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sign)
            .unwrap();
        hex::encode(raw)
    };
    let url_safe = sign.replace('/', "_");
    let unpadded = sign.trim_end_matches('=');
    let long_garbage = "A".repeat(1000);
    let cases: Vec<Forgery> = vec![
        (
            "no Sign",
            vec![("SdkAppId", &app)],
            body,
            Rejection::MissingSignHeader,
        ),
        (
            "empty Sign",
            vec![("SdkAppId", &app), ("Sign", "")],
            body,
            Rejection::MissingSignHeader,
        ),
        (
            "another body's Sign",
            vec![("SdkAppId", &app), ("Sign", trtc::SAMPLE_SIGN)],
            body,
            Rejection::BadSignature,
        ),
        (
            "Sign by a key not configured",
            vec![("SdkAppId", &app), ("Sign", &other_key)],
            body,
            Rejection::BadSignature,
        ),
        (
            "Sign keyed with the Chat token",
            vec![("SdkAppId", &app), ("Sign", &token_as_key)],
            body,
            Rejection::BadSignature,
        ),
        (
            "garbage Sign",
            vec![("SdkAppId", &app), ("Sign", "not base64 at all")],
            body,
            Rejection::BadSignature,
        ),
        (
            "long garbage Sign",
            vec![("SdkAppId", &app), ("Sign", &long_garbage)],
            body,
            Rejection::BadSignature,
        ),
        (
            "Sign in hex",
            vec![("SdkAppId", &app), ("Sign", &hex_sign)],
            body,
            Rejection::BadSignature,
        ),
        (
            "Sign in URL-safe Base64",
            vec![("SdkAppId", &app), ("Sign", &url_safe)],
            body,
            Rejection::BadSignature,
        ),
        (
            "Sign without padding",
            vec![("SdkAppId", &app), ("Sign", unpadded)],
            body,
            Rejection::BadSignature,
        ),
        (
            "one byte of the body changed",
            vec![("SdkAppId", &app), ("Sign", sign)],
            &one_byte_changed,
            Rejection::BadSignature,
        ),
        (
            "one byte appended to the body",
            vec![("SdkAppId", &app), ("Sign", sign)],
            &one_byte_more,
            Rejection::BadSignature,
        ),
        (
            "empty body",
            vec![("SdkAppId", &app), ("Sign", sign)],
            b"",
            Rejection::BadSignature,
        ),
        (
            "duplicated Sign",
            vec![("SdkAppId", &app), ("Sign", sign), ("Sign", sign)],
            body,
            Rejection::DuplicateHeader("Sign"),
        ),
        (
            "wrong SdkAppId",
            vec![("SdkAppId", "1499999999"), ("Sign", sign)],
            body,
            Rejection::UnknownApp,
        ),
        (
            "no SdkAppId",
            vec![("Sign", sign)],
            body,
            Rejection::MissingHeader("SdkAppId"),
        ),
        (
            "empty SdkAppId",
            vec![("SdkAppId", ""), ("Sign", sign)],
            body,
            Rejection::MissingHeader("SdkAppId"),
        ),
        (
            "duplicated SdkAppId",
            vec![("SdkAppId", &app), ("SdkAppId", &app), ("Sign", sign)],
            body,
            Rejection::DuplicateHeader("SdkAppId"),
        ),
        (
            "duplicated SdkAppId, names in two cases",
            vec![
                ("SdkAppId", &app),
                ("sdkappid", "1499999999"),
                ("Sign", sign),
            ],
            body,
            Rejection::DuplicateHeader("SdkAppId"),
        ),
        (
            "SdkAppId not a number",
            vec![("SdkAppId", "14x"), ("Sign", sign)],
            body,
            Rejection::MalformedHeader("SdkAppId"),
        ),
        (
            "SdkAppId negative",
            vec![("SdkAppId", "-1400000000"), ("Sign", sign)],
            body,
            Rejection::MalformedHeader("SdkAppId"),
        ),
        (
            "SdkAppId with a plus sign",
            vec![("SdkAppId", "+1400000000"), ("Sign", sign)],
            body,
            Rejection::MalformedHeader("SdkAppId"),
        ),
        (
            "SdkAppId in hex",
            vec![("SdkAppId", "0x5371"), ("Sign", sign)],
            body,
            Rejection::MalformedHeader("SdkAppId"),
        ),
        (
            "SdkAppId past u64",
            vec![("SdkAppId", "99999999999999999999999"), ("Sign", sign)],
            body,
            Rejection::MalformedHeader("SdkAppId"),
        ),
        (
            "two SdkAppIds in one value",
            vec![("SdkAppId", "1400000000,1400000000"), ("Sign", sign)],
            body,
            Rejection::MalformedHeader("SdkAppId"),
        ),
    ];
    for (what, headers, body, rejection) in cases {
        let response = client::roundtrip(server.addr, &trtc_post(&headers, body)).await;
        assert_trtc_rejected(&response, rejection, &format!("{}: {what}", A::NAME));
    }
    // The app id in the query, as a Chat webhook carries it, does not count.
    let raw = client::request(
        "POST",
        &format!("{TRTC_PATH}?SdkAppId={APP}&SdkAppid={APP}"),
        &[("Sign", sign)],
        body,
    );
    let response = client::roundtrip(server.addr, &raw).await;
    assert_trtc_rejected(
        &response,
        Rejection::MissingHeader("SdkAppId"),
        &format!("{}: SdkAppId only in the query", A::NAME),
    );
    // A header value that is not even text.
    let mut raw =
        format!("POST {TRTC_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nSdkAppId: 14").into_bytes();
    raw.extend_from_slice(b"\xff\xfe");
    raw.extend_from_slice(
        format!("\r\nSign: {sign}\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes(),
    );
    raw.extend_from_slice(body);
    let response = client::roundtrip(server.addr, &raw).await;
    assert_trtc_rejected(
        &response,
        Rejection::MalformedHeader("SdkAppId"),
        &format!("{}: SdkAppId not UTF-8", A::NAME),
    );
    assert_eq!(
        server.probe.count(),
        0,
        "{}: nothing forged is delivered",
        A::NAME
    );
    assert_eq!(
        server.config.buffered_bytes(),
        0,
        "{}: nothing stays charged",
        A::NAME
    );
    still_serving_trtc(&server, A::NAME).await;
}

pub async fn trtc_recording_is_delivered_typed<A: Adapter>() {
    let server = Server::start::<A>();
    for body in [trtc::RECORDING_UPLOAD_STOPPED, trtc::WEB_RECORDING_STARTED] {
        let response = client::roundtrip(server.addr, &trtc_raw(&trtc_signed(body))).await;
        assert_trtc_answer(&response, 200, TRTC_OK_BODY, A::NAME);
    }
    let deliveries = server.probe.deliveries();
    assert_eq!(deliveries.len(), 2, "{}", A::NAME);
    let (cloud, web) = (&deliveries[0], &deliveries[1]);
    assert_eq!(cloud.command, "TRTC.3.305");
    assert!(cloud.typed, "decoded as Event::Recording");
    assert_eq!(cloud.task_id.as_deref(), Some(SAMPLE_TASK));
    assert_eq!(cloud.event_type, Some(305));
    assert_eq!(cloud.room_kind, None);
    assert_eq!(cloud.raw_len, trtc::RECORDING_UPLOAD_STOPPED.len());
    assert_eq!(web.command, "TRTC.8.801");
    assert!(web.typed);
    assert_eq!(web.task_id.as_deref(), Some("web-task-1"));
    assert_eq!(web.event_type, Some(801));
}

pub async fn trtc_room_events_are_delivered_typed<A: Adapter>() {
    let server = Server::start::<A>();
    let events = [
        (trtc::USER_ENTERED, "TRTC.1.103", RoomEventKind::UserEntered),
        (trtc::USER_EXITED, "TRTC.1.104", RoomEventKind::UserExited),
    ];
    for (body, _, _) in events {
        let response = client::roundtrip(server.addr, &trtc_raw(&trtc_signed(body))).await;
        assert_trtc_answer(&response, 200, TRTC_OK_BODY, A::NAME);
    }
    let deliveries = server.probe.deliveries();
    assert_eq!(deliveries.len(), events.len(), "{}", A::NAME);
    for ((_, command, kind), d) in events.iter().zip(&deliveries) {
        assert_eq!(d.command, *command);
        assert_eq!(d.room_kind, Some(*kind));
        assert!(d.typed);
        assert_eq!(d.task_id, None);
    }
}

pub async fn trtc_unknown_groups_and_types_are_delivered<A: Adapter>() {
    let server = Server::start::<A>();
    let unknown_type = r#"{"EventGroupId":1,"EventType":199,"EventInfo":{"RoomId":1}}"#;
    let no_group = r#"{"Something":"else"}"#;
    for body in [trtc::UNKNOWN_GROUP, unknown_type, no_group] {
        let response = client::roundtrip(server.addr, &trtc_raw(&trtc_signed(body))).await;
        assert_trtc_answer(
            &response,
            200,
            TRTC_OK_BODY,
            &format!("{}: {body}", A::NAME),
        );
    }
    let deliveries = server.probe.deliveries();
    assert_eq!(deliveries.len(), 3, "{}", A::NAME);
    assert_eq!(deliveries[0].command, "TRTC.9.901");
    assert!(!deliveries[0].typed);
    assert_eq!(deliveries[1].command, "TRTC.1.199");
    assert_eq!(deliveries[1].room_kind, Some(RoomEventKind::Other(199)));
    assert_eq!(deliveries[2].command, "TRTC");
    assert!(!deliveries[2].typed);
}

pub async fn trtc_unsigned_app_is_accepted<A: Adapter>() {
    let server = Server::start::<A>();
    let req = TrtcTestRequest::new(UNSIGNED_APP, trtc::USER_ENTERED).path(TRTC_PATH);
    assert!(
        !req.headers().iter().any(|(n, _)| *n == "Sign"),
        "sent without Sign"
    );
    let response = client::roundtrip(server.addr, &trtc_raw(&req)).await;
    assert_trtc_answer(&response, 200, TRTC_OK_BODY, A::NAME);
    let deliveries = server.probe.deliveries();
    assert_eq!(deliveries.len(), 1, "{}", A::NAME);
    assert_eq!(deliveries[0].sdk_app_id, UNSIGNED_APP);
    assert_eq!(deliveries[0].room_kind, Some(RoomEventKind::UserEntered));
    assert!(
        deliveries[0]
            .idempotency_key
            .starts_with(&format!("trtc-{UNSIGNED_APP}-"))
    );
}

pub async fn trtc_callback_failure_is_500<A: Adapter>() {
    let server = Server::start::<A>();
    let req = trtc_signed(&user_entered_as("fail"));
    let response = client::roundtrip(server.addr, &trtc_raw(&req)).await;
    assert_trtc_answer(&response, 500, &trtc_body(4242, "suite says no"), A::NAME);
    // The longest answer a callback can cause: its text cut to 256 bytes, each escaped to
    // six; still within TRTC's 2,000 bytes (checked by assert_trtc_answer).
    let req = trtc_signed(&user_entered_as("fail-long"));
    let response = client::roundtrip(server.addr, &trtc_raw(&req)).await;
    assert_trtc_answer(
        &response,
        500,
        &trtc_body(4243, &super::LONG_FAILURE.repeat(256)),
        &format!("{}: long failure", A::NAME),
    );
    assert_eq!(
        server.probe.count(),
        0,
        "the failing callback recorded nothing"
    );
    still_serving_trtc(&server, A::NAME).await;
}

pub async fn trtc_panic_is_500_and_serving_continues<A: Adapter>() {
    let server = Server::start::<A>();
    let mut conn = Conn::open(server.addr).await;
    let boom = trtc_signed(&user_entered_as("panic"));
    let response = conn.request(&trtc_raw(&boom)).await;
    assert_trtc_rejected(&response, Rejection::CallbackPanicked, A::NAME);
    // The same connection, then a new one, still work.
    let fine = trtc_raw(&trtc_signed(trtc::USER_ENTERED));
    assert_trtc_answer(&conn.request(&fine).await, 200, TRTC_OK_BODY, A::NAME);
    assert_trtc_answer(
        &client::roundtrip(server.addr, &fine).await,
        200,
        TRTC_OK_BODY,
        A::NAME,
    );
    assert_eq!(server.probe.count(), 2);
}

pub async fn trtc_slow_callback_is_503<A: Adapter>() {
    let server = Server::start::<A>();
    let slow = trtc_signed(&user_entered_as("slow"));
    let started = Instant::now();
    let response = client::roundtrip(server.addr, &trtc_raw(&slow)).await;
    let took = started.elapsed();
    assert_trtc_rejected(&response, Rejection::CallbackTimeout, A::NAME);
    assert!(
        took >= DEADLINE && took < DEADLINE + Duration::from_secs(2),
        "{}: {took:?}",
        A::NAME
    );
    still_serving_trtc(&server, A::NAME).await;
    assert_eq!(server.probe.count(), 1, "only the healthy event");
}

pub async fn trtc_other_methods_are_405<A: Adapter>() {
    let server = Server::start::<A>();
    let req = trtc_signed(trtc::DOC_BODY);
    let sign = req.sign().unwrap();
    let app = APP.to_string();
    for method in ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let raw = client::request(
            method,
            TRTC_PATH,
            &[("SdkAppId", &app), ("Sign", &sign)],
            if method == "GET" { b"" } else { req.body() },
        );
        let response = client::roundtrip(server.addr, &raw).await;
        assert_trtc_rejected(
            &response,
            Rejection::MethodNotAllowed,
            &format!("{}: {method}", A::NAME),
        );
    }
    assert_eq!(server.probe.count(), 0);
}

pub async fn trtc_oversized_bodies_are_413<A: Adapter>() {
    let server = Server::start::<A>();
    let app = APP.to_string();
    let sign = trtc::DOC_SIGN;
    // Declared too large: answered from the headers, before any body byte is sent.
    let mut conn = Conn::open(server.addr).await;
    let head = format!(
        "POST {TRTC_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nSdkAppId: {app}\r\nSign: {sign}\r\nContent-Length: {}\r\n\r\n",
        TRTC_BODY_LIMIT + 1
    );
    conn.send_raw(head.as_bytes()).await.unwrap();
    let response = conn
        .read_response()
        .await
        .expect("413 without waiting for the body");
    assert_trtc_rejected(
        &response,
        Rejection::BodyTooLarge,
        &format!("{}: content-length", A::NAME),
    );
    // Streamed in chunks past the limit.
    let big = padded_event(TRTC_BODY_LIMIT + 1);
    let mut raw = format!(
        "POST {TRTC_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nSdkAppId: {app}\r\nSign: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
        tencent_webhook::trtc_sign(TRTC_KEY, big.as_bytes())
    )
    .into_bytes();
    for part in big.as_bytes().chunks(1000) {
        raw.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        raw.extend_from_slice(part);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let response = client::roundtrip(server.addr, &raw).await;
    assert_trtc_rejected(
        &response,
        Rejection::BodyTooLarge,
        &format!("{}: chunked", A::NAME),
    );
    assert_eq!(server.probe.count(), 0);
    // The TRTC limit is its own: past the Chat limit, and exactly at the TRTC limit, fine.
    for len in [BODY_LIMIT + 1, TRTC_BODY_LIMIT] {
        let event = padded_event(len);
        let response = client::roundtrip(server.addr, &trtc_raw(&trtc_signed(&event))).await;
        assert_trtc_answer(
            &response,
            200,
            TRTC_OK_BODY,
            &format!("{}: {len} bytes", A::NAME),
        );
    }
    let deliveries = server.probe.deliveries();
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[1].raw_len, TRTC_BODY_LIMIT);
    assert_eq!(server.config.buffered_bytes(), 0);
}

pub async fn trtc_slow_body_is_408<A: Adapter>() {
    let server = Server::start::<A>();
    let req = trtc_signed(trtc::DOC_BODY);
    let mut conn = Conn::open(server.addr).await;
    let raw = trtc_raw(&req);
    // Everything but the last 20 bytes of the body, then nothing.
    conn.send_raw(&raw[..raw.len() - 20]).await.unwrap();
    let started = Instant::now();
    let response = conn.read_response().await.expect("answered by the timeout");
    let took = started.elapsed();
    assert_trtc_rejected(&response, Rejection::BodyTimeout, A::NAME);
    assert!(
        took >= BODY_TIMEOUT.saturating_sub(Duration::from_millis(50))
            && took < BODY_TIMEOUT + Duration::from_secs(3),
        "{}: {took:?}",
        A::NAME
    );
    assert_eq!(server.probe.count(), 0);
    assert_eq!(
        server.config.buffered_bytes(),
        0,
        "{}: the partial body is no longer charged",
        A::NAME
    );
    still_serving_trtc(&server, A::NAME).await;
}

/// Many events on one connection, with refusals whose bodies were read (bad signature) in
/// between; then a refusal from the headers alone (body unread), after which the connection
/// either serves the next request correctly or was closed cleanly, never out of step.
pub async fn trtc_keep_alive_serves_many_requests_on_one_connection<A: Adapter>() {
    let server = Server::start::<A>();
    let mut conn = Conn::open(server.addr).await;
    for i in 0..50 {
        let body = trtc_recording_with_task(&format!("trtc-keepalive-{i}"));
        let req = trtc_signed(&body);
        assert_trtc_answer(
            &conn.request(&trtc_raw(&req)).await,
            200,
            TRTC_OK_BODY,
            &format!("{}: #{i}", A::NAME),
        );
        if i % 10 == 0 {
            let forged = req.clone().key("otherkey");
            assert_trtc_rejected(
                &conn.request(&trtc_raw(&forged)).await,
                Rejection::BadSignature,
                &format!("{}: forged #{i}", A::NAME),
            );
        }
    }
    let by_task = server.probe.by_task();
    assert_eq!(by_task.len(), 50, "{}", A::NAME);
    assert!(by_task.values().all(|&n| n == 1));
    let unsigned = TrtcTestRequest::new(APP, trtc::DOC_BODY).path(TRTC_PATH);
    let response = conn.request(&trtc_raw(&unsigned)).await;
    assert_trtc_rejected(&response, Rejection::MissingSignHeader, A::NAME);
    let fine = trtc_raw(&trtc_signed(trtc::DOC_BODY));
    let mut answered_on_same_connection = 0;
    if conn.send_raw(&fine).await.is_ok()
        && let Ok(next) = conn.read_response().await
    {
        assert_trtc_answer(&next, 200, TRTC_OK_BODY, &format!("{}: after 401", A::NAME));
        answered_on_same_connection = 1;
    }
    assert_eq!(server.probe.count(), 50 + answered_on_same_connection);
}

pub async fn trtc_retry_is_delivered_again_with_the_same_idempotency_key<A: Adapter>() {
    let server = Server::start::<A>();
    // TRTC retries a failed delivery with a fresh CallbackTs, signed again.
    let first = trtc::USER_ENTERED;
    let retry = first.replace("1687770730166", "1687770740311");
    let later_retry = first.replace("1687770730166", "1687770800000");
    // The same event written another way: keys reordered, spaces added.
    let rewritten = r#"{ "EventType": 103, "EventGroupId": 1, "EventInfo": {"UserType":3, "UserId":"alice", "EventMsTs":1687770730160, "RoomId":"room-42", "EventTs":1687770730, "UniqueId":1687770730, "Role":20, "TerminalType":3, "Reason":1}, "CallbackTs": 1687770810000 }"#;
    let other = trtc::USER_EXITED;
    let requests = [
        trtc_signed(first),
        trtc_signed(&retry),
        TrtcTestRequest::new(APP, later_retry.clone())
            .key(TRTC_ROTATED_KEY)
            .path(TRTC_PATH),
        trtc_signed(rewritten),
        trtc_signed(other),
    ];
    for req in &requests {
        let response = client::roundtrip(server.addr, &trtc_raw(req)).await;
        assert_trtc_answer(&response, 200, TRTC_OK_BODY, A::NAME);
    }
    let keys: Vec<String> = server
        .probe
        .deliveries()
        .into_iter()
        .map(|d| d.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 5, "{}: every attempt is delivered", A::NAME);
    assert_eq!(keys[0], keys[1], "{}: a retry has the same key", A::NAME);
    assert_eq!(keys[0], keys[2], "{}: under the other key too", A::NAME);
    assert_eq!(keys[0], keys[3], "{}: written another way too", A::NAME);
    assert_ne!(keys[0], keys[4], "{}: another event another key", A::NAME);
    // The key is the one a stored copy of the body gives back.
    let stored = WebhookContext::new(Scheme::Trtc, APP, "TRTC.1.103", later_retry);
    assert_eq!(stored.idempotency_key().as_str(), keys[2]);
    assert!(keys[0].len() <= tencent_webhook::IdempotencyKey::MAX_LEN);
}

pub async fn trtc_and_chat_endpoints_share_one_callback<A: Adapter>() {
    let server = Server::start::<A>();
    let chat = seed();
    let response = client::roundtrip(
        server.addr,
        &client::post(&chat.path_and_query(), chat.body()),
    )
    .await;
    assert_envelope(&response, 200, OK_BODY, A::NAME);
    let response = client::roundtrip(server.addr, &trtc_raw(&trtc_signed(trtc::DOC_BODY))).await;
    assert_trtc_answer(&response, 200, TRTC_OK_BODY, A::NAME);
    // Each endpoint speaks its own scheme only.
    let chat_at_trtc = client::post(
        &format!(
            "{TRTC_PATH}?{}",
            chat.path_and_query().split_once('?').unwrap().1
        ),
        chat.body(),
    );
    let response = client::roundtrip(server.addr, &chat_at_trtc).await;
    assert_trtc_rejected(
        &response,
        Rejection::MissingHeader("SdkAppId"),
        &format!("{}: Chat request at the TRTC path", A::NAME),
    );
    let trtc_at_chat = trtc_signed(trtc::DOC_BODY).path(WEBHOOK_PATH);
    let response = client::roundtrip(server.addr, &trtc_raw(&trtc_at_chat)).await;
    assert_rejected(
        &response,
        Rejection::MissingParameter("SdkAppid"),
        &format!("{}: TRTC request at the Chat path", A::NAME),
    );
    let deliveries = server.probe.deliveries();
    assert_eq!(deliveries.len(), 2, "{}", A::NAME);
    assert_eq!(deliveries[0].scheme, Scheme::Chat);
    assert!(deliveries[0].idempotency_key.starts_with("chat-"));
    assert_eq!(deliveries[1].scheme, Scheme::Trtc);
    assert!(deliveries[1].idempotency_key.starts_with("trtc-"));
}

pub async fn trtc_concurrent_events_are_each_delivered_once<A: Adapter>() {
    const CONNECTIONS: usize = 32;
    const PER_CONNECTION: usize = 10;
    let server = Server::start::<A>();
    let addr = server.addr;
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await;
            for i in 0..PER_CONNECTION {
                let body = trtc_recording_with_task(&format!("trtc-{c}-{i}"));
                let key = if i % 2 == 0 {
                    TRTC_KEY
                } else {
                    TRTC_ROTATED_KEY
                };
                let req = TrtcTestRequest::new(APP, body).key(key).path(TRTC_PATH);
                let response = conn.request(&trtc_raw(&req)).await;
                assert_trtc_answer(&response, 200, TRTC_OK_BODY, "concurrent");
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
    assert_eq!(server.config.buffered_bytes(), 0);
}
