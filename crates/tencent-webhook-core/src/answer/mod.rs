//! What goes back to Tencent: the callback's [`Ack`] and the before-webhooks' replies, the
//! table of refusals ([`Rejection`]), and the one place both become an HTTP answer in the
//! scheme's envelope ([`envelope`]).

mod ack;
pub(crate) mod envelope;
mod rejection;
mod reply;

pub use ack::{Ack, IntoAck};
pub use envelope::WebhookResponse;
pub use rejection::Rejection;
pub use reply::{GiftReply, MessageEdit, MessageReply, ReplyCodeError};
