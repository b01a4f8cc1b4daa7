//! The cross-language example: two processes on one socketlabd host (AF_UNIX
//! until TCP lands), listen in B, connect from A, echo 1 MiB both ways, check
//! ECONNREFUSED, EADDRINUSE and EAGAIN.  Exit status 0 only if all pass.
//!
//!     cargo run -q --bin example -- 127.0.0.1:50051
use std::io::ErrorKind;
use std::process::ExitCode;

use socketlab_client::consts::*;
use socketlab_client::{unix_addr, Process};

const TOTAL: usize = 1 << 20;
const CHUNK: usize = 64 * 1024;

struct Checks {
    failed: usize,
}

impl Checks {
    fn check(&mut self, ok: bool, what: &str) {
        println!("{} {}", if ok { "PASS" } else { "FAIL" }, what);
        if !ok {
            self.failed += 1;
        }
    }
}

async fn run(target: &str, checks: &mut Checks) -> std::io::Result<()> {
    let url = if target.contains("://") { target.to_string() } else { format!("http://{target}") };
    let a = Process::open(&url).await?;
    let b = Process::open(&url).await?;
    let path = format!("/tmp/socketlab-example-rust-{}.sock", a.pid());
    let refused = format!("{path}.refused");

    // B listens.
    let lfd = b.socket(AF_UNIX, SOCK_STREAM, 0).await?;
    b.bind(lfd, unix_addr(&path)).await?;
    b.listen(lfd, 8).await?;

    // EADDRINUSE: a second bind to the same path.
    let dup = b.socket(AF_UNIX, SOCK_STREAM, 0).await?;
    let err = b.bind(dup, unix_addr(&path)).await.err();
    checks.check(err.as_ref().map(|e| e.kind()) == Some(ErrorKind::AddrInUse), &format!("bind to a bound path: {err:?}"));
    b.close(dup).await?;

    // ECONNREFUSED: connecting to a bound socket that does not listen.
    let quiet = b.socket(AF_UNIX, SOCK_STREAM, 0).await?;
    b.bind(quiet, unix_addr(&refused)).await?;
    let probe = a.socket(AF_UNIX, SOCK_STREAM, 0).await?;
    let err = a.connect(probe, unix_addr(&refused)).await.err();
    checks.check(
        err.as_ref().map(|e| e.kind()) == Some(ErrorKind::ConnectionRefused),
        &format!("connect to a socket that does not listen: {err:?}"),
    );
    a.close(probe).await?;
    b.close(quiet).await?;

    // A connects, B accepts.
    let cfd = a.socket(AF_UNIX, SOCK_STREAM, 0).await?;
    a.connect(cfd, unix_addr(&path)).await?;
    let sfd = b.accept(lfd).await?;

    // 1 MiB A -> B, echoed B -> A, chunk by chunk.
    let payload: Vec<u8> = (0..TOTAL).map(|i| (i * 7 % 251) as u8).collect();
    let (mut at_b, mut back_at_a) = (Vec::with_capacity(TOTAL), Vec::with_capacity(TOTAL));
    for chunk in payload.chunks(CHUNK) {
        a.send_all(cfd, chunk).await?;
        let got = b.recv_exact(sfd, chunk.len()).await?;
        b.send_all(sfd, &got).await?;
        at_b.extend_from_slice(&got);
        back_at_a.extend_from_slice(&a.recv_exact(cfd, chunk.len()).await?);
    }
    checks.check(at_b == payload, "1 MiB from A arrived intact at B");
    checks.check(back_at_a == payload, "1 MiB echoed by B arrived intact at A");

    // EAGAIN: a nonblocking recv with nothing queued.
    a.set_nonblocking(cfd, true).await?;
    let err = a.recv(cfd, 100, 0).await.err();
    checks.check(err.as_ref().map(|e| e.kind()) == Some(ErrorKind::WouldBlock), &format!("nonblocking recv with nothing queued: {err:?}"));

    // EOF after the peer closes.
    b.close(sfd).await?;
    a.set_nonblocking(cfd, false).await?;
    checks.check(a.recv(cfd, 100, 0).await?.is_empty(), "recv after the peer closed is EOF");

    a.close(cfd).await?;
    b.close(lfd).await?;
    b.unlink(&path).await?;
    b.unlink(&refused).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let target = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("SOCKETLAB_TARGET").ok())
        .unwrap_or_else(|| "127.0.0.1:50051".to_string());
    let mut checks = Checks { failed: 0 };
    if let Err(err) = run(&target, &mut checks).await {
        println!("FAIL unexpected error: {err}");
        checks.failed += 1;
    }
    if checks.failed == 0 {
        println!("rust example: all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("rust example: {} check(s) failed", checks.failed);
        ExitCode::FAILURE
    }
}
