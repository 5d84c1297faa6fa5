//! Property tests of the core (issue 7, items 1 and 3): whatever arrives, the service never
//! panics and answers a well-formed envelope with a status from its table; only a request
//! that passes every check reaches the callback, exactly once; signatures round-trip and
//! any tampering is refused with the right rejection; equivalent encodings of a valid
//! request are accepted; and callback faults under concurrent load get their documented
//! answers within the deadline.
//!
//! Every property builds one tokio runtime and runs its cases on it. `PROPTEST_CASES`
//! overrides the number of cases of every property.
#![forbid(unsafe_code)]

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::task::{Context, Poll};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::FutureExt;
use http::{HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body::Frame;
use http_body_util::{BodyExt, Full, StreamBody};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value};
use tencent_webhook_core::test_util::samples;
use tencent_webhook_core::{
    Ack, ConfigError, Event, OptPlatform, Rejection, SdkApp, Webhook, WebhookConfig,
    WebhookResponse, WebhookService, sign,
};
use tokio::runtime::Runtime;
use tower::{Service, ServiceExt};

const APP: u64 = 1_400_000_000;
/// A second configured app with its own token: moving a request to it must not verify.
const OTHER_APP: u64 = 1_400_000_001;
const TOKEN: &str = "xxxxyyyy";
const OTHER_TOKEN: &str = "the-other-apps-token";
const NOW: u64 = 1_669_872_112;
const CMD: &str = "Follow.CallbackAfterCloudRecordingChanged";
const BODY: &str = samples::RECORDING_CHANGED;
const BODY_LIMIT: usize = 16 * 1024;

/// Query names the core knows, as Tencent spells them.
const KNOWN_NAMES: [&str; 8] = [
    "SdkAppid",
    "CallbackCommand",
    "WebhookCommand",
    "contenttype",
    "ClientIP",
    "OptPlatform",
    "Sign",
    "RequestTime",
];

/// Bytes `http::Uri` accepts unescaped in a query (RFC 3986 query characters as the `http`
/// crate implements them).
fn is_query_char(c: char) -> bool {
    matches!(c, '\x21'..='\x7e') && !matches!(c, '"' | '#' | '<' | '>')
}

fn query_chars() -> Vec<char> {
    ('\x21'..='\x7e').filter(|&c| is_query_char(c)).collect()
}

// ---- running properties ------------------------------------------------------------------

fn run<S>(default_cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_cases);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    if let Err(e) = TestRunner::new(config).run(&strategy, test) {
        panic!("{e}");
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

fn base_config() -> WebhookConfig {
    WebhookConfig::builder()
        .app(SdkApp::new(APP).token(TOKEN))
        .app(SdkApp::new(OTHER_APP).token(OTHER_TOKEN))
        .body_limit(BODY_LIMIT)
        .clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
        .build()
        .unwrap()
}

/// The callback: records every webhook it receives and acknowledges it.
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<Webhook>>>,
}

impl Service<Webhook> for Recorder {
    type Response = Ack;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Ack, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, hook: Webhook) -> Self::Future {
        self.seen.lock().unwrap().push(hook);
        std::future::ready(Ok(Ack::ok()))
    }
}

/// What the service answered, after checking that the answer is well formed.
#[derive(Debug)]
enum Outcome {
    Delivered(Box<Webhook>),
    Rejected(Rejection),
}

impl Outcome {
    fn rejection(&self) -> Option<Rejection> {
        match self {
            Outcome::Delivered(_) => None,
            Outcome::Rejected(r) => Some(*r),
        }
    }
}

struct Harness {
    rt: Runtime,
    recorder: Recorder,
    service: WebhookService<Recorder>,
}

impl Harness {
    fn new() -> Self {
        let recorder = Recorder::default();
        Self {
            rt: runtime(),
            service: WebhookService::new(base_config(), recorder.clone()),
            recorder,
        }
    }

    /// A service with another configuration that delivers to the same recorder.
    fn service_with(&self, config: WebhookConfig) -> WebhookService<Recorder> {
        WebhookService::new(config, self.recorder.clone())
    }

    fn send(&self, request: Request<Full<Bytes>>) -> Result<Outcome, TestCaseError> {
        self.send_to(&self.service, request)
    }

    fn send_to(
        &self,
        service: &WebhookService<Recorder>,
        request: Request<Full<Bytes>>,
    ) -> Result<Outcome, TestCaseError> {
        self.recorder.seen.lock().unwrap().clear();
        let response = self.rt.block_on(service.clone().oneshot(request)).unwrap();
        let (status, headers, info) = self.rt.block_on(read_envelope(response))?;
        let mut delivered = std::mem::take(&mut *self.recorder.seen.lock().unwrap());
        // The recorder always acknowledges, so 200 means delivered (and OK), anything else
        // means refused before the callback.
        if status == StatusCode::OK {
            prop_assert_eq!(&info, &("OK".to_owned(), 0, String::new()));
            prop_assert_eq!(
                delivered.len(),
                1,
                "200 but delivered {} times",
                delivered.len()
            );
            return Ok(Outcome::Delivered(Box::new(delivered.pop().unwrap())));
        }
        prop_assert!(delivered.is_empty(), "{status} but delivered");
        let rejection = rejection_of(status, &headers, &info)?;
        prop_assert!(
            !matches!(
                rejection,
                Rejection::CallbackPanicked | Rejection::CallbackError | Rejection::CallbackTimeout
            ),
            "the recorder cannot fail, got {rejection:?}"
        );
        Ok(Outcome::Rejected(rejection))
    }
}

/// Check the answer's headers and envelope; return status, headers and
/// `(ActionStatus, ErrorCode, ErrorInfo)`.
async fn read_envelope(
    response: WebhookResponse,
) -> Result<(StatusCode, http::HeaderMap, (String, i64, String)), TestCaseError> {
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    prop_assert_eq!(
        parts.headers.get(header::CONTENT_TYPE),
        Some(&HeaderValue::from_static("application/json"))
    );
    let json: Value = serde_json::from_slice(&bytes)
        .map_err(|e| TestCaseError::fail(format!("answer is not JSON ({e}): {bytes:?}")))?;
    let object = json
        .as_object()
        .ok_or_else(|| TestCaseError::fail(format!("answer is not an object: {json}")))?;
    prop_assert_eq!(object.len(), 3, "{}", json);
    let (Some(action), Some(code), Some(info)) = (
        object.get("ActionStatus").and_then(Value::as_str),
        object.get("ErrorCode").and_then(Value::as_i64),
        object.get("ErrorInfo").and_then(Value::as_str),
    ) else {
        return Err(TestCaseError::fail(format!("not an envelope: {json}")));
    };
    prop_assert!(action == "OK" || action == "FAIL", "{}", json);
    prop_assert_eq!(action == "OK", code == 0 && info.is_empty(), "{}", json);
    Ok((
        parts.status,
        parts.headers,
        (action.to_owned(), code, info.to_owned()),
    ))
}

/// Every rejection the core can produce, with every parameter name it reports.
fn all_rejections() -> Vec<Rejection> {
    let names = [
        "SdkAppid",
        "CallbackCommand",
        "contenttype",
        "Sign",
        "RequestTime",
    ];
    let mut all = Rejection::ALL.to_vec();
    for name in names {
        all.push(Rejection::MissingParameter(name));
        all.push(Rejection::DuplicateParameter(name));
        all.push(Rejection::MalformedParameter(name));
    }
    all
}

/// The rejection a FAIL answer stands for: its status, code and text must all be one row
/// of the core's table.
fn rejection_of(
    status: StatusCode,
    headers: &http::HeaderMap,
    (action, code, info): &(String, i64, String),
) -> Result<Rejection, TestCaseError> {
    prop_assert_eq!(action, "FAIL");
    let rejection = all_rejections()
        .into_iter()
        .find(|r| r.error_code() == *code && r.to_string() == *info)
        .ok_or_else(|| TestCaseError::fail(format!("{status}: {code} {info:?} is not a row")))?;
    prop_assert_eq!(rejection.status(), status, "{:?}", rejection);
    prop_assert_eq!(
        headers.get(header::ALLOW).map(|v| v.as_bytes()),
        (rejection == Rejection::MethodNotAllowed).then_some(&b"POST"[..])
    );
    Ok(rejection)
}

// ---- building requests -------------------------------------------------------------------

type Params = Vec<(String, String)>;

/// The parameters Tencent sends for `app`, signed with `token` at `time`.
fn signed_params(app: u64, token: &str, time: u64) -> Params {
    [
        ("SdkAppid", app.to_string()),
        ("CallbackCommand", CMD.to_owned()),
        ("contenttype", "json".to_owned()),
        ("ClientIP", "1.2.3.4".to_owned()),
        ("OptPlatform", "RESTAPI".to_owned()),
        ("Sign", sign(token, time)),
        ("RequestTime", time.to_string()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v))
    .collect()
}

fn encode(params: &Params) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        q.append_pair(name, value);
    }
    q.finish()
}

fn set(params: &mut Params, name: &str, value: String) {
    for (n, v) in params.iter_mut() {
        if n == name {
            *v = value.clone();
        }
    }
}

fn post(query: &str, body: impl Into<Bytes>) -> Request<Full<Bytes>> {
    let body = body.into();
    Request::post(format!("/tencent/callback?{query}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Full::new(body))
        .unwrap()
}

/// A tiny deterministic bit source, so one `u64` from proptest drives many choices.
struct Bits(u64);

impl Bits {
    fn next(&mut self) -> bool {
        // xorshift64*; never stuck at zero.
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.0 & 1 == 1
    }
}

/// `s` with each ASCII letter's case flipped or not, as `seed` says.
fn mix_case(s: &str, seed: u64) -> String {
    let mut bits = Bits(seed);
    s.chars()
        .map(|c| {
            if bits.next() {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}

/// `s` form-encoded, with unreserved bytes percent-encoded or not and hex digits in either
/// case, as `seed` says. Every encoding decodes back to `s`.
fn percent_encode(s: &str, seed: u64) -> String {
    let mut bits = Bits(seed);
    let mut out = String::new();
    for &b in s.as_bytes() {
        let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'*');
        if unreserved && bits.next() {
            out.push(char::from(b));
        } else if bits.next() {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

/// `depth` nested arrays (or objects) around a `0`: valid JSON at every depth.
fn nested(depth: usize, objects: bool) -> String {
    if objects {
        format!(r#"{}0{}"#, r#"{"a":"#.repeat(depth), "}".repeat(depth))
    } else {
        format!("{}0{}", "[".repeat(depth), "]".repeat(depth))
    }
}

// ---- strategies --------------------------------------------------------------------------

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        4 => Just(Method::POST),
        1 => select(vec![
            Method::GET,
            Method::PUT,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
            Method::PATCH,
            Method::CONNECT,
            Method::TRACE,
        ]),
        1 => "[A-Za-z!#$%&'*+.^_`|~-]{1,12}".prop_map(|m| Method::from_bytes(m.as_bytes()).unwrap()),
    ]
}

/// A JSON value without floats (which need not round-trip exactly).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        ".{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 0..600),
        2 => json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        2 => Just(BODY.as_bytes().to_vec()),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(at, b)| {
            let mut body = BODY.as_bytes().to_vec();
            let i = at.index(body.len());
            body[i] = b;
            body
        }),
        1 => any::<Index>().prop_map(|at| BODY.as_bytes()[..at.index(BODY.len())].to_vec()),
        1 => any::<f64>().prop_map(|f| format!(r#"{{"EventType":{f},"EventInfo":{{}}}}"#).into_bytes()),
        1 => (0usize..6000, any::<bool>()).prop_map(|(d, o)| nested(d, o).into_bytes()),
        1 => (BODY_LIMIT - 4..BODY_LIMIT + 4).prop_map(|n| {
            let mut body = vec![b' '; n];
            body[n - 2..].copy_from_slice(b"{}");
            body
        }),
        1 => "\\PC{0,100}".prop_map(String::into_bytes),
    ]
}

fn header_value() -> impl Strategy<Value = HeaderValue> {
    prop_oneof![
        "[0-9]{1,22}".prop_map(|s| HeaderValue::from_str(&s).unwrap()),
        select(vec![
            "-1",
            "",
            " 1",
            "1 ",
            "+5",
            "0x10",
            "18446744073709551616"
        ])
        .prop_map(HeaderValue::from_static),
        prop::collection::vec(prop_oneof![Just(b'\t'), 0x20u8..0x7f, 0x80u8..=0xff], 0..40)
            .prop_map(|v| HeaderValue::from_bytes(&v).unwrap()),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(HeaderName, HeaderValue)>> {
    let name = prop_oneof![
        select(vec![
            header::CONTENT_LENGTH,
            header::CONTENT_TYPE,
            header::TRANSFER_ENCODING,
            header::HOST,
            header::EXPECT,
            header::CONTENT_ENCODING,
        ]),
        "[a-z][a-z0-9-]{0,15}".prop_map(|n| HeaderName::from_bytes(n.as_bytes()).unwrap()),
    ];
    prop::collection::vec((name, header_value()), 0..6)
}

/// A query parameter value: plausible or hostile.
fn param_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(APP.to_string()),
        Just(OTHER_APP.to_string()),
        Just(CMD.to_owned()),
        Just("json".to_owned()),
        Just(sign(TOKEN, NOW)),
        Just(NOW.to_string()),
        "[0-9]{0,25}",
        "-?[0-9]{1,20}",
        "[0-9a-fA-F]{60,68}",
        "\\PC{0,20}",
        ".{0,10}",
    ]
}

fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (select(KNOWN_NAMES.to_vec()), any::<u64>()).prop_map(|(n, s)| mix_case(n, s)),
        1 => "[a-zA-Z]{0,10}",
        1 => "\\PC{0,6}",
    ]
}

/// A raw query string (without `?`), or none at all.
fn query() -> impl Strategy<Value = Option<String>> {
    let structured = (
        prop::collection::vec((param_name(), param_value(), any::<u64>()), 0..12),
        any::<bool>(),
    )
        .prop_map(|(params, raw)| {
            params
                .into_iter()
                .map(|(n, v, seed)| {
                    if raw {
                        // Unescaped, with whatever survives as a URI.
                        let keep = |s: &str| -> String {
                            s.chars().filter(|&c| is_query_char(c)).collect()
                        };
                        format!("{}={}", keep(&n), keep(&v))
                    } else {
                        format!("{}={}", percent_encode(&n, seed), percent_encode(&v, !seed))
                    }
                })
                .collect::<Vec<_>>()
                .join("&")
        });
    prop_oneof![
        1 => Just(None),
        3 => prop::collection::vec(select(query_chars()), 0..300)
            .prop_map(|v| Some(v.into_iter().collect())),
        6 => structured.prop_map(Some),
    ]
}

// ---- properties --------------------------------------------------------------------------

/// Arbitrary methods, paths, query strings, headers and bodies: never a panic, always a
/// well-formed envelope with a status from the table, and nothing delivered unless 200.
#[test]
fn arbitrary_requests_get_a_well_formed_answer() {
    let h = Harness::new();
    let strategy = (
        method(),
        "(/[a-zA-Z0-9._~-]{0,12}){0,4}",
        query(),
        headers(),
        body(),
    );
    run(600, strategy, |(method, path, query, headers, body)| {
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        let uri = match &query {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        let Ok(uri) = uri.parse::<http::Uri>() else {
            // Only a URI a server could hand over is a request; the charsets above
            // make this rare.
            return Ok(());
        };
        let mut request = Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = method.clone();
        *request.uri_mut() = uri;
        for (name, value) in headers {
            request.headers_mut().append(name, value);
        }
        let outcome = h.send(request)?;
        if method != Method::POST {
            prop_assert_eq!(outcome.rejection(), Some(Rejection::MethodNotAllowed));
        }
        Ok(())
    });
}

/// One change to a valid signed request.
#[derive(Debug, Clone)]
enum Mutation {
    QueryChar(Index, char),
    QueryInsert(Index, String),
    QueryTruncate(Index),
    TruncateSign(usize),
    ExtendSign(String),
    SignCase(u64),
    RequestTime(String),
    ResignWith(String),
    AppId(String),
    Duplicate(Index, u64, String),
    Remove(Index),
    Shuffle(Vec<Index>),
    BodyByte(Index, u8),
    TruncateBody(Index),
    AppendBody(Vec<u8>),
    ReplaceBody(Vec<u8>),
    Method(Method),
    ContentLength(HeaderValue),
    Header(HeaderName, HeaderValue),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), select(query_chars())).prop_map(|(i, c)| Mutation::QueryChar(i, c)),
        (
            any::<Index>(),
            prop::collection::vec(select(query_chars()), 1..12)
                .prop_map(|v| v.into_iter().collect::<String>())
        )
            .prop_map(|(i, s)| Mutation::QueryInsert(i, s)),
        any::<Index>().prop_map(Mutation::QueryTruncate),
        (0usize..64).prop_map(Mutation::TruncateSign),
        prop_oneof!["[0-9a-fA-F]{1,8}", "\\PC{1,8}"].prop_map(Mutation::ExtendSign),
        any::<u64>().prop_map(Mutation::SignCase),
        prop_oneof![
            (0u64..NOW * 2).prop_map(|t| t.to_string()),
            "[0-9]{0,30}",
            "\\PC{0,12}"
        ]
        .prop_map(Mutation::RequestTime),
        "[ -~]{1,20}".prop_map(Mutation::ResignWith),
        prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            Just(OTHER_APP.to_string()),
            "[0-9+ -]{0,25}",
            "\\PC{0,8}"
        ]
        .prop_map(Mutation::AppId),
        (any::<Index>(), any::<u64>(), param_value())
            .prop_map(|(i, s, v)| Mutation::Duplicate(i, s, v)),
        any::<Index>().prop_map(Mutation::Remove),
        prop::collection::vec(any::<Index>(), 7).prop_map(Mutation::Shuffle),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::BodyByte(i, b)),
        any::<Index>().prop_map(Mutation::TruncateBody),
        prop::collection::vec(any::<u8>(), 1..32).prop_map(Mutation::AppendBody),
        body().prop_map(Mutation::ReplaceBody),
        method().prop_map(Mutation::Method),
        header_value().prop_map(Mutation::ContentLength),
        headers()
            .prop_filter_map("one header", |h| h.into_iter().next())
            .prop_map(|(n, v)| Mutation::Header(n, v)),
    ]
}

/// Mutations of a valid signed request (flipped bytes, cut or extended Sign, another
/// RequestTime, token or app id, duplicated or removed parameters, other bodies and
/// methods): never a panic, always a well-formed answer, delivered only when 200.
#[test]
fn mutated_signed_requests_get_a_well_formed_answer() {
    let h = Harness::new();
    run(600, prop::collection::vec(mutation(), 1..5), |mutations| {
        let mut params = signed_params(APP, TOKEN, NOW);
        let mut body = BODY.as_bytes().to_vec();
        let mut method = Method::POST;
        let mut extra_headers = Vec::new();
        let mut content_length = None;
        let mut query_edits = Vec::new();
        for m in mutations {
            let sign_of = |p: &Params| {
                p.iter()
                    .find(|(n, _)| n == "Sign")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            match m {
                Mutation::TruncateSign(n) => {
                    let s: String = sign_of(&params).chars().take(n).collect();
                    set(&mut params, "Sign", s);
                }
                Mutation::ExtendSign(more) => {
                    let s = sign_of(&params) + &more;
                    set(&mut params, "Sign", s);
                }
                Mutation::SignCase(seed) => {
                    let s = mix_case(&sign_of(&params), seed);
                    set(&mut params, "Sign", s);
                }
                Mutation::RequestTime(t) => set(&mut params, "RequestTime", t),
                Mutation::ResignWith(token) => set(&mut params, "Sign", sign(&token, NOW)),
                Mutation::AppId(id) => set(&mut params, "SdkAppid", id),
                Mutation::Duplicate(i, seed, value) => {
                    let (name, _) = params[i.index(params.len())].clone();
                    let at = (seed as usize) % (params.len() + 1);
                    params.insert(at, (mix_case(&name, seed), value));
                }
                Mutation::Remove(i) => {
                    if !params.is_empty() {
                        params.remove(i.index(params.len()));
                    }
                }
                Mutation::Shuffle(swaps) => {
                    for (k, i) in swaps.into_iter().enumerate() {
                        if !params.is_empty() {
                            let a = k % params.len();
                            let b = i.index(params.len());
                            params.swap(a, b);
                        }
                    }
                }
                Mutation::BodyByte(i, b) => {
                    if !body.is_empty() {
                        let i = i.index(body.len());
                        body[i] = b;
                    }
                }
                Mutation::TruncateBody(i) => body.truncate(i.index(body.len() + 1)),
                Mutation::AppendBody(more) => body.extend_from_slice(&more),
                Mutation::ReplaceBody(b) => body = b,
                Mutation::Method(m) => method = m,
                Mutation::ContentLength(v) => content_length = Some(v),
                Mutation::Header(n, v) => extra_headers.push((n, v)),
                q @ (Mutation::QueryChar(..)
                | Mutation::QueryInsert(..)
                | Mutation::QueryTruncate(_)) => query_edits.push(q),
            }
        }
        let mut query: Vec<char> = encode(&params).chars().collect();
        for edit in query_edits {
            match edit {
                Mutation::QueryChar(i, c) if !query.is_empty() => {
                    let i = i.index(query.len());
                    query[i] = c;
                }
                Mutation::QueryInsert(i, s) => {
                    let i = i.index(query.len() + 1);
                    query.splice(i..i, s.chars());
                }
                Mutation::QueryTruncate(i) => query.truncate(i.index(query.len() + 1)),
                _ => {}
            }
        }
        let query: String = query.into_iter().collect();
        let mut request = post(&query, body);
        *request.method_mut() = method;
        if let Some(v) = content_length {
            request.headers_mut().insert(header::CONTENT_LENGTH, v);
        }
        for (n, v) in extra_headers {
            request.headers_mut().append(n, v);
        }
        h.send(request)?;
        Ok(())
    });
}

/// A token Tencent accepts: 1 to 128 bytes (printable ASCII, or any text that fits).
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{1,128}",
        "\\PC{1,40}".prop_filter("at most 128 bytes", |t| t.len() <= 128),
    ]
}

/// Sign/verify round trip: any token, any RequestTime within the window (in either
/// direction, for any window), any position among rotated tokens, is accepted and
/// delivered with the verified time; one second past the window is stale.
#[test]
fn signed_requests_round_trip_within_the_window() {
    let h = Harness::new();
    // A window, and an offset from now: often exactly at or one past either edge.
    let window_and_offset = prop_oneof![Just(0i64), Just(60), 0i64..=3600].prop_flat_map(|w| {
        (
            Just(w),
            prop_oneof![
                select(vec![-w - 1, -w, 0, w, w + 1]),
                -w..=w,
                (-w - 3600)..=(w + 3600),
            ],
        )
    });
    let strategy = (
        token(),
        prop::collection::vec(token(), 0..3),
        any::<Index>(),
        window_and_offset,
    );
    run(
        384,
        strategy,
        |(token, others, position, (window, delta))| {
            let s = sign(&token, NOW);
            prop_assert_eq!(s.len(), 64);
            prop_assert!(s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));

            // Rotation: the signing token may sit anywhere among the app's tokens.
            let mut tokens = others;
            tokens.insert(position.index(tokens.len() + 1), token.clone());
            let app = tokens.iter().fold(SdkApp::new(APP), |app, t| app.token(t));
            let config = WebhookConfig::builder()
                .app(app)
                .replay_window(Duration::from_secs(window.unsigned_abs()))
                .clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
                .build();
            prop_assert!(config.is_ok(), "{:?}", config);
            let service = h.service_with(config.unwrap());

            let outside = delta.abs() > window;
            let time = NOW.checked_add_signed(delta).unwrap();
            let request = post(&encode(&signed_params(APP, &token, time)), BODY);
            match h.send_to(&service, request)? {
                Outcome::Delivered(hook) => {
                    prop_assert!(!outside, "delivered {delta} s off with a {window} s window");
                    prop_assert_eq!(hook.context.sdk_app_id, APP);
                    prop_assert_eq!(hook.context.request_time, Some(time));
                    prop_assert_eq!(&hook.context.command, CMD);
                    prop_assert!(matches!(hook.event, Event::Recording(_)));
                }
                Outcome::Rejected(r) => {
                    prop_assert!(outside, "refused {delta} s off ({window} s window): {r:?}");
                    prop_assert_eq!(r, Rejection::StaleRequestTime);
                }
            }
            Ok(())
        },
    );
}

/// Tokens outside 1..=128 bytes are refused when the configuration is built.
#[test]
fn tokens_outside_tencents_length_are_refused() {
    run(
        256,
        prop_oneof![Just(String::new()), "[ -~]{129,300}", "\\PC{43,120}"],
        |token| {
            let result = WebhookConfig::builder()
                .app(SdkApp::new(APP).token(token.clone()))
                .build();
            if (1..=128).contains(&token.len()) {
                prop_assert!(result.is_ok());
            } else {
                prop_assert_eq!(result.unwrap_err(), ConfigError::InvalidToken(APP));
            }
            Ok(())
        },
    );
}

/// One forgery attempt on a valid signed request.
#[derive(Debug, Clone)]
enum Tamper {
    /// Replace one character of `Sign` with one that is not the same hex digit.
    SignChar(Index, char),
    /// Flip one bit of the signature: still 64 hex digits, wrong in one byte.
    SignBit(Index, u8),
    TruncateSign(usize),
    ExtendSign(String),
    ReplaceSign(String),
    /// Another `RequestTime`, keeping the `Sign`.
    RequestTime(String),
    /// Signed with another token.
    Token(String),
    /// Another numeric app id.
    AppId(u64),
    /// A non-numeric app id.
    AppIdText(String),
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        (
            any::<Index>(),
            prop_oneof![3 => select("0123456789abcdefABCDEF".chars().collect::<Vec<_>>()), 1 => any::<char>()]
        )
            .prop_map(|(i, c)| Tamper::SignChar(i, c)),
        (any::<Index>(), 0u8..8).prop_map(|(i, bit)| Tamper::SignBit(i, bit)),
        (0usize..64).prop_map(Tamper::TruncateSign),
        prop_oneof!["[0-9a-f]{1,64}", "\\PC{1,8}"].prop_map(Tamper::ExtendSign),
        prop_oneof!["[0-9a-f]{64}", "[0-9a-zA-Z]{0,130}", "\\PC{0,70}"].prop_map(Tamper::ReplaceSign),
        prop_oneof![
            (0u64..NOW * 2).prop_map(|t| t.to_string()),
            (NOW - 60..=NOW + 60).prop_map(|t| t.to_string()),
            Just(format!("0{NOW}")),
            Just(format!("+{NOW}")),
            Just(format!("{NOW} ")),
            Just(format!("{NOW}000")),
            "[0-9]{0,30}",
            "\\PC{0,12}",
        ]
        .prop_map(Tamper::RequestTime),
        prop_oneof![token(), Just(OTHER_TOKEN.to_owned()), Just(format!("{TOKEN} "))]
            .prop_map(Tamper::Token),
        prop_oneof![any::<u64>(), Just(OTHER_APP), Just(APP + 1), Just(APP - 1)]
            .prop_map(Tamper::AppId),
        "[a-zA-Z .:/_-][\\PC]{0,20}".prop_map(Tamper::AppIdText),
    ]
}

/// A request body that never ends and records whether anyone polled it.
fn endless_body(
    polled: Arc<AtomicBool>,
) -> StreamBody<impl futures_util::Stream<Item = Result<Frame<Bytes>, Infallible>>> {
    StreamBody::new(futures_util::stream::poll_fn(move |_| {
        polled.store(true, Ordering::SeqCst);
        Poll::Pending
    }))
}

/// Any change to Sign, RequestTime, token or app id is refused, with the right rejection,
/// and never delivered; and it is refused before any of the body is read, without
/// waiting for it.
#[test]
fn any_change_to_sign_time_token_or_app_is_refused() {
    let h = Harness::new();
    run(1000, tamper(), |tamper| {
        let good = sign(TOKEN, NOW);
        let mut params = signed_params(APP, TOKEN, NOW);
        let expected = match &tamper {
            Tamper::SignChar(i, c) => {
                let i = i.index(64);
                let old = char::from(good.as_bytes()[i]);
                // The same hex digit in the other case is the same signature.
                let c = if c.eq_ignore_ascii_case(&old) {
                    'g'
                } else {
                    *c
                };
                let mut s: Vec<char> = good.chars().collect();
                s[i] = c;
                set(&mut params, "Sign", s.into_iter().collect());
                Rejection::BadSignature
            }
            Tamper::SignBit(i, bit) => {
                let mut raw = hex::decode(&good).unwrap();
                raw[i.index(32)] ^= 1 << bit;
                set(&mut params, "Sign", hex::encode(raw));
                Rejection::BadSignature
            }
            Tamper::TruncateSign(n) => {
                set(&mut params, "Sign", good[..*n].to_owned());
                Rejection::BadSignature
            }
            Tamper::ExtendSign(more) => {
                set(&mut params, "Sign", format!("{good}{more}"));
                Rejection::BadSignature
            }
            Tamper::ReplaceSign(s) => {
                prop_assume!(!s.eq_ignore_ascii_case(&good));
                set(&mut params, "Sign", s.clone());
                Rejection::BadSignature
            }
            Tamper::RequestTime(t) => {
                prop_assume!(*t != NOW.to_string());
                set(&mut params, "RequestTime", t.clone());
                Rejection::BadSignature
            }
            Tamper::Token(t) => {
                prop_assume!(t != TOKEN);
                set(&mut params, "Sign", sign(t, NOW));
                Rejection::BadSignature
            }
            Tamper::AppId(id) => {
                prop_assume!(*id != APP);
                set(&mut params, "SdkAppid", id.to_string());
                if *id == OTHER_APP {
                    // Configured, but with another token.
                    Rejection::BadSignature
                } else {
                    Rejection::UnknownApp
                }
            }
            Tamper::AppIdText(id) => {
                set(&mut params, "SdkAppid", id.clone());
                Rejection::MalformedParameter("SdkAppid")
            }
        };
        let outcome = h.send(post(&encode(&params), BODY))?;
        prop_assert_eq!(outcome.rejection(), Some(expected), "{:?}", outcome);

        // The same forgery with a body that never ends: refused at once, before any of
        // the body is read.
        let polled = Arc::new(AtomicBool::new(false));
        let request = Request::post(format!("/tencent/callback?{}", encode(&params)))
            .body(endless_body(polled.clone()))
            .unwrap();
        let _runtime = h.rt.enter();
        let answer = h.service.clone().oneshot(request).now_or_never();
        let Some(Ok(response)) = answer else {
            return Err(TestCaseError::fail("a forgery was not answered at once"));
        };
        prop_assert_eq!(response.status(), expected.status());
        prop_assert!(
            !polled.load(Ordering::SeqCst),
            "the body of a forgery was read"
        );
        Ok(())
    });
}

/// The parameters that decide whether and what is delivered, given twice in any case and
/// anywhere, are refused as duplicates; informational ones keep their first value.
#[test]
fn duplicated_parameters_are_refused_or_keep_the_first() {
    let h = Harness::new();
    let strategy = (
        select(KNOWN_NAMES.to_vec()),
        any::<u64>(),
        param_value(),
        Just((0..7).collect::<Vec<usize>>()).prop_shuffle(),
        any::<Index>(),
    );
    run(512, strategy, |(name, seed, value, order, at)| {
        let base = signed_params(APP, TOKEN, NOW);
        let mut params: Params = order.iter().map(|&i| base[i].clone()).collect();
        let at = at.index(params.len() + 1);
        params.insert(at, (mix_case(name, seed), value));
        let outcome = h.send(post(&encode(&params), BODY))?;
        let canonical = match name {
            "WebhookCommand" => Some("CallbackCommand"),
            "ClientIP" | "OptPlatform" => None,
            other => Some(other),
        };
        match canonical {
            Some(c) => prop_assert_eq!(outcome.rejection(), Some(Rejection::DuplicateParameter(c))),
            None => {
                let first = |wanted: &str| {
                    params
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
                        .map(|(_, v)| v.clone())
                };
                let Outcome::Delivered(hook) = outcome else {
                    return Err(TestCaseError::fail(format!("{outcome:?}")));
                };
                prop_assert_eq!(hook.context.client_ip, first("ClientIP"));
                prop_assert_eq!(
                    hook.context.platform,
                    first("OptPlatform").map(|p| OptPlatform::parse(&p))
                );
            }
        }
        Ok(())
    });
}

/// Encodings of a valid request that mean the same thing.
#[derive(Debug, Clone)]
struct Variant {
    order: Vec<usize>,
    name_case: [u64; 8],
    encoding: [u64; 8],
    sign_case: u64,
    contenttype: Option<u64>,
    alias: bool,
    client_ip: Option<String>,
    platform: Option<String>,
    extras: Vec<(String, String)>,
    time_offset: i64,
    path: String,
}

fn variant() -> impl Strategy<Value = Variant> {
    (
        Just((0..7).collect::<Vec<usize>>()).prop_shuffle(),
        any::<[u64; 8]>(),
        any::<[u64; 8]>(),
        any::<u64>(),
        prop::option::of(any::<u64>()),
        any::<bool>(),
        prop::option::of("\\PC{0,24}"),
        prop::option::of(prop_oneof![
            select(vec![
                "RESTAPI", "Web", "Android", "iOS", "IOS", "iOs", "Mac", "macOS", "iPad", "Unknown"
            ])
            .prop_map(str::to_owned),
            "\\PC{0,12}",
        ]),
        prop::collection::vec(("x[a-zA-Z0-9_]{0,8}", "\\PC{0,12}"), 0..4),
        -60i64..=60,
        "(/[a-zA-Z0-9._~-]{0,12}){0,4}",
    )
        .prop_map(
            |(
                order,
                name_case,
                encoding,
                sign_case,
                contenttype,
                alias,
                client_ip,
                platform,
                extras,
                time_offset,
                path,
            )| Variant {
                order,
                name_case,
                encoding,
                sign_case,
                contenttype,
                alias,
                client_ip,
                platform,
                extras,
                time_offset,
                path,
            },
        )
}

/// Shuffled parameter order, percent-encoded names and values, any name case, upper-case
/// hex in Sign, `contenttype` in any case or absent, the `WebhookCommand` alias, optional
/// `ClientIP`/`OptPlatform` with any value, unknown extra parameters and any path: still the
/// same valid request, accepted and delivered with the same context.
#[test]
fn equivalent_encodings_of_a_valid_request_are_accepted() {
    let h = Harness::new();
    run(512, variant(), |v| {
        let time = NOW.checked_add_signed(v.time_offset).unwrap();
        let mut named: Vec<(&str, Option<String>)> = vec![
            ("SdkAppid", Some(APP.to_string())),
            (
                if v.alias {
                    "WebhookCommand"
                } else {
                    "CallbackCommand"
                },
                Some(CMD.to_owned()),
            ),
            ("contenttype", v.contenttype.map(|s| mix_case("json", s))),
            ("ClientIP", v.client_ip.clone()),
            ("OptPlatform", v.platform.clone()),
            ("Sign", Some(mix_case(&sign(TOKEN, time), v.sign_case))),
            ("RequestTime", Some(time.to_string())),
        ];
        let mut parts: Vec<String> = Vec::new();
        for &i in &v.order {
            let (name, value) = std::mem::take(&mut named[i]);
            if let Some(value) = value {
                let name = mix_case(name, v.name_case[i]);
                parts.push(format!(
                    "{}={}",
                    percent_encode(&name, v.encoding[i]),
                    percent_encode(&value, v.encoding[i].rotate_left(32))
                ));
            }
        }
        for (k, (name, value)) in v.extras.iter().enumerate() {
            let seed = v.encoding[7].rotate_left(k as u32);
            let at = (seed as usize) % (parts.len() + 1);
            parts.insert(
                at,
                format!(
                    "{}={}",
                    percent_encode(name, seed),
                    percent_encode(value, !seed)
                ),
            );
        }
        let query = parts.join("&");
        let mut request = post(&query, BODY);
        let path = if v.path.is_empty() { "/" } else { &v.path };
        *request.uri_mut() = format!("{path}?{query}").parse().unwrap();
        let outcome = h.send(request)?;
        let Outcome::Delivered(hook) = outcome else {
            return Err(TestCaseError::fail(format!("{query}: {outcome:?}")));
        };
        prop_assert_eq!(hook.context.sdk_app_id, APP);
        prop_assert_eq!(&hook.context.command, CMD);
        prop_assert_eq!(hook.context.request_time, Some(time));
        prop_assert_eq!(&hook.context.client_ip, &v.client_ip);
        prop_assert_eq!(
            hook.context.platform,
            v.platform.as_deref().map(OptPlatform::parse)
        );
        prop_assert_eq!(&hook.context.raw_body[..], BODY.as_bytes());
        Ok(())
    });
}

/// A command this version delivers as an unknown event.
fn unknown_command() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Room.CallbackAfterCreateRoom".to_owned()),
        Just("Group.CallbackAfterNewMemberJoin".to_owned()),
        "[A-Z][a-zA-Z]{0,8}\\.Callback[A-Za-z]{0,16}",
    ]
    .prop_filter("not a typed command", |c| {
        !c.contains("RecordingChanged")
            && !c.contains("RecordChanged")
            && !tencent_webhook_core::command::TYPED.contains(&c.as_str())
    })
}

#[derive(Debug, Clone)]
enum BodyCase {
    /// Any JSON object without a `CallbackCommand`: delivered as is.
    Object(Map<String, Value>),
    /// Any JSON value that is not an object.
    NotAnObject(Value),
    /// `{"a": <depth nested arrays or objects>}`.
    Deep(usize, bool),
    /// Anything at all.
    Bytes(Vec<u8>),
}

/// Bodies behind a valid signature, for an unknown command: objects are delivered with
/// their JSON intact, other JSON values are `NotAnObject`, nesting within serde_json's limit
/// is delivered and far past it is `InvalidJson`; anything else is refused as a 400 or
/// 413, never a panic or a 5xx.
#[test]
fn bodies_behind_a_valid_signature_are_decoded_or_refused() {
    let h = Harness::new();
    let case = prop_oneof![
        json_value()
            .prop_filter_map("an object", |v| match v {
                Value::Object(mut m) => {
                    m.remove("CallbackCommand");
                    Some(m)
                }
                _ => None,
            })
            .prop_map(BodyCase::Object),
        json_value()
            .prop_filter("not an object", |v| !v.is_object())
            .prop_map(BodyCase::NotAnObject),
        (
            prop_oneof![
                select(vec![0usize, 1, 2, 126, 127, 128, 129, 130]),
                0usize..6000
            ],
            any::<bool>()
        )
            .prop_map(|(d, o)| BodyCase::Deep(d, o)),
        body().prop_map(BodyCase::Bytes),
    ];
    run(512, (unknown_command(), case), |(command, case)| {
        let mut params = signed_params(APP, TOKEN, NOW);
        set(&mut params, "CallbackCommand", command.clone());
        let body = match &case {
            BodyCase::Object(m) => serde_json::to_vec(m).unwrap(),
            BodyCase::NotAnObject(v) => serde_json::to_vec(v).unwrap(),
            BodyCase::Deep(d, o) => format!(r#"{{"a":{}}}"#, nested(*d, *o)).into_bytes(),
            BodyCase::Bytes(b) => b.clone(),
        };
        let too_large = body.len() > BODY_LIMIT;
        let outcome = h.send(post(&encode(&params), body))?;
        match (&case, &outcome) {
            (BodyCase::Object(m), Outcome::Delivered(hook)) => match &hook.event {
                Event::Unknown(u) => {
                    prop_assert_eq!(&u.command, &command);
                    prop_assert_eq!(&u.json, m);
                }
                e => return Err(TestCaseError::fail(format!("{e:?}"))),
            },
            (BodyCase::NotAnObject(_), Outcome::Rejected(Rejection::NotAnObject)) => {}
            (BodyCase::Deep(d, _), Outcome::Delivered(_)) => {
                prop_assert!(*d < 200, "{d} levels delivered");
            }
            (BodyCase::Deep(d, _), Outcome::Rejected(r)) => {
                prop_assert!(*d > 100, "{d} levels refused: {r:?}");
                let expected = if too_large {
                    Rejection::BodyTooLarge
                } else {
                    Rejection::InvalidJson
                };
                prop_assert_eq!(*r, expected);
            }
            (BodyCase::Bytes(_), Outcome::Delivered(_)) => {}
            (BodyCase::Bytes(_), Outcome::Rejected(r)) => prop_assert!(
                matches!(
                    r,
                    Rejection::InvalidJson
                        | Rejection::NotAnObject
                        | Rejection::CommandMismatch
                        | Rejection::BodyTooLarge
                ),
                "{:?}",
                r
            ),
            (case, outcome) => {
                return Err(TestCaseError::fail(format!(
                    "{case:?} answered {outcome:?}"
                )));
            }
        }
        Ok(())
    });
}

/// The same for the typed recording commands: hostile bodies are a 400 or 413, never a panic
/// or a 5xx, and nesting hidden in fields the decoder skips or keeps raw is handled too.
#[test]
fn hostile_bodies_for_typed_commands_are_refused_cleanly() {
    let h = Harness::new();
    let command = select(vec![
        "Follow.CallbackAfterCloudRecordingChanged",
        "Live.CallbackAfterCloudRecordingChanged",
        "Call.CallbackAfterRecordChanged",
        "Call.CallbackAfterCloudRecordingChanged",
    ]);
    let body = prop_oneof![
        body(),
        (0usize..6000, any::<bool>(), any::<u32>()).prop_map(|(d, o, t)| {
            // Nesting in a skipped field, and in the raw payload of an event type.
            format!(
                r#"{{"Junk":{},"EventType":{},"EventInfo":{{"Payload":{}}}}}"#,
                nested(d.min(3000), o),
                t % 1000,
                nested(d.min(3000), !o)
            )
            .into_bytes()
        }),
    ];
    run(512, (command, body), |(command, body)| {
        let mut params = signed_params(APP, TOKEN, NOW);
        set(&mut params, "CallbackCommand", command.to_owned());
        let outcome = h.send(post(&encode(&params), body))?;
        if let Outcome::Rejected(r) = outcome {
            prop_assert!(
                r.status() == StatusCode::BAD_REQUEST || r == Rejection::BodyTooLarge,
                "{:?}",
                r
            );
        }
        Ok(())
    });
}

// ---- callback faults under concurrent load (item 3) --------------------------------------

/// What one scripted callback does.
#[derive(Debug, Clone)]
enum Behaviour {
    Ok,
    Fail(i64, String),
    /// Panics when called, before returning a future.
    PanicInCall,
    /// Panics while the future runs.
    PanicInFuture,
    Error(String),
    /// Finishes after this many milliseconds, within the deadline.
    Sleep(u64),
    /// Never finishes within the deadline.
    Slow,
}

/// The payload of a panic this test causes on purpose (kept out of the test output).
struct ExpectedPanic;

fn silence_expected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<ExpectedPanic>() {
                default(info);
            }
        }));
    });
}

#[derive(Clone)]
struct Scripted {
    script: Arc<Vec<Behaviour>>,
    calls: Arc<Vec<AtomicUsize>>,
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<Ack, std::io::Error>> + Send>>;

impl Service<Webhook> for Scripted {
    type Response = Ack;
    type Error = std::io::Error;
    type Future = BoxFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, hook: Webhook) -> BoxFuture {
        let i: usize = hook.context.client_ip.unwrap().parse().unwrap();
        self.calls[i].fetch_add(1, Ordering::SeqCst);
        let behaviour = self.script[i].clone();
        if let Behaviour::PanicInCall = behaviour {
            std::panic::panic_any(ExpectedPanic);
        }
        Box::pin(async move {
            match behaviour {
                Behaviour::Ok | Behaviour::PanicInCall => Ok(Ack::ok()),
                Behaviour::Fail(code, info) => Ok(Ack::fail(code, info)),
                Behaviour::PanicInFuture => {
                    tokio::task::yield_now().await;
                    std::panic::panic_any(ExpectedPanic)
                }
                Behaviour::Error(e) => Err(std::io::Error::other(e)),
                Behaviour::Sleep(ms) => {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Ok(Ack::ok())
                }
                Behaviour::Slow => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok(Ack::ok())
                }
            }
        })
    }
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    prop_oneof![
        4 => Just(Behaviour::Ok),
        2 => (any::<i64>(), "\\PC{0,16}").prop_map(|(c, i)| Behaviour::Fail(c, i)),
        1 => Just(Behaviour::PanicInCall),
        1 => Just(Behaviour::PanicInFuture),
        1 => "\\PC{0,16}".prop_map(Behaviour::Error),
        2 => (0u64..1400).prop_map(Behaviour::Sleep),
        2 => Just(Behaviour::Slow),
    ]
}

/// Up to 64 concurrent requests whose callbacks succeed, answer FAIL, panic, fail or
/// overrun the deadline: each gets its own documented answer (200 OK, 200 FAIL with its
/// code, 500, 500, 503), every callback runs exactly once, the whole batch is answered by
/// the deadline (virtual time), and the service keeps serving afterwards.
#[test]
fn callback_faults_under_concurrent_load_get_their_answers_by_the_deadline() {
    silence_expected_panics();
    const DEADLINE: Duration = Duration::from_millis(1500);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let config = WebhookConfig::builder()
        .app(SdkApp::new(APP).token(TOKEN))
        .callback_deadline(Some(DEADLINE))
        .clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
        .build()
        .unwrap();
    run(96, prop::collection::vec(behaviour(), 1..=64), |script| {
        let n = script.len();
        let calls: Arc<Vec<AtomicUsize>> = Arc::new((0..=n).map(|_| AtomicUsize::new(0)).collect());
        let mut full_script = script.clone();
        full_script.push(Behaviour::Ok); // the follow-up request
        let service = WebhookService::new(
            config.clone(),
            Scripted {
                script: Arc::new(full_script),
                calls: calls.clone(),
            },
        );
        let request = |i: usize| {
            let mut params = signed_params(APP, TOKEN, NOW);
            set(&mut params, "ClientIP", i.to_string());
            post(&encode(&params), BODY)
        };
        let (answers, elapsed, after) = rt.block_on(async {
            let start = tokio::time::Instant::now();
            let answers = futures_util::future::join_all((0..n).map(|i| {
                let service = service.clone();
                let request = request(i);
                async move { read_envelope(service.oneshot(request).await.unwrap()).await }
            }))
            .await;
            let elapsed = start.elapsed();
            let after = read_envelope(service.clone().oneshot(request(n)).await.unwrap()).await;
            (answers, elapsed, after)
        });
        for (i, (answer, behaviour)) in answers.into_iter().zip(&script).enumerate() {
            let (status, headers, envelope) = answer?;
            prop_assert_eq!(calls[i].load(Ordering::SeqCst), 1, "callback {} calls", i);
            match behaviour {
                Behaviour::Ok | Behaviour::Sleep(_) => {
                    prop_assert_eq!(status, StatusCode::OK);
                    prop_assert_eq!(&envelope, &("OK".to_owned(), 0, String::new()));
                }
                Behaviour::Fail(code, info) => {
                    prop_assert_eq!(status, StatusCode::OK);
                    prop_assert_eq!(&envelope, &("FAIL".to_owned(), *code, info.clone()));
                }
                other => {
                    let expected = match other {
                        Behaviour::PanicInCall | Behaviour::PanicInFuture => {
                            Rejection::CallbackPanicked
                        }
                        Behaviour::Error(_) => Rejection::CallbackError,
                        _ => Rejection::CallbackTimeout,
                    };
                    prop_assert_eq!(rejection_of(status, &headers, &envelope)?, expected);
                }
            }
        }
        let any_slow = script.iter().any(|b| matches!(b, Behaviour::Slow));
        let longest = script
            .iter()
            .map(|b| match b {
                Behaviour::Sleep(ms) => Duration::from_millis(*ms),
                Behaviour::Slow => DEADLINE,
                _ => Duration::ZERO,
            })
            .max()
            .unwrap();
        prop_assert!(elapsed >= longest, "{elapsed:?} < {longest:?}");
        prop_assert!(
            elapsed <= longest + Duration::from_millis(5),
            "batch took {elapsed:?}, slow: {any_slow}"
        );
        let (status, _, envelope) = after?;
        prop_assert_eq!(status, StatusCode::OK);
        prop_assert_eq!(envelope.0, "OK");
        prop_assert_eq!(calls[n].load(Ordering::SeqCst), 1);
        Ok(())
    });
}
