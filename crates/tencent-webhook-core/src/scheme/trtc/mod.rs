//! The TRTC console callback scheme (<https://trtc.io/document/39558>): its admission (the
//! `SdkAppId` and `Sign` headers), its signature over the whole body ([`signature`], checked
//! once the body is read, under the scheme's small body limit and the shared buffer budget)
//! and the freshness of the signed `CallbackTs`.

pub(crate) mod signature;

pub use signature::trtc_sign;

use std::time::{Duration, UNIX_EPOCH};

use super::{Admitted, header_str, parse_app_id};
use crate::pipeline::trace::Trace;
use crate::{HeaderValues, Rejection, RequestHead, WebhookConfig};
use signature::SignedBody;

pub(super) fn admit(
    config: &WebhookConfig,
    head: &impl RequestHead,
    trace: &mut Trace,
) -> Result<Admitted, Rejection> {
    let app_id =
        single(head.header("sdkappid"), "SdkAppId")?.ok_or(Rejection::MissingHeader("SdkAppId"))?;
    let app_id = header_str(app_id)
        .and_then(|s| parse_app_id(s.trim()))
        .ok_or(Rejection::MalformedHeader("SdkAppId"))?;
    trace.app(app_id);
    let app = config.app(app_id).ok_or(Rejection::UnknownApp)?;
    let sign = single(head.header("sign"), "Sign")?;
    let signed_body = if app.trtc_keys.is_empty() {
        // Fail closed: unsigned only where the app opted in by name.
        if !app.unsigned_trtc {
            return Err(Rejection::NoSecret);
        }
        None
    } else {
        let sign = sign.ok_or(Rejection::MissingSignHeader)?;
        Some(SignedBody::new(app.trtc_keys.clone(), sign))
    };
    Ok(Admitted {
        sdk_app_id: app_id,
        command: None,
        client_ip: None,
        platform: None,
        request_time: None,
        signed_body,
    })
}

/// The one value of a header that must not be repeated; an empty value counts as absent.
fn single<'a>(values: HeaderValues<'a>, name: &'static str) -> Result<Option<&'a [u8]>, Rejection> {
    if values.repeated() {
        return Err(Rejection::DuplicateHeader(name));
    }
    Ok(values.first().filter(|v| !v.is_empty()))
}

/// With a freshness window configured (the default), a TRTC body's `CallbackTs` (Unix
/// milliseconds, covered by the signature), when present, must be within the window of
/// now. A verified body without one is delivered: Tencent always sends it, and nobody can
/// remove it from a signed body.
pub(crate) fn check_freshness(
    config: &WebhookConfig,
    callback_ts: Option<u64>,
) -> Result<(), Rejection> {
    let (Some(window), Some(ts)) = (config.trtc_freshness_window(), callback_ts) else {
        return Ok(());
    };
    let now = config
        .now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    if Duration::from_millis(now.abs_diff(ts)) > window {
        return Err(Rejection::StaleCallbackTs);
    }
    Ok(())
}
