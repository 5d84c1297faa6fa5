//! Play Tencent's backend against a running server: build the request exactly as Tencent
//! does, POST a sample (or a JSON file), print the HTTP status and the answer.
//!
//! ```text
//! cargo run --example send                          # the recording sample to the example's defaults
//! cargo run --example send -- --event call-recording
//! cargo run --example send -- --file body.json --command Live.CallbackAfterCreateRoom
//! cargo run --example send -- --trtc --event user-entered --key 123654
//! cargo run --example send -- --list
//! cargo run --example send -- --verbose             # also the full URL and the body
//! cargo run --example send -- --token t --raw-time abc        # a malformed RequestTime: 40103
//! ```
//!
//! Chat / TUILiveKit webhooks (the default): `--url http://127.0.0.1:8080/tencent/callback`,
//! `--app $TENCENT_SDKAPPID` (1400000000), `--token $TENCENT_CALLBACK_TOKEN` (unsigned when
//! unset); exit status 0 when the answer is 200 with `"ActionStatus":"OK"`, 1 otherwise.
//! TRTC console callbacks (`--trtc`): `--url http://127.0.0.1:8080/trtc/callback`, headers
//! `SdkAppId` and, with `--key` (default `$TRTC_CALLBACK_KEY`), `Sign`; exit status 0 when
//! the answer is 200 `{"code":0}`.
//!
//! `--verbose` prints the full URL (with `Sign` and `RequestTime`, never the token; for
//! TRTC, the headers, never the key) and the body. `--raw-time STR` sends `STR` as
//! `RequestTime`, signed over `STR` as sent (as Tencent signs the string in the URL): the
//! receiver finds the signature valid and the time malformed, 401 with 40103. With
//! `--time SECS` too, `Sign` covers `SECS` while `STR` is sent: the receiver checks the
//! signature before the time, so that is a 40102.

use std::process::ExitCode;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tencent_webhook::test_util::{TestRequest, TrtcTestRequest, samples};
use tencent_webhook_examples::{DEFAULT_LISTEN_ADDR, DEFAULT_SDKAPPID, TRTC_PATH, WEBHOOK_PATH};

const USAGE: &str = "usage: send [--url URL] [--app SDKAPPID] [--token TOKEN] [--event NAME | --file PATH --command CMD]
            [--time UNIX_SECONDS] [--raw-time STR] [--client-ip IP] [--platform NAME] [--verbose] [--list]
       send --trtc [--url URL] [--app SDKAPPID] [--key KEY] [--event NAME | --file PATH] [--verbose] [--list]";

struct Args {
    url: String,
    app: u64,
    token: Option<String>,
    command: String,
    body: Bytes,
    time: Option<u64>,
    raw_time: Option<String>,
    client_ip: String,
    platform: String,
    /// `Some(key or None)` for a TRTC callback.
    trtc: Option<Option<String>>,
    /// A TRTC sample: stamp the current time into its `CallbackTs` before signing, as
    /// Tencent does on every attempt (the receiver refuses a stale one by default).
    fresh: bool,
    /// Tencent's documented signature vector, sent exactly as documented (2022).
    doc_vector: bool,
    verbose: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut url = None;
    let mut trtc = false;
    let mut key = std::env::var("TRTC_CALLBACK_KEY")
        .ok()
        .filter(|k| !k.is_empty());
    let mut app = match std::env::var("TENCENT_SDKAPPID") {
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|_| "TENCENT_SDKAPPID must be a number")?,
        Err(_) => DEFAULT_SDKAPPID,
    };
    let mut token = std::env::var("TENCENT_CALLBACK_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let mut event = None;
    let mut list = false;
    let mut file = None;
    let mut command = None;
    let mut time = None;
    let mut raw_time = None;
    let mut verbose = false;
    let mut client_ip = "127.0.0.1".to_owned();
    let mut platform = "RESTAPI".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--url" => url = Some(value()?),
            "--trtc" => trtc = true,
            "--key" => key = Some(value()?),
            "--app" => app = value()?.parse().map_err(|_| "--app must be a number")?,
            "--token" => token = Some(value()?),
            "--event" => event = Some(value()?),
            "--file" => file = Some(value()?),
            "--command" => command = Some(value()?),
            "--time" => {
                time = Some(
                    value()?
                        .parse()
                        .map_err(|_| "--time must be Unix seconds")?,
                )
            }
            "--raw-time" => raw_time = Some(value()?),
            "-v" | "--verbose" => verbose = true,
            "--client-ip" => client_ip = value()?,
            "--platform" => platform = value()?,
            "--list" => list = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if list {
        if trtc {
            for (name, _) in samples::trtc::ALL {
                println!("{name}");
            }
        } else {
            for (name, command, _) in samples::ALL {
                println!("{name:16} {command}");
            }
        }
        std::process::exit(0);
    }
    if raw_time.is_some() && (trtc || token.is_none()) {
        return Err(
            "--raw-time needs a token (--token or TENCENT_CALLBACK_TOKEN) and no \
                    --trtc: only signed Chat requests carry a RequestTime"
                .into(),
        );
    }
    let path = if trtc { TRTC_PATH } else { WEBHOOK_PATH };
    let url = url.unwrap_or_else(|| format!("http://{DEFAULT_LISTEN_ADDR}{path}"));
    let mut fresh = false;
    let mut doc_vector = false;
    let (command, body) = match (file, trtc) {
        (Some(path), _) => {
            let body = std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let command = match trtc {
                true => String::new(),
                false => command.ok_or("--file needs --command")?,
            };
            (command, Bytes::from(body))
        }
        (None, true) => {
            let event = event.unwrap_or_else(|| "recording".to_owned());
            let body = samples::trtc::by_name(&event).ok_or_else(|| {
                format!("unknown TRTC event {event}; --trtc --list shows the samples")
            })?;
            // Every sample but Tencent's own signature vector is sent as of now.
            doc_vector = event == "doc-vector";
            fresh = !doc_vector;
            (String::new(), Bytes::from_static(body.as_bytes()))
        }
        (None, false) => {
            let event = event.unwrap_or_else(|| "recording".to_owned());
            let (sample_command, body) = samples::by_name(&event)
                .ok_or_else(|| format!("unknown event {event}; --list shows the samples"))?;
            (
                command.unwrap_or_else(|| sample_command.to_owned()),
                Bytes::from_static(body.as_bytes()),
            )
        }
    };
    Ok(Args {
        url,
        app,
        token,
        command,
        body,
        time,
        raw_time,
        client_ip,
        platform,
        trtc: trtc.then_some(key),
        fresh,
        doc_vector,
        verbose,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match send(args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn send(args: Args) -> Result<bool, String> {
    let uri: hyper::Uri = args.url.parse().map_err(|e| format!("bad --url: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(
            "only http:// URLs are supported (put TLS in front of the app, not here)".into(),
        );
    }
    let host = uri.host().ok_or("--url needs a host")?;
    let port = uri.port_u16().unwrap_or(80);
    let authority = format!("{host}:{port}");

    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .map_err(|e| {
            format!("cannot connect to {authority}: {e} (is the example server running?)")
        })?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);

    let http_request = match &args.trtc {
        Some(key) => trtc_request(&args, key.as_deref(), uri.path(), &authority)?,
        None => chat_request(&args, uri.path(), &authority)?,
    };
    let response = sender
        .send_request(http_request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    println!("HTTP {}", status.as_u16());
    println!("{}", String::from_utf8_lossy(&bytes));
    let answer = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
    if args.doc_vector && status == 401 && answer.as_ref().is_some_and(|v| v["code"] == 40106) {
        // The expected answer: the signature is Tencent's own and verified, but its
        // CallbackTs is from 2022 and the receiver refuses callbacks older than its
        // freshness window (5 minutes by default), as it should refuse a replay.
        let how = if matches!(&args.trtc, Some(Some(_))) {
            "its signature verified, then it was refused as stale"
        } else {
            "sent unsigned, it was refused as stale"
        };
        println!(
            "as expected: Tencent's documented vector: {how} (CallbackTs 1664209748188 is \
             from 2022, outside the receiver's freshness window)"
        );
        return Ok(true);
    }
    let ok = status == 200
        && match &args.trtc {
            Some(_) => answer.is_some_and(|v| v["code"] == 0),
            None => answer.is_some_and(|v| v["ActionStatus"] == "OK"),
        };
    Ok(ok)
}

/// A TRTC console callback: `SdkAppId` and (with a key) `Sign` headers over the exact body.
fn trtc_request(
    args: &Args,
    key: Option<&str>,
    path: &str,
    authority: &str,
) -> Result<Request<Full<Bytes>>, String> {
    let mut request = TrtcTestRequest::new(args.app, args.body.clone()).path(path);
    if args.fresh {
        request = request.fresh();
    }
    if let Some(key) = key {
        request = request.key(key);
    }
    let signed = if key.is_some() { "signed" } else { "unsigned" };
    println!(
        "POST {authority}{path} (TRTC, {signed}, {} bytes)",
        request.body().len()
    );
    if args.verbose {
        // `Sign` is the HMAC of the body, never the key itself.
        println!("url:  http://{authority}{path}");
        for (name, value) in request.headers() {
            println!("{name}: {value}");
        }
        println!("body: {}", String::from_utf8_lossy(request.body()));
    }
    let mut builder = Request::post(path).header(hyper::header::HOST, authority);
    for (name, value) in request.headers() {
        builder = builder.header(name, value);
    }
    builder
        .body(Full::new(request.body().clone()))
        .map_err(|e| e.to_string())
}

/// A Chat / TUILiveKit webhook: everything in the query, `Sign` over the token and time.
fn chat_request(args: &Args, path: &str, authority: &str) -> Result<Request<Full<Bytes>>, String> {
    let mut request = TestRequest::new(args.app, args.command.clone(), args.body.clone())
        .path(path)
        .client_ip(Some(&args.client_ip))
        .platform(Some(&args.platform));
    if let Some(token) = &args.token {
        request = request.token(token.clone());
    }
    if let Some(time) = args.time {
        request = request.request_time(time);
    }
    if let Some(raw_time) = &args.raw_time {
        request = request.raw_request_time(raw_time.clone());
    }
    let path_and_query = request.path_and_query();
    let body = request.body().clone();
    let signed = if args.token.is_some() {
        "signed"
    } else {
        "unsigned"
    };
    println!(
        "POST {authority}{path} ({signed}, {} bytes, {})",
        body.len(),
        args.command
    );
    if args.verbose {
        // The query holds `Sign` and `RequestTime`, never the token itself.
        println!("url:  http://{authority}{path_and_query}");
        println!("body: {}", String::from_utf8_lossy(&body));
    }
    Request::post(path_and_query)
        .header(hyper::header::HOST, authority)
        .body(Full::new(body))
        .map_err(|e| e.to_string())
}
