//! [`EventRouter`]: one handler per event kind, and a fallback for the rest.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Map};
use tower::Service;

use crate::event::{
    AfterSendMsg, BattleCreated, BattleEnded, BattleStarted, BeforeSendGift, BeforeSendMsg,
    FollowAdded, FollowDeleted, LiveAdminsModified, LiveMemberStateChanged, LiveMetadataDeleted,
    LiveMetadataSet, LiveOwnerChanged, LiveRoomCreated, LiveRoomDestroyed, LiveRoomInfoUpdated,
    LiveRoomThresholdReached, RecordingEvent, RoomEvent, SeatInfoChanged,
};
use crate::{Ack, Event, EventKind, GiftReply, IntoAck, MessageReply, Webhook, WebhookContext};

type Handler = Arc<dyn Fn(Webhook) -> BoxFuture<'static, Ack> + Send + Sync>;

/// Routes each delivered webhook to the handler registered for its [`EventKind`], and
/// everything else to the fallback (which by default answers [`Ack::ok`]).
///
/// A handler receives the typed event and the [`WebhookContext`]. After-webhook handlers
/// return anything [`IntoAck`] (`()`, [`Ack`], `Result<(), E>`); the two before-webhook
/// handlers return their typed reply, [`GiftReply`] or [`MessageReply`], which is the only
/// way to answer with a modified message. The router is a `Service<Webhook>` (`Clone +
/// Send + Sync`, `Send` future), so it goes where a callback goes:
/// [`WebhookService::new`](crate::WebhookService::new), or behind a
/// [`WebhookLayer`](crate::WebhookLayer) and tower middleware.
///
/// ```
/// use tencent_webhook_core::test_util::{TestRequest, samples};
/// use tencent_webhook_core::{
///     Ack, BeforeSendGift, BeforeSendMsg, GiftReply, LiveRoomCreated, MessageEdit, MessageReply,
///     MsgElement, SdkApp, Webhook, WebhookConfig, WebhookContext, EventRouter, WebhookService,
/// };
/// use tower::ServiceExt;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
///
/// let router = EventRouter::new()
///     .on_live_room_created(|room: LiveRoomCreated, ctx: WebhookContext| async move {
///         println!("{} created {:?}", ctx.sdk_app_id, room.room_info.and_then(|r| r.room_id));
///     })
///     .on_before_send_gift(|gift: BeforeSendGift, _ctx: WebhookContext| async move {
///         let coins = gift.gift_water.and_then(|g| g.coins).unwrap_or(0);
///         if coins > 500 { GiftReply::reject() } else { GiftReply::allow() }
///     })
///     .on_before_send_msg(|msg: BeforeSendMsg, _ctx: WebhookContext| async move {
///         let text: Vec<_> = msg.msg_body.iter().filter_map(MsgElement::as_text).collect();
///         match text.join(" ") {
///             t if t.contains("spam") => MessageReply::discard(),
///             t if t.contains("red packet") => MessageReply::allow_modified(
///                 MessageEdit::new().msg_body(vec![MsgElement::text(t.replace("red packet", "***"))]),
///             ),
///             _ => MessageReply::allow(),
///         }
///     })
///     .fallback(|hook: Webhook| async move {
///         println!("unhandled {}", hook.context.command);
///         Ack::ok()
///     });
///
/// let config = WebhookConfig::builder().app(SdkApp::new(1400000000).token("t")).build().unwrap();
/// let service = WebhookService::new(config, router);
/// let request = TestRequest::new(1400000000, "Group.CallbackBeforeSendMsg", samples::BEFORE_SEND_MSG)
///     .token("t")
///     .into_request();
/// let response = service.oneshot(request).await.unwrap();
/// let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
/// assert_eq!(
///     &body[..],
///     br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"***"}}]}"#
/// );
/// # }
/// ```
///
/// A reply belongs to its webhook: a gift handler cannot answer with a message reply,
///
/// ```compile_fail
/// use tencent_webhook_core::{MessageReply, EventRouter};
/// let _ = EventRouter::new().on_before_send_gift(|_gift, _ctx| async { MessageReply::allow() });
/// ```
///
/// and an after-webhook cannot answer with one either (so it never carries `MsgBody`):
///
/// ```compile_fail
/// use tencent_webhook_core::{MessageReply, EventRouter};
/// let _ = EventRouter::new().on_after_send_msg(|_msg, _ctx| async { MessageReply::allow() });
/// ```
#[derive(Clone, Default)]
pub struct EventRouter {
    routes: Arc<HashMap<EventKind, Handler>>,
    fallback: Option<Handler>,
}

impl fmt::Debug for EventRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kinds: Vec<_> = self.routes.keys().collect();
        kinds.sort();
        f.debug_struct("EventRouter")
            .field("routes", &kinds)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl EventRouter {
    /// A router with no handlers: every webhook is answered [`Ack::ok`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Handle every webhook of `kind` with `handler`, which receives the whole
    /// [`Webhook`] (replacing an earlier handler of that kind). The typed `on_*` methods
    /// are usually nicer; this one also reaches [`EventKind::Unknown`]. A handler
    /// registered here for a before-webhook answers with whatever [`Ack`] it returns: use
    /// [`on_before_send_gift`](Self::on_before_send_gift) and
    /// [`on_before_send_msg`](Self::on_before_send_msg) to have the reply checked.
    pub fn on<F, Fut>(self, kind: EventKind, handler: F) -> Self
    where
        F: Fn(Webhook) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoAck,
    {
        self.route(kind, move |hook| handler(hook).map(IntoAck::into_ack))
    }

    /// Handle every webhook no other handler takes (unknown commands included). Without
    /// a fallback they are answered [`Ack::ok`].
    pub fn fallback<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(Webhook) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoAck,
    {
        self.fallback = Some(boxed(move |hook| handler(hook).map(IntoAck::into_ack)));
        self
    }

    /// Whether a handler is registered for `kind`.
    pub fn handles(&self, kind: EventKind) -> bool {
        self.routes.contains_key(&kind)
    }

    fn route<F, Fut>(mut self, kind: EventKind, handler: F) -> Self
    where
        F: Fn(Webhook) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Ack> + Send + 'static,
    {
        Arc::make_mut(&mut self.routes).insert(kind, boxed(handler));
        self
    }

    /// Handle `Live.CallbackBeforeSendGift`: the handler's [`GiftReply`] allows or
    /// rejects the gift.
    pub fn on_before_send_gift<F, Fut>(self, handler: F) -> Self
    where
        F: Fn(BeforeSendGift, WebhookContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = GiftReply> + Send + 'static,
    {
        self.route(EventKind::BeforeSendGift, move |hook: Webhook| {
            match hook.event {
                Event::BeforeSendGift(gift) => handler(gift, hook.context)
                    .map(GiftReply::into_ack)
                    .left_future(),
                _ => acknowledged().right_future(),
            }
        })
    }

    /// Handle `Group.CallbackBeforeSendMsg`: the handler's [`MessageReply`] allows
    /// (possibly modified), rejects, drops or fails the message.
    pub fn on_before_send_msg<F, Fut>(self, handler: F) -> Self
    where
        F: Fn(BeforeSendMsg, WebhookContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = MessageReply> + Send + 'static,
    {
        self.route(EventKind::BeforeSendMsg, move |hook: Webhook| {
            match hook.event {
                Event::BeforeSendMsg(msg) => handler(msg, hook.context)
                    .map(MessageReply::into_ack)
                    .left_future(),
                _ => acknowledged().right_future(),
            }
        })
    }
}

/// The answer when nobody handles a webhook. Also what a typed handler answers if it
/// were ever given another variant, which routing by kind rules out.
fn acknowledged() -> futures_util::future::Ready<Ack> {
    futures_util::future::ready(Ack::ok())
}

fn boxed<F, Fut>(handler: F) -> Handler
where
    F: Fn(Webhook) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Ack> + Send + 'static,
{
    Arc::new(move |hook| handler(hook).boxed())
}

/// The typed `on_*` methods of the after-webhooks, one per event kind.
macro_rules! after_routes {
    ($($(#[$doc:meta])* $method:ident => $variant:ident($ty:ty);)+) => {
        impl EventRouter {
            $(
                $(#[$doc])*
                pub fn $method<F, Fut>(self, handler: F) -> Self
                where
                    F: Fn($ty, WebhookContext) -> Fut + Send + Sync + 'static,
                    Fut: Future + Send + 'static,
                    Fut::Output: IntoAck,
                {
                    self.route(EventKind::$variant, move |hook: Webhook| match hook.event {
                        Event::$variant(event) => handler(Unbox::unbox(event), hook.context)
                            .map(IntoAck::into_ack)
                            .left_future(),
                        _ => acknowledged().right_future(),
                    })
                }
            )+
        }
    };
}

after_routes! {
    /// Handle the cloud-recording webhook (every command name, and TRTC groups 3 and 8).
    on_recording => Recording(RecordingEvent);
    /// Handle TRTC room and media events (a [`Scheme::Trtc`](crate::Scheme::Trtc) service).
    on_trtc_room => Room(RoomEvent);
    /// Handle `Live.CallbackAfterCreateRoom`.
    on_live_room_created => LiveRoomCreated(LiveRoomCreated);
    /// Handle `Live.CallbackAfterDestroyRoom`.
    on_live_room_destroyed => LiveRoomDestroyed(LiveRoomDestroyed);
    /// Handle `Live.CallbackAfterUpdateRoomInfo`.
    on_live_room_info_updated => LiveRoomInfoUpdated(LiveRoomInfoUpdated);
    /// Handle `Live.CallbackAfterSetMetadata`.
    on_live_metadata_set => LiveMetadataSet(LiveMetadataSet);
    /// Handle `Live.CallbackAfterDelMetadata`.
    on_live_metadata_deleted => LiveMetadataDeleted(LiveMetadataDeleted);
    /// Handle `Live.CallbackAfterCreateRoomReachingThreshold`.
    on_live_room_threshold_reached => LiveRoomThresholdReached(LiveRoomThresholdReached);
    /// Handle `Live.CallbackAfterMemberStateChanged`.
    on_live_member_state_changed => LiveMemberStateChanged(LiveMemberStateChanged);
    /// Handle `Live.CallbackAfterChangeOwner`.
    on_live_owner_changed => LiveOwnerChanged(LiveOwnerChanged);
    /// Handle `Live.CallbackAfterModifyAdmin`.
    on_live_admins_modified => LiveAdminsModified(LiveAdminsModified);
    /// Handle `Mic.CallbackAfterSeatInfoChanged`.
    on_seat_info_changed => SeatInfoChanged(SeatInfoChanged);
    /// Handle `Live.CallbackAfterCreateBattle`.
    on_battle_created => BattleCreated(BattleCreated);
    /// Handle `Live.CallbackAfterStartBattle`.
    on_battle_started => BattleStarted(BattleStarted);
    /// Handle `Live.CallbackAfterEndBattle`.
    on_battle_ended => BattleEnded(BattleEnded);
    /// Handle `Group.CallbackAfterSendMsg`.
    on_after_send_msg => AfterSendMsg(AfterSendMsg);
    /// Handle `Follow.CallbackAfterFollowAdd`.
    on_follow_added => FollowAdded(FollowAdded);
    /// Handle `Follow.CallbackAfterFollowDelete`.
    on_follow_deleted => FollowDeleted(FollowDeleted);
}

/// A variant's payload as the handler takes it (some variants box theirs).
trait Unbox<T> {
    fn unbox(self) -> T;
}

impl<T> Unbox<T> for T {
    fn unbox(self) -> T {
        self
    }
}

impl<T> Unbox<T> for Box<T> {
    fn unbox(self) -> T {
        *self
    }
}

type IntoResult = fn(Ack) -> Result<Ack, Infallible>;

impl Service<Webhook> for EventRouter {
    type Response = Ack;
    type Error = Infallible;
    type Future = Map<BoxFuture<'static, Ack>, IntoResult>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, hook: Webhook) -> Self::Future {
        let future = match self
            .routes
            .get(&hook.event.kind())
            .or(self.fallback.as_ref())
        {
            Some(handler) => handler(hook),
            None => acknowledged().boxed(),
        };
        future.map(Ok as IntoResult)
    }
}

#[cfg(all(test, feature = "test-util"))]
mod tests;
