//! Receive Tencent Cloud (TRTC / TUILiveKit / Chat) webhooks safely, in any tower-based
//! stack, with nothing framework-specific.
//!
//! Tencent's backend POSTs JSON to your URL with the app id and command in the query:
//! `POST /path?SdkAppid=1400000000&CallbackCommand=Follow.CallbackAfterCloudRecordingChanged
//! &contenttype=json&ClientIP=…&OptPlatform=…`, plus `Sign` and `RequestTime` when a
//! callback token is configured, where `Sign = hex(SHA-256(token ‖ RequestTime))`. The
//! receiver must check that the app id is its own, verify the signature and that
//! `RequestTime` is within a minute of now, and answer HTTP 200 with
//! `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`.
//!
//! [`WebhookService`] does all of that and calls your async callback with a verified
//! [`Webhook`]: a [`WebhookContext`] and a typed [`Event`]. Mount it in axum, actix-web or
//! warp with the `tencent-webhook` crate's adapters.
//!
//! # Example
//!
//! ```
//! use tencent_webhook_core::{Ack, Event, SdkApp, Webhook, WebhookConfig, WebhookService, sign};
//! use tower::ServiceExt;
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//!
//! let config = WebhookConfig::builder()
//!     .app(SdkApp::new(1400000000).token("my-callback-token"))
//!     .build()
//!     .unwrap();
//! let service = WebhookService::from_fn(config, |hook: Webhook| async move {
//!     if let Event::Recording(rec) = &hook.event {
//!         println!("task {:?} now {:?}", rec.info.task_id, rec.info.payload);
//!     }
//!     Ack::ok()
//! });
//!
//! // What Tencent sends:
//! let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
//! let uri = format!(
//!     "/callback?SdkAppid=1400000000&CallbackCommand=Follow.CallbackAfterCloudRecordingChanged\
//!      &contenttype=json&Sign={}&RequestTime={now}",
//!     sign("my-callback-token", now),
//! );
//! let body = r#"{"CallbackCommand":"Follow.CallbackAfterCloudRecordingChanged","EventGroupId":3,
//!     "EventType":305,"EventInfo":{"RoomId":"635055","TaskId":"t1","Payload":{"Status":0}}}"#;
//! let request = http::Request::post(uri).body(http_body_util::Full::new(bytes::Bytes::from(body))).unwrap();
//!
//! let response = service.oneshot(request).await.unwrap();
//! assert_eq!(response.status(), 200);
//! # }
//! ```
//!
//! # Two schemes
//!
//! The same events also arrive through the TRTC console's event callback, which signs
//! differently: `SdkAppId` and `Sign = Base64(HMAC-SHA256(key, raw body))` headers, the
//! event named by `EventGroupId` + `EventType` in the body, success answered 200
//! `{"code":0}` (<https://trtc.io/document/39558>). Build that endpoint with
//! [`WebhookService::trtc_from_fn`] (or [`WebhookLayer::trtc`]) from the same
//! [`WebhookConfig`] (keys via [`SdkApp::trtc_key`]) and the same callback; each service
//! speaks one [`Scheme`] and never guesses it. Room and media events arrive as
//! [`Event::Room`], recording events as the same [`Event::Recording`] as on the Chat path,
//! and every delivered event has a stable [`WebhookContext::idempotency_key`].
//!
//! # Answers
//!
//! Every answer is JSON with `Content-Type: application/json` and the envelope
//! `{"ActionStatus","ErrorCode","ErrorInfo"}`. A delivered webhook answers 200 with your
//! callback's [`Ack`]. A refused one answers with the status and code of its
//! [`Rejection`] (the full table is there): 400 malformed, 401 bad or stale signature
//! (or no secret configured for the app), 403 foreign app id, 405 not POST, 408 body too
//! slow, 413 body too large, 415 `contenttype` not json, 500 callback panicked or failed,
//! 503 callback past its deadline or too much in flight. Nothing reaches the callback unless
//! every check passed, and a verified event is never refused for its shape.
//!
//! # Secure by default
//!
//! An app without a callback token accepts no Chat request, and an app without a TRTC key
//! no TRTC request (401, [`Rejection::NoSecret`]), unless it opts in by name with
//! [`SdkApp::insecure_accept_unsigned`]. TRTC bodies older than five minutes are refused as
//! replays ([`WebhookConfigBuilder::trtc_freshness_window`]), every body in flight counts
//! against one [`buffer_budget`](WebhookConfigBuilder::buffer_budget), and callbacks end at
//! a [deadline](WebhookConfigBuilder::callback_deadline) of 25 s, at most
//! [1,024](WebhookConfigBuilder::max_running_callbacks) of them at once, those running on
//! after their senders hung up included.
//!
//! # How the crate is laid out
//!
//! - `config`: [`WebhookConfig`], [`SdkApp`] and every limit, checked once at `build()`.
//! - `scheme/`: [`Scheme`] and what each scheme admits before the body: `chat/` (the query,
//!   [`OptPlatform`], the `Sign` over token and `RequestTime`) and `trtc/` (the headers, the
//!   HMAC over the body, the freshness of `CallbackTs`).
//! - `pipeline/`: one request in order, the same for both schemes: the body under its
//!   limits and the buffer budget, the cap on running callbacks, verify and decode, the
//!   callback run to its end, and the log lines.
//! - `event/`: [`Event`] and its typed events, decoded by one tolerant mechanism.
//! - `webhook/`: what the callback receives, [`Webhook`] and [`WebhookContext`], and the
//!   [`IdempotencyKey`].
//! - `answer/`: what goes back, [`Ack`] and the before-webhooks' replies, the [`Rejection`]
//!   table, and the envelope, built in one place.
//! - `service/`: the tower [`WebhookService`] and [`WebhookLayer`], and the staged API
//!   ([`Admission`], [`RequestHead`]) for adapters of non-tower frameworks.
//! - `router`: [`EventRouter`], one handler per event kind.
//!
#![doc = include_str!("guide.md")]
//!
//! # Runtime
//!
//! The body timeout and callback deadline use tokio timers: run the service on a tokio
//! runtime with time enabled (axum, actix-web and warp all do).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod answer;
mod config;
mod event;
mod pipeline;
mod router;
mod scheme;
mod service;
#[cfg(feature = "test-util")]
pub mod test_util;
mod webhook;

pub use answer::{
    Ack, GiftReply, IntoAck, MessageEdit, MessageReply, Rejection, ReplyCodeError, WebhookResponse,
};
pub use config::{
    Clock, ConfigError, DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT, DEFAULT_BUFFER_BUDGET,
    DEFAULT_CALLBACK_DEADLINE, DEFAULT_MAX_RUNNING_CALLBACKS, DEFAULT_REPLAY_WINDOW,
    DEFAULT_SPAN_LEVEL, DEFAULT_TRTC_BODY_LIMIT, DEFAULT_TRTC_FRESHNESS_WINDOW, SdkApp,
    SystemClock, WebhookConfig, WebhookConfigBuilder,
};
pub use event::{
    AfterSendMsg, BattleCreated, BattleEnded, BattleRoom, BattleStarted, BeforeSendGift,
    BeforeSendMsg, CallRecording, EnterReason, Event, EventKind, ExitReason, FollowAdded,
    FollowDeleted, FollowTarget, GiftWater, LiveAdminsModified, LiveMember, LiveMemberStateChanged,
    LiveMetadataDeleted, LiveMetadataSet, LiveOwnerChanged, LiveRoomCreated, LiveRoomDestroyed,
    LiveRoomInfo, LiveRoomInfoUpdated, LiveRoomThresholdReached, MetadataEntry, MsgElement,
    RecordedFile, RecordingEvent, RecordingEventInfo, RecordingPayload, Role, RoomEvent,
    RoomEventInfo, RoomEventKind, RoomId, RoomStatistic, Seat, SeatInfoChanged, TencentVod,
    TerminalType, UnknownEvent, UserType, command,
};
pub use router::EventRouter;
pub use scheme::Scheme;
pub use scheme::chat::{OptPlatform, sign};
pub use scheme::trtc::trtc_sign;
pub use service::{
    Admission, BoxError, CallbackFn, HeaderValues, HttpHead, RequestHead, ResponseFuture,
    WebhookLayer, WebhookService,
};
pub use webhook::{IdempotencyKey, Webhook, WebhookContext};
