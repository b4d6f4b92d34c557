//! Accepting connections and serving HTTP/1.1 on them, in place of `axum::serve`.
//!
//! A live stream keeps its connection open for as long as the page is, so what each connection
//! costs is what 10,000 browsers cost. `axum::serve` answers HTTP/1.1 and HTTP/2 alike: it
//! first reads a few bytes to tell them apart and hands them back to hyper, whose read buffer
//! then grows to 16 KiB for the rest of the request instead of the 8 KiB it starts with, and
//! every connection's task holds room for an HTTP/2 connection too. Browsers reach the server
//! over HTTP/1.1 (a proxy in front speaks HTTP/2 to them if anything), so only that is served.
//!
//! Small writes go out at once (`TCP_NODELAY`): a live event is a few dozen bytes, and
//! Nagle's algorithm would hold it until the browser acknowledged the one before, which a
//! delayed acknowledgement puts off by up to 40 ms.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};
use tower::ServiceExt;

/// Connections the kernel holds for us until we accept them. Browsers reconnect their live
/// streams together when an instance restarts; tokio's default of 1024 (`TcpListener::bind`)
/// overflows in such a storm, and each connection refused then retries only after the
/// client's doubling retransmission timeout, which reaches tens of seconds. The kernel caps it
/// at `net.core.somaxconn` (4096 by default).
const BACKLOG: u32 = 4096;

/// Listens on `addr` as `TcpListener::bind` does, with a longer queue of connections.
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As `TcpListener::bind` does on Unix: a restarted server binds while the old connections
    // linger in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Serves `router` on every connection `listener` accepts, until the task is dropped.
pub async fn serve(listener: TcpListener, router: Router) {
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) if is_connection_error(&err) => continue,
            Err(err) => {
                // Most likely out of file descriptors: wait for some to close rather than spin.
                tracing::error!(error = %err, "could not accept a connection");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "could not set TCP_NODELAY");
        }
        let router = router.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    // What `into_make_service_with_connect_info` gives: the client middleware reads
                    // the peer's address from it.
                    request.extensions_mut().insert(ConnectInfo(remote));
                    router.clone().oneshot(request)
                });
            if let Err(err) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::trace!(error = %err, "connection ended with an error");
            }
        });
    }
}

/// Errors of one connection (reset before it was accepted, say), not of the listener.
fn is_connection_error(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn answers_http1_with_the_peers_address_and_keeps_the_connection() {
        let router = Router::new().route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        );
        let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(serve(listener, router));
        let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
        for _ in 0..2 {
            socket
                .write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .expect("write");
            let mut answer = vec![0u8; 1024];
            let n = socket.read(&mut answer).await.expect("read");
            let answer = String::from_utf8_lossy(&answer[..n]).to_string();
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            assert!(answer.ends_with("127.0.0.1"), "{answer}");
        }
        server.abort();
    }
}
