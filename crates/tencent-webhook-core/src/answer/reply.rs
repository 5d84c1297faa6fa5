//! Typed answers to the two before-webhooks: [`GiftReply`] for `Live.CallbackBeforeSendGift`
//! and [`MessageReply`] for `Group.CallbackBeforeSendMsg`.
//!
//! Tencent decides what happens from the answer's `ErrorCode` (the `ActionStatus` stays
//! `OK`, as in Tencent's examples). A reply is built for one webhook and becomes an
//! [`Ack`] only through that webhook's event ([`BeforeSendGift::answer`],
//! [`BeforeSendMsg::answer`]) or an [`EventRouter`](crate::EventRouter) handler, so a
//! gift cannot be answered with a modified message and an after-webhook cannot carry
//! `MsgBody`. Custom codes are checked against the range Tencent passes to the client when
//! the reply is built: out of range is a [`ReplyCodeError`] for you, never a wrong answer
//! to Tencent.

use std::borrow::Cow;
use std::ops::RangeInclusive;

use crate::Ack;
use crate::event::{BeforeSendGift, BeforeSendMsg, MsgElement};

/// A custom code outside the range Tencent passes through to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{webhook}: custom error code {code} is outside [{}, {}], the range Tencent passes to the client", range.start(), range.end())]
pub struct ReplyCodeError {
    /// The code that was refused.
    pub code: i64,
    /// The range it must lie in.
    pub range: RangeInclusive<i64>,
    /// Which webhook's reply it was for.
    pub webhook: &'static str,
}

fn check(
    code: i64,
    range: RangeInclusive<i64>,
    webhook: &'static str,
) -> Result<i64, ReplyCodeError> {
    if range.contains(&code) {
        Ok(code)
    } else {
        Err(ReplyCodeError {
            code,
            range,
            webhook,
        })
    }
}

/// The answer to `Live.CallbackBeforeSendGift` (<https://trtc.io/document/72210>): `ErrorCode`
/// 0 lets the gift through, 1 rejects it, and a code in [`GiftReply::CUSTOM_CODES`] rejects
/// it and is passed to the sending client.
///
/// ```
/// use tencent_webhook_core::GiftReply;
/// assert_eq!(GiftReply::allow().error_code(), 0);
/// assert_eq!(GiftReply::reject().error_code(), 1);
/// assert_eq!(GiftReply::reject_with(102150, "not enough coins").unwrap().error_code(), 102150);
/// assert!(GiftReply::reject_with(10100, "wrong range").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftReply {
    code: i64,
    info: Cow<'static, str>,
}

impl GiftReply {
    /// The codes Tencent passes through to the client: 102100 to 102200.
    pub const CUSTOM_CODES: RangeInclusive<i64> = 102100..=102200;

    /// Let the gift through (`ErrorCode` 0).
    pub const fn allow() -> Self {
        Self {
            code: 0,
            info: Cow::Borrowed(""),
        }
    }

    /// Reject the gift (`ErrorCode` 1).
    pub const fn reject() -> Self {
        Self {
            code: 1,
            info: Cow::Borrowed(""),
        }
    }

    /// Reject the gift with your own code and text, which Tencent passes to the client
    /// (as is: put nothing secret in it). The code must lie in [`GiftReply::CUSTOM_CODES`];
    /// otherwise this is an error (and nothing is sent).
    pub fn reject_with(
        code: i64,
        info: impl Into<Cow<'static, str>>,
    ) -> Result<Self, ReplyCodeError> {
        let code = check(code, Self::CUSTOM_CODES, "Live.CallbackBeforeSendGift")?;
        Ok(Self {
            code,
            info: info.into(),
        })
    }

    /// The `ErrorCode` this reply answers with.
    pub const fn error_code(&self) -> i64 {
        self.code
    }

    /// The `ErrorInfo` this reply answers with.
    pub fn error_info(&self) -> &str {
        &self.info
    }

    pub(crate) fn into_ack(self) -> Ack {
        Ack::decision(self.code, self.info, None)
    }
}

/// A modified room message: the `MsgBody` and/or `CloudCustomData` that replace the
/// sender's (see [`MessageReply::allow_modified`]).
///
/// ```
/// use tencent_webhook_core::{MessageEdit, MsgElement};
/// let edit = MessageEdit::new()
///     .msg_body(vec![MsgElement::text("hello ***")])
///     .cloud_custom_data("moderated");
/// assert_eq!(edit.get_msg_body().unwrap()[0].as_text(), Some("hello ***"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageEdit {
    msg_body: Option<Vec<MsgElement>>,
    cloud_custom_data: Option<String>,
}

impl MessageEdit {
    /// No change yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replace the message's `MsgBody`.
    pub fn msg_body(mut self, body: Vec<MsgElement>) -> Self {
        self.msg_body = Some(body);
        self
    }

    /// Replace the message's `CloudCustomData`.
    pub fn cloud_custom_data(mut self, data: impl Into<String>) -> Self {
        self.cloud_custom_data = Some(data.into());
        self
    }

    /// The replacement `MsgBody`, if any.
    pub fn get_msg_body(&self) -> Option<&[MsgElement]> {
        self.msg_body.as_deref()
    }

    /// The replacement `CloudCustomData`, if any.
    pub fn get_cloud_custom_data(&self) -> Option<&str> {
        self.cloud_custom_data.as_deref()
    }
}

/// The answer to `Group.CallbackBeforeSendMsg` (<https://trtc.io/document/74347>): allow
/// (`ErrorCode` 0, optionally with a modified `MsgBody` / `CloudCustomData`), reject (1:
/// the sender gets error 10016), drop silently (2: the sender sees success, nobody
/// receives it), or reject with a code in [`MessageReply::CUSTOM_CODES`] that Tencent
/// passes to the sender with its text.
///
/// ```
/// use tencent_webhook_core::{MessageEdit, MessageReply, MsgElement};
/// assert_eq!(MessageReply::discard().error_code(), 2);
/// let edited = MessageReply::allow_modified(MessageEdit::new().msg_body(vec![MsgElement::text("hi")]));
/// assert_eq!(edited.error_code(), 0);
/// assert_eq!(MessageReply::reject_with(10150, "slow down").unwrap().error_code(), 10150);
/// assert!(MessageReply::reject_with(10016, "reserved").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageReply {
    code: i64,
    info: Cow<'static, str>,
    edit: Option<Box<MessageEdit>>,
}

impl MessageReply {
    /// The codes Tencent passes through to the sender: 10100 to 10200.
    pub const CUSTOM_CODES: RangeInclusive<i64> = 10100..=10200;

    const fn decision(code: i64) -> Self {
        Self {
            code,
            info: Cow::Borrowed(""),
            edit: None,
        }
    }

    /// Let the message through unchanged (`ErrorCode` 0).
    pub const fn allow() -> Self {
        Self::decision(0)
    }

    /// Let the message through with `edit` applied (`ErrorCode` 0 plus `MsgBody` and/or
    /// `CloudCustomData`; Tencent applies them only with code 0, which is why only this
    /// constructor takes them). An empty edit is a plain allow.
    pub fn allow_modified(edit: MessageEdit) -> Self {
        let edit = (edit != MessageEdit::default()).then(|| Box::new(edit));
        Self {
            code: 0,
            info: Cow::Borrowed(""),
            edit,
        }
    }

    /// Reject the message (`ErrorCode` 1): the sender gets error 10016.
    pub const fn reject() -> Self {
        Self::decision(1)
    }

    /// Drop the message silently (`ErrorCode` 2): the sender sees success, nobody
    /// receives it.
    pub const fn discard() -> Self {
        Self::decision(2)
    }

    /// Reject the message with your own code and text, which Tencent passes to the
    /// sender (as is: put nothing secret in it). The code must lie in
    /// [`MessageReply::CUSTOM_CODES`]; otherwise this is an error (and nothing is sent).
    pub fn reject_with(
        code: i64,
        info: impl Into<Cow<'static, str>>,
    ) -> Result<Self, ReplyCodeError> {
        let code = check(code, Self::CUSTOM_CODES, "Group.CallbackBeforeSendMsg")?;
        Ok(Self {
            code,
            info: info.into(),
            edit: None,
        })
    }

    /// The `ErrorCode` this reply answers with.
    pub const fn error_code(&self) -> i64 {
        self.code
    }

    /// The `ErrorInfo` this reply answers with.
    pub fn error_info(&self) -> &str {
        &self.info
    }

    /// The modification, for an [`allow_modified`](Self::allow_modified) reply.
    pub fn edit(&self) -> Option<&MessageEdit> {
        self.edit.as_deref()
    }

    pub(crate) fn into_ack(self) -> Ack {
        Ack::decision(self.code, self.info, self.edit)
    }
}

impl BeforeSendGift {
    /// The [`Ack`] that answers this gift webhook with `reply`, for a callback made with
    /// [`WebhookService::from_fn`](crate::WebhookService::from_fn) (a
    /// [`EventRouter`](crate::EventRouter) handler returns the reply itself).
    pub fn answer(&self, reply: GiftReply) -> Ack {
        reply.into_ack()
    }
}

impl BeforeSendMsg {
    /// The [`Ack`] that answers this message webhook with `reply`, for a callback made
    /// with [`WebhookService::from_fn`](crate::WebhookService::from_fn) (a
    /// [`EventRouter`](crate::EventRouter) handler returns the reply itself).
    ///
    /// ```
    /// use tencent_webhook_core::test_util::{samples, webhook};
    /// use tencent_webhook_core::{Event, MessageReply};
    ///
    /// let hook = webhook(1400000000, "Group.CallbackBeforeSendMsg", samples::BEFORE_SEND_MSG).unwrap();
    /// let Event::BeforeSendMsg(msg) = &hook.event else { unreachable!() };
    /// let ack = msg.answer(MessageReply::discard());
    /// assert_eq!((ack.is_ok(), ack.error_code()), (true, 2));
    /// ```
    pub fn answer(&self, reply: MessageReply) -> Ack {
        reply.into_ack()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_inclusive_and_checked() {
        for code in [10100, 10150, 10200] {
            assert_eq!(
                MessageReply::reject_with(code, "x").unwrap().error_code(),
                code
            );
        }
        for code in [0, 1, 2, 10016, 10099, 10201, 102100, -10100] {
            let err = MessageReply::reject_with(code, "x").unwrap_err();
            assert_eq!(err.code, code);
            assert_eq!(err.range, 10100..=10200);
            assert!(err.to_string().contains("[10100, 10200]"), "{err}");
        }
        for code in [102100, 102200] {
            assert!(GiftReply::reject_with(code, "x").is_ok());
        }
        for code in [0, 1, 10100, 102099, 102201] {
            let err = GiftReply::reject_with(code, "x").unwrap_err();
            assert_eq!(err.webhook, "Live.CallbackBeforeSendGift");
            assert!(err.to_string().contains("[102100, 102200]"), "{err}");
        }
    }

    #[test]
    fn decisions_become_ok_acks_with_their_code() {
        let cases = [
            (MessageReply::allow().into_ack(), 0),
            (MessageReply::reject().into_ack(), 1),
            (MessageReply::discard().into_ack(), 2),
            (GiftReply::allow().into_ack(), 0),
            (GiftReply::reject().into_ack(), 1),
        ];
        for (ack, code) in cases {
            assert!(ack.is_ok());
            assert_eq!(ack.error_code(), code);
            assert!(ack.message_edit().is_none());
        }
        let ack = MessageReply::reject_with(10123, "custom")
            .unwrap()
            .into_ack();
        assert_eq!((ack.error_code(), ack.error_info()), (10123, "custom"));
    }

    #[test]
    fn only_a_modified_allow_carries_an_edit() {
        let edit = MessageEdit::new().cloud_custom_data("c");
        let ack = MessageReply::allow_modified(edit.clone()).into_ack();
        assert_eq!(ack.message_edit(), Some(&edit));
        assert_eq!(ack.error_code(), 0);
        // An empty edit is a plain allow.
        assert_eq!(
            MessageReply::allow_modified(MessageEdit::new()).into_ack(),
            Ack::ok()
        );
    }
}
