//! [`Trace`]: what one request leaves in the logs. Every answer goes through here, so every
//! refused or failed request gets one log line naming its app, command, outcome, status
//! and latency, and with DEBUG on every delivered one too.
//!
//! Every refusal and FAIL line names the request itself: `sdk_app_id`, the (escaped)
//! `command`, `outcome`, `status` and `latency_us` are fields of the event, whatever
//! becomes of the span, so a line says what happened even where the span is filtered out
//! (an INFO `fmt` layer next to a DEBUG exporter, say).
//!
//! The request span (`tencent_webhook`, same fields) is created at
//! [`WebhookConfigBuilder::span_level`] (DEBUG by default, as tower-http's `TraceLayer`
//! does). Where a subscriber listens at that level, every line inside it (your callback's
//! own included) shows its fields, and span exporters see `outcome`, `status` and
//! `latency_us`. Where none does (an INFO subscriber, by default) the span costs nothing:
//! a subscriber such as `tracing_subscriber::fmt` formats every recorded span field
//! eagerly, which cost more than the rest of the middleware on a successful request.
//!
//! Spans and events keep the target `tencent_webhook_core::service`, so filters written
//! for it keep working.
//!
//! [`WebhookConfigBuilder::span_level`]: crate::WebhookConfigBuilder::span_level

use std::time::Instant;

use tracing::{Level, Span, field};

use crate::envelope::{self, WebhookResponse};
use crate::{Ack, Rejection, Scheme};

/// The target of the request span and of every line about a request.
pub(crate) const TARGET: &str = "tencent_webhook_core::service";

/// The most bytes of a `CallbackCommand` that reach a log line (it is attacker-controlled
/// before the app is known).
const COMMAND_LOG_LIMIT: usize = 128;

/// Whether any line about a request can be shown (they are at ERROR to DEBUG).
pub(crate) fn lines_enabled() -> bool {
    tracing::enabled!(target: TARGET, Level::ERROR)
}

/// The span of one request, its start time, and what its lines name.
pub(crate) struct Trace {
    span: Span,
    started: Option<Instant>,
    scheme: Scheme,
    /// The app, once known.
    sdk_app_id: Option<u64>,
    /// The command, kept only on the paths that log it.
    command: Option<String>,
}

impl Trace {
    /// Start the trace of one request of `scheme`, its span at `level`.
    pub(crate) fn start(scheme: Scheme, level: Level) -> Self {
        let span = request_span(level);
        // No clock read when nothing would show the latency.
        let started = (!span.is_disabled() || lines_enabled()).then(Instant::now);
        Self {
            span,
            started,
            scheme,
            sdk_app_id: None,
            command: None,
        }
    }

    /// The request span (disabled where no subscriber listens at its level).
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// Whether some subscriber listens to the span.
    pub(crate) fn listened(&self) -> bool {
        !self.span.is_disabled()
    }

    /// The request is for this app.
    pub(crate) fn app(&mut self, sdk_app_id: u64) {
        self.sdk_app_id = Some(sdk_app_id);
        if self.listened() {
            self.span.record("sdk_app_id", sdk_app_id);
        }
    }

    /// The request is for this app and names this command (Chat, from the query: not yet
    /// authenticated, so escaped and cut short). The command is not copied: the caller
    /// hands it to [`note_command`](Self::note_command) on the paths that log.
    pub(crate) fn app_and_command(&mut self, sdk_app_id: u64, command: &str) {
        self.sdk_app_id = Some(sdk_app_id);
        if self.listened() {
            record_fields(
                &self.span,
                [
                    ("sdk_app_id", &sdk_app_id),
                    (
                        "command",
                        &field::debug(truncated(command, COMMAND_LOG_LIMIT)),
                    ),
                ],
            );
        }
    }

    /// The command the request's lines name (an empty one names none), recorded on the
    /// span too when `on_span` (TRTC, whose command comes from the verified body).
    pub(crate) fn note_command(&mut self, command: &str, on_span: bool) {
        if command.is_empty() {
            return;
        }
        if on_span && self.listened() {
            // Built by the decoder (`TRTC.{group}.{type}`), so plain text.
            self.span.record("command", field::display(command));
        }
        // Kept for the lines (on a delivered TRTC request only if one can show).
        if self.command.is_none() && (!on_span || lines_enabled()) {
            self.command = Some(truncated(command, COMMAND_LOG_LIMIT).to_owned());
        }
    }

    fn finish(&self, outcome: &'static str, status: u16) -> Option<u64> {
        let started = self.started?;
        let latency = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        if self.listened() {
            record_fields(
                &self.span,
                [
                    ("outcome", &outcome),
                    ("status", &status),
                    ("latency_us", &latency),
                ],
            );
        }
        Some(latency)
    }

    fn command_field(&self) -> Option<field::DebugValue<&str>> {
        self.command.as_deref().map(field::debug)
    }

    /// The answer to a delivered webhook whose callback answered `ack`.
    pub(crate) fn answer(&self, ack: &Ack) -> WebhookResponse {
        let response = envelope::ack_response(self.scheme, ack);
        let (app, command) = (self.sdk_app_id, self.command_field());
        if ack.is_ok() {
            // A delivered request logs at DEBUG only: its outcome, status and latency are
            // recorded only where DEBUG is on.
            if tracing::enabled!(target: TARGET, Level::DEBUG) {
                let latency = self.finish("ok", 200);
                tracing::event!(target: TARGET, parent: &self.span, Level::DEBUG, sdk_app_id = app, command, outcome = "ok", status = 200, latency_us = latency, "webhook delivered");
            }
        } else {
            // The status actually sent: 200 with FAIL on Chat, non-200 on TRTC.
            let status = response.status().as_u16();
            let latency = self.finish("fail", status);
            tracing::event!(target: TARGET, parent: &self.span, Level::INFO, sdk_app_id = app, command, outcome = "fail", status, latency_us = latency, error_code = ack.error_code(), "webhook delivered, callback answered FAIL");
        }
        response
    }

    /// The answer to a refused or failed request, logged at WARN (ERROR for 5xx).
    pub(crate) fn reject(&self, rejection: Rejection) -> WebhookResponse {
        let status = rejection.status().as_u16();
        let latency = self.finish("rejected", status);
        let (app, command, code) = (
            self.sdk_app_id,
            self.command_field(),
            rejection.error_code(),
        );
        if status >= 500 {
            tracing::event!(target: TARGET, parent: &self.span, Level::ERROR, sdk_app_id = app, command, outcome = "rejected", status, latency_us = latency, error_code = code, reason = %rejection, "webhook failed");
        } else {
            tracing::event!(target: TARGET, parent: &self.span, Level::WARN, sdk_app_id = app, command, outcome = "rejected", status, latency_us = latency, error_code = code, reason = %rejection, "webhook rejected");
        }
        envelope::rejection_response(self.scheme, rejection)
    }

    /// The inner service failed with `error` (logged at ERROR; the answer follows from
    /// [`reject`](Self::reject)).
    pub(crate) fn inner_error(&self, error: &dyn std::fmt::Display) {
        tracing::event!(target: TARGET, parent: &self.span, Level::ERROR, sdk_app_id = self.sdk_app_id, command = self.command_field(), error = %error, "inner service failed");
    }

    /// The scheme of the request.
    pub(crate) fn scheme(&self) -> Scheme {
        self.scheme
    }
}

/// The request span at `level` (the `span!` macro needs a constant level).
fn request_span(level: Level) -> Span {
    macro_rules! span_at {
        ($level:expr) => {
            tracing::span!(
                target: TARGET,
                $level,
                "tencent_webhook",
                sdk_app_id = field::Empty,
                command = field::Empty,
                outcome = field::Empty,
                status = field::Empty,
                latency_us = field::Empty,
            )
        };
    }
    match level {
        Level::ERROR => span_at!(Level::ERROR),
        Level::WARN => span_at!(Level::WARN),
        Level::INFO => span_at!(Level::INFO),
        Level::DEBUG => span_at!(Level::DEBUG),
        _ => span_at!(Level::TRACE),
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
pub(crate) fn truncated(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Record several fields of `span` in one call to the subscriber: one look-up of the span
/// and one formatting pass, where [`Span::record`] costs one of each per field. A disabled
/// span, or a name the span does not have, takes the field-by-field path.
fn record_fields<const N: usize>(span: &Span, values: [(&'static str, &dyn tracing::Value); N]) {
    let fields = span.metadata().map(|meta| meta.fields());
    let found = fields
        .filter(|_| !span.is_disabled())
        .map(|fields| values.map(|(name, _)| fields.field(name)));
    match (fields, found) {
        (Some(fields), Some(found)) if found.iter().all(Option::is_some) => {
            let entries: [(&field::Field, Option<&dyn tracing::Value>); N] =
                std::array::from_fn(|i| match &found[i] {
                    Some(field) => (field, Some(values[i].1)),
                    None => unreachable!("every field was found"),
                });
            span.record_all(&fields.value_set(&entries));
        }
        _ => {
            for (name, value) in values {
                span.record(name, value);
            }
        }
    }
}
