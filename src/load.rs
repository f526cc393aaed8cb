//! A small HTTP/1.1 load generator for loopback: `concurrency` keep-alive connections send
//! requests round-robin from a list until `total` are done, recording each latency. Used by
//! `bomiljo bench serve` and the load test; it only ever connects to the address it is given.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One request to send.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub body: Option<String>,
    /// Sent as `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

impl Request {
    pub fn get(path: impl Into<String>) -> Request {
        Request { method: "GET", path: path.into(), body: None, token: None }
    }

    pub fn post_json(path: impl Into<String>, body: String) -> Request {
        Request { method: "POST", path: path.into(), body: Some(body), token: None }
    }

    pub fn with_token(mut self, token: &str) -> Request {
        self.token = Some(token.to_string());
        self
    }

    fn bytes(&self, host: &str) -> Vec<u8> {
        let body = self.body.as_deref().unwrap_or("");
        let mut content = if self.body.is_some() { format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()) } else { String::new() };
        if let Some(token) = &self.token {
            content.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        format!("{} {} HTTP/1.1\r\nHost: {host}\r\n{content}\r\n{body}", self.method, self.path).into_bytes()
    }
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct Report {
    pub requests: usize,
    /// Responses that were not 2xx, or connections that failed.
    pub errors: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Report {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests, {} errors, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
            self.requests,
            self.errors,
            self.per_second(),
            self.p50.as_secs_f64() * 1000.0,
            self.p99.as_secs_f64() * 1000.0
        )
    }
}

/// Sends `total` requests over `concurrency` connections to `addr`.
pub async fn run(addr: SocketAddr, requests: &[Request], total: usize, concurrency: usize) -> Report {
    let started = Instant::now();
    let per_worker = total.div_ceil(concurrency);
    let host = addr.to_string();
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let encoded: Vec<Vec<u8>> = requests.iter().map(|r| r.bytes(&host)).collect();
            let count = per_worker.min(total.saturating_sub(w * per_worker));
            tokio::spawn(async move { worker(addr, encoded, w, count).await })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::with_capacity(total), 0);
    for w in workers {
        let (lat, err) = w.await.unwrap_or((Vec::new(), 1));
        latencies.extend(lat);
        errors += err;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pick = |q: f64| latencies.get(((latencies.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or_default();
    Report { requests: latencies.len() + errors, errors, elapsed, p50: pick(0.5), p99: pick(0.99) }
}

async fn worker(addr: SocketAddr, requests: Vec<Vec<u8>>, offset: usize, count: usize) -> (Vec<Duration>, usize) {
    let mut latencies = Vec::with_capacity(count);
    let mut errors = 0;
    let mut stream: Option<TcpStream> = None;
    let mut buffer = Vec::with_capacity(64 * 1024);
    for i in 0..count {
        let request = &requests[(offset + i) % requests.len()];
        let started = Instant::now();
        if stream.is_none() {
            stream = TcpStream::connect(addr).await.ok();
        }
        let outcome = match stream.as_mut() {
            Some(s) => exchange(s, request, &mut buffer).await,
            None => Err(()),
        };
        match outcome {
            Ok(status) if (200..300).contains(&status) => latencies.push(started.elapsed()),
            Ok(_) => errors += 1,
            Err(()) => {
                errors += 1;
                stream = None;
            }
        }
    }
    (latencies, errors)
}

/// Writes one request and reads one response (Content-Length framing); returns the status.
async fn exchange(stream: &mut TcpStream, request: &[u8], buffer: &mut Vec<u8>) -> Result<u16, ()> {
    stream.write_all(request).await.map_err(|_| ())?;
    buffer.clear();
    let mut chunk = [0u8; 16 * 1024];
    let header_end = loop {
        let n = stream.read(&mut chunk).await.map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = std::str::from_utf8(&buffer[..header_end]).map_err(|_| ())?;
    let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or(())?;
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
        .and_then(|v| v.parse().ok())
        .ok_or(())?;
    while buffer.len() < header_end + length {
        let n = stream.read(&mut chunk).await.map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}
