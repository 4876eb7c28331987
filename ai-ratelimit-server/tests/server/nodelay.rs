//! Accepted connections have `TCP_NODELAY`: without it, every small write of a streamed
//! answer after the first waits for the client's delayed ACK (about 40 ms each on Linux).
//! Checked on the socket itself, not by timing.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ai_ratelimit_server::config::RawConfig;
use ai_ratelimit_server::{Config, build_app};
use axum::serve::Listener;
use tokio::net::{TcpListener, TcpStream};

/// A listener that keeps a duplicate handle of every accepted socket, so the test can read
/// the socket options the server set after accepting it (a `dup` shares them).
struct Recording {
    inner: TcpListener,
    accepted: Arc<Mutex<Vec<std::net::TcpStream>>>,
}

impl Listener for Recording {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        let (stream, address) = self.inner.accept().await.expect("accept");
        let std_stream = stream.into_std().expect("into std");
        let duplicate = std_stream.try_clone().expect("dup");
        self.accepted.lock().expect("lock").push(duplicate);
        (TcpStream::from_std(std_stream).expect("from std"), address)
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

#[tokio::test]
async fn accepted_sockets_have_tcp_nodelay() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut raw = RawConfig::defaults();
    raw.port = 0;
    raw.database_url = format!("sqlite://{}/server.db", dir.path().display());
    let app = build_app(Config::try_from(raw).expect("config"))
        .await
        .expect("app");
    let inner = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", inner.local_addr().expect("address"));
    let accepted = Arc::default();
    let listener = Recording {
        inner,
        accepted: Arc::clone(&accepted),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));

    let response = reqwest::get(format!("{base}/healthz")).await.expect("get");
    assert!(response.status().is_success());

    let nodelay: Vec<bool> = accepted
        .lock()
        .expect("lock")
        .iter()
        .map(|socket| socket.nodelay().expect("read TCP_NODELAY"))
        .collect();
    assert!(!nodelay.is_empty(), "the server accepted no connection");
    assert!(
        nodelay.iter().all(|on| *on),
        "TCP_NODELAY not set: {nodelay:?}"
    );
    stop.send(()).expect("stop");
    server.await.expect("task").expect("served");
}
