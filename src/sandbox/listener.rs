//! Connections that can be reset on purpose.
//!
//! A handler cannot make hyper drop a connection without answering, yet "connection reset
//! before any response" is one of the failures a client must survive. So every accepted
//! socket is wrapped in a [`ResettableStream`] whose switch handlers reach through axum's
//! connect info ([`Connection`]). Once the switch is thrown, the next write fails and the
//! socket is closed with `SO_LINGER` 0, which sends a TCP RST instead of a response.
//!
//! With [`SandboxTls`] the listener also does the TLS handshake, in `accept`, one connection
//! at a time: a sandbox on loopback does not need more, and a client that gives up on the
//! handshake (one that does not trust the certificate) is dropped without stopping the server.
//! Over HTTP/2 a reset takes every request on the connection with it.

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
use tokio_rustls::server::TlsStream;

use super::tls::SandboxTls;

/// A TLS handshake longer than this is abandoned (a client that stalls must not stop the
/// server from accepting others).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A TCP listener whose connections can be reset by the handler serving them. It counts the
/// connections it accepts, which is how tests see that a client reuses its connections, and
/// those that chose HTTP/2.
pub(crate) struct ResettableListener {
    pub inner: TcpListener,
    pub tls: Option<SandboxTls>,
    pub accepted: Arc<AtomicU64>,
    pub http2: Arc<AtomicU64>,
}

impl Listener for ResettableListener {
    type Io = ResettableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, addr) = Listener::accept(&mut self.inner).await;
            self.accepted.fetch_add(1, Ordering::Relaxed);
            let _ = stream.set_nodelay(true);
            let wire = match &self.tls {
                None => Wire::Plain(stream),
                Some(tls) => {
                    let handshake = tls.acceptor.accept(stream);
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
                        Ok(Ok(stream)) => {
                            if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
                                self.http2.fetch_add(1, Ordering::Relaxed);
                            }
                            Wire::Tls(Box::new(stream))
                        }
                        Ok(Err(e)) => {
                            tracing::debug!("sandbox: TLS handshake with {addr} failed: {e}");
                            continue;
                        }
                        Err(_) => {
                            tracing::debug!("sandbox: TLS handshake with {addr} timed out");
                            continue;
                        }
                    }
                }
            };
            let stream = ResettableStream {
                inner: wire,
                reset: Arc::new(AtomicBool::new(false)),
            };
            return (stream, addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
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
