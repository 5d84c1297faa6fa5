//! Secrets stay secret (issue 7, item 5): callback tokens never appear in `Debug` output or
//! in logs (captured at TRACE level), nor do valid signatures, bodies or client IPs;
//! attacker-controlled strings are escaped in logs; and a malformed or wrong-length `Sign`
//! is refused exactly like a well-formed wrong one.
//!
//! Why the last holds: `signature::verify` decodes `Sign` into a zeroed 32-byte buffer and
//! records whether it was 64 hex digits in a `subtle::Choice`; then, whatever the outcome
//! of the decoding, it computes every configured token's digest and compares each with the
//! buffer through `ConstantTimeEq`, and only after all comparisons branches on
//! `well_formed & matched`. There is no early return between reading `Sign` and that
//! branch. The only input-dependent branch before it (the length test that decides
//! whether to hex-decode) depends on the attacker's own input, never on a token. These
//! tests check what the public API can show: the same answer, byte for byte, and the same
//! log lines. No test here measures time.
#![forbid(unsafe_code)]

use std::convert::Infallible;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tencent_webhook_core::test_util::{TestRequest, samples};
use tencent_webhook_core::{
    Ack, ConfigError, Rejection, SdkApp, Webhook, WebhookConfig, WebhookLayer, WebhookResponse,
    WebhookService, sign,
};
use tokio::runtime::Runtime;
use tower::ServiceExt;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

const APP: u64 = 1_400_000_000;
const UNSIGNED_APP: u64 = 1_400_000_009;
const NEW_TOKEN: &str = "new-Token-7f3a9c1e5b";
const OLD_TOKEN: &str = "old-Token-2d8b4e6a0c";
const NOW: u64 = 1_669_872_112;
const CMD: &str = "Follow.CallbackAfterCloudRecordingChanged";
/// Put into every body; must never reach the logs.
const BODY_MARKER: &str = "BODY-MARKER-e4c1a7";
/// Sent as `ClientIP`; personal data, must never reach the logs.
const IP_MARKER: &str = "203.0.113.77";

// ---- capturing tracing output ------------------------------------------------------------

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// One test at a time. A subscriber set with `with_default` is per thread, but tracing
/// caches each callsite's interest process-wide; a callsite first hit on one thread while
/// another thread is registering its subscriber can be cached as "never" and vanish from
/// the capture (tracing-core's known race between the two registrations). With one
/// global subscriber, as in an application, this cannot happen.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Run `f` under a TRACE-level fmt subscriber that writes to memory (span events
/// included when `spans`); return `f`'s result and everything the subscriber wrote.
fn capture<T>(spans: bool, f: impl FnOnce() -> T) -> (T, String) {
    capture_at(tracing::Level::TRACE, spans, f)
}

/// [`capture`] under a subscriber of `level`.
fn capture_at<T>(level: tracing::Level, spans: bool, f: impl FnOnce() -> T) -> (T, String) {
    // Refusal lines are rate-limited process-wide: each capture starts afresh.
    tencent_webhook_core::test_util::reset_log_rate_limits();
    let out = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_span_events(if spans { FmtSpan::FULL } else { FmtSpan::NONE })
        .with_ansi(false)
        .without_time()
        .with_writer(out.clone())
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    (result, text)
}

// ---- the service under test --------------------------------------------------------------

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

fn config() -> WebhookConfig {
    WebhookConfig::builder()
        // Rotation in progress: both tokens verify.
        .app(SdkApp::new(APP).token(NEW_TOKEN).token(OLD_TOKEN))
        .app(SdkApp::new(UNSIGNED_APP))
        .body_limit(4096)
        .clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
        .build()
        .unwrap()
}

fn body() -> String {
    samples::RECORDING_CHANGED.replace("user1", BODY_MARKER)
}

/// The payload of the panic the callback causes on purpose (kept out of the test output).
struct ExpectedPanic;

fn silence_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<ExpectedPanic>() {
                default(info);
            }
        }));
    });
}

/// A callback steered by `ClientIP`: `fail` answers FAIL, `panic` panics, anything else OK.
fn service(config: WebhookConfig) -> impl Endpoint {
    silence_expected_panics();
    WebhookService::from_fn(config, |hook: Webhook| async move {
        match hook.context.client_ip.as_deref() {
            Some("fail") => Ack::fail(7, "callback says no"),
            Some("panic") => std::panic::panic_any(ExpectedPanic),
            _ => Ack::ok(),
        }
    })
}

fn query(app: u64, command: &str, client_ip: &str, sign: &str, time: u64) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("SdkAppid", &app.to_string())
        .append_pair("CallbackCommand", command)
        .append_pair("contenttype", "json")
        .append_pair("ClientIP", client_ip)
        .append_pair("OptPlatform", "RESTAPI")
        .append_pair("Sign", sign)
        .append_pair("RequestTime", &time.to_string());
    q.finish()
}

fn post(query: &str, body: &str) -> Request<Full<Bytes>> {
    Request::post(format!("/callback?{query}"))
        .header(header::CONTENT_LENGTH, body.len())
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .unwrap()
}

/// What a webhook endpoint is to these tests.
trait Endpoint:
    tower::Service<Request<Full<Bytes>>, Response = WebhookResponse, Error = Infallible> + Clone
{
}

impl<S> Endpoint for S where
    S: tower::Service<Request<Full<Bytes>>, Response = WebhookResponse, Error = Infallible> + Clone
{
}

/// Status, headers and body of the answer.
fn send(
    rt: &Runtime,
    service: &impl Endpoint,
    request: Request<Full<Bytes>>,
) -> (StatusCode, http::HeaderMap, Bytes) {
    rt.block_on(async {
        let response = service.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        (
            parts.status,
            parts.headers,
            body.collect().await.unwrap().to_bytes(),
        )
    })
}

// ---- Debug -------------------------------------------------------------------------------

fn run<S>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    if let Err(e) = TestRunner::new(config).run(&strategy, test) {
        panic!("{e}");
    }
}

/// Tokens long enough that they cannot turn up in Debug output by chance.
fn secret() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_.~-]{12,128}",
        "\\PC{12,32}".prop_filter("at most 128 bytes", |t| t.len() <= 128),
    ]
}

/// `Debug` (plain and pretty) of every public value that holds or has seen a token:
/// `SdkApp`, `WebhookConfigBuilder`, `WebhookConfig`, `WebhookService`, `WebhookLayer`,
/// `TestRequest`, an `Admission` and a delivered `WebhookContext`. None shows a token or a
/// valid signature, and the context shows the body's size, not its content.
#[test]
fn debug_output_never_shows_tokens() {
    let _serial = serial();
    let rt = runtime();
    run(256, prop::collection::vec(secret(), 1..4), |tokens| {
        let app = tokens
            .iter()
            .fold(SdkApp::new(APP), |app, t| app.token(t.clone()));
        let builder = WebhookConfig::builder()
            .app(app.clone())
            .clock(|| UNIX_EPOCH + Duration::from_secs(NOW));
        let builder_debug = format!("{builder:?} {builder:#?}");
        let config = builder.build().unwrap();
        let seen = Arc::new(Mutex::new(None));
        let seen2 = seen.clone();
        let service = WebhookService::from_fn(config.clone(), move |hook: Webhook| {
            *seen2.lock().unwrap() = Some(hook);
            async { Ack::ok() }
        });
        let layer = WebhookLayer::new(config.clone());
        let test_request = TestRequest::new(APP, CMD, body())
            .token(tokens[0].clone())
            .request_time(NOW);
        let valid_sign = sign(&tokens[0], NOW);
        let uri: http::Uri = test_request.path_and_query().parse().unwrap();
        let admission = service
            .admit(&Method::POST, &uri, &http::HeaderMap::new())
            .unwrap();
        let admission_debug = format!("{admission:?} {admission:#?}");
        drop(admission);
        let ((status, _, _), _) = capture(false, || {
            send(&rt, &service, test_request.clone().into_request())
        });
        prop_assert_eq!(status, StatusCode::OK);
        let hook = seen.lock().unwrap().take().unwrap();

        let outputs = [
            ("SdkApp", format!("{app:?} {app:#?}")),
            ("WebhookConfigBuilder", builder_debug),
            ("WebhookConfig", format!("{config:?} {config:#?}")),
            ("WebhookService", format!("{service:?} {service:#?}")),
            ("WebhookLayer", format!("{layer:?} {layer:#?}")),
            ("TestRequest", format!("{test_request:?} {test_request:#?}")),
            ("Admission", admission_debug),
            (
                "WebhookContext",
                format!("{:?} {:#?}", hook.context, hook.context),
            ),
        ];
        for (what, debug) in &outputs {
            prop_assert!(!debug.is_empty());
            for token in &tokens {
                prop_assert!(
                    !debug.contains(token.as_str()),
                    "{what} shows a token: {debug}"
                );
            }
            prop_assert!(
                !debug.contains(&valid_sign),
                "{what} shows the Sign: {debug}"
            );
        }
        // The redaction is what hides them (the values are there, redacted).
        for (what, debug) in &outputs[..6] {
            prop_assert!(debug.contains("redacted"), "{what}: {debug}");
        }
        let context = &outputs[7].1;
        prop_assert!(!context.contains(BODY_MARKER), "{context}");
        prop_assert!(
            context.contains(&format!("[{} bytes]", body().len())),
            "{context}"
        );
        Ok(())
    });
}

/// A refused token is not echoed by the configuration error.
#[test]
fn config_errors_do_not_echo_tokens() {
    let _serial = serial();
    let long = format!("{NEW_TOKEN}{}", "x".repeat(128));
    let error = WebhookConfig::builder()
        .app(SdkApp::new(APP).token(long.clone()))
        .build()
        .unwrap_err();
    assert_eq!(error, ConfigError::InvalidToken(APP));
    let text = format!("{error} {error:?}");
    assert!(!text.contains(NEW_TOKEN), "{text}");
    assert!(text.contains(&APP.to_string()), "{text}");
}

// ---- logs --------------------------------------------------------------------------------

/// Every kind of answer, logged at TRACE with span events: the logs name the outcome and
/// the rejection reason, and never contain a token, a valid signature, the body or the
/// client IP.
#[test]
fn trace_logs_hold_reasons_but_no_tokens_signatures_bodies_or_client_ips() {
    let _serial = serial();
    let body = body();
    let new_sign = sign(NEW_TOKEN, NOW);
    let old_sign = sign(OLD_TOKEN, NOW);
    let stale_sign = sign(NEW_TOKEN, NOW - 3600);
    let cases: Vec<(Request<Full<Bytes>>, StatusCode, &str)> = vec![
        (
            post(&query(APP, CMD, IP_MARKER, &new_sign, NOW), &body),
            StatusCode::OK,
            "webhook delivered",
        ),
        (
            post(&query(APP, CMD, IP_MARKER, &old_sign, NOW), &body),
            StatusCode::OK,
            "webhook delivered",
        ),
        (
            post(&query(APP, CMD, "fail", &new_sign, NOW), &body),
            StatusCode::OK,
            "callback answered FAIL",
        ),
        (
            post(
                &query(APP, CMD, IP_MARKER, &sign("guessed-token", NOW), NOW),
                &body,
            ),
            StatusCode::UNAUTHORIZED,
            "Sign does not match",
        ),
        // A token sent as the Sign itself is not logged either.
        (
            post(&query(APP, CMD, IP_MARKER, NEW_TOKEN, NOW), &body),
            StatusCode::UNAUTHORIZED,
            "Sign does not match",
        ),
        (
            post(&query(APP, CMD, IP_MARKER, &stale_sign, NOW - 3600), &body),
            StatusCode::UNAUTHORIZED,
            "RequestTime is outside the accepted window",
        ),
        (
            post(&query(1_499_999_999, CMD, IP_MARKER, &new_sign, NOW), &body),
            StatusCode::FORBIDDEN,
            "SdkAppid is not accepted here",
        ),
        (
            post(
                &query(APP, CMD, IP_MARKER, &new_sign, NOW),
                &format!(r#"{{"CallbackCommand":"{BODY_MARKER}","EventInfo":{{}}}}"#),
            ),
            StatusCode::BAD_REQUEST,
            "body CallbackCommand does not match the query",
        ),
        (
            post(
                &query(APP, CMD, IP_MARKER, &new_sign, NOW),
                &format!("{{\"{BODY_MARKER}\""),
            ),
            StatusCode::BAD_REQUEST,
            "body is not valid JSON",
        ),
        (
            post(
                &query(APP, CMD, IP_MARKER, &new_sign, NOW),
                &format!("{body:4097}"),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body exceeds the size limit",
        ),
        (
            post(&query(APP, CMD, "panic", &new_sign, NOW), &body),
            StatusCode::INTERNAL_SERVER_ERROR,
            "callback panicked",
        ),
    ];
    let (answers, logs) = capture(true, || {
        let rt = runtime();
        let service = service(config());
        cases
            .into_iter()
            .map(|(request, status, reason)| {
                let (got, _, body) = send(&rt, &service, request);
                (got, status, reason, body)
            })
            .collect::<Vec<_>>()
    });
    for (got, status, reason, body) in &answers {
        assert_eq!(got, status, "{reason}: {body:?}");
        assert!(logs.contains(reason), "no {reason:?} in the logs:\n{logs}");
        assert!(
            logs.contains(&format!("status={}", status.as_u16())),
            "no status {status} in the logs:\n{logs}"
        );
    }
    assert!(logs.contains("outcome=\"rejected\""), "{logs}");
    assert!(logs.contains("outcome=\"ok\""), "{logs}");
    assert!(logs.contains(&format!("sdk_app_id={APP}")), "{logs}");
    // And the secrets are absent.
    for secret in [
        NEW_TOKEN,
        OLD_TOKEN,
        &new_sign,
        &old_sign,
        &stale_sign,
        BODY_MARKER,
        IP_MARKER,
    ] {
        assert!(!logs.contains(secret), "{secret:?} in the logs:\n{logs}");
    }
    assert!(
        !logs.contains("-m9-bVVU7id"),
        "body content in the logs:\n{logs}"
    );
}

/// The `CallbackCommand` of an unauthenticated request is logged (so an operator can see
/// what was refused), but escaped: a newline, carriage return or terminal escape in it
/// cannot forge a log line or colour the terminal.
#[test]
fn attacker_strings_are_escaped_in_logs() {
    let _serial = serial();
    let command = "Live.X\n2038-01-19T03:14:07Z ERROR forged line\r\u{1b}[31mred\u{0}";
    let (status, logs) = capture(true, || {
        let rt = runtime();
        let (status, _, _) = send(
            &rt,
            &service(config()),
            post(&query(1_499_999_999, command, IP_MARKER, "x", NOW), "{}"),
        );
        status
    });
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        logs.contains(r#"Live.X\n2038-01-19T03:14:07Z ERROR forged line\r\u{1b}[31mred\0"#),
        "{logs}"
    );
    assert!(
        !logs.contains('\u{1b}') && !logs.contains('\r') && !logs.contains('\0'),
        "{logs:?}"
    );
    for line in logs.lines() {
        let level = line.trim_start().split(' ').next().unwrap_or("");
        assert!(
            ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level),
            "a line not written by the subscriber: {line:?}"
        );
    }
}

/// Under an INFO subscriber the request span (DEBUG by default) is off, and costs nothing;
/// each refusal and FAIL line then names the app, the (escaped) command, the outcome, the
/// status and the latency itself, and a delivered request logs nothing. With
/// `span_level(INFO)` the same fields come from the span, on every line inside it.
#[test]
fn info_subscriber_lines_name_the_request_without_the_span() {
    let _serial = serial();
    let rt = runtime();
    let forged = "Live.X\nERROR forged\u{1b}[31m";
    let (statuses, logs) = capture_at(tracing::Level::INFO, false, || {
        let service = service(config());
        let wrong = "0".repeat(64);
        let valid = sign(NEW_TOKEN, NOW);
        [
            send(
                &rt,
                &service,
                post(&query(APP, CMD, IP_MARKER, &valid, NOW), &body()),
            )
            .0,
            send(
                &rt,
                &service,
                post(&query(APP, CMD, IP_MARKER, &wrong, NOW), &body()),
            )
            .0,
            send(
                &rt,
                &service,
                post(&query(APP, CMD, "fail", &valid, NOW), &body()),
            )
            .0,
            send(
                &rt,
                &service,
                post(&query(APP, CMD, IP_MARKER, &valid, NOW), "[1]"),
            )
            .0,
            send(
                &rt,
                &service,
                post(&query(1, forged, IP_MARKER, &valid, NOW), "{}"),
            )
            .0,
        ]
    });
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::UNAUTHORIZED,
            StatusCode::OK,
            StatusCode::BAD_REQUEST,
            StatusCode::FORBIDDEN
        ]
    );
    // (The service's own start-up warning about the unsigned app aside.)
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains(" webhook ")).collect();
    assert_eq!(
        lines.len(),
        4,
        "one line per refusal or FAIL, none for the delivery:\n{logs}"
    );
    assert!(
        !logs.contains("tencent_webhook{"),
        "no span at INFO by default:\n{logs}"
    );
    let expect = [
        ("WARN", APP, CMD, 401, "40102"),
        ("INFO", APP, CMD, 200, "7"),
        ("WARN", APP, CMD, 400, "40005"),
    ];
    for (line, (level, app, command, status, code)) in lines.iter().zip(expect) {
        assert!(line.trim_start().starts_with(level), "{line}");
        for part in [
            format!("sdk_app_id={app}"),
            format!("command={command:?}"),
            format!("status={status}"),
            format!("error_code={code}"),
            "latency_us=".to_owned(),
        ] {
            assert!(line.contains(&part), "no {part} in {line}");
        }
    }
    assert!(
        lines[3].contains(r#"command="Live.X\nERROR forged\u{1b}[31m""#),
        "{}",
        lines[3]
    );
    assert!(lines[3].contains("sdk_app_id=1 "), "{}", lines[3]);
    for secret in [
        NEW_TOKEN,
        OLD_TOKEN,
        IP_MARKER,
        BODY_MARKER,
        &sign(NEW_TOKEN, NOW),
    ] {
        assert!(!logs.contains(secret), "{secret:?} in the logs:\n{logs}");
    }

    // Opting in: the span at INFO, its fields on the line.
    let (status, logs) = capture_at(tracing::Level::INFO, false, || {
        let config = WebhookConfig::builder()
            .app(SdkApp::new(APP).token(NEW_TOKEN))
            .clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
            .span_level(tracing::Level::INFO)
            .build()
            .unwrap();
        let wrong = "0".repeat(64);
        send(
            &rt,
            &service(config),
            post(&query(APP, CMD, IP_MARKER, &wrong, NOW), &body()),
        )
        .0
    });
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        logs.contains(&format!("tencent_webhook{{sdk_app_id={APP} command={CMD:?} outcome=\"rejected\" status=401 latency_us=")),
        "{logs}"
    );
}

/// The lines name the request whatever the subscriber's level: under WARN a panicking
/// callback's ERROR line and a 413 refused by its `Content-Length` name the command, and
/// under ERROR a 5xx line still has its latency.
#[test]
fn failure_lines_name_the_request_under_warn_and_error_subscribers() {
    let _serial = serial();
    let rt = runtime();
    let valid = sign(NEW_TOKEN, NOW);
    let (statuses, logs) = capture_at(tracing::Level::WARN, false, || {
        let service = service(config());
        let too_long = Request::post(format!(
            "/callback?{}",
            query(APP, CMD, IP_MARKER, &valid, NOW)
        ))
        .header(header::CONTENT_LENGTH, 5000)
        .body(Full::new(Bytes::new()))
        .unwrap();
        [
            send(
                &rt,
                &service,
                post(&query(APP, CMD, "panic", &valid, NOW), &body()),
            )
            .0,
            send(&rt, &service, too_long).0,
        ]
    });
    assert_eq!(
        statuses,
        [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::PAYLOAD_TOO_LARGE
        ]
    );
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains(" webhook ")).collect();
    assert_eq!(lines.len(), 2, "{logs}");
    for (line, (level, status)) in lines.iter().zip([("ERROR", 500), ("WARN", 413)]) {
        assert!(line.trim_start().starts_with(level), "{line}");
        for part in [
            format!("sdk_app_id={APP}"),
            format!("command={CMD:?}"),
            format!("status={status}"),
            "latency_us=".to_owned(),
        ] {
            assert!(line.contains(&part), "no {part} in {line}");
        }
    }

    let (status, logs) = capture_at(tracing::Level::ERROR, false, || {
        send(
            &rt,
            &service(config()),
            post(&query(APP, CMD, "panic", &valid, NOW), &body()),
        )
        .0
    });
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        logs.contains("status=500")
            && logs.contains("latency_us=")
            && logs.contains(&format!("command={CMD:?}")),
        "{logs}"
    );
}

/// A formatting layer filtered at INFO beside another layer that listens at DEBUG (an
/// exporter, say): the span is on, but the INFO layer never shows it, so its refusal lines
/// must name the request themselves.
#[test]
fn refusal_lines_name_the_request_when_another_layer_takes_the_span() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::{Layer, filter::LevelFilter};
    let _serial = serial();
    let rt = runtime();
    tencent_webhook_core::test_util::reset_log_rate_limits();
    let out = Capture::default();
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .without_time()
                .with_writer(out.clone())
                .with_filter(LevelFilter::INFO),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(io::sink)
                .with_filter(LevelFilter::DEBUG),
        );
    let wrong = "0".repeat(64);
    let status = tracing::subscriber::with_default(subscriber, || {
        send(
            &rt,
            &service(config()),
            post(&query(APP, CMD, IP_MARKER, &wrong, NOW), &body()),
        )
        .0
    });
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let logs = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("webhook rejected"))
        .unwrap_or_else(|| panic!("{logs}"));
    for part in [
        format!("sdk_app_id={APP}"),
        format!("command={CMD:?}"),
        "status=401".to_owned(),
        "latency_us=".to_owned(),
        "error_code=40102".to_owned(),
    ] {
        assert!(line.contains(&part), "no {part} in {line}");
    }
}

// ---- malformed signatures ----------------------------------------------------------------

/// The answer and the log lines for one request, with the latency masked.
fn answer_and_log(
    rt: &Runtime,
    service: &impl Endpoint,
    sign: &str,
) -> ((StatusCode, http::HeaderMap, Bytes), String) {
    let (answer, logs) = capture(false, || {
        send(
            rt,
            service,
            post(&query(APP, CMD, IP_MARKER, sign, NOW), &body()),
        )
    });
    (answer, mask_latency(&logs))
}

fn mask_latency(logs: &str) -> String {
    let mut out = String::new();
    let mut rest = logs;
    while let Some(at) = rest.find("latency_us=") {
        let (head, tail) = rest.split_at(at + "latency_us=".len());
        out.push_str(head);
        out.push('N');
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

/// Any `Sign` that is not the right one (wrong length, not hex, empty, huge, the right one
/// with something added or doubled, upper-case wrong hex) is answered exactly like a
/// well-formed wrong signature: the same 401 BadSignature answer byte for byte, and the
/// same log lines. And the presented `Sign` never shows up in the logs.
#[test]
fn malformed_signs_are_refused_exactly_like_wrong_ones() {
    let _serial = serial();
    let rt = runtime();
    let service = service(config());
    let good = sign(NEW_TOKEN, NOW);
    let (reference, reference_log) = answer_and_log(&rt, &service, &sign("wrong", NOW));
    assert_eq!(reference.0, StatusCode::UNAUTHORIZED);
    let expected = serde_json::json!({
        "ActionStatus": "FAIL",
        "ErrorCode": Rejection::BadSignature.error_code(),
        "ErrorInfo": Rejection::BadSignature.to_string(),
    });
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&reference.2).unwrap(),
        expected
    );
    assert!(
        reference_log.contains("Sign does not match"),
        "{reference_log}"
    );

    let fixed = [
        String::new(),
        "0".to_owned(),
        good[..63].to_owned(),
        format!("{good}0"),
        format!("{good}{good}"),
        format!("{good} "),
        format!(" {good}"),
        format!("{good}\0"),
        good.replace(|c: char| c.is_ascii_digit(), "z"),
        "0".repeat(64),
        "g".repeat(64),
        "é".repeat(32),
        "f".repeat(10_000),
    ];
    let check = |bad: &str| -> Result<(), TestCaseError> {
        prop_assume!(!bad.eq_ignore_ascii_case(&good));
        let (answer, log) = answer_and_log(&rt, &service, bad);
        prop_assert_eq!(&answer.0, &reference.0);
        prop_assert_eq!(&answer.1, &reference.1);
        prop_assert_eq!(&answer.2, &reference.2);
        prop_assert_eq!(&log, &reference_log);
        if bad.len() >= 16 {
            prop_assert!(!log.contains(bad));
        }
        Ok(())
    };
    for bad in &fixed {
        check(bad).unwrap_or_else(|e| panic!("Sign {bad:?}: {e}"));
    }
    run(
        256,
        prop_oneof![
            "[0-9a-f]{0,130}",
            "[0-9a-fA-F]{64}",
            "\\PC{0,80}",
            any::<Vec<u8>>().prop_map(hex::encode),
        ],
        |bad| check(&bad),
    );
}

/// The right signature in upper-case hex is the same signature, and is accepted.
#[test]
fn upper_case_hex_of_the_right_signature_is_accepted() {
    let _serial = serial();
    let rt = runtime();
    let service = service(config());
    let upper = sign(NEW_TOKEN, NOW).to_ascii_uppercase();
    let (status, _, body) = send(
        &rt,
        &service,
        post(&query(APP, CMD, IP_MARKER, &upper, NOW), &body()),
    );
    assert_eq!(status, StatusCode::OK, "{body:?}");
}

// ---- the TRTC scheme ---------------------------------------------------------------------

const TRTC_KEY_NEW: &str = "TrtcKeyNew7f3a9c1e5b";
const TRTC_KEY_OLD: &str = "TrtcKeyOld2d8b4e6a0c";

/// TRTC callback keys are secrets like tokens: never in `Debug` output, config errors or
/// logs at TRACE level, on any outcome; nor are valid signatures or body content.
#[test]
fn trtc_keys_signatures_and_bodies_stay_out_of_debug_and_logs() {
    use tencent_webhook_core::test_util::TrtcTestRequest;
    let _serial = serial();
    silence_expected_panics();
    let config = WebhookConfig::builder()
        .app(
            SdkApp::new(APP)
                .trtc_key(TRTC_KEY_NEW)
                .trtc_key(TRTC_KEY_OLD),
        )
        // The sample's own send time, so that its CallbackTs is fresh.
        .clock(|| std::time::UNIX_EPOCH + std::time::Duration::from_millis(1687770730166))
        .build()
        .unwrap();
    let bad = WebhookConfig::builder()
        .app(SdkApp::new(APP).trtc_key(format!("{TRTC_KEY_NEW} ")))
        .build()
        .unwrap_err();
    assert_eq!(bad, ConfigError::InvalidTrtcKey(APP));
    let body =
        tencent_webhook_core::test_util::samples::trtc::USER_ENTERED.replace("alice", BODY_MARKER);
    let signed = |key: &str, body: &str| TrtcTestRequest::new(APP, body.to_owned()).key(key);
    let valid = signed(TRTC_KEY_NEW, &body);
    let valid_sign = valid.sign().unwrap();
    let old_sign = signed(TRTC_KEY_OLD, &body).sign().unwrap();
    let service = WebhookService::trtc_from_fn(config.clone(), |hook: Webhook| async move {
        match hook.context.raw_body.len() {
            // The "fail" body below is the only one of this length.
            n if n == FAIL_LEN => Ack::fail(7, "callback says no"),
            _ => Ack::ok(),
        }
    });
    const FAIL_LEN: usize = 37;
    let fail_body = r#"{"EventGroupId":1,"EventType":101000}"#;
    assert_eq!(fail_body.len(), FAIL_LEN);
    let debug = format!(
        "{:?} {:#?} {:?} {:?} {:?}",
        config,
        config,
        service,
        WebhookLayer::trtc(config.clone()),
        valid
    );
    for secret in [TRTC_KEY_NEW, TRTC_KEY_OLD, &valid_sign] {
        assert!(!debug.contains(secret), "{secret:?} in Debug:\n{debug}");
    }
    let cases: Vec<(Request<Full<Bytes>>, StatusCode, &str)> = vec![
        (
            valid.clone().into_request(),
            StatusCode::OK,
            "webhook delivered",
        ),
        (
            signed(TRTC_KEY_OLD, &body).into_request(),
            StatusCode::OK,
            "webhook delivered",
        ),
        (
            signed(TRTC_KEY_NEW, fail_body).into_request(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "callback answered FAIL",
        ),
        (
            signed("GuessedKey", &body).into_request(),
            StatusCode::UNAUTHORIZED,
            "Sign does not match",
        ),
        (
            // The key itself sent as the Sign.
            Request::post("/trtc")
                .header("SdkAppId", APP)
                .header("Sign", TRTC_KEY_NEW)
                .body(Full::new(Bytes::from(body.clone())))
                .unwrap(),
            StatusCode::UNAUTHORIZED,
            "Sign does not match",
        ),
        (
            signed(TRTC_KEY_NEW, &format!("{{\"{BODY_MARKER}\"")).into_request(),
            StatusCode::BAD_REQUEST,
            "body is not valid JSON",
        ),
    ];
    let (answers, logs) = capture(true, || {
        let rt = runtime();
        cases
            .into_iter()
            .map(|(request, status, reason)| {
                let (got, _, answer) = send(&rt, &service, request);
                (got, status, reason, answer)
            })
            .collect::<Vec<_>>()
    });
    for (got, status, reason, answer) in &answers {
        assert_eq!(got, status, "{reason}: {answer:?}");
        assert!(logs.contains(reason), "no {reason:?} in the logs:\n{logs}");
        for secret in [TRTC_KEY_NEW, TRTC_KEY_OLD, BODY_MARKER] {
            assert!(
                !String::from_utf8_lossy(answer).contains(secret),
                "{secret:?} in an answer"
            );
        }
    }
    assert!(logs.contains("command=TRTC.1.103"), "{logs}");
    // A callback's FAIL is logged with the status actually sent: 500 on TRTC.
    assert!(
        logs.lines()
            .any(|l| l.contains("callback answered FAIL") && l.contains("status=500")),
        "{logs}"
    );
    for secret in [
        TRTC_KEY_NEW,
        TRTC_KEY_OLD,
        &valid_sign,
        &old_sign,
        BODY_MARKER,
    ] {
        assert!(!logs.contains(secret), "{secret:?} in the logs:\n{logs}");
    }
}
