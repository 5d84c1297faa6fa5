//! The Chat / TUILiveKit scheme: its query parameters ([`query`], [`platform`]), its
//! signature ([`signature`]: `Sign` over the token and `RequestTime`) and its admission,
//! all checked before the body is read (<https://trtc.io/document/64412>).

mod platform;
pub(crate) mod query;
pub(crate) mod signature;

pub use platform::OptPlatform;
pub use signature::sign;

use super::{Admitted, parse_app_id};
use crate::pipeline::trace::Trace;
use crate::{Rejection, WebhookConfig};
use query::CallbackQuery;

pub(super) fn admit(
    config: &WebhookConfig,
    query: Option<&str>,
    trace: &mut Trace,
) -> Result<Admitted, Rejection> {
    let query = CallbackQuery::parse(query.unwrap_or(""))?;
    let app_id = query
        .sdk_app_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(Rejection::MissingParameter("SdkAppid"))?;
    let app_id = parse_app_id(app_id).ok_or(Rejection::MalformedParameter("SdkAppid"))?;
    let Some(command) = query.command.filter(|s| !s.is_empty()) else {
        trace.app(app_id);
        return Err(Rejection::MissingParameter("CallbackCommand"));
    };
    // Attacker-controlled before the app check: the trace escapes it and cuts it short.
    trace.app_and_command(app_id, &command);
    let checked = (|| {
        if let Some(ct) = query.content_type.as_deref()
            && !ct.eq_ignore_ascii_case("json")
        {
            return Err(Rejection::UnsupportedContentType);
        }
        let app = config.app(app_id).ok_or(Rejection::UnknownApp)?;
        if app.tokens.is_empty() {
            // Fail closed: unsigned only where the app opted in by name.
            return if app.unsigned_chat {
                Ok(None)
            } else {
                Err(Rejection::NoSecret)
            };
        }
        let (Some(sign), Some(time)) = (query.sign.as_deref(), query.request_time.as_deref())
        else {
            return Err(Rejection::MissingSignature);
        };
        signature::verify(
            &app.tokens,
            sign,
            time,
            config.now(),
            config.replay_window(),
        )
        .map(Some)
    })();
    let request_time = match checked {
        Ok(request_time) => request_time,
        Err(rejection) => {
            trace.note_command(&command, false);
            return Err(rejection);
        }
    };
    Ok(Admitted {
        sdk_app_id: app_id,
        command: Some(command.into_owned()),
        client_ip: query.client_ip.map(|c| c.into_owned()),
        platform: query.opt_platform.as_deref().map(OptPlatform::parse),
        request_time,
        signed_body: None,
    })
}
