//! Build requests exactly as Tencent's backend does, for your tests (feature `test-util`).
//!
//! ```
//! use tencent_webhook_core::test_util::TestRequest;
//!
//! let req = TestRequest::recording(1400000000).token("my-token").request_time(1669872112);
//! assert!(req.query().starts_with(
//!     "SdkAppid=1400000000&CallbackCommand=Follow.CallbackAfterCloudRecordingChanged&contenttype=json"
//! ));
//! assert!(req.query().ends_with("&RequestTime=1669872112"));
//! let http_request = req.into_request(); // an http::Request<Full<Bytes>> to `oneshot` into the service
//! assert_eq!(http_request.method(), "POST");
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request, header};
use http_body_util::Full;

use crate::signature::sign_raw;
use crate::{Rejection, Webhook, WebhookContext, trtc_sign};

/// Sample bodies as Tencent's documentation shows them: the recording webhook
/// (<https://trtc.io/document/78428>, TUICallKit's at <https://trtc.io/document/80345>),
/// `Live.CallbackAfterCreateRoom` (<https://trtc.io/document/64422>), and in
/// [`samples::trtc`] the TRTC console's callbacks.
pub mod samples {
    /// `Follow.CallbackAfterCloudRecordingChanged`, event 305 (the documented sample).
    pub const RECORDING_CHANGED: &str = r#"{"CallbackCommand":"Follow.CallbackAfterCloudRecordingChanged","EventGroupId":3,"EventType":305,"CallbackTs":1752580150082,"EventInfo":{"RoomId":"635055","EventTs":1752580150,"EventMsTs":1752580150081,"UserId":"user1","TaskId":"-m9-bVVU7id***K-m928oZWQndiborbEWH3zY-lIXlprc-gQvQE","Payload":{"Status":0}}}"#;
    /// The same event under its Chinese-doc name `Live.CallbackAfterCloudRecordingChanged`.
    pub const LIVE_RECORDING_CHANGED: &str = r#"{"CallbackCommand":"Live.CallbackAfterCloudRecordingChanged","EventGroupId":3,"EventType":305,"CallbackTs":1752580150082,"EventInfo":{"RoomId":"635055","EventTs":1752580150,"EventMsTs":1752580150081,"UserId":"user1","TaskId":"-m9-bVVU7id***K-m928oZWQndiborbEWH3zY-lIXlprc-gQvQE","Payload":{"Status":0}}}"#;
    /// `Call.CallbackAfterRecordChanged` (TUICallKit), event 311 with a VOD file.
    pub const CALL_RECORD_CHANGED: &str = r#"{"CallId":"ab9e1f20-6f8e-4d5b-9c2e-4a1b2c3d4e5f","Callback":{"EventGroupId":3,"EventType":311,"CallbackTs":1700000000000,"EventInfo":{"RoomId":"call-room-1","EventTs":1700000000,"EventMsTs":1700000000000,"UserId":"recorder_robot","TaskId":"task-call-1","Payload":{"Status":0,"TencentVod":{"UserId":"alice","TrackType":"audio_video","MediaId":"main","FileId":"387702299774253","VideoUrl":"http://1400000000.vod2.myqcloud.com/f0.mp4","CacheFile":"f0.mp4","StartTimeStamp":1700000000000,"EndTimeStamp":1700000060000}}},"KitType":2},"CallbackCommand":"Call.CallbackAfterRecordChanged","EventTime":1700000000001}"#;
    /// `Live.CallbackAfterCreateRoom`: a command this version delivers as an unknown event.
    pub const CREATE_ROOM: &str = r#"{"CallbackCommand":"Live.CallbackAfterCreateRoom","Operator_Account":"admin","RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"tandy-test-rest","RoomType":"Live","Owner_Account":"user3","MaxMemberCount":300,"IsMessageDisabled":true,"CustomInfo":"custom123","IsSeatEnabled":true,"TakeSeatMode":"ApplyToTake","MaxSeatCount":16,"CreateTime":1703589922,"IsPublicVisible":true,"CoverURL":"cover url","Category":[1,2]}}"#;

    /// Every sample as `(short name, CallbackCommand, body)`.
    pub const ALL: [(&str, &str, &str); 4] = [
        (
            "recording",
            "Follow.CallbackAfterCloudRecordingChanged",
            RECORDING_CHANGED,
        ),
        (
            "live-recording",
            "Live.CallbackAfterCloudRecordingChanged",
            LIVE_RECORDING_CHANGED,
        ),
        (
            "call-recording",
            "Call.CallbackAfterRecordChanged",
            CALL_RECORD_CHANGED,
        ),
        ("create-room", "Live.CallbackAfterCreateRoom", CREATE_ROOM),
    ];

    /// TRTC console callbacks (<https://trtc.io/document/39558>,
    /// <https://trtc.io/document/54914>), byte for byte where Tencent prints a signature.
    pub mod trtc {
        /// The body of Tencent's signature example (real tabs and newlines): an audio-stop
        /// media event (EventGroupId 2, EventType 204). With key [`DOC_KEY`] its `Sign` is
        /// [`DOC_SIGN`].
        pub const DOC_BODY: &str = "{\n\t\"EventGroupId\":\t2,\n\t\"EventType\":\t204,\n\t\"CallbackTs\":\t1664209748188,\n\t\"EventInfo\":\t{\n\t\t\"RoomId\":\t8489,\n\t\t\"EventTs\":\t1664209748,\n\t\t\"EventMsTs\":\t1664209748180,\n\t\t\"UserId\":\t\"user_85034614\",\n\t\t\"Reason\":\t0\n\t}\n}";
        /// The key of Tencent's signature example.
        pub const DOC_KEY: &str = "123654";
        /// The `Sign` Tencent prints for [`DOC_BODY`] with [`DOC_KEY`].
        pub const DOC_SIGN: &str = "kkoFeO3Oh2ZHnjtg8tEAQhtXK16/KI05W3BQff8IvGA=";
        /// The PHP/Go sample body of the same page: room created (EventGroupId 1, EventType
        /// 101). With key [`SAMPLE_KEY`] its `Sign` is [`SAMPLE_SIGN`] (computed
        /// independently; Tencent prints no value for it).
        pub const SAMPLE_BODY: &str = "{\n\t\"EventGroupId\":\t1,\n\t\"EventType\":\t101,\n\t\"CallbackTs\":\t1608086882372,\n\t\"EventInfo\":\t{\n\t\t\"RoomId\":\t20222,\n\t\t\"EventTs\":\t1608086882,\n\t\t\"UserId\":\t\"222222_phone\"\n\t}\n}";
        /// The key of the PHP/Go sample.
        pub const SAMPLE_KEY: &str = "789";
        /// `Sign` of [`SAMPLE_BODY`] with [`SAMPLE_KEY`].
        pub const SAMPLE_SIGN: &str = "t2Yq1R4wilV/RIMRyygkgdhxWO8dgTdXXrfNVtz7V3k=";
        /// A user entering a room (103), with every documented field.
        pub const USER_ENTERED: &str = r#"{"EventGroupId":1,"EventType":103,"CallbackTs":1687770730166,"EventInfo":{"RoomId":"room-42","EventTs":1687770730,"EventMsTs":1687770730160,"UserId":"alice","UniqueId":1687770730,"Role":20,"TerminalType":3,"UserType":3,"Reason":1}}"#;
        /// A user leaving a room (104), kicked out.
        pub const USER_EXITED: &str = r#"{"EventGroupId":1,"EventType":104,"CallbackTs":1687770790166,"EventInfo":{"RoomId":"room-42","EventTs":1687770790,"EventMsTs":1687770790160,"UserId":"alice","Reason":3}}"#;
        /// Cloud recording: upload finished (EventGroupId 3, EventType 305), as the TRTC
        /// console callback sends it (no `CallbackCommand`).
        pub const RECORDING_UPLOAD_STOPPED: &str = r#"{"EventGroupId":3,"EventType":305,"CallbackTs":1752580150082,"EventInfo":{"RoomId":"635055","EventTs":1752580150,"EventMsTs":1752580150081,"UserId":"user1","TaskId":"-m9-bVVU7id***K-m928oZWQndiborbEWH3zY-lIXlprc-gQvQE","Payload":{"Status":0}}}"#;
        /// Web-page recording started (EventGroupId 8, EventType 801).
        pub const WEB_RECORDING_STARTED: &str = r#"{"EventGroupId":8,"EventType":801,"CallbackTs":1700000000000,"EventInfo":{"EventMsTs":1700000000000,"TaskId":"web-task-1","Payload":{"Status":1,"EventMessage":"started"}}}"#;
        /// An event group this version does not know, delivered as an unknown event.
        pub const UNKNOWN_GROUP: &str = r#"{"EventGroupId":9,"EventType":901,"CallbackTs":1700000000000,"EventInfo":{"Future":"field"}}"#;

        /// Every TRTC sample as `(short name, body)`.
        pub const ALL: [(&str, &str); 7] = [
            ("doc-vector", DOC_BODY),
            ("room-created", SAMPLE_BODY),
            ("user-entered", USER_ENTERED),
            ("user-exited", USER_EXITED),
            ("recording", RECORDING_UPLOAD_STOPPED),
            ("web-recording", WEB_RECORDING_STARTED),
            ("unknown-group", UNKNOWN_GROUP),
        ];

        /// A TRTC sample's body by its short name.
        pub fn by_name(name: &str) -> Option<&'static str> {
            ALL.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
        }
    }

    /// The `(CallbackCommand, body)` of a sample by its short name.
    pub fn by_name(name: &str) -> Option<(&'static str, &'static str)> {
        ALL.iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, c, b)| (*c, *b))
    }
}

/// A webhook request as Tencent's backend sends it: `POST path?SdkAppid=…&CallbackCommand=…
/// &contenttype=json&ClientIP=…&OptPlatform=…[&Sign=…&RequestTime=…]` with a JSON body.
#[derive(Clone)]
pub struct TestRequest {
    sdk_app_id: u64,
    command: String,
    body: Bytes,
    token: Option<String>,
    request_time: Option<u64>,
    raw_request_time: Option<String>,
    client_ip: Option<String>,
    platform: Option<String>,
    path: String,
}

impl std::fmt::Debug for TestRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestRequest")
            .field("sdk_app_id", &self.sdk_app_id)
            .field("command", &self.command)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl TestRequest {
    /// A request for `command` with `body`, unsigned, to `/`, with `ClientIP=127.0.0.1` and
    /// `OptPlatform=RESTAPI`.
    pub fn new(sdk_app_id: u64, command: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self {
            sdk_app_id,
            command: command.into(),
            body: body.into(),
            token: None,
            request_time: None,
            raw_request_time: None,
            client_ip: Some("127.0.0.1".into()),
            platform: Some("RESTAPI".into()),
            path: "/".into(),
        }
    }

    /// The documented cloud-recording sample ([`samples::RECORDING_CHANGED`]).
    pub fn recording(sdk_app_id: u64) -> Self {
        Self::new(
            sdk_app_id,
            crate::command::FOLLOW_CLOUD_RECORDING_CHANGED,
            Bytes::from_static(samples::RECORDING_CHANGED.as_bytes()),
        )
    }

    /// Sign with this callback token (adds `Sign` and `RequestTime`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The `RequestTime` to sign with, in Unix seconds (default: now, when built).
    pub fn request_time(mut self, unix_seconds: u64) -> Self {
        self.request_time = Some(unix_seconds);
        self
    }

    /// Send `RequestTime` as this exact string (e.g. `"abc"`, `"-1"`), to see how a
    /// receiver refuses a malformed one. `Sign` covers the string as sent, as Tencent's
    /// formula does, so a receiver that knows the token finds the signature valid and the
    /// time invalid (40103). Together with [`request_time`](Self::request_time), `Sign`
    /// covers that time instead while this string is sent: the signature no longer
    /// matches, and since the signature is checked before the time, that is a 40102.
    /// Only signed requests (with a [`token`](Self::token)) carry a `RequestTime`.
    pub fn raw_request_time(mut self, request_time: impl Into<String>) -> Self {
        self.raw_request_time = Some(request_time.into());
        self
    }

    /// `ClientIP` (`None` leaves it out).
    pub fn client_ip(mut self, ip: Option<&str>) -> Self {
        self.client_ip = ip.map(str::to_owned);
        self
    }

    /// `OptPlatform` (`None` leaves it out).
    pub fn platform(mut self, platform: Option<&str>) -> Self {
        self.platform = platform.map(str::to_owned);
        self
    }

    /// The request path (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The query string, in Tencent's parameter order, percent-encoded.
    pub fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("SdkAppid", &self.sdk_app_id.to_string());
        q.append_pair("CallbackCommand", &self.command);
        q.append_pair("contenttype", "json");
        if let Some(ip) = &self.client_ip {
            q.append_pair("ClientIP", ip);
        }
        if let Some(p) = &self.platform {
            q.append_pair("OptPlatform", p);
        }
        if let Some(token) = &self.token {
            let time = self.request_time.unwrap_or_else(now).to_string();
            let (signed, sent) = match (&self.raw_request_time, self.request_time) {
                (Some(raw), None) => (raw.as_str(), raw.as_str()),
                (Some(raw), Some(_)) => (time.as_str(), raw.as_str()),
                (None, _) => (time.as_str(), time.as_str()),
            };
            q.append_pair("Sign", &sign_raw(token, signed));
            q.append_pair("RequestTime", sent);
        }
        q.finish()
    }

    /// Path and query, e.g. `/tencent/callback?SdkAppid=…`.
    pub fn path_and_query(&self) -> String {
        format!("{}?{}", self.path, self.query())
    }

    /// The `http::Request`, with `Content-Length` as its only header (Tencent's documented
    /// sample request shows no other than `Host`).
    pub fn into_request(self) -> Request<Full<Bytes>> {
        let uri = self.path_and_query();
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri.parse().expect("TestRequest builds a valid URI");
        request.headers_mut().insert(
            header::CONTENT_LENGTH,
            http::HeaderValue::from(self.body.len()),
        );
        request
    }
}

/// A [`Webhook`] as the service would deliver it, for unit-testing your callback without
/// HTTP: `body` is decoded exactly as the service decodes it (so a body the service would
/// refuse gives its [`Rejection`]). `ClientIP`, `OptPlatform` and `RequestTime` are absent.
///
/// ```
/// use tencent_webhook_core::test_util::{samples, webhook};
/// use tencent_webhook_core::Event;
///
/// let hook = webhook(1400000000, "Follow.CallbackAfterCloudRecordingChanged", samples::RECORDING_CHANGED).unwrap();
/// assert!(matches!(hook.event, Event::Recording(_)));
/// ```
pub fn webhook(
    sdk_app_id: u64,
    command: &str,
    body: impl Into<Bytes>,
) -> Result<Webhook, Rejection> {
    Webhook::decode(WebhookContext::new(
        crate::Scheme::Chat,
        sdk_app_id,
        command,
        body,
    ))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A TRTC console event callback as Tencent's backend sends it: `POST path` with headers
/// `Content-Type: application/json`, `SdkAppId` and, with a key, `Sign =
/// Base64(HMAC-SHA256(key, body))`.
///
/// ```
/// use tencent_webhook_core::test_util::{TrtcTestRequest, samples};
///
/// let req = TrtcTestRequest::new(1400000000, samples::trtc::DOC_BODY).key(samples::trtc::DOC_KEY);
/// assert_eq!(req.sign().as_deref(), Some(samples::trtc::DOC_SIGN));
/// let http_request = req.into_request();
/// assert_eq!(http_request.headers()["sdkappid"], "1400000000");
/// ```
#[derive(Clone)]
pub struct TrtcTestRequest {
    sdk_app_id: u64,
    body: Bytes,
    key: Option<String>,
    path: String,
}

impl std::fmt::Debug for TrtcTestRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrtcTestRequest")
            .field("sdk_app_id", &self.sdk_app_id)
            .field("key", &self.key.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl TrtcTestRequest {
    /// An unsigned request with `body` for `sdk_app_id`, to `/`.
    pub fn new(sdk_app_id: u64, body: impl Into<Bytes>) -> Self {
        Self {
            sdk_app_id,
            body: body.into(),
            key: None,
            path: "/".into(),
        }
    }

    /// Sign with this TRTC callback key (adds the `Sign` header).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The request path (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The request path.
    pub fn path_str(&self) -> &str {
        &self.path
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The `Sign` header value, when signed.
    pub fn sign(&self) -> Option<String> {
        self.key.as_deref().map(|k| trtc_sign(k, &self.body))
    }

    /// The headers Tencent sends, as `(name, value)` pairs in its order.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("Content-Type", "application/json".to_owned()),
            ("SdkAppId", self.sdk_app_id.to_string()),
        ];
        if let Some(sign) = self.sign() {
            headers.push(("Sign", sign));
        }
        headers.push(("Content-Length", self.body.len().to_string()));
        headers
    }

    /// The `http::Request`.
    pub fn into_request(self) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self
            .path
            .parse()
            .expect("TrtcTestRequest builds a valid URI");
        for (name, value) in self.headers() {
            request.headers_mut().append(
                http::HeaderName::from_static(lower(name)),
                http::HeaderValue::from_str(&value).expect("header values are ASCII"),
            );
        }
        request
    }
}

fn lower(name: &'static str) -> &'static str {
    match name {
        "Content-Type" => "content-type",
        "SdkAppId" => "sdkappid",
        "Sign" => "sign",
        _ => "content-length",
    }
}

/// A TRTC [`Webhook`] as a [`Scheme::Trtc`](crate::Scheme::Trtc) service would deliver
/// it, for unit-testing your callback without HTTP (no signature is checked).
///
/// ```
/// use tencent_webhook_core::test_util::{samples, trtc_webhook};
/// use tencent_webhook_core::{Event, RoomEventKind};
///
/// let hook = trtc_webhook(1400000000, samples::trtc::USER_ENTERED).unwrap();
/// assert_eq!(hook.context.command, "TRTC.1.103");
/// assert!(matches!(hook.event, Event::Room(room) if room.kind == RoomEventKind::UserEntered));
/// ```
pub fn trtc_webhook(sdk_app_id: u64, body: impl Into<Bytes>) -> Result<Webhook, Rejection> {
    Webhook::decode(WebhookContext::new(
        crate::Scheme::Trtc,
        sdk_app_id,
        "TRTC",
        body,
    ))
}
