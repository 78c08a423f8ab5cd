//! A server that answers as a broken or hostile one would, byte for byte: a `Retry-After` of
//! 1e20, a body that never ends, a redirect to another origin, a member list that never stops.
//! The sandbox is a well-behaved Tallyfy; this is everything else. Plain threads and blocking
//! sockets speaking HTTP/1.1 by hand, so nothing between the test and the wire tidies up what
//! the test sends. Every loop is bounded in time and bytes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `page` query parameter of a list request.
    pub fn page(&self) -> Option<u64> {
        let query = self.target.split_once('?')?.1;
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("page="))
            .and_then(|n| n.parse().ok())
    }

    pub fn is_list(&self) -> bool {
        self.method == "GET" && self.target.contains("/users?")
    }
}

/// What to send back.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

pub enum Body {
    Bytes(Vec<u8>),
    /// A chunked body that goes on until the client hangs up (or 30 s, or 4 GiB).
    Endless,
    /// `Content-Length: len`, then filler until the client hangs up (or 30 s, or `len`).
    Declared(u64),
}

impl Answer {
    pub fn json(status: u16, body: &Value) -> Answer {
        Answer {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Body::Bytes(body.to_string().into_bytes()),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A member as the list returns it.
pub fn member(id: u64, email: &str) -> Value {
    json!({
        "id": id, "email": email, "first_name": "First", "last_name": format!("Last{id}"),
        "job_title": "Engineer", "role": "standard", "status": "active",
        "timezone": "Europe/London",
    })
}

/// A list page with its pagination block; `None` leaves a figure out.
pub fn page(members: Vec<Value>, page: u64, total_pages: Option<f64>, total: Option<f64>) -> Value {
    let mut pagination = json!({"current_page": page, "per_page": 100, "count": members.len()});
    if let Some(pages) = total_pages {
        pagination["total_pages"] = json!(pages);
    }
    if let Some(total) = total {
        pagination["total"] = json!(total);
    }
    json!({"data": members, "meta": {"pagination": pagination}})
}

type Handler = dyn Fn(&Seen) -> Answer + Send + Sync;

pub struct Hostile {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Hostile {
    /// A server on 127.0.0.1 answering every request with `handler`.
    pub fn start(handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let addr = listener.local_addr().expect("an address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (handler, log) = (handler.clone(), log.clone());
                std::thread::spawn(move || serve(stream, &*handler, &log));
            }
        });
        Hostile { addr, seen }
    }

    /// `http://127.0.0.1:PORT/api`
    pub fn base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// `http://127.0.0.1:PORT` then `path`: another address on this server (a webhook).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// `member-sync SUBCOMMAND INPUT` against this server, with a token, a fast pace and the
    /// given report; `apply` gets `--yes --max-changes 100%`.
    pub fn command(
        &self,
        subcommand: &str,
        input: &std::path::Path,
        report: &std::path::Path,
    ) -> assert_cmd::Command {
        let mut command = super::member_sync();
        command
            .args([subcommand.as_ref(), input.as_os_str()])
            .args([
                "--base-url",
                &self.base_url(),
                "--org",
                "org1",
                "--rate",
                "1000/s",
            ])
            .arg("--report")
            .arg(report)
            .env("TALLYFY_ACCESS_TOKEN", "hostile-test-token")
            // A lock and last-run sizes of its own: every hostile server's org is `org1`.
            .env(
                "MEMBER_SYNC_STATE_DIR",
                std::env::temp_dir()
                    .join(format!("member-sync-hostile-state-{}", self.addr.port())),
            )
            .timeout(Duration::from_secs(90));
        if subcommand == "apply" {
            command.args(["--yes", "--max-changes", "100%"]);
        }
        command
    }
}

fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Seen>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let mut writer = stream;
    while let Some(seen) = read_request(&mut reader) {
        log.lock().unwrap().push(seen.clone());
        if write_answer(&mut writer, handler(&seen)).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(16 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        target,
        headers,
        body,
    })
}

fn write_answer(writer: &mut TcpStream, answer: Answer) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} Hostile\r\n", answer.status);
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let started = Instant::now();
    let filler = vec![b' '; 64 << 10];
    match answer.body {
        Body::Bytes(bytes) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", bytes.len()));
            writer.write_all(head.as_bytes())?;
            writer.write_all(&bytes)
        }
        Body::Endless => {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            writer.write_all(head.as_bytes())?;
            let mut sent = 0u64;
            while started.elapsed() < Duration::from_secs(30) && sent < 4 << 30 {
                writer.write_all(format!("{:x}\r\n", filler.len()).as_bytes())?;
                writer.write_all(&filler)?;
                writer.write_all(b"\r\n")?;
                sent += filler.len() as u64;
            }
            Err(std::io::ErrorKind::TimedOut.into())
        }
        Body::Declared(len) => {
            head.push_str(&format!("Content-Length: {len}\r\n\r\n"));
            writer.write_all(head.as_bytes())?;
            let mut sent = 0u64;
            while started.elapsed() < Duration::from_secs(30) && sent < len {
                let n = filler.len().min((len - sent) as usize);
                writer.write_all(&filler[..n])?;
                sent += n as u64;
            }
            Ok(())
        }
    }
}
