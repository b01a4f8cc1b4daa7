/**
 * The cross-language example: a process on host A and one on host B (two
 * socketlabd daemons linked by a lab, e.g. client/examples/lab2.yml), B
 * listens on TCP, A connects, 1 MiB is echoed both ways, then ECONNREFUSED,
 * EADDRINUSE and EAGAIN are checked. Exit status 0 only if all pass.
 *
 *     npm run build && node dist/src/example.js A_HOST:PORT B_HOST:PORT [B_IP]   (B_IP: 10.0.0.2)
 */
import { AF_INET, ErrnoError, SOCK_STREAM, SocketlabProcess, inetAddr } from './index';

const TOTAL = 1 << 20;
const CHUNK = 64 * 1024;
let failed = 0;

function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
  if (!ok) failed++;
}

async function expectCode(code: string, what: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
    check(false, `${what}: no error`);
  } catch (err) {
    check(err instanceof ErrnoError && err.code === code, `${what}: ${(err as Error).message}`);
  }
}

async function run(targetA: string, targetB: string, ipB: string): Promise<void> {
  const a = await SocketlabProcess.open(targetA);
  const b = await SocketlabProcess.open(targetB);
  try {
    // A port of its own for each run (B's pids grow): no TIME-WAIT of a previous run holds it.
    const port = 20000 + (b.pid % 20000) * 2;
    const addr = inetAddr(ipB, port);

    // B listens.
    const lfd = await b.socket(AF_INET, SOCK_STREAM);
    await b.bind(lfd, addr);
    await b.listen(lfd, 8);

    // EADDRINUSE: a second bind to the same address and port on B.
    const dup = await b.socket(AF_INET, SOCK_STREAM);
    await expectCode('EADDRINUSE', 'bind to a bound port on B', () => b.bind(dup, addr));
    await b.closeFd(dup);

    // ECONNREFUSED: A connects to a TCP port of B where nothing listens (B answers RST).
    const probe = await a.socket(AF_INET, SOCK_STREAM);
    await expectCode('ECONNREFUSED', 'connect from A to a closed port on B', () =>
      a.connect(probe, inetAddr(ipB, port + 1)),
    );
    await a.closeFd(probe);

    // A connects while B accepts.
    const accepting = b.accept(lfd);
    const cfd = await a.socket(AF_INET, SOCK_STREAM);
    await a.connect(cfd, addr);
    const sfd = await accepting;

    // 1 MiB A -> B while B echoes it back and A reads the echo, concurrently.
    const payload = Buffer.alloc(TOTAL);
    for (let i = 0; i < TOTAL; i++) payload[i] = (i * 7) % 251;
    const echo = (async () => {
      const parts: Buffer[] = [];
      let got = 0;
      while (got < TOTAL) {
        const data = await b.recv(sfd, CHUNK);
        if (data.length === 0) throw new Error('early EOF at B');
        parts.push(data);
        got += data.length;
        await b.sendAll(sfd, data);
      }
      return Buffer.concat(parts);
    })();
    const back = a.recvExact(cfd, TOTAL);
    for (let off = 0; off < TOTAL; off += CHUNK) await a.sendAll(cfd, payload.subarray(off, off + CHUNK));
    check((await echo).equals(payload), '1 MiB from A arrived intact at B over TCP');
    check((await back).equals(payload), '1 MiB echoed by B arrived intact at A');

    // EAGAIN: a nonblocking recv on the connected TCP socket with nothing queued.
    await a.setNonBlocking(cfd, true);
    await expectCode('EAGAIN', 'nonblocking recv with nothing queued', () => a.recv(cfd, 100));

    // EOF after the peer closes (its FIN).
    await b.closeFd(sfd);
    await a.setNonBlocking(cfd, false);
    check((await a.recv(cfd, 100)).length === 0, 'recv after the peer closed is EOF');
    await a.closeFd(cfd);
    await b.closeFd(lfd);
  } finally {
    await a.close();
    await b.close();
  }
}

async function main(): Promise<void> {
  const [targetA, targetB, ipB = '10.0.0.2'] = process.argv.slice(2);
  if (!targetA || !targetB) {
    console.error('usage: node dist/src/example.js A_HOST:PORT B_HOST:PORT [B_IP]');
    process.exit(2);
  }
  try {
    await run(targetA, targetB, ipB);
  } catch (err) {
    check(false, `unexpected error: ${(err as Error).stack ?? err}`);
  }
  console.log(failed === 0 ? 'node example: all checks passed' : `node example: ${failed} check(s) failed`);
  process.exit(failed === 0 ? 0 : 1);
}

void main();
