//! Shared code of the benchmarks (see `BENCHMARKS.md` at the repository root): the request
//! every benchmark sends, the middleware's configuration, and the handler a user would
//! write by hand (baseline (ii)), used by the criterion benches and by the load-test
//! servers of all three frameworks alike.
#![forbid(unsafe_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use tencent_webhook::test_util::TestRequest;
use tencent_webhook::{Ack, CallbackFn, SdkApp, Webhook, WebhookConfig, WebhookService};

/// The `SdkAppid` every benchmark request carries and every server accepts.
pub const APP_ID: u64 = 1400000000;
/// The callback token every server verifies.
pub const TOKEN: &str = "bench-callback-token";
/// The path every load-test server answers on.
pub const PATH: &str = "/tencent/callback";
/// The OK envelope, byte for byte what the middleware answers.
pub const OK_ENVELOPE: &str = r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#;
/// Body limit of the hand-written handler: the middleware's default (1 MiB).
pub const BODY_LIMIT: usize = tencent_webhook::DEFAULT_BODY_LIMIT;
/// Replay window of the hand-written handler: the middleware's default (60 s).
pub const REPLAY_WINDOW_SECS: u64 = tencent_webhook::DEFAULT_REPLAY_WINDOW.as_secs();

/// Now, in Unix seconds.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The seed sample (`Follow.CallbackAfterCloudRecordingChanged`, event 305) exactly as
/// Tencent sends it to [`PATH`], signed with [`TOKEN`] at the current time. The signature
/// is valid for the default 60 s replay window, so sign afresh for every run.
pub fn signed_request() -> TestRequest {
    TestRequest::recording(APP_ID)
        .token(TOKEN)
        .request_time(now_secs())
        .path(PATH)
}

/// The middleware's configuration: one app with [`TOKEN`], every other setting at its
/// default (system clock, 60 s replay window, 1 MiB body limit, 5 s body timeout).
pub fn core_config() -> WebhookConfig {
    WebhookConfig::builder()
        .app(SdkApp::new(APP_ID).token(TOKEN))
        .build()
        .expect("valid configuration")
}

/// The callback of the middleware variant: acknowledges at once (the hand-written handler
/// does no more with its `Value`).
pub type AckCallback = fn(Webhook) -> std::future::Ready<Ack>;

/// The middleware with token verification on, and a callback that answers OK.
pub fn core_service() -> WebhookService<CallbackFn<AckCallback>> {
    fn ack(_hook: Webhook) -> std::future::Ready<Ack> {
        std::future::ready(Ack::ok())
    }
    WebhookService::from_fn(core_config(), ack as AckCallback)
}

/// Baseline (ii): the webhook handler people write by hand, framework-neutral so every
/// framework runs the same code. It is careful, not naive: a real
/// `application/x-www-form-urlencoded` parser for the query, the `SdkAppid` check, the
/// SHA-256 `Sign` computed without allocating and compared in constant time, the replay
/// window, the body parsed into a `serde_json::Value`, its `CallbackCommand` checked, and
/// the envelope built with `json!`.
pub mod hand {
    use serde_json::{Value, json};
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;

    use crate::{APP_ID, REPLAY_WINDOW_SECS, TOKEN, now_secs};

    /// What the hand-written handler checks against.
    #[derive(Debug, Clone)]
    pub struct HandConfig {
        /// The only accepted `SdkAppid`.
        pub app_id: u64,
        /// The callback token.
        pub token: String,
        /// The replay window, in seconds.
        pub window_secs: u64,
    }

    impl Default for HandConfig {
        /// The benchmark's app, token and the 60 s window.
        fn default() -> Self {
            Self {
                app_id: APP_ID,
                token: TOKEN.to_owned(),
                window_secs: REPLAY_WINDOW_SECS,
            }
        }
    }

    fn fail(status: u16, code: i64, info: &str) -> (u16, Value) {
        (
            status,
            json!({"ActionStatus": "FAIL", "ErrorCode": code, "ErrorInfo": info}),
        )
    }

    /// [`handle`] answered as the same `http::Response` the middleware answers (JSON body,
    /// `Content-Type: application/json`), for the criterion benches.
    pub fn respond(
        config: &HandConfig,
        query: Option<&str>,
        body: &[u8],
    ) -> tencent_webhook::WebhookResponse {
        let (status, envelope) = handle(config, query, body);
        let body = serde_json::to_vec(&envelope).expect("an envelope serialises");
        let mut response = http::Response::new(http_body_util::Full::new(bytes::Bytes::from(body)));
        *response.status_mut() = http::StatusCode::from_u16(status).expect("a valid status");
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        response
    }

    /// Check and decode one webhook; answer the HTTP status and the envelope to send as
    /// JSON.
    pub fn handle(config: &HandConfig, query: Option<&str>, body: &[u8]) -> (u16, Value) {
        handle_with(config, query, body, |_| {})
    }

    /// [`handle`], printing one line per accepted event to stdout, as the example apps
    /// print one per delivered webhook (`BENCH_LOG=1`, see [`crate::server::Args`]).
    pub fn handle_printing(config: &HandConfig, query: Option<&str>, body: &[u8]) -> (u16, Value) {
        handle_with(config, query, body, |event| println!("{}", describe(event)))
    }

    /// One `key=value` line about an event, the fields the example apps print.
    pub fn describe(event: &Value) -> String {
        let info = &event["EventInfo"];
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => "-".to_owned(),
            other => other.to_string(),
        };
        format!(
            "command={} room={} user={} task={} event_type={} status={}",
            text(&event["CallbackCommand"]),
            text(&info["RoomId"]),
            text(&info["UserId"]),
            text(&info["TaskId"]),
            text(&event["EventType"]),
            text(&info["Payload"]["Status"]),
        )
    }

    /// [`handle`], calling `on_event` with the accepted event.
    fn handle_with(
        config: &HandConfig,
        query: Option<&str>,
        body: &[u8],
        on_event: impl FnOnce(&Value),
    ) -> (u16, Value) {
        let (mut app_id, mut command, mut content_type, mut sign, mut time) =
            (None, None, None, None, None);
        for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*name {
                "SdkAppid" | "SdkAppId" => app_id = Some(value),
                "CallbackCommand" => command = Some(value),
                "contenttype" => content_type = Some(value),
                "Sign" => sign = Some(value),
                "RequestTime" => time = Some(value),
                _ => {}
            }
        }
        match app_id.and_then(|id| id.parse::<u64>().ok()) {
            Some(id) if id == config.app_id => {}
            Some(_) => return fail(403, 40301, "unknown SdkAppid"),
            None => return fail(400, 40001, "missing SdkAppid"),
        }
        let Some(command) = command else {
            return fail(400, 40001, "missing CallbackCommand");
        };
        if content_type.is_some_and(|ct| ct != "json") {
            return fail(415, 41501, "contenttype must be json");
        }
        let (Some(sign), Some(time)) = (sign, time) else {
            return fail(401, 40101, "missing signature");
        };
        let expected = Sha256::new()
            .chain_update(config.token.as_bytes())
            .chain_update(time.as_bytes())
            .finalize();
        let mut given = [0u8; 32];
        if hex::decode_to_slice(sign.as_bytes(), &mut given).is_err()
            || !bool::from(given.ct_eq(expected.as_slice()))
        {
            return fail(401, 40101, "bad signature");
        }
        match time.parse::<u64>() {
            Ok(t) if t.abs_diff(now_secs()) <= config.window_secs => {}
            _ => return fail(401, 40102, "stale RequestTime"),
        }
        let Ok(event) = serde_json::from_slice::<Value>(body) else {
            return fail(400, 40002, "invalid JSON");
        };
        let Some(object) = event.as_object() else {
            return fail(400, 40002, "not a JSON object");
        };
        match object.get("CallbackCommand") {
            None => {}
            Some(Value::String(c)) if *c == command => {}
            Some(_) => return fail(400, 40003, "CallbackCommand mismatch"),
        }
        // A real handler would now read `event["EventInfo"]["TaskId"]` and so on.
        on_event(&event);
        (
            200,
            json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}),
        )
    }
}

/// What every load-test server binary shares: its command line and runtime.
pub mod server {
    use std::net::SocketAddr;

    /// Which handler a load-test server runs.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Variant {
        /// (a) Reads the body and returns the static OK envelope: the framework's limit.
        Bare,
        /// (b) The hand-written handler of [`crate::hand`].
        Hand,
        /// (c) The middleware, token verification on.
        Core,
    }

    /// `<server> bare|hand|core <port> [workers]`, listening on 127.0.0.1 only.
    #[derive(Debug, Clone, Copy)]
    pub struct Args {
        /// The handler.
        pub variant: Variant,
        /// The loopback port.
        pub port: u16,
        /// Worker threads of the server's runtime (default 1: load.sh pins the server to
        /// one CPU and the load generator to the other).
        pub workers: usize,
        /// `BENCH_LOG=1`: run as the example apps do, with their tracing subscriber (INFO,
        /// to stderr) installed and one line printed to stdout per accepted request.
        pub log: bool,
    }

    impl Args {
        /// Parse the command line; exits with a usage line when it is wrong.
        pub fn from_env() -> Self {
            let args: Vec<String> = std::env::args().collect();
            let usage = || -> ! {
                eprintln!("usage: {} bare|hand|core PORT [WORKERS]", args[0]);
                std::process::exit(2)
            };
            let variant = match args.get(1).map(String::as_str) {
                Some("bare") => Variant::Bare,
                Some("hand") => Variant::Hand,
                Some("core") => Variant::Core,
                _ => usage(),
            };
            let Some(Ok(port)) = args.get(2).map(|p| p.parse()) else {
                usage()
            };
            let workers = match args.get(3).map(|w| w.parse()) {
                None => 1,
                Some(Ok(w)) if w > 0 => w,
                Some(_) => usage(),
            };
            let log = std::env::var("BENCH_LOG").is_ok_and(|v| v == "1");
            if log {
                // The subscriber of examples/common/mod.rs.
                let _ = tracing_subscriber::fmt()
                    .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
                    .with_writer(std::io::stderr)
                    .with_ansi(false)
                    .try_init();
            }
            Self {
                variant,
                port,
                workers,
                log,
            }
        }

        /// `127.0.0.1:port`.
        pub fn addr(&self) -> SocketAddr {
            SocketAddr::from(([127, 0, 0, 1], self.port))
        }

        /// A multi-thread tokio runtime with [`Args::workers`] workers (axum, warp).
        pub fn tokio_runtime(&self) -> tokio::runtime::Runtime {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(self.workers)
                .enable_all()
                .build()
                .expect("a tokio runtime")
        }
    }
}
