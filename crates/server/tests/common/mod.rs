//! Shared by the server's integration tests: a real server on a loopback port, in a thread of
//! its own, stopped through a oneshot channel.

use std::net::SocketAddr;

use chipwarden_server::AppState;

/// A running server: its address, the switch that stops it (graceful shutdown) and its thread.
pub struct Running {
    pub addr: SocketAddr,
    pub stop: tokio::sync::oneshot::Sender<()>,
    pub thread: std::thread::JoinHandle<()>,
}

/// Starts the server on 127.0.0.1 with an OS-chosen port and waits until it listens.
pub fn start(state: AppState) -> Running {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            addr_tx.send(listener.local_addr().expect("address")).expect("send the address");
            chipwarden_server::serve(listener, state, async move {
                let _ = stop_rx.await;
            })
            .await
            .expect("serve");
        });
    });
    let addr = addr_rx.recv().expect("the server's address");
    Running { addr, stop, thread }
}
