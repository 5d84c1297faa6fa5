//! [`Trace`]: what one request leaves in the logs. Every answer goes through here, so every
//! refused or failed request gets one log line naming its app, command, outcome, status
//! and latency, and with DEBUG on every delivered one too.
//!
//! Levels: a refusal is logged at WARN, a failure of the callback (panic, error, deadline)
//! at ERROR, a callback's FAIL answer at INFO, a delivered request at DEBUG. A request
//! that is not a `POST` (a health probe sent to the webhook's URL, say) is no warning: it
//! is logged at DEBUG.
//!
//! Floods: the refusals anybody can cause without a secret come in floods (a scanner, a
//! forger, an overload), and one WARN line each would turn a flood of requests into a
//! flood of log lines. So for each of four classes (a malformed request: a query parameter
//! or header missing, repeated or malformed, an unsupported `contenttype`, a body too large,
//! too slow or broken off, all of which can come before authentication; not authenticated
//! (every 401);
//! unknown app (403); overloaded (503 `BufferBudgetExhausted` and
//! `TooManyCallbacks`, at WARN, not ERROR)) at most one WARN line is written per
//! second, across the process. The others of that second get a DEBUG line each (same
//! fields, and `rate_limited = true`), so a DEBUG subscriber still sees every one, and the
//! next WARN line of the class carries `suppressed = N`: how many were logged at DEBUG
//! only since the previous WARN line. The limiter is two atomics per class, no lock.
//! Other refusals (a verified body that is not JSON, not an object, or names another
//! command) and the callback's failures (ERROR) are never held back.
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

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use http::StatusCode;
use tracing::{Level, Span, field};

use crate::answer::envelope::{self, WebhookResponse, truncated};
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

    /// The answer to a refused or failed request, logged at WARN (ERROR for 5xx, DEBUG for
    /// a method other than `POST`); the WARN lines of refusals that come in floods are
    /// rate-limited (see the [module](self) documentation).
    pub(crate) fn reject(&self, rejection: Rejection) -> WebhookResponse {
        let status = rejection.status().as_u16();
        let latency = self.finish("rejected", status);
        let (app, command, code) = (
            self.sdk_app_id,
            self.command_field(),
            rejection.error_code(),
        );
        macro_rules! line {
            ($level:expr, $message:literal $(, $($extra:tt)+)?) => {
                tracing::event!(target: TARGET, parent: &self.span, $level, sdk_app_id = app, command, outcome = "rejected", status, latency_us = latency, error_code = code, reason = %rejection, $($($extra)+,)? $message)
            };
        }
        match Flood::of(rejection) {
            // No limiter work where no line can show.
            Some(_) if !lines_enabled() => {}
            Some(flood) => match flood.limiter().admit(now_secs()) {
                Some(0) => line!(Level::WARN, "webhook rejected"),
                Some(suppressed) => line!(Level::WARN, "webhook rejected", suppressed),
                None => line!(Level::DEBUG, "webhook rejected", rate_limited = true),
            },
            None if rejection == Rejection::MethodNotAllowed => {
                line!(Level::DEBUG, "webhook rejected");
            }
            None if status >= 500 => line!(Level::ERROR, "webhook failed"),
            None => line!(Level::WARN, "webhook rejected"),
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

/// The refusals whose WARN lines are rate-limited: those anybody can send in floods,
/// without a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flood {
    /// A malformed request: a query parameter or header missing, repeated or malformed
    /// (400), an unsupported `contenttype` (415), or a body too large (413), too slow (408)
    /// or broken off (400): all of them can come before authentication (on TRTC, whose
    /// signature covers the body, the body refusals always do).
    Malformed,
    /// 401: no, a wrong or a stale signature, or no secret to check one with.
    Unauthenticated,
    /// 403: an app that is not configured here.
    UnknownApp,
    /// 503 under overload: the buffer budget or the cap on running callbacks is exhausted.
    Overloaded,
}

impl Flood {
    /// The class of `rejection`, if its lines are rate-limited.
    fn of(rejection: Rejection) -> Option<Self> {
        match rejection {
            Rejection::MissingParameter(_)
            | Rejection::DuplicateParameter(_)
            | Rejection::MalformedParameter(_)
            | Rejection::MissingHeader(_)
            | Rejection::DuplicateHeader(_)
            | Rejection::MalformedHeader(_)
            | Rejection::UnsupportedContentType
            | Rejection::BodyTooLarge
            | Rejection::BodyTimeout
            | Rejection::BodyRead => Some(Self::Malformed),
            Rejection::BufferBudgetExhausted | Rejection::TooManyCallbacks => {
                Some(Self::Overloaded)
            }
            // Every 401 and 403, present and future.
            _ => match rejection.status() {
                StatusCode::UNAUTHORIZED => Some(Self::Unauthenticated),
                StatusCode::FORBIDDEN => Some(Self::UnknownApp),
                _ => None,
            },
        }
    }

    /// The process-wide limiter of this class.
    fn limiter(self) -> &'static Limiter {
        &LIMITERS[self as usize]
    }
}

/// The limiter of each [`Flood`] class, for the whole process.
static LIMITERS: [Limiter; 4] = [const { Limiter::new() }; 4];

/// Forget what the limiters have seen: the next refusal of each class gets a WARN line,
/// with no count. For tests that count log lines, whose refusals would otherwise be held
/// back for those of the test before (offered as `test_util::reset_log_rate_limits`).
#[cfg(feature = "test-util")]
pub(crate) fn reset_rate_limits() {
    for limiter in &LIMITERS {
        limiter.last.store(0, Ordering::Relaxed);
        limiter.suppressed.store(0, Ordering::Relaxed);
    }
}

/// Seconds since the first rate-limited refusal of the process (a monotonic clock, so a
/// step of the wall clock neither opens nor shuts the window).
fn now_secs() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_secs()
}

/// At most one WARN line per second, counting the refusals held back in between. Lock-free:
/// the first refusal of a later second than the last line's wins the compare-exchange and
/// takes the count; every other one adds to it. Each held-back refusal is counted in
/// exactly one WARN line (or in the next one still to come).
struct Limiter {
    /// 1 + the second of the last WARN line; 0 before the first.
    last: AtomicU64,
    /// Refusals held back since the last WARN line.
    suppressed: AtomicU64,
}

impl Limiter {
    const fn new() -> Self {
        Self {
            last: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// A refusal at second `now`: `Some(n)` when it gets a WARN line, `n` being how many
    /// were held back since the previous one; `None` when it is held back (and counted).
    fn admit(&self, now: u64) -> Option<u64> {
        let slot = now.saturating_add(1);
        let last = self.last.load(Ordering::Relaxed);
        if last < slot
            && self
                .last
                .compare_exchange(last, slot, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            return Some(self.suppressed.swap(0, Ordering::Relaxed));
        }
        self.suppressed.fetch_add(1, Ordering::Relaxed);
        None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_second_and_the_next_counts_the_rest() {
        let limiter = Limiter::new();
        assert_eq!(limiter.admit(0), Some(0));
        assert_eq!(limiter.admit(0), None);
        assert_eq!(limiter.admit(0), None);
        assert_eq!(limiter.admit(1), Some(2));
        assert_eq!(limiter.admit(1), None);
        // A quiet spell: the next line comes at once, with the one held back.
        assert_eq!(limiter.admit(60), Some(1));
        assert_eq!(limiter.admit(61), Some(0));
        // A late reader of an earlier second is held back, not let through.
        assert_eq!(limiter.admit(60), None);
        assert_eq!(limiter.admit(u64::MAX), Some(1));
        assert_eq!(limiter.admit(u64::MAX), None);
    }

    #[test]
    fn concurrent_refusals_get_one_line_and_every_one_is_counted() {
        let limiter = Limiter::new();
        let threads = 8;
        let each = 10_000;
        let lines: Vec<Vec<u64>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        (0..each)
                            .filter_map(|i| limiter.admit(i / 2_500))
                            .collect::<Vec<u64>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let lines: Vec<u64> = lines.into_iter().flatten().collect();
        // Seconds 0 to 3: one line each.
        assert_eq!(lines.len(), 4, "{lines:?}");
        // The last line's count is still pending; with it, every refusal is accounted for.
        let pending = limiter.suppressed.load(Ordering::Relaxed);
        assert_eq!(
            lines.iter().sum::<u64>() + pending + 4,
            threads * each,
            "{lines:?} + {pending}"
        );
    }

    /// Every kind of the answer table, by its code: which flood class its lines are in.
    #[test]
    fn the_flood_classes() {
        use Flood::{Malformed, Overloaded, Unauthenticated, UnknownApp};
        let expected = |code: i64| match code {
            40001 | 40002 | 40003 | 40008 | 40009 | 40010 | 40011 => Some(Malformed),
            40801 | 41301 | 41501 => Some(Malformed),
            40101..=40107 => Some(Unauthenticated),
            40301 => Some(UnknownApp),
            50302 | 50303 => Some(Overloaded),
            // Verified bodies that are not JSON, not objects or name another command; a
            // method other than POST; the callback's failures.
            40004 | 40005 | 40007 | 40501 | 50001 | 50002 | 50301 => None,
            other => panic!("a new code {other}: decide its class"),
        };
        for &rejection in Rejection::ALL {
            assert_eq!(
                Flood::of(rejection),
                expected(rejection.error_code()),
                "{rejection:?}"
            );
        }
    }
}
