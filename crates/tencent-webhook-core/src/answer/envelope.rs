//! The answers. This is the only place a response is built, for both schemes:
//!
//! - [`Scheme::Chat`]: always the envelope `{"ActionStatus":"OK"|"FAIL","ErrorCode":n,
//!   "ErrorInfo":".."}`; a delivered webhook answers 200 whatever the callback said
//!   (<https://trtc.io/document/34354>). A modified room message (only a
//!   [`MessageReply`](crate::MessageReply) can carry one) appends `"MsgBody":[..]` and/or
//!   `"CloudCustomData":".."` (<https://trtc.io/document/74347>).
//! - [`Scheme::Trtc`]: `{"code":0}` with 200 for success; anything else is non-200 with
//!   `{"code":n,"message":".."}`, so that TRTC retries (<https://trtc.io/document/39558>:
//!   only a 200 counts, and header plus body must stay within 2,000 bytes). TRTC has no
//!   before-webhooks: a message modification is never sent on this scheme.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use serde::Serialize;

use crate::{Ack, MsgElement, Rejection, Scheme};

/// The HTTP response the core produces: a small, fully buffered JSON body.
pub type WebhookResponse = Response<Full<Bytes>>;

const OK_BODY: &[u8] = br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#;
const FAIL_FALLBACK_BODY: &[u8] =
    br#"{"ActionStatus":"FAIL","ErrorCode":50000,"ErrorInfo":"internal error"}"#;
const TRTC_OK_BODY: &[u8] = br#"{"code":0}"#;
const TRTC_FALLBACK_BODY: &[u8] = br#"{"code":50000,"message":"internal error"}"#;
/// The longest `message` of a TRTC answer, so the whole answer stays far within the
/// 2,000 bytes TRTC allows for header plus body.
const TRTC_MESSAGE_MAX: usize = 256;

#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(rename = "ActionStatus")]
    action_status: &'static str,
    #[serde(rename = "ErrorCode")]
    error_code: i64,
    #[serde(rename = "ErrorInfo")]
    error_info: &'a str,
    #[serde(rename = "MsgBody", skip_serializing_if = "Option::is_none")]
    msg_body: Option<&'a [MsgElement]>,
    #[serde(rename = "CloudCustomData", skip_serializing_if = "Option::is_none")]
    cloud_custom_data: Option<&'a str>,
}

#[derive(Serialize)]
struct TrtcAnswer<'a> {
    code: i64,
    message: &'a str,
}

/// The response for the callback's answer: for Chat, 200 with the envelope; for TRTC, 200
/// `{"code":0}` on success and 500 with the callback's code and text on failure.
pub(crate) fn ack_response(scheme: Scheme, ack: &Ack) -> WebhookResponse {
    match (scheme, ack.is_ok()) {
        (Scheme::Chat, true) if *ack == Ack::ok() => {
            build(StatusCode::OK, Bytes::from_static(OK_BODY))
        }
        (Scheme::Chat, true) => build(StatusCode::OK, encode_ack("OK", ack)),
        (Scheme::Chat, false) => build(StatusCode::OK, encode_ack("FAIL", ack)),
        (Scheme::Trtc, true) => build(StatusCode::OK, Bytes::from_static(TRTC_OK_BODY)),
        (Scheme::Trtc, false) => build(
            StatusCode::INTERNAL_SERVER_ERROR,
            encode_trtc(ack.error_code(), ack.error_info()),
        ),
    }
}

/// The failure response for a rejection, with the rejection's status and code.
pub(crate) fn rejection_response(scheme: Scheme, rejection: Rejection) -> WebhookResponse {
    let body = match scheme {
        Scheme::Chat => encode("FAIL", rejection.error_code(), &rejection.to_string()),
        Scheme::Trtc => encode_trtc(rejection.error_code(), &rejection.to_string()),
    };
    let mut response = build(rejection.status(), body);
    if rejection == Rejection::MethodNotAllowed {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

/// `response` with `Connection: close`: for a refusal answered before the request's body
/// was read in full. The unread rest of the body would otherwise stay in the server's
/// buffers, or have to be read and discarded, for a sender that is refused anyway; the
/// sender's next attempt opens a new connection.
pub(crate) fn closing(mut response: WebhookResponse) -> WebhookResponse {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn encode(status: &'static str, code: i64, info: &str) -> Bytes {
    serialize(&Envelope {
        action_status: status,
        error_code: code,
        error_info: info,
        msg_body: None,
        cloud_custom_data: None,
    })
}

/// The envelope of a callback's answer, with a message modification when it has one.
fn encode_ack(status: &'static str, ack: &Ack) -> Bytes {
    let edit = ack.message_edit();
    serialize(&Envelope {
        action_status: status,
        error_code: ack.error_code(),
        error_info: ack.error_info(),
        msg_body: edit.and_then(|e| e.get_msg_body()),
        cloud_custom_data: edit.and_then(|e| e.get_cloud_custom_data()),
    })
}

fn serialize(envelope: &Envelope<'_>) -> Bytes {
    // Serialising a struct of a str and an integer cannot fail; were it ever to, the
    // answer must still say FAIL.
    Bytes::from(serde_json::to_vec(envelope).unwrap_or_else(|_| FAIL_FALLBACK_BODY.to_vec()))
}

fn encode_trtc(code: i64, message: &str) -> Bytes {
    let answer = TrtcAnswer {
        code,
        message: truncated(message, TRTC_MESSAGE_MAX),
    };
    Bytes::from(serde_json::to_vec(&answer).unwrap_or_else(|_| TRTC_FALLBACK_BODY.to_vec()))
}

fn build(status: StatusCode, body: Bytes) -> WebhookResponse {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// At most `max` bytes of `s`, cut at a character boundary.
pub(crate) fn truncated(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body_json(r: WebhookResponse) -> serde_json::Value {
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn ok_envelope_is_exact() {
        let r = ack_response(Scheme::Chat, &Ack::ok());
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        let v = body_json(r).await;
        assert_eq!(
            v,
            serde_json::json!({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""})
        );
    }

    #[tokio::test]
    async fn fail_envelope_escapes_info() {
        let r = ack_response(Scheme::Chat, &Ack::fail(12, "quote \" and \n newline"));
        let v = body_json(r).await;
        assert_eq!(v["ActionStatus"], "FAIL");
        assert_eq!(v["ErrorCode"], 12);
        assert_eq!(v["ErrorInfo"], "quote \" and \n newline");
    }

    async fn body_bytes(r: WebhookResponse) -> Bytes {
        r.into_body().collect().await.unwrap().to_bytes()
    }

    #[tokio::test]
    async fn trtc_success_is_exactly_code_0() {
        let r = ack_response(Scheme::Trtc, &Ack::ok());
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(&body_bytes(r).await[..], br#"{"code":0}"#);
    }

    #[tokio::test]
    async fn trtc_failures_are_never_200_and_stay_small() {
        let long = "x".repeat(10_000);
        let r = ack_response(Scheme::Trtc, &Ack::fail(7, long));
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_bytes(r).await;
        assert!(body.len() < 300, "{}", body.len());
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], 7);
        for &rejection in Rejection::ALL {
            let r = rejection_response(Scheme::Trtc, rejection);
            assert_eq!(r.status(), rejection.status());
            assert_ne!(r.status(), StatusCode::OK);
            let body = body_bytes(r).await;
            assert_eq!(
                body,
                format!(
                    r#"{{"code":{},"message":{}}}"#,
                    rejection.error_code(),
                    serde_json::to_string(&rejection.to_string()).unwrap()
                )
            );
        }
    }

    #[tokio::test]
    async fn before_replies_are_byte_exact() {
        use crate::{GiftReply, MessageEdit, MessageReply};
        let cases = [
            (
                MessageReply::reject().into_ack(),
                r#"{"ActionStatus":"OK","ErrorCode":1,"ErrorInfo":""}"#,
            ),
            (
                MessageReply::discard().into_ack(),
                r#"{"ActionStatus":"OK","ErrorCode":2,"ErrorInfo":""}"#,
            ),
            (
                MessageReply::reject_with(10100, "too \"loud\"")
                    .unwrap()
                    .into_ack(),
                r#"{"ActionStatus":"OK","ErrorCode":10100,"ErrorInfo":"too \"loud\""}"#,
            ),
            (
                MessageReply::allow_modified(
                    MessageEdit::new()
                        .msg_body(vec![MsgElement::text("a *** b")])
                        .cloud_custom_data("moderated"),
                )
                .into_ack(),
                r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"a *** b"}}],"CloudCustomData":"moderated"}"#,
            ),
            (
                MessageReply::allow_modified(MessageEdit::new().cloud_custom_data("only"))
                    .into_ack(),
                r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","CloudCustomData":"only"}"#,
            ),
            (
                MessageReply::allow().into_ack(),
                r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#,
            ),
            (
                GiftReply::reject().into_ack(),
                r#"{"ActionStatus":"OK","ErrorCode":1,"ErrorInfo":""}"#,
            ),
            (
                GiftReply::reject_with(102200, "no").unwrap().into_ack(),
                r#"{"ActionStatus":"OK","ErrorCode":102200,"ErrorInfo":"no"}"#,
            ),
        ];
        for (ack, expected) in cases {
            let r = ack_response(Scheme::Chat, &ack);
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
            assert_eq!(&body_bytes(r).await[..], expected.as_bytes());
        }
    }

    #[tokio::test]
    async fn trtc_ignores_a_message_edit() {
        use crate::{MessageEdit, MessageReply};
        let ack = MessageReply::allow_modified(
            MessageEdit::new()
                .msg_body(vec![MsgElement::text("x")])
                .cloud_custom_data("y"),
        )
        .into_ack();
        let r = ack_response(Scheme::Trtc, &ack);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(&body_bytes(r).await[..], br#"{"code":0}"#);
        let r = ack_response(Scheme::Trtc, &MessageReply::discard().into_ack());
        assert_eq!(&body_bytes(r).await[..], br#"{"code":0}"#);
    }

    #[tokio::test]
    async fn method_not_allowed_carries_allow() {
        let r = rejection_response(Scheme::Chat, Rejection::MethodNotAllowed);
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.headers()[header::ALLOW], "POST");
        assert_eq!(body_json(r).await["ErrorCode"], 40501);
    }
}
