//! Connections that can be reset on purpose.
//!
//! A handler cannot make hyper drop a connection without answering, yet "connection reset
//! before any response" is one of the failures a client must survive. So every accepted
//! socket is wrapped in a [`ResettableStream`] whose switch handlers reach through axum's
//! connect info ([`Connection`]). Once the switch is thrown, the next write fails and the
//! socket is closed with `SO_LINGER` 0, which sends a TCP RST instead of a response.
//!
//! With [`SandboxTls`] the listener also does the TLS handshakes, each in a task of its own,
//! so a client that never finishes one (or gives up on it, not trusting the certificate) holds
//! up nobody else. Over HTTP/2 a reset takes every request on the connection with it.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;

use super::tls::SandboxTls;

/// A TLS handshake longer than this is abandoned.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection whose TLS handshake is done, and its peer.
type Handshaken = (TlsStream<TcpStream>, SocketAddr);

/// The connections a listener has accepted, and of those the ones that chose HTTP/2: how
/// tests see that a client reuses its connections.
#[derive(Debug, Default)]
pub(crate) struct ConnectionCounts {
    pub accepted: AtomicU64,
    pub http2: AtomicU64,
}

/// A TCP listener whose connections can be reset by the handler serving them, counted.
pub(crate) struct ResettableListener {
    incoming: Incoming,
    local_addr: SocketAddr,
    counts: Arc<ConnectionCounts>,
}

enum Incoming {
    Plain(TcpListener),
    /// Connections from [`handshakes`], in the order their handshakes finished.
    Tls(mpsc::Receiver<Handshaken>),
}

impl ResettableListener {
    /// Must be called inside a tokio runtime (with TLS, the handshakes run in tasks).
    pub fn new(
        inner: TcpListener,
        tls: Option<SandboxTls>,
        counts: Arc<ConnectionCounts>,
    ) -> io::Result<ResettableListener> {
        let local_addr = inner.local_addr()?;
        let incoming = match tls {
            None => Incoming::Plain(inner),
            Some(tls) => {
                let (ready, incoming) = mpsc::channel(64);
                tokio::spawn(handshakes(inner, tls, counts.clone(), ready));
                Incoming::Tls(incoming)
            }
        };
        Ok(ResettableListener {
            incoming,
            local_addr,
            counts,
        })
    }
}

/// Accepts TCP connections and runs each one's TLS handshake in a task of its own, handing
/// the finished ones to `ready`. Ends when the server stops (nobody receives any more).
async fn handshakes(
    mut listener: TcpListener,
    tls: SandboxTls,
    counts: Arc<ConnectionCounts>,
    ready: mpsc::Sender<Handshaken>,
) {
    loop {
        let (stream, addr) = tokio::select! {
            () = ready.closed() => return,
            connection = Listener::accept(&mut listener) => connection,
        };
        counts.accepted.fetch_add(1, Ordering::Relaxed);
        let _ = stream.set_nodelay(true);
        let (acceptor, counts, ready) = (tls.acceptor.clone(), counts.clone(), ready.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => {
                    if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
                        counts.http2.fetch_add(1, Ordering::Relaxed);
                    }
                    let _ = ready.send((stream, addr)).await;
                }
                Ok(Err(e)) => tracing::debug!("sandbox: TLS handshake with {addr} failed: {e}"),
                Err(_) => tracing::debug!("sandbox: TLS handshake with {addr} timed out"),
            }
        });
    }
}

impl Listener for ResettableListener {
    type Io = ResettableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (wire, addr) = match &mut self.incoming {
            Incoming::Plain(listener) => {
                let (stream, addr) = Listener::accept(listener).await;
                self.counts.accepted.fetch_add(1, Ordering::Relaxed);
                let _ = stream.set_nodelay(true);
                (Wire::Plain(stream), addr)
            }
            Incoming::Tls(handshaken) => match handshaken.recv().await {
                Some((stream, addr)) => (Wire::Tls(Box::new(stream)), addr),
                // The handshake task ends only once the server has stopped listening.
                None => std::future::pending().await,
            },
        };
        let stream = ResettableStream {
            inner: wire,
            reset: Arc::new(AtomicBool::new(false)),
        };
        (stream, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

/// An accepted socket, in the clear or inside TLS.
enum Wire {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Wire {
    fn tcp(&self) -> &TcpStream {
        match self {
            Wire::Plain(tcp) => tcp,
            Wire::Tls(tls) => tls.get_ref().0,
        }
    }
}

/// Forwards one `AsyncRead`/`AsyncWrite` call to whichever stream the wire is.
macro_rules! on_wire {
    ($wire:expr, $stream:ident => $call:expr) => {
        match $wire {
            Wire::Plain($stream) => $call,
            Wire::Tls($stream) => $call,
        }
    };
}

/// One accepted connection with its reset switch.
pub(crate) struct ResettableStream {
    inner: Wire,
    reset: Arc<AtomicBool>,
}

impl ResettableStream {
    /// If the switch was thrown: arm the RST (linger 0 makes the close abortive) and fail.
    fn check(&self) -> io::Result<()> {
        if !self.reset.load(Ordering::SeqCst) {
            return Ok(());
        }
        let _ = socket2::SockRef::from(self.inner.tcp()).set_linger(Some(Duration::ZERO));
        Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "reset by the sandbox (injected fault)",
        ))
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        on_wire!(&mut self.inner, s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        on_wire!(&mut self.inner, s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        on_wire!(&mut self.inner, s => Pin::new(s).poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        on_wire!(&mut self.inner, s => Pin::new(s).poll_shutdown(cx))
    }
}

/// The switch of the connection a request came on, from axum's `ConnectInfo`.
#[derive(Clone)]
pub(crate) struct Connection {
    reset: Arc<AtomicBool>,
}

impl Connection {
    /// Resets the connection instead of answering.
    pub fn reset(&self) {
        self.reset.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, ResettableListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, ResettableListener>) -> Self {
        Connection {
            reset: stream.io().reset.clone(),
        }
    }
}
