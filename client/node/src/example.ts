/**
 * The cross-language example: two processes on one socketlabd host (AF_UNIX
 * until TCP lands), listen in B, connect from A, echo 1 MiB both ways, check
 * ECONNREFUSED, EADDRINUSE and EAGAIN. Exit status 0 only if all pass.
 *
 *     npm run build && node dist/src/example.js 127.0.0.1:50051
 */
import { AF_UNIX, ErrnoError, SOCK_STREAM, SocketlabProcess, unixAddr } from './index';

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

async function run(target: string): Promise<void> {
  const a = await SocketlabProcess.open(target);
  const b = await SocketlabProcess.open(target);
  try {
    const path = `/tmp/socketlab-example-node-${a.pid}.sock`;
    const refused = `${path}.refused`;

    // B listens.
    const lfd = await b.socket(AF_UNIX, SOCK_STREAM);
    await b.bind(lfd, unixAddr(path));
    await b.listen(lfd, 8);

    // EADDRINUSE: a second bind to the same path.
    const dup = await b.socket(AF_UNIX, SOCK_STREAM);
    await expectCode('EADDRINUSE', 'bind to a bound path', () => b.bind(dup, unixAddr(path)));
    await b.closeFd(dup);

    // ECONNREFUSED: connecting to a bound socket that does not listen.
    const quiet = await b.socket(AF_UNIX, SOCK_STREAM);
    await b.bind(quiet, unixAddr(refused));
    const probe = await a.socket(AF_UNIX, SOCK_STREAM);
    await expectCode('ECONNREFUSED', 'connect to a socket that does not listen', () => a.connect(probe, unixAddr(refused)));
    await a.closeFd(probe);
    await b.closeFd(quiet);

    // A connects while B accepts.
    const accepting = b.accept(lfd);
    const cfd = await a.socket(AF_UNIX, SOCK_STREAM);
    await a.connect(cfd, unixAddr(path));
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
    check((await echo).equals(payload), '1 MiB from A arrived intact at B');
    check((await back).equals(payload), '1 MiB echoed by B arrived intact at A');

    // EAGAIN: a nonblocking recv with nothing queued.
    await a.setNonBlocking(cfd, true);
    await expectCode('EAGAIN', 'nonblocking recv with nothing queued', () => a.recv(cfd, 100));

    // EOF after the peer closes.
    await b.closeFd(sfd);
    await a.setNonBlocking(cfd, false);
    check((await a.recv(cfd, 100)).length === 0, 'recv after the peer closed is EOF');
    await a.closeFd(cfd);
    await b.closeFd(lfd);
    await b.unlink(path);
    await b.unlink(refused);
  } finally {
    await a.close();
    await b.close();
  }
}

async function main(): Promise<void> {
  const target = process.argv[2] ?? process.env.SOCKETLAB_TARGET ?? '127.0.0.1:50051';
  try {
    await run(target);
  } catch (err) {
    check(false, `unexpected error: ${(err as Error).stack ?? err}`);
  }
  console.log(failed === 0 ? 'node example: all checks passed' : `node example: ${failed} check(s) failed`);
  process.exit(failed === 0 ? 0 : 1);
}

void main();
