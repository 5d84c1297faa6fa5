//! Receive Tencent Cloud (TRTC / TUILiveKit / Chat) webhooks safely inside the web
//! framework you already run.
//!
//! This crate re-exports [`tencent_webhook_core`] (the framework-neutral tower
//! `Service`/`Layer`: app-id, signature and replay checks, body limits, typed events, the
//! response envelope) and, behind features, one adapter per framework:
//!
//! | feature | module | mount with |
//! |---|---|---|
//! | `axum` | [`axum`] | `router.tencent_webhook("/path", service)` |
//! | `actix-web` | [`actix`] | `App::new().service(tencent_webhook::actix::webhook("/path", service))` |
//! | `warp` | [`warp`] | `warp::path!("path").and(tencent_webhook::warp::webhook(service))` |
//! | `redis` | [`redis`] | dedupe retries across replicas, persist before acknowledging |
//! | `test-util` | [`test_util`] | sign and build requests exactly as Tencent does |
//!
//! Your callback gets a verified [`Webhook`] and answers with an [`Ack`]; a refused request
//! gets the status and code of its [`Rejection`]. The README has the protocol, the answer
//! table and runnable examples.
//!
// The guidance below is the core crate's, word for word: one file, included by both.
#![doc = include_str!("guide.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use tencent_webhook_core::*;

/// The axum adapter ([`tencent_webhook_axum`]).
#[cfg(feature = "axum")]
pub mod axum {
    pub use tencent_webhook_axum::*;
}

/// The actix-web adapter (`tencent_webhook_actix`).
#[cfg(feature = "actix-web")]
pub mod actix {
    pub use tencent_webhook_actix::*;
}

/// The warp adapter (`tencent_webhook_warp`).
#[cfg(feature = "warp")]
pub mod warp {
    pub use tencent_webhook_warp::*;
}

/// Several replicas: dedupe and the durable hand-off on Redis (`tencent_webhook_redis`).
#[cfg(feature = "redis")]
pub mod redis {
    pub use tencent_webhook_redis::*;
}

/// The README's code blocks, compiled and run as doctests so the README stays true.
#[cfg(all(
    doctest,
    feature = "axum",
    feature = "actix-web",
    feature = "warp",
    feature = "redis"
))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
