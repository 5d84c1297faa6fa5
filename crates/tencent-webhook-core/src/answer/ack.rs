//! What the user's callback answers: [`Ack`] and the [`IntoAck`] conversion.

use std::borrow::Cow;

use crate::answer::reply::MessageEdit;

/// The callback's answer to one delivered webhook.
///
/// [`Ack::ok`] becomes `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`;
/// [`Ack::fail`] becomes `{"ActionStatus":"FAIL","ErrorCode":code,"ErrorInfo":info}`,
/// both with HTTP 200 (Tencent reads the envelope, not the status). For "after" webhooks
/// Tencent ignores the code; for "before" webhooks the code decides what happens: answer
/// those with a [`GiftReply`](crate::GiftReply) or [`MessageReply`](crate::MessageReply),
/// which become an `Ack` through [`BeforeSendGift::answer`](crate::BeforeSendGift::answer)
/// and [`BeforeSendMsg::answer`](crate::BeforeSendMsg::answer) (or a
/// [`EventRouter`](crate::EventRouter) handler). Only a `MessageReply` can make an
/// `Ack` carry `MsgBody` or `CloudCustomData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    ok: bool,
    code: i64,
    info: Cow<'static, str>,
    /// The modified message of a before-message reply; set only by `MessageReply`.
    edit: Option<Box<MessageEdit>>,
}

impl Ack {
    /// Success: `ActionStatus` `OK`, `ErrorCode` 0, empty `ErrorInfo`.
    pub const fn ok() -> Self {
        Self {
            ok: true,
            code: 0,
            info: Cow::Borrowed(""),
            edit: None,
        }
    }

    /// A before-webhook decision: `ActionStatus` `OK` with the decision in `ErrorCode`
    /// (as Tencent's before-webhook pages answer), and for a message the modification.
    pub(crate) fn decision(
        code: i64,
        info: Cow<'static, str>,
        edit: Option<Box<MessageEdit>>,
    ) -> Self {
        Self {
            ok: true,
            code,
            info,
            edit,
        }
    }

    /// Failure with your own `ErrorCode` and `ErrorInfo` (sent to Tencent as is; do not put
    /// secrets in it). `ErrorCode` 0 is what Tencent's before-webhooks read as "allow", so a
    /// failure is never sent with it: `fail(0, ..)` is sent as `ErrorCode` 1.
    pub fn fail(code: i64, info: impl Into<Cow<'static, str>>) -> Self {
        Self {
            ok: false,
            code: if code == 0 { 1 } else { code },
            info: info.into(),
            edit: None,
        }
    }

    /// Whether `ActionStatus` is `OK`. A before-webhook decision (reject, drop, a custom
    /// code) is `OK` too, with the decision in [`error_code`](Self::error_code).
    pub const fn is_ok(&self) -> bool {
        self.ok
    }

    /// The `ErrorCode` of the envelope.
    pub const fn error_code(&self) -> i64 {
        self.code
    }

    /// The `ErrorInfo` of the envelope.
    pub fn error_info(&self) -> &str {
        &self.info
    }

    /// The modified message this answer carries (`MsgBody`, `CloudCustomData`), set only
    /// by [`MessageReply::allow_modified`](crate::MessageReply::allow_modified).
    pub fn message_edit(&self) -> Option<&MessageEdit> {
        self.edit.as_deref()
    }
}

impl Default for Ack {
    fn default() -> Self {
        Self::ok()
    }
}

/// Anything a callback may return: [`Ack`], `()` (success), or a `Result` whose error
/// converts into an [`Ack`] (`Result<(), Ack>`, or your own error type with
/// `impl From<MyError> for Ack`). An error never turns into success: `Err(())` does not
/// compile.
///
/// ```
/// use tencent_webhook_core::{Ack, IntoAck};
/// assert!(().into_ack().is_ok());
/// let failed: Result<(), Ack> = Err(Ack::fail(7, "storage down"));
/// assert_eq!(failed.into_ack().error_code(), 7);
/// ```
///
/// ```compile_fail
/// use tencent_webhook_core::IntoAck;
/// let lost: Result<(), ()> = Err(());
/// let _ = lost.into_ack();
/// ```
pub trait IntoAck {
    /// Convert into the envelope's content.
    fn into_ack(self) -> Ack;
}

impl IntoAck for Ack {
    fn into_ack(self) -> Ack {
        self
    }
}

impl IntoAck for () {
    fn into_ack(self) -> Ack {
        Ack::ok()
    }
}

impl<T: IntoAck, E: Into<Ack>> IntoAck for Result<T, E> {
    fn into_ack(self) -> Ack {
        match self {
            Ok(t) => t.into_ack(),
            Err(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_never_carries_code_0() {
        assert_eq!(Ack::fail(0, "x").error_code(), 1);
        assert!(!Ack::fail(0, "x").is_ok());
        assert_eq!(Ack::fail(-3, "x").error_code(), -3);
        assert_eq!(Ack::fail(4242, "x").error_code(), 4242);
    }
}
