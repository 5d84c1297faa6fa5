//! The TUILiveKit family on every adapter: each command's sample is delivered typed, and
//! the before-webhook replies (reject, silent drop, modified message, custom codes) come
//! back byte for byte through the framework. Run by `tests/family.rs` with
//! [`family_suite!`](crate::family_suite) for each adapter.
//!
//! The suite's service answers through [`router`], an [`EventRouter`] whose before-webhook
//! handlers decide from the event: a gift above [`GIFT_COIN_LIMIT`] coins is rejected and
//! one of exactly [`GIFT_CUSTOM_COINS`] gets a custom code; a message's text picks its
//! reply (see [`message_reply`]).

use tencent_webhook::test_util::{TestRequest, samples, webhook};
use tencent_webhook::{
    BeforeSendGift, BeforeSendMsg, EventKind, EventRouter, GiftReply, MessageEdit, MessageReply,
    MsgElement,
};

use super::cases::{OK_BODY, assert_envelope, signed};
use super::client;
use super::{APP, Adapter, Server};

/// Generates one `#[tokio::test]` per family case for an adapter, in a module named after
/// it: `tencent_webhook_conformance::family_suite!(Axum);`.
#[macro_export]
macro_rules! family_suite {
    ($adapter:ident) => {
        $crate::family_suite!(@cases $adapter:
            every_family_sample_round_trips,
            before_send_gift_replies,
            before_send_msg_replies,
            after_webhooks_carry_no_reply_fields,
            unknown_commands_still_reach_the_fallback,
        );
    };
    (@cases $adapter:ident: $($case:ident),+ $(,)?) => {
        #[allow(non_snake_case)]
        mod $adapter {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    $crate::family_cases::$case::<$crate::$adapter>().await;
                }
            )+
        }
    };
}

/// Gifts worth more coins are rejected.
pub const GIFT_COIN_LIMIT: i64 = 500;
/// A gift worth exactly this many coins is refused with a custom code.
pub const GIFT_CUSTOM_COINS: i64 = 777;

/// The reply to a room message, by its text: `drop` → discard, `reject` → reject,
/// `custom` → code 10150, `red packet` → the words replaced and `CloudCustomData` set,
/// anything else → allow.
pub fn message_reply(msg: &BeforeSendMsg) -> MessageReply {
    let text: Vec<&str> = msg
        .msg_body
        .iter()
        .filter_map(MsgElement::as_text)
        .collect();
    let text = text.join(" ");
    if text.contains("drop") {
        MessageReply::discard()
    } else if text.contains("reject") {
        MessageReply::reject()
    } else if text.contains("custom") {
        MessageReply::reject_with(10150, "suite: custom refusal").expect("in range")
    } else if text.contains("red packet") {
        MessageReply::allow_modified(
            MessageEdit::new()
                .msg_body(vec![MsgElement::text(text.replace("red packet", "***"))])
                .cloud_custom_data("suite-moderated"),
        )
    } else {
        MessageReply::allow()
    }
}

fn gift_reply(gift: &BeforeSendGift) -> GiftReply {
    match gift.gift_water.as_ref().and_then(|g| g.coins) {
        Some(GIFT_CUSTOM_COINS) => {
            GiftReply::reject_with(102150, "suite: lucky number").expect("in range")
        }
        Some(coins) if coins > GIFT_COIN_LIMIT => GiftReply::reject(),
        _ => GiftReply::allow(),
    }
}

/// The router behind the suite's service (after the suite's own probe).
pub fn router() -> EventRouter {
    EventRouter::new()
        .on_before_send_gift(|gift, _ctx| {
            let reply = gift_reply(&gift);
            async move { reply }
        })
        .on_before_send_msg(|msg, _ctx| {
            let reply = message_reply(&msg);
            async move { reply }
        })
}

fn decision(code: i64, info: &str) -> Vec<u8> {
    format!(
        r#"{{"ActionStatus":"OK","ErrorCode":{code},"ErrorInfo":{}}}"#,
        serde_json::to_string(info).unwrap()
    )
    .into_bytes()
}

async fn send(server: &Server, command: &str, body: &str) -> client::Response {
    let req: TestRequest = signed(command, body);
    client::roundtrip(
        server.addr,
        &client::post(&req.path_and_query(), req.body()),
    )
    .await
}

const MODIFIED_SAMPLE: &[u8] = br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"***"}}],"CloudCustomData":"suite-moderated"}"#;

pub async fn every_family_sample_round_trips<A: Adapter>() {
    let server = Server::start::<A>();
    for (name, command, body) in samples::ALL {
        let response = send(&server, command, body).await;
        let expected: Vec<u8> = match name {
            "before-gift" => decision(1, ""), // 1000 coins
            "before-msg" => MODIFIED_SAMPLE.to_vec(),
            _ => OK_BODY.to_vec(),
        };
        assert_envelope(&response, 200, &expected, &format!("{}: {name}", A::NAME));
    }
    let deliveries = server.probe.deliveries();
    assert_eq!(deliveries.len(), samples::ALL.len(), "{}", A::NAME);
    for ((name, command, body), d) in samples::ALL.iter().zip(&deliveries) {
        let local = webhook(APP, command, *body).unwrap();
        assert_eq!(d.command, *command, "{name}");
        assert_eq!(d.kind, EventKind::of_command(command), "{name}");
        assert_eq!(d.kind, local.event.kind(), "{name}");
        assert_eq!(d.room, local.event.room().map(|r| r.into_owned()), "{name}");
        assert_eq!(d.raw_len, body.len(), "{name}");
    }
}

pub async fn before_send_gift_replies<A: Adapter>() {
    let server = Server::start::<A>();
    let (command, body) = samples::by_name("before-gift").unwrap();
    let cases = [
        ("\"Coins\":1000", decision(1, "")),
        ("\"Coins\":10", OK_BODY.to_vec()),
        ("\"Coins\":777", decision(102150, "suite: lucky number")),
    ];
    for (coins, expected) in cases {
        let body = body.replace("\"Coins\":1000", coins);
        let response = send(&server, command, &body).await;
        assert_envelope(
            &response,
            200,
            &expected,
            &format!("{}: gift {coins}", A::NAME),
        );
    }
}

pub async fn before_send_msg_replies<A: Adapter>() {
    let server = Server::start::<A>();
    let (command, body) = samples::by_name("before-msg").unwrap();
    let cases = [
        ("please drop this", decision(2, "")),
        ("reject me", decision(1, "")),
        ("custom refusal", decision(10150, "suite: custom refusal")),
        ("red packet", MODIFIED_SAMPLE.to_vec()),
        (
            "a red packet for \\\"you\\\"",
            br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"a *** for \"you\""}}],"CloudCustomData":"suite-moderated"}"#.to_vec(),
        ),
        ("hello", OK_BODY.to_vec()),
    ];
    for (text, expected) in cases {
        let body = body.replace("\"Text\":\"red packet\"", &format!("\"Text\":\"{text}\""));
        let response = send(&server, command, &body).await;
        assert_envelope(&response, 200, &expected, &format!("{}: {text}", A::NAME));
    }
    assert_eq!(server.probe.count(), 6, "{}", A::NAME);
}

pub async fn after_webhooks_carry_no_reply_fields<A: Adapter>() {
    let server = Server::start::<A>();
    // The after-message webhook of a message the before-handler would modify or drop.
    let (command, body) = samples::by_name("after-msg").unwrap();
    for text in ["red packet", "please drop this"] {
        let body = body.replace("\"Text\":\"red packet\"", &format!("\"Text\":\"{text}\""));
        let response = send(&server, command, &body).await;
        assert_envelope(
            &response,
            200,
            OK_BODY,
            &format!("{}: after {text}", A::NAME),
        );
    }
}

pub async fn unknown_commands_still_reach_the_fallback<A: Adapter>() {
    let server = Server::start::<A>();
    let (command, body) = samples::by_name("unknown").unwrap();
    let response = send(&server, command, body).await;
    assert_envelope(&response, 200, OK_BODY, A::NAME);
    let deliveries = server.probe.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].kind, EventKind::Unknown);
    assert_eq!(deliveries[0].command, command);
}
