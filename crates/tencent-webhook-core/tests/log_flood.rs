//! Floods of refusals do not flood the log: of the refusals anybody can send without a
//! secret (forged or missing signatures, unknown apps, missing or malformed query
//! parameters and headers, overload), at most one WARN line per class and second is
//! written; the others get a DEBUG line each, and the next WARN line says how many with
//! `suppressed=N`. A request that is not a `POST` is no warning at all.
//!
//! The limiter is process-wide, so every test that counts its lines is in one test
//! function (the other test here never reaches it).
#![forbid(unsafe_code)]

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use tencent_webhook_core::test_util::TestRequest;
use tencent_webhook_core::{
    Ack, Rejection, SdkApp, Webhook, WebhookConfig, WebhookResponse, WebhookService,
};
use tokio::runtime::Runtime;
use tower::ServiceExt;
use tracing_subscriber::fmt::MakeWriter;

const APP: u64 = 1_400_000_000;
const UNKNOWN_APP: u64 = 1_499_999_999;
const TOKEN: &str = "flood-Token-5c2e9a71";
/// Requests in each burst.
const BURST: usize = 100;

// ---- capturing tracing output ------------------------------------------------------------

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

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

/// One test at a time: tracing caches each callsite's interest process-wide, and a
/// callsite first hit on one thread while another registers its subscriber can vanish
/// from the capture (see tests/secrets.rs).
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Run `f` with the capture under a TRACE-level fmt subscriber writing to it.
fn capture<T>(f: impl FnOnce(&Capture) -> T) -> (T, String) {
    let out = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .without_time()
        .with_writer(out.clone())
        .finish();
    let result = tracing::subscriber::with_default(subscriber, || f(&out));
    (result, out.text())
}

// ---- the service -------------------------------------------------------------------------

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

fn service() -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = WebhookResponse,
    Error = std::convert::Infallible,
> + Clone {
    let config = WebhookConfig::builder()
        .app(SdkApp::new(APP).token(TOKEN))
        .build()
        .unwrap();
    WebhookService::from_fn(config, |_: Webhook| async { Ack::ok() })
}

fn send<S>(rt: &Runtime, service: &S, request: Request<Full<Bytes>>) -> StatusCode
where
    S: tower::Service<
            Request<Full<Bytes>>,
            Response = WebhookResponse,
            Error = std::convert::Infallible,
        > + Clone,
{
    rt.block_on(service.clone().oneshot(request))
        .unwrap()
        .status()
}

fn signed(app: u64, token: &str) -> Request<Full<Bytes>> {
    TestRequest::recording(app).token(token).into_request()
}

/// The lines about requests refused with `code`.
fn lines_of(logs: &str, code: i64) -> Vec<&str> {
    let field = format!("error_code={code}");
    logs.lines()
        .filter(|l| l.contains(" webhook ") && l.split(' ').any(|part| part == field))
        .collect()
}

fn level(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or("")
}

/// The `suppressed=N` of a line, if any.
fn suppressed(line: &str) -> Option<u64> {
    line.split(' ')
        .find_map(|part| part.strip_prefix("suppressed="))
        .map(|n| n.parse().unwrap())
}

// ---- the tests ---------------------------------------------------------------------------

/// A flood of each class (forged signatures 401, unknown app 403, malformed `SdkAppid`
/// 400, buffer budget exhausted 503): at most a couple of WARN lines per burst of 100, a
/// DEBUG line for every other refusal, and after a pause the next WARN line carries
/// `suppressed=N`, N being the DEBUG-only lines since the previous WARN line. Every held
/// back refusal is counted exactly once, and each line keeps the request's fields.
/// Refusals after authentication and callback failures are not held back.
#[test]
fn floods_of_refusals_leave_a_few_warn_lines_that_count_the_rest() {
    let _serial = serial();
    let rt = runtime();
    let service = WebhookService::from_fn(
        WebhookConfig::builder()
            .app(SdkApp::new(APP).token(TOKEN))
            .build()
            .unwrap(),
        |_: Webhook| async { Ack::ok() },
    );
    let http = service.clone();
    let forged = || signed(APP, "forged-token");
    let unknown = || signed(UNKNOWN_APP, TOKEN);
    let malformed = || {
        Request::post("/?SdkAppid=14x&CallbackCommand=Live.X")
            .body(Full::new(Bytes::from_static(b"{}")))
            .unwrap()
    };
    // A signed request admitted, then refused as the budget check would refuse it.
    let overloaded = || {
        let request = signed(APP, TOKEN);
        let (parts, _) = request.into_parts();
        let admission = service
            .admit(&parts.method, &parts.uri, &parts.headers)
            .unwrap();
        admission.reject(Rejection::BufferBudgetExhausted).status()
    };
    let floods: [(Rejection, StatusCode, &dyn Fn() -> StatusCode); 4] = [
        (Rejection::BadSignature, StatusCode::UNAUTHORIZED, &|| {
            send(&rt, &http, forged())
        }),
        (Rejection::UnknownApp, StatusCode::FORBIDDEN, &|| {
            send(&rt, &http, unknown())
        }),
        (
            Rejection::MalformedParameter("SdkAppid"),
            StatusCode::BAD_REQUEST,
            &|| send(&rt, &http, malformed()),
        ),
        (
            Rejection::BufferBudgetExhausted,
            StatusCode::SERVICE_UNAVAILABLE,
            &overloaded,
        ),
    ];

    let ((), logs) = capture(|out| {
        for (rejection, status, send) in &floods {
            for _ in 0..BURST {
                assert_eq!(send(), *status, "{rejection:?}");
            }
            // Should the burst have ended on a new second's WARN line, one more is held
            // back (the next second is far off).
            while lines_of(&out.text(), rejection.error_code())
                .last()
                .is_some_and(|l| level(l) == "WARN")
            {
                assert_eq!(send(), *status);
            }
        }
        // Not held back: a refusal after authentication, a failed callback.
        for _ in 0..5 {
            let request = TestRequest::new(APP, "Live.X", "[1]")
                .token(TOKEN)
                .into_request();
            assert_eq!(send(&rt, &http, request), StatusCode::BAD_REQUEST);
            let (parts, _) = signed(APP, TOKEN).into_parts();
            let admission = service
                .admit(&parts.method, &parts.uri, &parts.headers)
                .unwrap();
            let answer = admission.reject(Rejection::CallbackError);
            assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
        }
        // A second later, the next refusal of each class is logged, with the count.
        std::thread::sleep(Duration::from_millis(1_100));
        for (_, status, send) in &floods {
            assert_eq!(send(), *status);
        }
    });

    for (rejection, status, _) in &floods {
        let lines = lines_of(&logs, rejection.error_code());
        assert!(
            lines.len() > BURST,
            "{rejection:?}: {}\n{logs}",
            lines.len()
        );
        let warns: Vec<usize> = (0..lines.len())
            .filter(|&i| level(lines[i]) == "WARN")
            .collect();
        // The burst: one line, two if a second began during it.
        let in_burst = warns.iter().filter(|&&i| i < BURST).count();
        assert!(
            (1..=2).contains(&in_burst),
            "{rejection:?}: {in_burst} WARN lines for {BURST} refusals:\n{}",
            lines.join("\n")
        );
        assert!(warns.len() <= 3, "{rejection:?}: {warns:?}");
        let last = *lines.last().unwrap();
        assert_eq!(level(last), "WARN", "{last}");
        let held_back = lines.len() - warns.len();
        // The last WARN line counts the DEBUG lines since the WARN line before it.
        let previous = warns[warns.len() - 2];
        let since = lines.len() - 1 - previous - 1;
        assert!(since >= 1, "{rejection:?}");
        assert_eq!(suppressed(last), Some(since as u64), "{last}");
        // Every held-back refusal is counted once.
        let counted: u64 = lines.iter().filter_map(|l| suppressed(l)).sum();
        assert_eq!(counted, held_back as u64, "{rejection:?}");
        for (i, line) in lines.iter().enumerate() {
            if warns.contains(&i) {
                assert!(!line.contains("rate_limited"), "{line}");
            } else {
                assert_eq!(level(line), "DEBUG", "{line}");
                assert!(line.contains("rate_limited=true"), "{line}");
                assert!(suppressed(line).is_none(), "{line}");
            }
            for part in [
                "outcome=\"rejected\"".to_owned(),
                format!("status={}", status.as_u16()),
                "latency_us=".to_owned(),
                format!("reason={rejection}"),
            ] {
                assert!(line.contains(&part), "no {part} in {line}");
            }
            if *rejection != Rejection::MalformedParameter("SdkAppid") {
                let app = if *rejection == Rejection::UnknownApp {
                    UNKNOWN_APP
                } else {
                    APP
                };
                assert!(line.contains(&format!("sdk_app_id={app}")), "{line}");
            }
            if matches!(rejection, Rejection::BadSignature | Rejection::UnknownApp) {
                assert!(
                    line.contains("command=\"Follow.CallbackAfterCloudRecordingChanged\""),
                    "{line}"
                );
            }
        }
    }
    assert!(!logs.contains(TOKEN), "{logs}");

    let after_auth = lines_of(&logs, Rejection::NotAnObject.error_code());
    assert_eq!(after_auth.len(), 5, "{logs}");
    assert!(
        after_auth
            .iter()
            .all(|l| level(l) == "WARN" && suppressed(l).is_none())
    );
    let failed = lines_of(&logs, Rejection::CallbackError.error_code());
    assert_eq!(failed.len(), 5, "{logs}");
    assert!(
        failed
            .iter()
            .all(|l| level(l) == "ERROR" && l.contains("webhook failed"))
    );
    // The overload refusals are WARN, not ERROR.
    assert!(
        !lines_of(&logs, Rejection::BufferBudgetExhausted.error_code())
            .iter()
            .any(|l| level(l) == "ERROR")
    );
}

/// A `GET` (a health probe sent to the webhook's URL, say) is answered 405 and logged at
/// DEBUG only: no WARN line, however many come. It never reaches the limiter.
#[test]
fn a_get_is_no_warning() {
    let _serial = serial();
    let rt = runtime();
    let service = service();
    let (statuses, logs) = capture(|_| {
        let mut statuses = Vec::new();
        for uri in [
            "/".to_owned(),
            "/health".to_owned(),
            TestRequest::recording(APP)
                .token("forged-token")
                .path_and_query(),
        ] {
            for method in [Method::GET, Method::HEAD, Method::PUT] {
                let request = Request::builder()
                    .method(method)
                    .uri(&uri)
                    .body(Full::new(Bytes::new()))
                    .unwrap();
                statuses.push(send(&rt, &service, request));
            }
        }
        statuses
    });
    assert!(
        statuses
            .iter()
            .all(|&s| s == StatusCode::METHOD_NOT_ALLOWED),
        "{statuses:?}"
    );
    let lines = lines_of(&logs, Rejection::MethodNotAllowed.error_code());
    assert_eq!(lines.len(), statuses.len(), "{logs}");
    for line in &lines {
        assert_eq!(level(line), "DEBUG", "{line}");
        assert!(line.contains("status=405"), "{line}");
        assert!(!line.contains("rate_limited"), "{line}");
    }
    assert!(
        !logs.lines().any(|l| matches!(level(l), "WARN" | "ERROR")),
        "{logs}"
    );
}
