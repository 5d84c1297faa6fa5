//! The conformance harness: one suite of cases ([`cases`] for Chat webhooks, [`trtc_cases`]
//! for TRTC console callbacks), run against every adapter over a real TCP socket. An
//! adapter joins by implementing [`Adapter`]: mount the Chat service of [`suite_services`]
//! at [`WEBHOOK_PATH`] and its TRTC service at [`TRTC_PATH`] (the adapter's ordinary
//! one-line mounting call for each) next to an app route `GET /healthz`, in a server on its
//! own thread, and stop when asked.
//!
//! Both services share one configuration and one callback ([`SuiteInner`]), which records
//! every delivery in a [`Probe`] and changes behaviour on a trigger word: `panic`, `fail`
//! (answers `Ack::fail(4242, "suite says no")`), `fail-long` (fails with a very long text
//! of control characters, see [`LONG_FAILURE`]) or `slow` (sleeps 5 s, past the deadline).
//! A Chat webhook carries the word in its `ClientIP` query parameter; a TRTC callback has
//! no `ClientIP`, so it carries the word as the `UserId` of its `EventInfo` (room, media and
//! recording events have one).
//!
//! Load and attack runs live in [`load`] (thousands of Chat events) and [`trtc_attack`]
//! (slow and flooding forged TRTC bodies), each in a test binary of its own.

#![allow(missing_docs, reason = "test harness")]

pub mod cases;
pub mod client;
pub mod family_cases;
pub mod load;
pub mod trtc_attack;
pub mod trtc_cases;

/// Generates one `#[tokio::test]` per case of [`cases`] and [`trtc_cases`] for an
/// [`Adapter`]: each test file under `tests/` is one line,
/// `tencent_webhook_conformance::conformance_suite!(Axum);`.
#[macro_export]
macro_rules! conformance_suite {
    ($adapter:ident) => {
        $crate::conformance_suite!(@trtc $adapter);
        $crate::conformance_suite!(@cases $adapter:
            recording_under_every_name,
            unknown_command_is_delivered,
            unsigned_app_is_accepted,
            an_app_without_a_secret_of_the_scheme_is_401,
            callback_failure_is_200_fail,
            malformed_requests_are_400,
            signature_problems_are_401,
            foreign_app_is_403,
            other_methods_are_405,
            oversized_bodies_are_413,
            slow_body_is_408,
            contenttype_not_json_is_415,
            panic_is_500_and_serving_continues,
            slow_callback_is_503,
            running_callbacks_are_capped,
            keep_alive_serves_many_requests_on_one_connection,
            refusals_with_unread_bodies_keep_connections_in_step,
            concurrent_events_are_each_delivered_once,
            apps_own_routes_still_answer,
            hostile_lying_content_length,
            hostile_huge_content_length,
            hostile_deep_nesting,
            hostile_bad_encodings,
            hostile_empty_and_odd_parameters,
            hostile_request_times,
            deadline_holds_under_load,
        );
    };
    (@cases $adapter:ident: $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $crate::cases::$case::<$crate::$adapter>().await;
            }
        )+
    };
    // The TRTC console callback cases (harness/trtc_cases.rs).
    (@trtc $adapter:ident) => {
        $crate::conformance_suite!(@trtc_cases $adapter:
            trtc_doc_vector_is_code_0,
            trtc_independent_vector_with_the_rotated_key,
            trtc_chunked_and_split_bodies_verify,
            trtc_freshness_window_applies_when_set,
            trtc_forgeries_are_refused_and_never_delivered,
            trtc_recording_is_delivered_typed,
            trtc_room_events_are_delivered_typed,
            trtc_unknown_groups_and_types_are_delivered,
            trtc_unsigned_app_is_accepted,
            trtc_callback_failure_is_500,
            trtc_panic_is_500_and_serving_continues,
            trtc_slow_callback_is_503,
            trtc_other_methods_are_405,
            trtc_oversized_bodies_are_413,
            trtc_slow_body_is_408,
            trtc_keep_alive_serves_many_requests_on_one_connection,
            trtc_retry_is_delivered_again_with_the_same_idempotency_key,
            trtc_and_chat_endpoints_share_one_callback,
            trtc_concurrent_events_are_each_delivered_once,
        );
    };
    (@trtc_cases $adapter:ident: $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $crate::trtc_cases::$case::<$crate::$adapter>().await;
            }
        )+
    };
}

mod actix;
mod axum;
mod warp;

pub use actix::Actix;
pub use axum::Axum;
pub use warp::Warp;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tencent_webhook::test_util::samples;
use tencent_webhook::{
    Ack, Event, EventKind, EventRouter, RoomEventKind, Scheme, SdkApp, Webhook, WebhookConfig,
    WebhookService,
};
use tower_service::Service;

/// Where every adapter mounts the Chat webhook.
pub const WEBHOOK_PATH: &str = "/tencent/callback";
/// Where every adapter mounts the TRTC console callback.
pub const TRTC_PATH: &str = "/trtc/callback";
/// The signed app and its token.
pub const APP: u64 = 1400000000;
pub const TOKEN: &str = "suite-token";
/// The signed app's TRTC callback keys: the key of Tencent's signature example, and the
/// key of its PHP/Go sample as a second key (as during a key rotation).
pub const TRTC_KEY: &str = samples::trtc::DOC_KEY;
pub const TRTC_ROTATED_KEY: &str = samples::trtc::SAMPLE_KEY;
/// An app with no callback token and no TRTC key, that opted in to unsigned requests of
/// both schemes by name.
pub const UNSIGNED_APP: u64 = 1400000001;
/// An app with a callback token only: its TRTC callbacks cannot be verified.
pub const CHAT_ONLY_APP: u64 = 1400000002;
/// An app with a TRTC key only: its Chat webhooks cannot be verified.
pub const TRTC_ONLY_APP: u64 = 1400000003;
/// The suite's body limit.
pub const BODY_LIMIT: usize = 4096;
/// The suite's TRTC body limit (the core's default, set explicitly; larger than
/// [`BODY_LIMIT`] on purpose, so an adapter applying the Chat limit to TRTC shows).
pub const TRTC_BODY_LIMIT: usize = 16 * 1024;
/// The suite's body timeout.
pub const BODY_TIMEOUT: Duration = Duration::from_millis(1000);
/// The suite's callback deadline. Generous, because a panicking callback's panic hook
/// (printing a backtrace when RUST_BACKTRACE is set) runs on the callback's task while the
/// deadline keeps ticking, and the panic case must see its 500, not a 503.
pub const DEADLINE: Duration = Duration::from_millis(2000);

/// The text a callback triggered with `fail-long` fails with, 5,000 times over: a control
/// character, which JSON escapes to six bytes, so the answer is as large as it can get.
pub const LONG_FAILURE: &str = "\u{1}";

/// What the suite's callback saw.
#[derive(Clone, Default)]
pub struct Probe {
    deliveries: Arc<Mutex<Vec<Delivery>>>,
}

/// One delivered webhook, reduced to what the cases check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Which endpoint delivered it.
    pub scheme: Scheme,
    pub sdk_app_id: u64,
    pub command: String,
    /// Decoded into a typed event (not `Event::Unknown`).
    pub typed: bool,
    pub task_id: Option<String>,
    pub event_type: Option<u32>,
    /// For a TRTC room or media event, its kind.
    pub room_kind: Option<RoomEventKind>,
    pub raw_len: usize,
    /// `context.idempotency_key()`, as text.
    pub idempotency_key: String,
    /// The event's kind and room, as decoded.
    pub kind: EventKind,
    pub room: Option<String>,
}

impl Probe {
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.deliveries.lock().unwrap().len()
    }

    /// How many times each task id was delivered.
    pub fn by_task(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for d in self.deliveries.lock().unwrap().iter() {
            *counts
                .entry(d.task_id.clone().unwrap_or_default())
                .or_insert(0) += 1;
        }
        counts
    }
}

/// The suite's inner service, behind both endpoints.
#[derive(Clone)]
pub struct SuiteInner {
    probe: Probe,
    /// Answers every delivery once probed (the before-webhooks: [`family_cases::router`]).
    router: EventRouter,
}

/// The trigger word of a webhook: Chat's `ClientIP`, or a TRTC event's `UserId`.
fn trigger(hook: &Webhook) -> Option<&str> {
    match (hook.context.scheme, &hook.event) {
        (Scheme::Trtc, Event::Room(room)) => room.info.user_id.as_deref(),
        (Scheme::Trtc, Event::Recording(rec)) => rec.info.user_id.as_deref(),
        (Scheme::Trtc, _) => None,
        _ => hook.context.client_ip.as_deref(),
    }
}

impl Service<Webhook> for SuiteInner {
    type Response = Ack;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Ack, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, hook: Webhook) -> Self::Future {
        let probe = self.probe.clone();
        let mut router = self.router.clone();
        Box::pin(async move {
            match trigger(&hook) {
                Some("panic") => panic!("the suite's callback panics on purpose"),
                Some("fail") => return Ok(Ack::fail(4242, "suite says no")),
                Some("fail-long") => return Ok(Ack::fail(4243, LONG_FAILURE.repeat(5000))),
                Some("slow") => tokio::time::sleep(Duration::from_secs(5)).await,
                _ => {}
            }
            let (task_id, event_type, room_kind) = match &hook.event {
                Event::Recording(r) => (r.info.task_id.clone(), Some(r.event_type), None),
                Event::Room(r) => (None, Some(r.event_type), Some(r.kind)),
                _ => (None, None, None),
            };
            probe.deliveries.lock().unwrap().push(Delivery {
                scheme: hook.context.scheme,
                sdk_app_id: hook.context.sdk_app_id,
                command: hook.context.command.clone(),
                typed: !matches!(hook.event, Event::Unknown(_)),
                task_id,
                event_type,
                room_kind,
                raw_len: hook.context.raw_body.len(),
                idempotency_key: hook.context.idempotency_key().to_string(),
                kind: hook.event.kind(),
                room: hook.event.room().map(|r| r.into_owned()),
            });
            router.call(hook).await
        })
    }
}

/// The suite's configuration: [`APP`] signed for both schemes (one token, two TRTC keys),
/// [`UNSIGNED_APP`] with no secret that opted in to unsigned requests of both schemes by
/// name, and the suite's limits.
pub fn suite_config() -> tencent_webhook::WebhookConfigBuilder {
    WebhookConfig::builder()
        .app(
            SdkApp::new(APP)
                .token(TOKEN)
                .trtc_key(TRTC_KEY)
                .trtc_key(TRTC_ROTATED_KEY),
        )
        .app(SdkApp::new(CHAT_ONLY_APP).token(TOKEN))
        .app(SdkApp::new(TRTC_ONLY_APP).trtc_key(TRTC_KEY))
        .app(
            SdkApp::new(UNSIGNED_APP)
                .insecure_accept_unsigned(tencent_webhook::Scheme::Chat)
                .insecure_accept_unsigned(tencent_webhook::Scheme::Trtc),
        )
        .body_limit(BODY_LIMIT)
        .trtc_body_limit(TRTC_BODY_LIMIT)
        .body_timeout(Some(BODY_TIMEOUT))
        .callback_deadline(Some(DEADLINE))
        // The suite replays Tencent's documented TRTC vectors, signed with their original
        // (years-old) CallbackTs; the freshness window, on by default, has cases of its
        // own that turn it back on (`trtc_freshness_window_*`).
        .trtc_freshness_window(None)
}

/// The two services every adapter mounts: one configuration, one callback.
#[derive(Clone)]
pub struct SuiteServices {
    /// The Chat webhook, at [`WEBHOOK_PATH`].
    pub chat: WebhookService<SuiteInner>,
    /// The TRTC console callback, at [`TRTC_PATH`].
    pub trtc: WebhookService<SuiteInner>,
}

/// The services for `config`, and the probe that watches their one callback.
pub fn suite_services(config: WebhookConfig) -> (SuiteServices, Probe) {
    let probe = Probe::default();
    let inner = SuiteInner {
        probe: probe.clone(),
        router: family_cases::router(),
    };
    let services = SuiteServices {
        chat: WebhookService::new(config.clone(), inner.clone()),
        trtc: WebhookService::trtc(config, inner),
    };
    (services, probe)
}

/// A framework under test.
pub trait Adapter {
    /// Its name, for messages.
    const NAME: &'static str;
    /// Serve `services.chat` at [`WEBHOOK_PATH`], `services.trtc` at [`TRTC_PATH`] and
    /// `GET /healthz` (answering 200 `ok`) on `listener` until `stop` fires. Called on a
    /// fresh thread of its own.
    fn serve(
        listener: std::net::TcpListener,
        services: SuiteServices,
        stop: tokio::sync::oneshot::Receiver<()>,
    );
}

/// For tokio-based frameworks: run `server` (given the listener) on a runtime of its own
/// with two workers until it ends or `stop` fires.
pub fn serve_on_tokio<F, Fut>(
    listener: std::net::TcpListener,
    stop: tokio::sync::oneshot::Receiver<()>,
    server: F,
) where
    F: FnOnce(tokio::net::TcpListener) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        tokio::select! {
            () = server(listener) => {}
            _ = stop => {}
        }
    });
}

/// A running test server; stops when dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub probe: Probe,
    /// The configuration both services share (for its buffer budget gauge).
    pub config: WebhookConfig,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Start adapter `A` with the suite's services.
    pub fn start<A: Adapter>() -> Server {
        Self::start_with::<A>(suite_config().build().unwrap())
    }

    /// Start adapter `A` with the suite's services built from `config`.
    pub fn start_with<A: Adapter>(config: WebhookConfig) -> Server {
        let (services, probe) = suite_services(config.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("{}-server", A::NAME))
            .spawn(move || A::serve(listener, services, stopped))
            .unwrap();
        Server {
            addr,
            probe,
            config,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
