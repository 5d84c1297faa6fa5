//! A `redis-server` of the test's own: started on a free loopback port with a temporary
//! directory, stopped and restarted at will, killed when dropped (also on panic).
//!
//! When no server can be started the test says so loudly and is skipped, unless
//! `TENCENT_WEBHOOK_REQUIRE_REDIS=1` (set by `.ci/run`), under which it fails.

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tencent_webhook::redis::redis;

/// The variable under which a missing `redis-server` fails the test instead of skipping it.
pub const REQUIRE_VAR: &str = "TENCENT_WEBHOOK_REQUIRE_REDIS";

/// What the server writes to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// Nothing (`--save "" --appendonly no`): a restart starts empty.
    None,
    /// An append-only file synced before every reply (`--appendonly yes --appendfsync always`).
    AofAlways,
}

/// A running `redis-server`, killed on drop.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    persistence: Persistence,
    cluster: bool,
}

impl RedisServer {
    /// Start a server, or `None` (after saying why on stderr) when none can be started and
    /// `TENCENT_WEBHOOK_REQUIRE_REDIS` is not `1`.
    pub fn start(persistence: Persistence) -> Option<Self> {
        Self::start_as(persistence, false)
    }

    /// Start a one-node Redis Cluster owning every slot (cross-slot commands and scripts are
    /// refused exactly as on a bigger cluster), or `None` as [`start`](Self::start).
    pub fn start_cluster() -> Option<Self> {
        Self::start_as(Persistence::None, true)
    }

    fn start_as(persistence: Persistence, cluster: bool) -> Option<Self> {
        match Self::try_start(persistence, cluster) {
            Ok(server) => Some(server),
            Err(why) => {
                if std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1") {
                    panic!("{REQUIRE_VAR}=1 but no redis-server could be started: {why}");
                }
                // Straight to the process's stderr: the test harness captures `eprintln!`
                // of passing tests, and this must be seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n!!!!! SKIPPED: no redis-server could be started ({why}).\n\
                     !!!!! Install it (Debian: apt-get install redis-server) or set \
                     {REQUIRE_VAR}=1 to make this a failure.\n"
                );
                None
            }
        }
    }

    fn try_start(persistence: Persistence, cluster: bool) -> Result<Self, String> {
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port().map_err(|e| format!("free port: {e}"))?;
            let mut server = Self {
                child: None,
                port,
                dir: tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?,
                persistence,
                cluster,
            };
            match server.launch() {
                Ok(()) => return Ok(server),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn binary() -> String {
        std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned())
    }

    fn launch(&mut self) -> Result<(), String> {
        let mut cmd = Command::new(Self::binary());
        cmd.arg("--port")
            .arg(self.port.to_string())
            .args(["--bind", "127.0.0.1", "--save", "", "--daemonize", "no"])
            .args(["--protected-mode", "yes", "--logfile", "redis.log"])
            .arg("--dir")
            .arg(self.dir.path());
        match self.persistence {
            Persistence::None => cmd.args(["--appendonly", "no"]),
            Persistence::AofAlways => cmd.args(["--appendonly", "yes", "--appendfsync", "always"]),
        };
        if self.cluster {
            cmd.args([
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
            ]);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", Self::binary()))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                return Err(format!(
                    "redis-server exited at start ({status}); see {}",
                    self.log_path().display()
                ));
            }
            if self.ping() {
                return if self.cluster {
                    self.assign_slots()
                } else {
                    Ok(())
                };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        Err("redis-server did not answer PING within 10 s".to_owned())
    }

    fn assign_slots(&self) -> Result<(), String> {
        let mut conn = self
            .client()
            .get_connection_with_timeout(Duration::from_secs(1))
            .map_err(|e| e.to_string())?;
        redis::cmd("CLUSTER")
            .arg("ADDSLOTSRANGE")
            .arg(0)
            .arg(16383)
            .query::<()>(&mut conn)
            .map_err(|e| format!("CLUSTER ADDSLOTSRANGE: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let info: String = redis::cmd("CLUSTER")
                .arg("INFO")
                .query(&mut conn)
                .map_err(|e| e.to_string())?;
            if info.contains("cluster_state:ok") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("the one-node cluster did not become ok within 10 s".to_owned())
    }

    fn ping(&self) -> bool {
        let Ok(client) = redis::Client::open(self.url()) else {
            return false;
        };
        let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_millis(200)) else {
            return false;
        };
        redis::cmd("PING")
            .query::<String>(&mut conn)
            .is_ok_and(|p| p == "PONG")
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A client for this server.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url()).expect("a valid URL")
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }

    /// Kill the server at once (SIGKILL: no shutdown save, as in a crash).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // Wait until the port is free again, so a restart can take it.
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Start it again on the same port and directory (reloading what it persisted).
    pub fn restart(&mut self) {
        self.kill();
        self.launch().expect("redis-server restarts");
    }

    /// Freeze the server (SIGSTOP): connections stay open, nothing is answered.
    pub fn freeze(&self) {
        self.signal("STOP");
    }

    /// Thaw a frozen server (SIGCONT).
    pub fn thaw(&self) {
        self.signal("CONT");
    }

    fn signal(&self, name: &str) {
        if let Some(child) = &self.child {
            let status = Command::new("kill")
                .arg(format!("-{name}"))
                .arg(child.id().to_string())
                .status()
                .expect("kill runs");
            assert!(status.success(), "kill -{name} failed");
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.thaw();
        }
        self.kill();
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Start a server for this test, or return from the test (loudly) when none can be started.
#[macro_export]
macro_rules! redis_or_skip {
    ($persistence:expr) => {
        match $crate::RedisServer::start($persistence) {
            Some(server) => server,
            None => return,
        }
    };
}

/// The app id the tests sign for.
pub const APP: u64 = 1400000000;
/// Its TRTC callback key.
pub const KEY: &str = "replicaKey42";

/// The body of TRTC event `n` (a user entering a room) as delivery attempt `attempt` sends
/// it: attempts differ only in `CallbackTs` (stamped now, as Tencent stamps each attempt,
/// so that it passes the receiver's freshness window), so they share one idempotency key.
pub fn event(n: u64, attempt: u64) -> String {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    format!(
        r#"{{"EventGroupId":1,"EventType":103,"CallbackTs":{},"EventInfo":{{"RoomId":"room-{}","EventTs":1687770730,"EventMsTs":1687770730160,"UserId":"user-{n}","Role":20}}}}"#,
        now_ms + attempt,
        n % 7,
    )
}

/// The signed request Tencent sends for that body.
pub fn request(body: String) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    tencent_webhook::test_util::TrtcTestRequest::new(APP, body)
        .key(KEY)
        .into_request()
}

/// The TRTC configuration of the tests.
pub fn config() -> tencent_webhook::WebhookConfig {
    tencent_webhook::WebhookConfig::builder()
        .app(tencent_webhook::SdkApp::new(APP).trtc_key(KEY))
        .build()
        .expect("valid configuration")
}

/// Status and JSON body of an answer.
pub async fn answer(response: tencent_webhook::WebhookResponse) -> (u16, serde_json::Value) {
    use http_body_util::BodyExt;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, serde_json::from_slice(&body).expect("JSON answer"))
}

/// Poll `check` every 20 ms until it holds or `limit` passes; whether it held.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
