//! What every example app shares: the environment contract, the webhook configuration it
//! implies, and the one-line description of a delivered event.
//!
//! The contract (the same for `axum`, `actix` and `warp`):
//! - `TENCENT_SDKAPPID` (default `1400000000`), `TENCENT_CALLBACK_TOKEN` (the Chat
//!   webhook's `Sign` is required), `TRTC_CALLBACK_KEY` (the TRTC callback's `Sign` header is
//!   required), `LISTEN_ADDR` (default `127.0.0.1:8080`). With neither secret set, both
//!   endpoints accept unsigned requests (a local demo: the startup lines say "unsigned");
//!   with only one set, the other endpoint is not mounted at all (the framework answers
//!   404), since it could authenticate nothing; with both, both verify;
//! - prints `listening on http://ADDR` when ready;
//! - `POST /tencent/callback` is the Chat / TUILiveKit webhook, `POST /trtc/callback` the
//!   TRTC console event callback (one callback serves both), `GET /healthz` the app's own
//!   route;
//! - prints one `key=value` line per delivered event, naming its room (`room=`) and acting
//!   user (`user=`); never prints the token or the key;
//! - answers the two before-webhooks ([`moderate`]): rejects a gift worth more than
//!   [`GIFT_COIN_LIMIT`] coins, and replaces [`BANNED_WORD`] in room messages.

pub mod replicas;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tencent_webhook::{
    Ack, BeforeSendGift, BeforeSendMsg, Event, GiftReply, MessageEdit, MessageReply, MsgElement,
    Scheme, SdkApp, Webhook, WebhookConfig, WebhookService,
};

/// Where the examples mount the Chat / TUILiveKit webhook.
pub const WEBHOOK_PATH: &str = "/tencent/callback";
/// Where the examples mount the TRTC console event callback.
pub const TRTC_PATH: &str = "/trtc/callback";
/// Default `SdkAppid`.
pub const DEFAULT_SDKAPPID: u64 = 1400000000;
/// Default listen address.
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:8080";

/// The example's settings, read from the environment.
pub struct Settings {
    /// `TENCENT_SDKAPPID`.
    pub sdk_app_id: u64,
    /// `TENCENT_CALLBACK_TOKEN` (never printed).
    pub token: Option<String>,
    /// `TRTC_CALLBACK_KEY` (never printed).
    pub trtc_key: Option<String>,
    /// `LISTEN_ADDR`.
    pub listen: SocketAddr,
}

impl Settings {
    /// Read the environment, exiting with a message on a malformed value. Also sends the
    /// library's log lines (one per refused request) to stderr.
    pub fn from_env() -> Self {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init();
        let sdk_app_id = match std::env::var("TENCENT_SDKAPPID") {
            Ok(v) => v
                .trim()
                .parse()
                .unwrap_or_else(|_| die("TENCENT_SDKAPPID must be a number")),
            Err(_) => DEFAULT_SDKAPPID,
        };
        let token = std::env::var("TENCENT_CALLBACK_TOKEN")
            .ok()
            .filter(|t| !t.is_empty());
        let trtc_key = std::env::var("TRTC_CALLBACK_KEY")
            .ok()
            .filter(|k| !k.is_empty());
        let listen = std::env::var("LISTEN_ADDR")
            .unwrap_or_else(|_| DEFAULT_LISTEN_ADDR.to_owned())
            .parse()
            .unwrap_or_else(|_| die("LISTEN_ADDR must be HOST:PORT, e.g. 127.0.0.1:8080"));
        Self {
            sdk_app_id,
            token,
            trtc_key,
            listen,
        }
    }

    /// The webhook configuration these settings describe.
    pub fn webhook_config(&self) -> WebhookConfig {
        let mut app = SdkApp::new(self.sdk_app_id);
        if let Some(token) = &self.token {
            app = app.token(token.clone());
        }
        if let Some(key) = &self.trtc_key {
            app = app.trtc_key(key.clone());
        }
        if self.token.is_none() && self.trtc_key.is_none() {
            // The local demo: no secret at all, so say by name that anything goes.
            app = app
                .insecure_accept_unsigned(Scheme::Chat)
                .insecure_accept_unsigned(Scheme::Trtc);
        }
        WebhookConfig::builder()
            .app(app)
            .build()
            .unwrap_or_else(|e| die(&format!("invalid webhook configuration: {e}")))
    }

    /// The endpoint of `scheme` built on `config` with `inner`, or `None` when the
    /// configuration accepts no request of that scheme (only the other scheme's secret is
    /// set): that endpoint is not mounted.
    pub fn endpoint<S>(
        config: &WebhookConfig,
        scheme: Scheme,
        inner: S,
    ) -> Option<WebhookService<S>> {
        config
            .accepts(scheme)
            .then(|| WebhookService::with_scheme(scheme, config.clone(), inner))
    }

    /// The lines printed once the server is ready.
    pub fn announce(&self, local: SocketAddr) {
        let unsigned = self.token.is_none() && self.trtc_key.is_none();
        let auth = match (&self.token, unsigned) {
            (Some(_), _) => "Sign required",
            (None, true) => "no callback token: unsigned",
            (None, false) => "not mounted: set TENCENT_CALLBACK_TOKEN to verify it",
        };
        let trtc_auth = match (&self.trtc_key, unsigned) {
            (Some(_), _) => "Sign header required",
            (None, true) => "no callback key: unsigned",
            (None, false) => "not mounted: set TRTC_CALLBACK_KEY to verify it",
        };
        println!("listening on http://{local}");
        println!(
            "webhook: POST http://{local}{WEBHOOK_PATH} (SdkAppid {}, {auth})",
            self.sdk_app_id
        );
        println!(
            "trtc callback: POST http://{local}{TRTC_PATH} (SdkAppId {}, {trtc_auth})",
            self.sdk_app_id
        );
    }
}

fn die(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
}

/// The example app's own shared state: how many webhooks it has received.
#[derive(Clone, Default)]
pub struct AppState {
    events: Arc<AtomicU64>,
}

impl AppState {
    /// The callback every example mounts: print one line, count, acknowledge (answering
    /// the before-webhooks with [`moderate`]).
    pub async fn on_webhook(self, hook: Webhook) -> Ack {
        println!("{}", describe(&hook));
        self.events.fetch_add(1, Ordering::Relaxed);
        moderate(&hook.event)
    }

    /// The body of `GET /healthz`.
    pub fn health(&self) -> String {
        format!("ok events={}\n", self.events.load(Ordering::Relaxed))
    }
}

/// One `key=value` line describing a delivered webhook. Values that are not plain words
/// are quoted and escaped, so a crafted field cannot forge log lines.
pub fn describe(hook: &Webhook) -> String {
    // Room for a typical line, so that it is not grown field by field.
    let mut line = String::with_capacity(192);
    field(&mut line, "command", &hook.context.command);
    match &hook.event {
        Event::Recording(rec) => {
            room(&mut line, rec.info.room_id.as_ref());
            field(
                &mut line,
                "user",
                rec.info.user_id.as_deref().unwrap_or("-"),
            );
            field(
                &mut line,
                "task",
                rec.info.task_id.as_deref().unwrap_or("-"),
            );
            number(&mut line, "event_type", rec.event_type);
            match rec.info.payload.status() {
                Some(status) => number(&mut line, "status", status),
                None => field(&mut line, "status", "-"),
            }
        }
        Event::Room(event) => {
            room(&mut line, event.info.room_id.as_ref());
            field(
                &mut line,
                "user",
                event.info.user_id.as_deref().unwrap_or("-"),
            );
            number(&mut line, "event_type", event.event_type);
        }
        other => {
            field(&mut line, "room", other.room().as_deref().unwrap_or("-"));
            field(&mut line, "user", other.user().unwrap_or("-"));
            match other {
                Event::BeforeSendGift(gift) => {
                    let coins = gift_coins(gift).map(|c| c.to_string());
                    field(&mut line, "coins", coins.as_deref().unwrap_or("-"));
                }
                Event::BeforeSendMsg(BeforeSendMsg { msg_body, .. })
                | Event::AfterSendMsg(tencent_webhook::AfterSendMsg { msg_body, .. }) => {
                    let text: Vec<&str> = msg_body.iter().filter_map(MsgElement::as_text).collect();
                    field(&mut line, "text", &text.join(" "));
                }
                _ => {}
            }
            field(&mut line, "bytes", &hook.context.raw_body.len().to_string());
        }
    }
    line
}

/// The `room=` field of a room id that is a string or a number.
fn room(line: &mut String, id: Option<&tencent_webhook::RoomId>) {
    match id {
        Some(tencent_webhook::RoomId::String(id)) => field(line, "room", id),
        Some(id) => number(line, "room", id),
        None => field(line, "room", "-"),
    }
}

/// Gifts worth more coins than this are rejected.
pub const GIFT_COIN_LIMIT: i64 = 500;
/// The word the example replaces in room messages, and what it puts instead.
pub const BANNED_WORD: (&str, &str) = ("red packet", "***");

fn gift_coins(gift: &BeforeSendGift) -> Option<i64> {
    gift.gift_water.as_ref().and_then(|g| g.coins)
}

/// The example's answer to a webhook: a gift above [`GIFT_COIN_LIMIT`] coins is rejected; a
/// room message containing [`BANNED_WORD`] is let through with the word replaced; every
/// other webhook is acknowledged.
pub fn moderate(event: &Event) -> Ack {
    match event {
        Event::BeforeSendGift(gift) => gift.answer(match gift_coins(gift) {
            Some(coins) if coins > GIFT_COIN_LIMIT => GiftReply::reject(),
            _ => GiftReply::allow(),
        }),
        Event::BeforeSendMsg(msg) => {
            let (word, replacement) = BANNED_WORD;
            let mentions = |e: &MsgElement| e.as_text().is_some_and(|t| t.contains(word));
            if !msg.msg_body.iter().any(mentions) {
                return msg.answer(MessageReply::allow());
            }
            let body = msg
                .msg_body
                .iter()
                .map(|e| match e.as_text() {
                    Some(text) => MsgElement::text(text.replace(word, replacement)),
                    None => e.clone(),
                })
                .collect();
            msg.answer(MessageReply::allow_modified(
                MessageEdit::new().msg_body(body),
            ))
        }
        _ => Ack::ok(),
    }
}

fn field(line: &mut String, key: &str, value: &str) {
    if !line.is_empty() {
        line.push(' ');
    }
    line.push_str(key);
    line.push('=');
    let plain = !value.is_empty() && value.bytes().all(is_plain);
    if plain {
        line.push_str(value);
    } else {
        let _ = write!(line, "{value:?}");
    }
}

/// A number as a field (always a plain word).
fn number(line: &mut String, key: &str, value: impl std::fmt::Display) {
    if !line.is_empty() {
        line.push(' ');
    }
    line.push_str(key);
    line.push('=');
    let _ = write!(line, "{value}");
}

/// Bytes a value may hold and still be printed unquoted.
fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'*' | b':' | b'/' | b'@' | b'+')
}

#[cfg(test)]
mod tests {
    use super::*;
    use tencent_webhook::test_util::{samples, webhook};

    #[test]
    fn every_sample_names_its_room_and_user() {
        for (name, command, body) in samples::ALL {
            let line = describe(&webhook(1400000000, command, body).unwrap());
            assert!(
                line.starts_with(&format!("command={command} room=")),
                "{name}: {line}"
            );
            assert!(line.contains(" user="), "{name}: {line}");
        }
        let (command, body) = samples::by_name("before-msg").unwrap();
        assert_eq!(
            describe(&webhook(1400000000, command, body).unwrap()),
            format!(
                "command=Group.CallbackBeforeSendMsg room=\"@TGS#2J4SZEAEL\" user=jared text=\"red packet\" bytes={}",
                body.len()
            )
        );
    }

    #[test]
    fn the_example_moderates_gifts_and_messages() {
        let (command, body) = samples::by_name("before-gift").unwrap();
        let ack = moderate(&webhook(1, command, body).unwrap().event);
        assert_eq!((ack.is_ok(), ack.error_code()), (true, 1), "1000 coins");
        let cheap = body.replace("\"Coins\":1000", "\"Coins\":10");
        assert_eq!(
            moderate(&webhook(1, command, cheap).unwrap().event),
            Ack::ok()
        );

        let (command, body) = samples::by_name("before-msg").unwrap();
        let ack = moderate(&webhook(1, command, body).unwrap().event);
        let edit = ack.message_edit().expect("modified");
        assert_eq!(edit.get_msg_body().unwrap()[0].as_text(), Some("***"));
        let clean = body.replace("red packet", "hello");
        assert_eq!(
            moderate(&webhook(1, command, clean).unwrap().event),
            Ack::ok()
        );
    }

    #[test]
    fn describes_trtc_events_like_chat_ones() {
        use tencent_webhook::test_util::{samples, trtc_webhook, webhook};
        let room = trtc_webhook(1, samples::trtc::USER_ENTERED).unwrap();
        assert_eq!(
            describe(&room),
            "command=TRTC.1.103 room=room-42 user=alice event_type=103"
        );
        let trtc = trtc_webhook(1, samples::trtc::RECORDING_UPLOAD_STOPPED).unwrap();
        let chat = webhook(
            1,
            "Follow.CallbackAfterCloudRecordingChanged",
            samples::RECORDING_CHANGED,
        )
        .unwrap();
        let tail = |line: String| line.split_once(' ').unwrap().1.to_owned();
        assert_eq!(tail(describe(&trtc)), tail(describe(&chat)));
        assert!(describe(&trtc).starts_with("command=TRTC.3.305 room=635055 user=user1 task="));
    }

    #[test]
    fn quotes_what_is_not_a_plain_word() {
        let mut line = String::new();
        field(&mut line, "a", "plain-1.2");
        field(&mut line, "b", "two words\nfake=1");
        assert_eq!(line, r#"a=plain-1.2 b="two words\nfake=1""#);
    }
}
