//! A TCP relay in front of two servers: every connection goes to the first until
//! [`SwitchingRelay::switch`], which cuts the connections relayed so far, and every connection
//! after it goes to the second. A server changing under a running sync, as when a proxy that
//! inspects TLS comes onto the path part-way through. Plain threads and blocking sockets: the
//! relay only copies bytes, and knows nothing of TLS or HTTP.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct SwitchingRelay {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    closed: AtomicBool,
    /// `None` once switched; until then both ends of every connection relayed to the first
    /// server, to cut. One lock for both, so no connection is relayed to the first server
    /// after the switch has cut the others.
    first_server_sockets: Mutex<Option<Vec<TcpStream>>>,
}

impl SwitchingRelay {
    /// A relay on 127.0.0.1 in front of the servers at the two base URLs.
    pub fn start(first: &str, second: &str) -> SwitchingRelay {
        let (first, second) = (socket_of(first), socket_of(second));
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the relay");
        let addr = listener.local_addr().expect("the relay's address");
        let shared = Arc::new(Shared {
            first_server_sockets: Mutex::new(Some(Vec::new())),
            ..Shared::default()
        });
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if accepting.closed.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let mut sockets = accepting.first_server_sockets.lock().unwrap();
                let target = if sockets.is_some() { first } else { second };
                let Ok(server) = TcpStream::connect(target) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                if let Some(sockets) = sockets.as_mut() {
                    sockets.extend([clone(&client), clone(&server)]);
                }
                drop(sockets);
                relay(client, server);
            }
        });
        SwitchingRelay { addr, shared }
    }

    /// `base_url` with the relay's address in place of the server's.
    pub fn base_url(&self, base_url: &str) -> String {
        let mut url = url::Url::parse(base_url).expect("a base URL");
        url.set_port(Some(self.addr.port())).expect("a port");
        url.to_string().trim_end_matches('/').to_string()
    }

    /// Cuts every connection relayed to the first server; new ones go to the second.
    pub fn switch(&self) {
        let sockets = self.shared.first_server_sockets.lock().unwrap().take();
        for socket in sockets.into_iter().flatten() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for SwitchingRelay {
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
fn relay(client: TcpStream, server: TcpStream) {
    for (from, to) in [
        (clone(&client), clone(&server)),
        (clone(&server), clone(&client)),
    ] {
        std::thread::spawn(move || {
            let _ = io::copy(&mut &from, &mut &to);
            let _ = to.shutdown(Shutdown::Write);
        });
    }
}
