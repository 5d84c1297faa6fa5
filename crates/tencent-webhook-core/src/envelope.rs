//! The response envelope. This is the only place a response is built.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use serde::Serialize;

use crate::{Ack, Rejection};

/// The HTTP response the core produces: a small, fully buffered JSON body.
pub type WebhookResponse = Response<Full<Bytes>>;

const OK_BODY: &[u8] = br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#;
const FAIL_FALLBACK_BODY: &[u8] =
    br#"{"ActionStatus":"FAIL","ErrorCode":50000,"ErrorInfo":"internal error"}"#;

#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(rename = "ActionStatus")]
    action_status: &'static str,
    #[serde(rename = "ErrorCode")]
    error_code: i64,
    #[serde(rename = "ErrorInfo")]
    error_info: &'a str,
}

/// The 200 response for the callback's answer.
pub(crate) fn ack_response(ack: &Ack) -> WebhookResponse {
    if ack.is_ok() {
        return build(StatusCode::OK, Bytes::from_static(OK_BODY));
    }
    build(
        StatusCode::OK,
        encode("FAIL", ack.error_code(), ack.error_info()),
    )
}

/// The FAIL response for a rejection, with the rejection's status and code.
pub(crate) fn rejection_response(rejection: Rejection) -> WebhookResponse {
    let body = encode("FAIL", rejection.error_code(), &rejection.to_string());
    let mut response = build(rejection.status(), body);
    if rejection == Rejection::MethodNotAllowed {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

fn encode(status: &'static str, code: i64, info: &str) -> Bytes {
    let envelope = Envelope {
        action_status: status,
        error_code: code,
        error_info: info,
    };
    // Serialising a struct of a str and an integer cannot fail; were it ever to, the
    // answer must still say FAIL.
    Bytes::from(serde_json::to_vec(&envelope).unwrap_or_else(|_| FAIL_FALLBACK_BODY.to_vec()))
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
        let r = ack_response(&Ack::ok());
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
        let r = ack_response(&Ack::fail(12, "quote \" and \n newline"));
        let v = body_json(r).await;
        assert_eq!(v["ActionStatus"], "FAIL");
        assert_eq!(v["ErrorCode"], 12);
        assert_eq!(v["ErrorInfo"], "quote \" and \n newline");
    }

    #[tokio::test]
    async fn method_not_allowed_carries_allow() {
        let r = rejection_response(Rejection::MethodNotAllowed);
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.headers()[header::ALLOW], "POST");
        assert_eq!(body_json(r).await["ErrorCode"], 40501);
    }
}
