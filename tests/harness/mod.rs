//! The conformance harness: one suite of cases ([`cases`]), run against every adapter over
//! a real TCP socket. An adapter joins by implementing [`Adapter`]: mount
//! [`suite_service`] at [`WEBHOOK_PATH`] next to an app route `GET /healthz`, in a server
//! on its own thread, and stop when asked.
//!
//! The suite's callback ([`SuiteInner`]) changes behaviour with the `ClientIP` parameter
//! (`panic`, `fail`, `slow`), and records every delivery in a [`Probe`].

#![allow(missing_docs, reason = "test harness")]

pub mod cases;
pub mod client;
pub mod family_cases;
pub mod load;

/// Generates one `#[tokio::test]` per case of [`cases`] for an [`Adapter`]: each test file
/// under `tests/` is one line, `tencent_webhook_conformance::conformance_suite!(Axum);`.
#[macro_export]
macro_rules! conformance_suite {
    ($adapter:ident) => {
        $crate::conformance_suite!(@cases $adapter:
            recording_under_every_name,
            unknown_command_is_delivered,
            unsigned_app_is_accepted,
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
use tencent_webhook::{
    Ack, Event, EventKind, EventRouter, SdkApp, Webhook, WebhookConfig, WebhookService,
};
use tower_service::Service;

/// Where every adapter mounts the webhook.
pub const WEBHOOK_PATH: &str = "/tencent/callback";
/// The signed app and its token.
pub const APP: u64 = 1400000000;
pub const TOKEN: &str = "suite-token";
/// An app with no callback token.
pub const UNSIGNED_APP: u64 = 1400000001;
/// The suite's body limit.
pub const BODY_LIMIT: usize = 4096;
/// The suite's body timeout.
pub const BODY_TIMEOUT: Duration = Duration::from_millis(1000);
/// The suite's callback deadline. Generous, because a panicking callback's panic hook
/// (printing a backtrace when RUST_BACKTRACE is set) runs on the callback's task while the
/// deadline keeps ticking, and the panic case must see its 500, not a 503.
pub const DEADLINE: Duration = Duration::from_millis(2000);

/// What the suite's callback saw.
#[derive(Clone, Default)]
pub struct Probe {
    deliveries: Arc<Mutex<Vec<Delivery>>>,
}

/// One delivered webhook, reduced to what the cases check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub command: String,
    pub typed: bool,
    pub task_id: Option<String>,
    pub event_type: Option<u32>,
    pub raw_len: usize,
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

/// The suite's inner service.
#[derive(Clone)]
pub struct SuiteInner {
    probe: Probe,
    /// Answers every delivery once probed (the before-webhooks: [`family_cases::router`]).
    router: EventRouter,
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
            match hook.context.client_ip.as_deref() {
                Some("panic") => panic!("the suite's callback panics on purpose"),
                Some("fail") => return Ok(Ack::fail(4242, "suite says no")),
                Some("slow") => tokio::time::sleep(Duration::from_secs(5)).await,
                _ => {}
            }
            let (typed, task_id, event_type) = match &hook.event {
                Event::Recording(r) => (true, r.info.task_id.clone(), Some(r.event_type)),
                _ => (false, None, None),
            };
            probe.deliveries.lock().unwrap().push(Delivery {
                command: hook.context.command.clone(),
                typed,
                task_id,
                event_type,
                raw_len: hook.context.raw_body.len(),
                kind: hook.event.kind(),
                room: hook.event.room().map(|r| r.into_owned()),
            });
            router.call(hook).await
        })
    }
}

/// The service every adapter mounts, and the probe that watches it.
pub fn suite_service() -> (WebhookService<SuiteInner>, Probe) {
    let probe = Probe::default();
    let config = WebhookConfig::builder()
        .app(SdkApp::new(APP).token(TOKEN))
        .app(SdkApp::new(UNSIGNED_APP))
        .body_limit(BODY_LIMIT)
        .body_timeout(Some(BODY_TIMEOUT))
        .callback_deadline(DEADLINE)
        .build()
        .unwrap();
    (
        WebhookService::new(
            config,
            SuiteInner {
                probe: probe.clone(),
                router: family_cases::router(),
            },
        ),
        probe,
    )
}

/// A framework under test.
pub trait Adapter {
    /// Its name, for messages.
    const NAME: &'static str;
    /// Serve `service` at [`WEBHOOK_PATH`] and `GET /healthz` (answering 200 `ok`) on
    /// `listener` until `stop` fires. Called on a fresh thread of its own.
    fn serve(
        listener: std::net::TcpListener,
        service: WebhookService<SuiteInner>,
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
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Start adapter `A` with the suite's service.
    pub fn start<A: Adapter>() -> Server {
        let (service, probe) = suite_service();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("{}-server", A::NAME))
            .spawn(move || A::serve(listener, service, stopped))
            .unwrap();
        Server {
            addr,
            probe,
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
