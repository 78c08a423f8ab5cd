//! A TCP relay in front of two servers, that can meddle with a running sync the way a network
//! can: [`Relay::switch`] cuts the connections relayed so far and sends every new one to the
//! second server (a proxy that inspects TLS coming onto the path part-way through), and
//! [`Relay::garble`] flips a byte in the next thing each open connection's server says (a
//! middlebox mangling a record, so TLS fails on a live connection); [`meddling`] does either
//! part-way through a run. Plain threads and blocking sockets: the relay only copies bytes,
//! and knows nothing of TLS or HTTP.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::TestOrg;

pub struct Relay {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    closed: AtomicBool,
    /// `None` once switched; until then every connection relayed to the first server. One
    /// lock for all, so no connection reaches the first server after the switch cut the rest.
    /// Closed connections stay listed (two handles each) until then: a test's few dozen.
    to_first: Mutex<Option<Vec<Relayed>>>,
    garbled: AtomicU64,
}

/// One connection to the first server: both sockets, to cut, and the flag that garbles the
/// next chunk its server sends.
struct Relayed {
    sockets: [TcpStream; 2],
    garble_next: Arc<AtomicBool>,
}

impl Relay {
    /// A relay on 127.0.0.1 in front of the servers at the two base URLs.
    pub fn start(first: &str, second: &str) -> Relay {
        let (first, second) = (socket_of(first), socket_of(second));
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the relay");
        let addr = listener.local_addr().expect("the relay's address");
        let shared = Arc::new(Shared {
            to_first: Mutex::new(Some(Vec::new())),
            ..Shared::default()
        });
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if accepting.closed.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let mut to_first = accepting.to_first.lock().unwrap();
                let target = if to_first.is_some() { first } else { second };
                let Ok(server) = TcpStream::connect(target) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let garble_next = Arc::new(AtomicBool::new(false));
                if let Some(relayed) = to_first.as_mut() {
                    relayed.push(Relayed {
                        sockets: [clone(&client), clone(&server)],
                        garble_next: garble_next.clone(),
                    });
                }
                drop(to_first);
                relay(client, server, garble_next, accepting.clone());
            }
        });
        Relay { addr, shared }
    }

    /// `base_url` with the relay's address in place of the server's.
    pub fn base_url(&self, base_url: &str) -> String {
        let mut url = url::Url::parse(base_url).expect("a base URL");
        url.set_port(Some(self.addr.port())).expect("a port");
        url.to_string().trim_end_matches('/').to_string()
    }

    /// Cuts every connection relayed to the first server; new ones go to the second.
    pub fn switch(&self) {
        let relayed = self.shared.to_first.lock().unwrap().take();
        for socket in relayed.into_iter().flatten().flat_map(|r| r.sockets) {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    /// Flips a byte in the next chunk the server sends on each connection open now; the
    /// connections opened after are left alone.
    pub fn garble(&self) {
        for relayed in self.shared.to_first.lock().unwrap().iter().flatten() {
            relayed.garble_next.store(true, Ordering::SeqCst);
        }
    }

    /// How many chunks were garbled.
    pub fn garbled(&self) -> u64 {
        self.shared.garbled.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees `closed` and ends.
        let _ = TcpStream::connect(self.addr);
    }
}

fn socket_of(base_url: &str) -> SocketAddr {
    let url = url::Url::parse(base_url).expect("a base URL");
    let host = url.host_str().expect("a host");
    let port = url.port_or_known_default().expect("a port");
    format!("{host}:{port}")
        .parse()
        .expect("an IP address and port")
}

fn clone(socket: &TcpStream) -> TcpStream {
    socket.try_clone().expect("a socket handle")
}

/// Copies bytes both ways, each on a thread, until either side closes.
fn relay(client: TcpStream, server: TcpStream, garble_next: Arc<AtomicBool>, shared: Arc<Shared>) {
    let upstream = (clone(&client), clone(&server));
    std::thread::spawn(move || {
        let (from, to) = upstream;
        let _ = io::copy(&mut &from, &mut &to);
        let _ = to.shutdown(Shutdown::Write);
    });
    std::thread::spawn(move || {
        let (mut from, mut to) = (server, client);
        let mut buffer = [0u8; 16 * 1024];
        while let Ok(n @ 1..) = from.read(&mut buffer) {
            if garble_next.swap(false, Ordering::SeqCst) {
                // Most often inside a record's authentication tag: the client fails to decrypt
                // at once. Should the read have split a record header, a flipped length makes
                // the client wait instead, and `--timeout` ends that: slower, same outcome.
                buffer[n - 1] ^= 0xff;
                shared.garbled.fetch_add(1, Ordering::SeqCst);
            }
            if to.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// Runs `run` while a watcher calls `meddle` each time the writes `org` has answered reach the
/// next of `after_writes`; the watcher gives up when `run` returns.
pub fn meddling<R>(
    org: &TestOrg,
    after_writes: &[usize],
    meddle: impl Fn() + Sync,
    run: impl FnOnce() -> R,
) -> R {
    /// Tells the watcher the run is over, however it ended (a panic included).
    struct Finished<'a>(&'a AtomicBool);
    impl Drop for Finished<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let finished = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut marks = after_writes.iter().peekable();
            let deadline = Instant::now() + Duration::from_secs(120);
            while let Some(&&mark) = marks.peek() {
                if finished.load(Ordering::SeqCst) || Instant::now() > deadline {
                    return;
                }
                if org.requests().iter().filter(|r| r.is("PUT")).count() >= mark {
                    meddle();
                    marks.next();
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        let _finished = Finished(&finished);
        run()
    })
}
