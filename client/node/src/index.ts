/**
 * socketlab for Node.js: @grpc/grpc-js clients typed by the interfaces that
 * proto-loader-gen-types generates from ../../proto (npm run generate), and a
 * thin Promise wrapper over them.
 *
 * - `SocketlabProcess.open(target)` opens a process (a Process/Session stream
 *   kept open for its life); `close()` ends it and its fds close.
 * - Each syscall is an async method; a Linux errno rejects with an
 *   `ErrnoError` shaped like Node's own system errors (`code: 'ECONNREFUSED'`,
 *   `errno: -111`, `syscall: 'connect'`).
 * - Blocking calls are server-streaming RPCs: the wrapper iterates the stream
 *   (`for await`) past the progress events and resolves with the result.
 */
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as ProcessProto } from '../gen/process';
import type { ProtoGrpcType as SocketCallProto } from '../gen/socketcall';
import type { ProcessClient } from '../gen/socketlab/v1/Process';
import type { SocketCallClient } from '../gen/socketlab/v1/SocketCall';
import type { SessionRequest } from '../gen/socketlab/v1/SessionRequest';
import type { SessionResponse__Output } from '../gen/socketlab/v1/SessionResponse';
import type { Result__Output } from '../gen/socketlab/v1/Result';
import type { SockAddr } from '../gen/socketlab/v1/SockAddr';

export const PROTO_ROOT = path.resolve(__dirname, '..', '..', '..', '..', 'proto');
export const AF_UNIX = 1;
export const AF_INET = 2;
export const SOCK_STREAM = 1;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const O_NONBLOCK = 0o4000;

/** The options proto-loader-gen-types was run with (package.json "generate"). */
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_ROOT],
};

type Proto = ProcessProto & SocketCallProto;
let proto: Proto | undefined;

function loadProto(): Proto {
  if (!proto) {
    const files = ['types', 'socketcall', 'process'].map((f) => `socketlab/v1/${f}.proto`);
    proto = grpc.loadPackageDefinition(protoLoader.loadSync(files, LOADER_OPTIONS)) as unknown as Proto;
  }
  return proto;
}

/** A syscall failed with a Linux errno. */
export class ErrnoError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;

  constructor(syscall: string, errnoNumber: number, name: string) {
    super(`${syscall} ${name} (errno ${errnoNumber})`);
    this.name = 'ErrnoError';
    this.code = name;
    this.errno = -errnoNumber;
    this.syscall = syscall;
  }
}

function check(op: string, result: Result__Output | null | undefined): number {
  if (!result) throw new Error(`${op}: reply without a result`);
  if (result.timed_out) throw new ErrnoError(op, 110, 'ETIMEDOUT');
  if (result.error_number !== 0) throw new ErrnoError(op, result.error_number, result.error_name);
  return result.ret;
}

/** The result message of a blocking call's stream (progress events skipped). */
async function last<T extends { result?: Result__Output | null }>(stream: AsyncIterable<T>): Promise<T> {
  for await (const msg of stream) {
    if (msg.result) return msg;
  }
  throw new Error('stream ended without a result');
}

function unary<Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res?: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn(req, (err, res) => (err ? reject(err) : resolve(res as Res)));
  });
}

/** An AF_UNIX address: a path in the emulated host's filesystem. */
export function unixAddr(p: string): SockAddr {
  return { local: { path: Buffer.from(p) } };
}

/** An AF_INET address: a dotted-quad IPv4 address and a port. */
export function inetAddr(address: string, port: number): SockAddr {
  return { inet: { address, port } };
}

/** One emulated process on a socketlabd host. */
export class SocketlabProcess {
  private constructor(
    readonly handle: string,
    readonly pid: number,
    private readonly calls: SocketCallClient,
    private readonly session: grpc.ClientDuplexStream<SessionRequest, SessionResponse__Output>,
    private readonly processClient: ProcessClient,
  ) {}

  /** Opens a process on the daemon at `target` ("HOST:PORT"). */
  static async open(target: string): Promise<SocketlabProcess> {
    const v1 = loadProto().socketlab.v1;
    const creds = grpc.credentials.createInsecure();
    const options = { 'grpc.max_receive_message_length': 64 << 20 };
    const processClient = new v1.Process(target, creds, options);
    const calls = new v1.SocketCall(target, creds, options);
    const session = processClient.Session();
    const opened = await new Promise<SessionResponse__Output>((resolve, reject) => {
      session.once('data', resolve);
      session.once('error', reject);
      session.write({ open: {} });
    });
    session.on('error', () => undefined); // the end of the session is reported by close()
    if (!opened.opened) throw new Error(`socketlabd did not open a process: ${JSON.stringify(opened)}`);
    return new SocketlabProcess(opened.opened.process, opened.opened.pid, calls, session, processClient);
  }

  /** Ends the process (its descriptors close) and the clients. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.session.once('close', resolve);
      this.session.once('end', resolve);
      this.session.resume();
      this.session.end();
    });
    // not calls.close(): grpc-js also names the Close RPC's method `close`
    this.calls.getChannel().close();
    this.processClient.getChannel().close();
  }

  async socket(family: number, type: number, protocol = 0): Promise<number> {
    const r = await unary(this.calls.Socket.bind(this.calls), { process: this.handle, family, type, protocol });
    return check('socket', r.result);
  }

  async bind(fd: number, address: SockAddr): Promise<void> {
    check('bind', (await unary(this.calls.Bind.bind(this.calls), { process: this.handle, fd, address })).result);
  }

  async listen(fd: number, backlog: number): Promise<void> {
    check('listen', (await unary(this.calls.Listen.bind(this.calls), { process: this.handle, fd, backlog })).result);
  }

  async connect(fd: number, address: SockAddr): Promise<void> {
    check('connect', (await last(this.calls.Connect({ process: this.handle, fd, address }))).result);
  }

  /** accept(2): the new descriptor (resolves when a connection arrives). */
  async accept(fd: number): Promise<number> {
    return check('accept', (await last(this.calls.Accept({ process: this.handle, fd, no_address: true }))).result);
  }

  async send(fd: number, data: Uint8Array, flags = 0): Promise<number> {
    return check('send', (await last(this.calls.Send({ process: this.handle, fd, data: Buffer.from(data), flags }))).result);
  }

  /** Sends all of `data` (send(2) in a loop). */
  async sendAll(fd: number, data: Buffer): Promise<void> {
    while (data.length > 0) data = data.subarray(await this.send(fd, data));
  }

  /** recv(2): up to `size` bytes; empty at EOF. */
  async recv(fd: number, size: number, flags = 0): Promise<Buffer> {
    const msg = await last(this.calls.Recv({ process: this.handle, fd, size, flags }));
    check('recv', msg.result);
    return msg.data;
  }

  /** Receives exactly `n` bytes; rejects on EOF before that. */
  async recvExact(fd: number, n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const chunk = await this.recv(fd, Math.min(n - got, 1 << 20));
      if (chunk.length === 0) throw new Error(`EOF after ${got} of ${n} bytes`);
      parts.push(chunk);
      got += chunk.length;
    }
    return Buffer.concat(parts);
  }

  async fcntl(fd: number, cmd: number, arg = 0): Promise<number> {
    return check('fcntl', (await unary(this.calls.Fcntl.bind(this.calls), { process: this.handle, fd, cmd, arg })).result);
  }

  /** Puts the descriptor's file in (or out of) O_NONBLOCK. */
  async setNonBlocking(fd: number, on: boolean): Promise<void> {
    const flags = await this.fcntl(fd, F_GETFL);
    await this.fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
  }

  async closeFd(fd: number): Promise<void> {
    check('close', (await unary(this.calls.Close.bind(this.calls), { process: this.handle, fd })).result);
  }

  async unlink(p: string): Promise<void> {
    check('unlink', (await unary(this.calls.Unlink.bind(this.calls), { process: this.handle, path: Buffer.from(p) })).result);
  }
}
