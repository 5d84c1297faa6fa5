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

use crate::scheme::chat::signature::sign_raw;
use crate::{Rejection, Webhook, WebhookContext, trtc_sign};

/// Sample bodies from Tencent's documentation (the pages each sample links), and in
/// [`samples::trtc`] the TRTC console's callbacks.
pub mod samples {
    /// `Follow.CallbackAfterCloudRecordingChanged`, event 305 (the documented sample).
    pub const RECORDING_CHANGED: &str = r#"{"CallbackCommand":"Follow.CallbackAfterCloudRecordingChanged","EventGroupId":3,"EventType":305,"CallbackTs":1752580150082,"EventInfo":{"RoomId":"635055","EventTs":1752580150,"EventMsTs":1752580150081,"UserId":"user1","TaskId":"-m9-bVVU7id***K-m928oZWQndiborbEWH3zY-lIXlprc-gQvQE","Payload":{"Status":0}}}"#;
    /// The same event under its Chinese-doc name `Live.CallbackAfterCloudRecordingChanged`.
    pub const LIVE_RECORDING_CHANGED: &str = r#"{"CallbackCommand":"Live.CallbackAfterCloudRecordingChanged","EventGroupId":3,"EventType":305,"CallbackTs":1752580150082,"EventInfo":{"RoomId":"635055","EventTs":1752580150,"EventMsTs":1752580150081,"UserId":"user1","TaskId":"-m9-bVVU7id***K-m928oZWQndiborbEWH3zY-lIXlprc-gQvQE","Payload":{"Status":0}}}"#;
    /// `Call.CallbackAfterRecordChanged` (TUICallKit), event 311 with a VOD file.
    pub const CALL_RECORD_CHANGED: &str = r#"{"CallId":"ab9e1f20-6f8e-4d5b-9c2e-4a1b2c3d4e5f","Callback":{"EventGroupId":3,"EventType":311,"CallbackTs":1700000000000,"EventInfo":{"RoomId":"call-room-1","EventTs":1700000000,"EventMsTs":1700000000000,"UserId":"recorder_robot","TaskId":"task-call-1","Payload":{"Status":0,"TencentVod":{"UserId":"alice","TrackType":"audio_video","MediaId":"main","FileId":"387702299774253","VideoUrl":"http://1400000000.vod2.myqcloud.com/f0.mp4","CacheFile":"f0.mp4","StartTimeStamp":1700000000000,"EndTimeStamp":1700000060000}}},"KitType":2},"CallbackCommand":"Call.CallbackAfterRecordChanged","EventTime":1700000000001}"#;
    /// `Live.CallbackAfterCreateRoom` (<https://trtc.io/document/64422>).
    pub const CREATE_ROOM: &str = r#"{"CallbackCommand":"Live.CallbackAfterCreateRoom","Operator_Account":"admin","RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"tandy-test-rest","RoomType":"Live","Owner_Account":"user3","MaxMemberCount":300,"IsMessageDisabled":true,"CustomInfo":"custom123","IsSeatEnabled":true,"TakeSeatMode":"ApplyToTake","MaxSeatCount":16,"CreateTime":1703589922,"IsPublicVisible":true,"CoverURL":"cover url","Category":[1,2]}}"#;
    /// `Live.CallbackAfterDestroyRoom` (<https://trtc.io/document/64423>); `Owner_Account` is a bare number, as in Tencent's sample.
    pub const DESTROY_ROOM: &str = r#"{"CallbackCommand":"Live.CallbackAfterDestroyRoom","Operator_Account":"admin","RoomId":"tandy-test-rest","EventType":"DestroyByUser","EventTime":1703589922780,"RoomInfo":{"RoomName":"live name","RoomType":"Live","Owner_Account":144115216631667826,"IsSeatEnabled":true,"TakeSeatMode":"FreeToTake","MaxMemberCount":400,"MaxSeatCount":4,"Category":[1,2,3],"CustomInfo":"","IsMessageDisabled":false,"CoverURL":"cover url","ActivityStatus":0,"IsPublicVisible":false,"ViewCount":0,"BackgroundURL":"background url","IsUnlimitedRoomEnabled":true},"Statistic":{"TotalViewers":0,"TotalGiftsSent":0,"TotalGiftCoins":0,"TotalUniqueGiftSenders":0,"TotalLikesReceived":0}}"#;
    /// `Live.CallbackAfterUpdateRoomInfo` (<https://www.tencentcloud.com/document/product/647/67938>); Tencent's sample lacks the comma before `EventTime`, added here.
    pub const UPDATE_ROOM_INFO: &str = r#"{"CallbackCommand":"Live.CallbackAfterUpdateRoomInfo","Operator_Account":"bob","RoomInfo":{"RoomId":"live-room","RoomName":"rname-123","MaxMemberCount":300,"IsMessageDisabled":false,"CoverURL":"https://xxxx.png","Category":[1,2,3],"ActivityStatus":1,"IsPublicVisible":false,"TakeSeatMode":"ApplyToTake","CustomInfo":"custom123"},"EventTime":1670574414123}"#;
    /// `Live.CallbackAfterSetMetadata` (<https://trtc.io/document/68222>).
    pub const SET_METADATA: &str = r#"{"CallbackCommand":"Live.CallbackAfterSetMetadata","Operator_Account":"brennanli","RoomId":"live-room1111","Metadata":[{"Key":"key1","Value":"value1"},{"Key":"key2","Value":"value2"}],"EventTime":1739965885831}"#;
    /// `Live.CallbackAfterDelMetadata` (<https://trtc.io/document/68223>).
    pub const DEL_METADATA: &str = r#"{"CallbackCommand":"Live.CallbackAfterDelMetadata","Operator_Account":"brennanli","RoomId":"live-room1111","Keys":["key1","key2"],"EventTime":1739966441121}"#;
    /// `Live.CallbackAfterCreateRoomReachingThreshold` (<https://trtc.io/document/70485>).
    pub const ROOM_THRESHOLD: &str = r#"{"CallbackCommand":"Live.CallbackAfterCreateRoomReachingThreshold","Operator_Account":"brennanli","EventTime":1739966441121,"CurRoomCount":400,"MaxRoomCount":500}"#;
    /// `Live.CallbackAfterMemberStateChanged` (<https://trtc.io/document/64424>).
    pub const MEMBER_STATE_CHANGED: &str = r#"{"CallbackCommand":"Live.CallbackAfterMemberStateChanged","RoomId":"room_id","EventType":"Online","EventCause":"Enter","MemberList":[{"Member_Account":"jared"},{"Member_Account":"tommy"}],"EventTime":1703589922780}"#;
    /// `Live.CallbackAfterChangeOwner` (<https://trtc.io/document/72553>).
    pub const CHANGE_OWNER: &str = r#"{"CallbackCommand":"Live.CallbackAfterChangeOwner","RoomId":"room_id","EventTime":1703589922780,"Operator_Account":"admin","CurrentOwner_Account":"user2","OriginalOwner_Account":"user1"}"#;
    /// `Live.CallbackAfterModifyAdmin` (<https://trtc.io/document/72554>), with Tencent's lower-case `opType`.
    pub const MODIFY_ADMIN: &str = r#"{"CallbackCommand":"Live.CallbackAfterModifyAdmin","RoomId":"room_id","EventTime":1703589922780,"Operator_Account":"admin","Admin_Account":["user1","user2"],"opType":"add"}"#;
    /// `Mic.CallbackAfterSeatInfoChanged` (<https://trtc.io/document/64425>); Tencent's sample lacks the comma before `EventTime`, added here.
    pub const SEAT_INFO_CHANGED: &str = r#"{"CallbackCommand":"Mic.CallbackAfterSeatInfoChanged","RoomId":"rid-123","SeatList":[{"Index":1,"Member_Account":144115233775727695,"IsTakenDisabled":false,"IsVideoDisabled":false,"IsAudioDisabled":false}],"EventTime":1670574414123}"#;
    /// `Live.CallbackAfterCreateBattle` (<https://trtc.io/document/68259>).
    pub const CREATE_BATTLE: &str = r#"{"CallbackCommand":"Live.CallbackAfterCreateBattle","Operator_Account":"brennanli","BattleId":"4siHsNsWN/T3aub9zKraqPbSEGRX2z6gs3LDFi+d/3M=","FromRoomId":"pk-3","ToRoomIdList":["pk-5"],"Timeout":30000,"Duration":60000,"NeedResponse":false,"ExtensionInfo":"extension pk","EventTime":1739954005000}"#;
    /// `Live.CallbackAfterStartBattle` (<https://trtc.io/document/68260>); Tencent's sample has a trailing comma after `EventTime`, removed here.
    pub const START_BATTLE: &str = r#"{"CallbackCommand":"Live.CallbackAfterStartBattle","BattleId":"4siHsNsWN/T3aub9zKraqI4zZAyPRpXQhdtKv1q4HOs=","Duration":60000,"CreateTime":1739954005,"StartTime":1739954005,"FromRoomInfo":{"RoomId":"pk-3","Owner_Account":"brennan"},"ToRoomList":[{"RoomId":"pk-5","Owner_Account":"tandy"}],"EventTime":1739954005000}"#;
    /// `Live.CallbackAfterEndBattle` (<https://trtc.io/document/68261>).
    pub const END_BATTLE: &str = r#"{"CallbackCommand":"Live.CallbackAfterEndBattle","BattleId":"4siHsNsWN/T3aub9zKraqPfGQAimPhdFoe6VWhtz9lY=","Duration":30000,"CreateTime":1739956115,"StartTime":1739956115,"EndTime":1739956145,"OpType":0,"FromRoomInfo":{"RoomId":"pk-3","Score":0,"Owner_Account":144115245353757792},"ToRoomList":[{"RoomId":"pk-5","Score":0,"Owner_Account":144115245442327522}],"EventTime":1739956146119}"#;
    /// `Live.CallbackBeforeSendGift`, a before-webhook (<https://trtc.io/document/72210>): 1000 coins.
    pub const BEFORE_SEND_GIFT: &str = r#"{"CallbackCommand":"Live.CallbackBeforeSendGift","Operator_Account":"brennanli","RoomId":"room_id","GiftWater":{"From_Account":"from","To_Account":["to1"],"Time":1703589922,"GiftId":"gift1","Count":1,"Coins":1000}}"#;
    /// `Group.CallbackBeforeSendMsg`, a before-webhook (<https://trtc.io/document/74347>); `EventTime` is a string, as in Tencent's sample.
    pub const BEFORE_SEND_MSG: &str = r#"{"CallbackCommand":"Group.CallbackBeforeSendMsg","GroupId":"@TGS#2J4SZEAEL","Type":"Live","From_Account":"jared","Operator_Account":"admin","Random":123456,"MsgId":"144115233406643804-1727580296-4026038328","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"red packet"}}],"CloudCustomData":"your cloud custom data","EventTime":"1670574414123"}"#;
    /// `Group.CallbackAfterSendMsg` (<https://trtc.io/document/74348>): Tencent prints no sample; this is the before-message sample plus `MsgSeq` and `MsgTime`, as its table lists.
    pub const AFTER_SEND_MSG: &str = r#"{"CallbackCommand":"Group.CallbackAfterSendMsg","GroupId":"@TGS#2J4SZEAEL","Type":"Live","From_Account":"jared","Operator_Account":"admin","Random":123456,"MsgSeq":123,"MsgTime":1670574414,"MsgId":"144115233406643804-1727580296-4026038328","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"red packet"}}],"CloudCustomData":"your cloud custom data","EventTime":1670574414123}"#;
    /// `Follow.CallbackAfterFollowAdd` (<https://www.tencentcloud.com/document/product/647/74356>).
    pub const FOLLOW_ADD: &str = r#"{"CallbackCommand":"Follow.CallbackAfterFollowAdd","From_Account":"UserID_001","FollowList":[{"To_Account":"UserID_002"},{"To_Account":"UserID_003"}],"EventTime":1702018343678}"#;
    /// `Follow.CallbackAfterFollowDelete` (<https://trtc.io/document/70356>).
    pub const FOLLOW_DELETE: &str = r#"{"CallbackCommand":"Follow.CallbackAfterFollowDelete","From_Account":"UserID_001","To_Account":["UserID_002","UserID_003"],"EventTime":1702018343678}"#;
    /// A command this version has no type for (TUIRoomKit's room webhook,
    /// <https://trtc.io/document/60720>), delivered as an unknown event.
    pub const UNKNOWN_COMMAND: &str = r#"{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"meeting-1","Owner_Account":"alice"},"EventTime":1703589922780}"#;

    /// Every sample as `(short name, CallbackCommand, body)`: the recording webhook under
    /// its names, every command of the TUILiveKit family (Tencent's samples, made valid
    /// JSON where the page's is not), and one command this version does not type.
    pub const ALL: [(&str, &str, &str); 22] = [
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
        (
            "destroy-room",
            "Live.CallbackAfterDestroyRoom",
            DESTROY_ROOM,
        ),
        (
            "update-room-info",
            "Live.CallbackAfterUpdateRoomInfo",
            UPDATE_ROOM_INFO,
        ),
        (
            "set-metadata",
            "Live.CallbackAfterSetMetadata",
            SET_METADATA,
        ),
        (
            "del-metadata",
            "Live.CallbackAfterDelMetadata",
            DEL_METADATA,
        ),
        (
            "room-threshold",
            "Live.CallbackAfterCreateRoomReachingThreshold",
            ROOM_THRESHOLD,
        ),
        (
            "member-state",
            "Live.CallbackAfterMemberStateChanged",
            MEMBER_STATE_CHANGED,
        ),
        (
            "change-owner",
            "Live.CallbackAfterChangeOwner",
            CHANGE_OWNER,
        ),
        (
            "modify-admin",
            "Live.CallbackAfterModifyAdmin",
            MODIFY_ADMIN,
        ),
        (
            "seat-info",
            "Mic.CallbackAfterSeatInfoChanged",
            SEAT_INFO_CHANGED,
        ),
        (
            "create-battle",
            "Live.CallbackAfterCreateBattle",
            CREATE_BATTLE,
        ),
        (
            "start-battle",
            "Live.CallbackAfterStartBattle",
            START_BATTLE,
        ),
        ("end-battle", "Live.CallbackAfterEndBattle", END_BATTLE),
        (
            "before-gift",
            "Live.CallbackBeforeSendGift",
            BEFORE_SEND_GIFT,
        ),
        ("before-msg", "Group.CallbackBeforeSendMsg", BEFORE_SEND_MSG),
        ("after-msg", "Group.CallbackAfterSendMsg", AFTER_SEND_MSG),
        ("follow-add", "Follow.CallbackAfterFollowAdd", FOLLOW_ADD),
        (
            "follow-delete",
            "Follow.CallbackAfterFollowDelete",
            FOLLOW_DELETE,
        ),
        ("unknown", "Room.CallbackAfterCreateRoom", UNKNOWN_COMMAND),
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

    /// Stamp the current time (Unix milliseconds) into every `"CallbackTs":` number of the
    /// body, as Tencent does on each attempt, so that a fixed sample passes the freshness
    /// window that a [`Scheme::Trtc`](crate::Scheme::Trtc) service checks by default. Call
    /// it before [`key`](Self::key) signs the body (signing happens when the request is
    /// built, so the order of the calls does not matter).
    pub fn fresh(self) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        self.callback_ts(u64::try_from(now).unwrap_or(u64::MAX))
    }

    /// Set every `"CallbackTs":` number of the body to `unix_ms` (a body without one is
    /// left as it is).
    pub fn callback_ts(mut self, unix_ms: u64) -> Self {
        let text = String::from_utf8_lossy(&self.body).into_owned();
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        const NAME: &str = "\"CallbackTs\":";
        while let Some(at) = rest.find(NAME) {
            let (before, after) = rest.split_at(at + NAME.len());
            out.push_str(before);
            let spaces = after.len() - after.trim_start().len();
            out.push_str(&after[..spaces]);
            let after = &after[spaces..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                out.push_str(&unix_ms.to_string());
            }
            rest = &after[digits..];
        }
        out.push_str(rest);
        self.body = Bytes::from(out);
        self
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

/// Forget the rate limiting of refusal log lines: the next refusal of each class is logged
/// at WARN again. For tests that count log lines (the limiter is process-wide).
pub fn reset_log_rate_limits() {
    crate::pipeline::trace::reset_rate_limits();
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
