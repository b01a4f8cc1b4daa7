//! The cross-language example: a process on host A and one on host B (two
//! socketlabd daemons linked by a lab, e.g. client/examples/lab2.yml), B
//! listens on TCP, A connects, 1 MiB is echoed both ways, then ECONNREFUSED,
//! EADDRINUSE and EAGAIN are checked.  Exit status 0 only if all pass.
//!
//!     cargo run -q --bin example -- A_HOST:PORT B_HOST:PORT [B_IP]    (B_IP: 10.0.0.2)
use std::io::ErrorKind;
use std::process::ExitCode;

use socketlab_client::consts::*;
use socketlab_client::{inet_addr, Process};

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

fn url(target: &str) -> String {
    if target.contains("://") { target.to_string() } else { format!("http://{target}") }
}

async fn run(target_a: &str, target_b: &str, ip_b: &str, checks: &mut Checks) -> std::io::Result<()> {
    let a = Process::open(&url(target_a)).await?;
    let b = Process::open(&url(target_b)).await?;
    // A port of its own for each run (B's pids grow): no TIME-WAIT of a previous run holds it.
    let port = (20000 + b.pid() % 20000 * 2) as u16;
    let addr = inet_addr(ip_b, port);

    // B listens.
    let lfd = b.socket(AF_INET, SOCK_STREAM, 0).await?;
    b.bind(lfd, addr.clone()).await?;
    b.listen(lfd, 8).await?;

    // EADDRINUSE: a second bind to the same address and port on B.
    let dup = b.socket(AF_INET, SOCK_STREAM, 0).await?;
    let err = b.bind(dup, addr.clone()).await.err();
    checks.check(err.as_ref().map(|e| e.kind()) == Some(ErrorKind::AddrInUse), &format!("bind to a bound port on B: {err:?}"));
    b.close(dup).await?;

    // ECONNREFUSED: A connects to a TCP port of B where nothing listens (B answers RST).
    let probe = a.socket(AF_INET, SOCK_STREAM, 0).await?;
    let err = a.connect(probe, inet_addr(ip_b, port + 1)).await.err();
    checks.check(
        err.as_ref().map(|e| e.kind()) == Some(ErrorKind::ConnectionRefused),
        &format!("connect from A to a closed port on B: {err:?}"),
    );
    a.close(probe).await?;

    // A connects, B accepts.
    let cfd = a.socket(AF_INET, SOCK_STREAM, 0).await?;
    a.connect(cfd, addr).await?;
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
    checks.check(at_b == payload, "1 MiB from A arrived intact at B over TCP");
    checks.check(back_at_a == payload, "1 MiB echoed by B arrived intact at A");

    // EAGAIN: a nonblocking recv on the connected TCP socket with nothing queued.
    a.set_nonblocking(cfd, true).await?;
    let err = a.recv(cfd, 100, 0).await.err();
    checks.check(err.as_ref().map(|e| e.kind()) == Some(ErrorKind::WouldBlock), &format!("nonblocking recv with nothing queued: {err:?}"));

    // EOF after the peer closes (its FIN).
    b.close(sfd).await?;
    a.set_nonblocking(cfd, false).await?;
    checks.check(a.recv(cfd, 100, 0).await?.is_empty(), "recv after the peer closed is EOF");

    a.close(cfd).await?;
    b.close(lfd).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: example A_HOST:PORT B_HOST:PORT [B_IP]");
        return ExitCode::from(2);
    }
    let ip_b = args.get(2).map_or("10.0.0.2", String::as_str);
    let mut checks = Checks { failed: 0 };
    if let Err(err) = run(&args[0], &args[1], ip_b, &mut checks).await {
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
