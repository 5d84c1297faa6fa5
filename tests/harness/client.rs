//! A small HTTP/1.1 client over a raw TCP socket: full control over what is sent (lying
//! `Content-Length`, chunked bodies, many requests on one connection), every read bounded
//! in time so a misbehaving server fails the test instead of hanging it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// How long any one response may take before the test fails.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names (lower-cased) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
    /// The bytes this answer took on the wire: status line, headers, blank line and body
    /// (with any chunk framing); interim 1xx answers before it not counted.
    pub wire_len: usize,
}

impl Response {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One client connection, reusable for keep-alive.
pub struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    /// Connect.
    pub async fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr)
            .await
            .expect("connect to the test server");
        stream.set_nodelay(true).ok();
        Conn {
            stream: BufReader::new(stream),
        }
    }

    /// Wrap a stream already connected.
    pub fn from_stream(stream: TcpStream) -> Conn {
        Conn {
            stream: BufReader::new(stream),
        }
    }

    /// Write raw bytes.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.get_mut().write_all(bytes).await
    }

    /// Read one response (bounded by [`READ_TIMEOUT`]).
    pub async fn read_response(&mut self) -> std::io::Result<Response> {
        timeout(READ_TIMEOUT, self.read_response_unbounded())
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no response in time"))?
    }

    /// Send a request and read its response.
    pub async fn request(&mut self, raw: &[u8]) -> Response {
        self.send_raw(raw).await.expect("send request");
        self.read_response().await.expect("read response")
    }

    async fn read_response_unbounded(&mut self) -> std::io::Result<Response> {
        let mut line = String::new();
        let mut wire_len;
        // Skip 1xx interim responses (100 Continue).
        let status = loop {
            line.clear();
            wire_len = self.stream.read_line(&mut line).await?;
            if wire_len == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed",
                ));
            }
            let status: u16 = line
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
            let mut headers_done = false;
            let mut headers = Vec::new();
            while !headers_done {
                line.clear();
                wire_len += self.stream.read_line(&mut line).await?;
                let l = line.trim_end();
                if l.is_empty() {
                    headers_done = true;
                } else if let Some((n, v)) = l.split_once(':') {
                    headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
            }
            if status >= 200 {
                break (status, headers);
            }
        };
        let (status, headers) = status;
        let find = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let mut body = Vec::new();
        if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            loop {
                line.clear();
                wire_len += self.stream.read_line(&mut line).await?;
                let size =
                    usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                        .map_err(|_| std::io::Error::other(format!("bad chunk size {line:?}")))?;
                let mut chunk = vec![0; size + 2];
                self.stream.read_exact(&mut chunk).await?;
                wire_len += chunk.len();
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(len) = find("content-length") {
            let len: usize = len
                .parse()
                .map_err(|_| std::io::Error::other("bad content-length"))?;
            body.resize(len, 0);
            self.stream.read_exact(&mut body).await?;
            wire_len += len;
        } else if status != 204 && status != 304 {
            wire_len += self.stream.read_to_end(&mut body).await?;
        }
        Ok(Response {
            status,
            headers,
            body,
            wire_len,
        })
    }
}

/// A raw `POST` with `Content-Length`.
pub fn post(path_and_query: &str, body: &[u8]) -> Vec<u8> {
    request(
        "POST",
        path_and_query,
        &[("Content-Type", "application/json")],
        body,
    )
}

/// A raw request with `Content-Length` and extra headers.
pub fn request(
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut raw = format!("{method} {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut raw = raw.into_bytes();
    raw.extend_from_slice(body);
    raw
}

/// A raw chunked `POST` sending `body` in chunks of `chunk` bytes.
pub fn post_chunked(path_and_query: &str, body: &[u8], chunk: usize) -> Vec<u8> {
    let mut raw = format!(
        "POST {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for part in body.chunks(chunk.max(1)) {
        raw.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        raw.extend_from_slice(part);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    raw
}

/// Send one request on a fresh connection and read the response.
pub async fn roundtrip(addr: SocketAddr, raw: &[u8]) -> Response {
    Conn::open(addr).await.request(raw).await
}
