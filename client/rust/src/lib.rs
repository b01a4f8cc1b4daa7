//! socketlab for Rust: stubs generated from `proto/` by tonic-build (see
//! `build.rs`), and a thin wrapper over them.
//!
//! * [`Process::open`] opens a process on a socketlabd host (a `Process/Session`
//!   stream kept open for the process's life; dropping the `Process` ends it,
//!   and its fds close as on exit(2)).
//! * Each syscall is an `async fn` returning `std::io::Result`: a Linux errno
//!   becomes `io::Error::from_raw_os_error(errno)`, so `err.kind()` is
//!   `ConnectionRefused`, `AddrInUse`, `WouldBlock`, ... as for a real socket.
//! * Blocking calls (accept, connect, recv, send) are server-streaming RPCs:
//!   the wrapper skips the progress events and resolves to the one result.
//!
//! The raw stubs are in [`pb`] (`pb::socket_call_client::SocketCallClient`, ...).
use std::io;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;
use tonic::Streaming;

/// The generated messages and clients of package `socketlab.v1`.
pub mod pb {
    tonic::include_proto!("socketlab.v1");
}

use pb::process_client::ProcessClient;
use pb::socket_call_client::SocketCallClient;

/// Linux constants the example and callers need (x86_64 values).
pub mod consts {
    pub const AF_UNIX: i32 = 1;
    pub const AF_INET: i32 = 2;
    pub const SOCK_STREAM: i32 = 1;
    pub const F_GETFL: i32 = 3;
    pub const F_SETFL: i32 = 4;
    pub const O_NONBLOCK: i64 = 0o4000;
    pub const MSG_DONTWAIT: i32 = 0x40;
    pub const SHUT_WR: i32 = 1;
}

fn transport(status: tonic::Status) -> io::Error {
    io::Error::other(format!("socketlabd: {} {}", status.code(), status.message()))
}

/// `Result{ret, error_number}` -> `io::Result<ret>`.
fn check(result: Option<pb::Result>) -> io::Result<i64> {
    let r = result.ok_or_else(|| io::Error::other("socketlabd: reply without a result"))?;
    if r.timed_out {
        return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
    }
    if r.error_number != 0 {
        return Err(io::Error::from_raw_os_error(r.error_number));
    }
    Ok(r.ret)
}

/// Reads a blocking call's stream up to its result message (progress events skipped).
async fn last<T, F>(mut stream: Streaming<T>, has_result: F) -> io::Result<T>
where
    F: Fn(&T) -> bool,
{
    while let Some(msg) = stream.message().await.map_err(transport)? {
        if has_result(&msg) {
            return Ok(msg);
        }
    }
    Err(io::Error::other("socketlabd: stream ended without a result"))
}

/// An AF_UNIX socket address (a path in the emulated host's filesystem).
pub fn unix_addr(path: &str) -> pb::SockAddr {
    pb::SockAddr {
        form: Some(pb::sock_addr::Form::Local(pb::LocalAddress { path: path.as_bytes().to_vec() })),
    }
}

/// An AF_INET socket address: a dotted-quad IPv4 address and a port.
pub fn inet_addr(address: &str, port: u16) -> pb::SockAddr {
    pb::SockAddr {
        form: Some(pb::sock_addr::Form::Inet(pb::InetAddress { address: address.to_string(), port: port.into() })),
    }
}

/// One emulated process on a socketlabd host.
pub struct Process {
    handle: String,
    pid: i32,
    calls: SocketCallClient<Channel>,
    // Keeping the session's request side open keeps the process alive.
    _session: mpsc::Sender<pb::SessionRequest>,
    _replies: Streaming<pb::SessionResponse>,
}

impl Process {
    /// Opens a new process on the daemon at `target` ("http://HOST:PORT").
    pub async fn open(target: &str) -> io::Result<Process> {
        let channel = Channel::from_shared(target.to_string())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?
            .connect()
            .await
            .map_err(|e| io::Error::new(io::ErrorKind::ConnectionRefused, e.to_string()))?;
        Self::open_on(channel).await
    }

    /// Opens a new process over an existing channel.
    pub async fn open_on(channel: Channel) -> io::Result<Process> {
        let (tx, rx) = mpsc::channel(4);
        let open = pb::SessionRequest {
            kind: Some(pb::session_request::Kind::Open(pb::OpenProcess::default())),
            ..Default::default()
        };
        tx.send(open).await.map_err(|_| io::Error::other("session closed"))?;
        let mut replies = ProcessClient::new(channel.clone())
            .session(ReceiverStream::new(rx))
            .await
            .map_err(transport)?
            .into_inner();
        let first = replies.message().await.map_err(transport)?;
        let opened = match first.and_then(|m| m.kind) {
            Some(pb::session_response::Kind::Opened(o)) => o,
            _ => return Err(io::Error::other("socketlabd: the session did not open a process")),
        };
        Ok(Process {
            handle: opened.process,
            pid: opened.pid,
            calls: SocketCallClient::new(channel),
            _session: tx,
            _replies: replies,
        })
    }

    /// The process id in the emulated host.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The daemon's handle of this process (the `process` field of typed requests).
    pub fn handle(&self) -> &str {
        &self.handle
    }

    /// socket(2): a new descriptor.
    pub async fn socket(&self, family: i32, ty: i32, protocol: i32) -> io::Result<i32> {
        let req = pb::SocketRequest { process: self.handle.clone(), family, r#type: ty, protocol };
        let rep = self.calls.clone().socket(req).await.map_err(transport)?.into_inner();
        Ok(check(rep.result)? as i32)
    }

    /// bind(2).
    pub async fn bind(&self, fd: i32, address: pb::SockAddr) -> io::Result<()> {
        let req = pb::BindRequest { process: self.handle.clone(), fd, address: Some(address) };
        let rep = self.calls.clone().bind(req).await.map_err(transport)?.into_inner();
        check(rep.result).map(|_| ())
    }

    /// listen(2).
    pub async fn listen(&self, fd: i32, backlog: i32) -> io::Result<()> {
        let req = pb::ListenRequest { process: self.handle.clone(), fd, backlog };
        let rep = self.calls.clone().listen(req).await.map_err(transport)?.into_inner();
        check(rep.result).map(|_| ())
    }

    /// connect(2) (may block: resolves when the call completes).
    pub async fn connect(&self, fd: i32, address: pb::SockAddr) -> io::Result<()> {
        let req = pb::ConnectRequest { process: self.handle.clone(), fd, address: Some(address), ..Default::default() };
        let stream = self.calls.clone().connect(req).await.map_err(transport)?.into_inner();
        let rep = last(stream, |m: &pb::ConnectResponse| m.result.is_some()).await?;
        check(rep.result).map(|_| ())
    }

    /// accept(2): the new descriptor (waits for a connection).
    pub async fn accept(&self, fd: i32) -> io::Result<i32> {
        let req = pb::AcceptRequest { process: self.handle.clone(), fd, no_address: true, ..Default::default() };
        let stream = self.calls.clone().accept(req).await.map_err(transport)?.into_inner();
        let rep = last(stream, |m: &pb::AcceptResponse| m.result.is_some()).await?;
        Ok(check(rep.result)? as i32)
    }

    /// send(2): how many bytes were taken.
    pub async fn send(&self, fd: i32, data: &[u8], flags: i32) -> io::Result<usize> {
        let req = pb::SendRequest { process: self.handle.clone(), fd, data: data.to_vec(), flags, ..Default::default() };
        let stream = self.calls.clone().send(req).await.map_err(transport)?.into_inner();
        let rep = last(stream, |m: &pb::SendResponse| m.result.is_some()).await?;
        Ok(check(rep.result)? as usize)
    }

    /// Sends all of `data` (send(2) in a loop).
    pub async fn send_all(&self, fd: i32, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let n = self.send(fd, data, 0).await?;
            data = &data[n..];
        }
        Ok(())
    }

    /// recv(2): up to `size` bytes (empty at EOF).
    pub async fn recv(&self, fd: i32, size: u32, flags: i32) -> io::Result<Vec<u8>> {
        let req = pb::RecvRequest { process: self.handle.clone(), fd, size, flags, ..Default::default() };
        let stream = self.calls.clone().recv(req).await.map_err(transport)?.into_inner();
        let rep = last(stream, |m: &pb::RecvResponse| m.result.is_some()).await?;
        check(rep.result)?;
        Ok(rep.data)
    }

    /// Receives exactly `n` bytes (recv(2) in a loop); `UnexpectedEof` if the peer closes first.
    pub async fn recv_exact(&self, fd: i32, n: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let chunk = self.recv(fd, (n - out.len()).min(1 << 20) as u32, 0).await?;
            if chunk.is_empty() {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// fcntl(2).
    pub async fn fcntl(&self, fd: i32, cmd: i32, arg: i64) -> io::Result<i64> {
        let req = pb::FcntlRequest { process: self.handle.clone(), fd, cmd, arg };
        let rep = self.calls.clone().fcntl(req).await.map_err(transport)?.into_inner();
        check(rep.result)
    }

    /// Puts the descriptor's file in (or out of) O_NONBLOCK.
    pub async fn set_nonblocking(&self, fd: i32, on: bool) -> io::Result<()> {
        let flags = self.fcntl(fd, consts::F_GETFL, 0).await?;
        let flags = if on { flags | consts::O_NONBLOCK } else { flags & !consts::O_NONBLOCK };
        self.fcntl(fd, consts::F_SETFL, flags).await.map(|_| ())
    }

    /// shutdown(2).
    pub async fn shutdown(&self, fd: i32, how: i32) -> io::Result<()> {
        let req = pb::ShutdownRequest { process: self.handle.clone(), fd, how };
        let rep = self.calls.clone().shutdown(req).await.map_err(transport)?.into_inner();
        check(rep.result).map(|_| ())
    }

    /// close(2).
    pub async fn close(&self, fd: i32) -> io::Result<()> {
        let req = pb::CloseRequest { process: self.handle.clone(), fd };
        let rep = self.calls.clone().close(req).await.map_err(transport)?.into_inner();
        check(rep.result).map(|_| ())
    }

    /// unlink(2) of a name in the emulated host's filesystem.
    pub async fn unlink(&self, path: &str) -> io::Result<()> {
        let req = pb::UnlinkRequest { process: self.handle.clone(), path: path.as_bytes().to_vec() };
        let rep = self.calls.clone().unlink(req).await.map_err(transport)?.into_inner();
        check(rep.result).map(|_| ())
    }
}
