//! The stage after the body: verify it where the scheme signs it, decode it (counting the
//! JSON trees it keeps), take the callback's place, run the callback to its end under its
//! deadline, and answer. Every body reaches the callback through here, however it was read.

use bytes::Bytes;
use futures_util::FutureExt;
use tower::{Service, ServiceExt};
use tracing::Instrument;

use crate::answer::envelope::WebhookResponse;
use crate::pipeline::budget::Charge;
use crate::pipeline::run_to_end::{Panicked, RunToEnd};
use crate::pipeline::trace::Trace;
use crate::scheme::{self, Admitted};
use crate::{Admission, IntoAck, Rejection, Scheme, Webhook, WebhookConfig, WebhookContext};

/// Boxed error of an inner service.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Stage 3: verify, decode, call and answer. The admission is borrowed, not moved: an
/// `async fn` keeps a slot for each value moved into it and for each local it is moved to,
/// so moving it (and the webhook) through the futures made the per-request future several
/// times its contents. Here only the trace and the boxed callback live across the await.
pub(crate) async fn run<S>(inner: S, admission: &mut Admission, body: Bytes) -> WebhookResponse
where
    S: Service<Webhook> + Send + 'static,
    S::Future: Send + 'static,
    S::Response: IntoAck,
    S::Error: Into<BoxError>,
{
    let trace = &mut admission.trace;
    // The webhook and its decoding live in this block only, so that they take no room in
    // the future across the await below.
    let (mut call, deadline) = {
        let decoded = decode(
            admission.freshness.as_ref(),
            std::mem::take(&mut admission.admitted),
            body,
            admission.charge.as_mut(),
            trace,
        );
        let webhook = match decoded {
            Ok(webhook) => webhook,
            Err(rejection) => {
                admission.charge = None;
                return trace.reject(rejection);
            }
        };
        // The cap is checked before the body is read; the last place may have gone since.
        let Some(slot) = admission.callbacks.take() else {
            admission.charge = None;
            return trace.reject(Rejection::TooManyCallbacks);
        };
        if crate::pipeline::trace::lines_enabled() {
            // A failure after the hand-over is logged with the command, and the webhook
            // is the callback's from here on.
            trace.note_command(&webhook.context.command, false);
        }
        // Once an event is accepted it is processed to the end, even if the sender hangs
        // up and this future is dropped; only the deadline cancels the callback. The
        // webhook is moved once, into the callback's box.
        let deadline = admission
            .callback_deadline
            .map(|d| tokio::time::Instant::now() + d);
        // The answer's conversions run inside too: a panic there is the callback's.
        let call = RunToEnd::new(
            inner
                .oneshot(webhook)
                .map(|answer| match answer {
                    Ok(answer) => Ok(answer.into_ack()),
                    Err(error) => Err(Into::<BoxError>::into(error)),
                })
                .instrument(trace.span().clone()),
            deadline,
            slot,
            // The body stays in memory (in the webhook) until the callback is done.
            admission.charge.take(),
        );
        (call, deadline)
    };
    let outcome = match deadline {
        None => (&mut call).await,
        // Boxed: a timer only where a deadline is configured, outside this future.
        Some(deadline) => match Box::pin(tokio::time::timeout_at(deadline, &mut call)).await {
            Ok(outcome) => outcome,
            Err(_) => {
                call.cancel();
                return trace.reject(Rejection::CallbackTimeout);
            }
        },
    };
    match outcome {
        Ok(Ok(ack)) => trace.answer(&ack),
        Ok(Err(error)) => {
            trace.inner_error(&error);
            trace.reject(Rejection::CallbackError)
        }
        Err(Panicked) => trace.reject(Rejection::CallbackPanicked),
    }
}

/// Verify (where the scheme signs the body) and decode a body into the webhook the
/// callback receives. Every body passes here, however it was read: `dispatch` cannot
/// deliver a TRTC body whose `Sign` does not match.
fn decode(
    freshness: Option<&WebhookConfig>,
    admitted: Admitted,
    body: Bytes,
    charge: Option<&mut Charge>,
    trace: &mut Trace,
) -> Result<Webhook, Rejection> {
    let scheme = trace.scheme();
    if let Some(signed) = &admitted.signed_body {
        signed.verify(&body)?;
    }
    let mut context = WebhookContext::new(
        scheme,
        admitted.sdk_app_id,
        admitted.command.unwrap_or_default(),
        body,
    );
    context.client_ip = admitted.client_ip;
    context.platform = admitted.platform;
    context.request_time = admitted.request_time;
    #[allow(
        clippy::result_large_err,
        reason = "the context is handed back, not copied, and only on a refusal"
    )]
    let (decoded, trees) = crate::event::count_trees(|| Webhook::decode_with_callback_ts(context));
    // A JSON tree the event keeps is held until the callback ends, like the body.
    if let Some(charge) = charge {
        charge.force_add(trees);
    }
    let (webhook, callback_ts) = match decoded {
        Ok(decoded) => decoded,
        Err((rejection, context)) => {
            trace.note_command(&context.command, false);
            return Err(rejection);
        }
    };
    if scheme == Scheme::Trtc {
        trace.note_command(&webhook.context.command, true);
        if let Some(config) = freshness
            && let Err(rejection) = scheme::check_freshness(config, callback_ts)
        {
            trace.note_command(&webhook.context.command, false);
            return Err(rejection);
        }
    }
    Ok(webhook)
}
