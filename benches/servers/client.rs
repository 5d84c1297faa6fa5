//! A fixed number of requests, one after another on one keep-alive connection:
//! `bench-client PORT PATH_AND_QUERY BODY_FILE COUNT`. Exits non-zero unless every answer
//! is 200. Used by `benches/callgrind.sh`, where the server's instruction count is taken
//! for two request counts and their difference divided by the difference of the counts.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: bench-client PORT PATH_AND_QUERY BODY_FILE COUNT");
        std::process::exit(2);
    }
    let port: u16 = args[1].parse().expect("a port");
    let body = std::fs::read(&args[3]).expect("the body file");
    let count: u64 = args[4].parse().expect("a count");
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        args[2],
        body.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(&body);
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut writer = stream.try_clone().expect("clone the socket");
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    for i in 0..count {
        writer.write_all(&request).expect("send");
        line.clear();
        reader.read_line(&mut line).expect("status line");
        if !line.starts_with("HTTP/1.1 200") {
            eprintln!("request {i}: {}", line.trim_end());
            std::process::exit(1);
        }
        let mut length = 0usize;
        loop {
            line.clear();
            reader.read_line(&mut line).expect("header line");
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("a content length");
            }
        }
        let mut answer = vec![0u8; length];
        reader.read_exact(&mut answer).expect("body");
    }
}
