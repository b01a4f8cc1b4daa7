"""Daemon-to-daemon links (proto/socketlab/v1/link.proto, service ``PeerLink``): a peer-link NIC's cable.

Acceptor: ``LinkServicer(hosts, *, lab="")`` serves ``PeerLink.Connect`` in
the daemon of a link's second-listed endpoint.  ``hosts`` is the daemon's
``Host``, a mapping name -> Host, or a callable name -> Host | None.
Register it next to the other services (server/app.py, before start)::

    link_pb2_grpc.add_PeerLinkServicer_to_server(LinkServicer(host, lab=lab_name), server)

(``add_to_server(server, hosts, lab=...)`` does the same and returns the
servicer.)  ``principal``: the daemon's ``Authenticator.principal``; when given,
a stream whose bearer token is neither the host's link token (principal
``lab-link``) nor a CAP_NET_ADMIN one ends with PERMISSION_DENIED (no token
at all: the auth interceptor's UNAUTHENTICATED).  The first message must be a ``PeerLinkHello``; the stream ends
with FAILED_PRECONDITION (another protocol version or lab; the NIC expects
another peer), NOT_FOUND (no such host, or no peer-link NIC of that name) or
INVALID_ARGUMENT (MTU mismatch, first message not a hello) and a message
naming the mismatch.  Accepted: HelloAck, ``peerlink_attach`` (carrier up);
when the stream ends, for whatever reason, ``peerlink_detach`` (carrier
down).  A second dialer for the same NIC replaces the first (a restarted
peer daemon whose old stream has not timed out yet).

Dialer: ``LinkDialer(host, dev_name, target, to_host, to_nic, lab="", *,
channel_credentials=None, token=None, backoff=(0.1, 5.0), ...)`` in the
daemon of the first-listed endpoint.  ``start()`` runs it as a task: connect
to ``target`` (HOST:PORT; TLS/mTLS with ``channel_credentials`` from
``link_channel_credentials``; ``token``: a bearer token for a daemon with
tokens on), hello, carrier up; on peer loss carrier down and reconnect after
a delay that doubles from ``backoff[0]`` to ``backoff[1]`` (reset by a
successful hello).  A refused hello (version, lab, peer, MTU) is a
configuration error: ``state`` becomes "failed" and ``last_error`` says why;
NOT_FOUND keeps retrying (the peer daemon may not have created its NIC yet).
``await stop()`` ends it (carrier down).  ``state``: "connecting" / "up" /
"down" / "failed" / "stopped"; ``await wait_up(timeout)``; ``stats``
(LinkStats: frames/bytes in and out, drops, keepalives, connects,
reconnects).

Both ends: frames the stack transmits go to a bounded queue (``queue_len``
frames); when it is full the frame is dropped and counted (the NIC's
tx_dropped / tx_fifo_errors and ``stats.drops``) -- gRPC's own flow control
slows the writer, never the stack, and memory stays flat.  Each side sends a
keepalive every ``keepalive`` seconds and drops the link when nothing at all
has come in for ``dead_after`` seconds (a frozen peer); the channel also
carries gRPC keepalive pings.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import grpc

from client._gen.socketlab.v1 import link_pb2 as lp
from client._gen.socketlab.v1 import link_pb2_grpc as lp_grpc
from kernel.drivers.net.peerlink import PeerlinkPriv, is_peerlink, peerlink_attach, peerlink_detach, peerlink_rx
from kernel.net.core.dev import NetDevice, dev_get_by_name
from kernel.uapi import CAP_NET_ADMIN

log = logging.getLogger("socketlabd.link")
LINK_PRINCIPAL = "lab-link"  # server/lab.py's token_store: who a topology's link_token stands for

PROTOCOL_VERSION = 1
QUEUE_LEN = 1000
KEEPALIVE = 1.0
DEAD_AFTER = 5.0
HELLO_TIMEOUT = 10.0
MAX_MESSAGE = 1 << 20
_EOF: Any = grpc.aio.EOF  # type: ignore[attr-defined]
CHANNEL_OPTIONS: list[tuple[str, int]] = [
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 5_000),
]


class LinkError(Exception):
    """A link that cannot come up (a refused hello, or no answer in time)."""


@dataclass
class LinkStats:
    """What a link end counts."""

    frames_in: int = 0
    bytes_in: int = 0
    frames_out: int = 0
    bytes_out: int = 0
    drops: int = 0  # frames the bounded queue had no room for
    keepalives_in: int = 0
    keepalives_out: int = 0
    connects: int = 0
    reconnects: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def link_channel_credentials(ca: str | Path, cert: str | Path | None = None,
                             key: str | Path | None = None) -> grpc.ChannelCredentials:
    """TLS for a dialer: the acceptor's CA; with ``cert`` and ``key`` a client certificate (mTLS)."""
    if (cert is None) != (key is None):
        raise ValueError("a client certificate needs both cert and key")
    return grpc.ssl_channel_credentials(
        Path(ca).read_bytes(), Path(key).read_bytes() if key else None, Path(cert).read_bytes() if cert else None)


class _Pipe:
    """One direction's bounded queue of outgoing messages and the stats of a link end."""

    def __init__(self, queue_len: int, stats: LinkStats, make: Callable[..., Any]) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=queue_len)
        self.stats = stats
        self.make = make  # request or response message class

    def send_frame(self, frame: bytes) -> bool:
        """The peer-link NIC's send: False (dropped, counted) when the queue is full."""
        try:
            self.queue.put_nowait(self.make(frame=frame))
        except asyncio.QueueFull:
            self.stats.drops += 1
            return False
        return True

    def send_keepalive(self, seq: int, want_reply: bool) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(self.make(keepalive=lp.PeerLinkKeepalive(seq=seq, want_reply=want_reply)))
            self.stats.keepalives_out += 1

    def count_out(self, msg: Any) -> None:
        if msg.WhichOneof("kind") == "frame":
            self.stats.frames_out += 1
            self.stats.bytes_out += len(msg.frame)


async def _pump(pipe: _Pipe, dev: NetDevice, read: Callable[[], Any], write: Callable[[Any], Any],
                keepalive: float, dead_after: float) -> str:
    """Move frames both ways until the stream ends or goes quiet; returns why it ended."""
    loop = asyncio.get_running_loop()
    last_heard = loop.time()

    async def writer() -> str:
        while True:
            msg = await pipe.queue.get()
            await write(msg)
            pipe.count_out(msg)

    async def reader() -> str:
        nonlocal last_heard
        while True:
            msg = await read()
            if msg is _EOF or msg is None:
                return "the peer closed the link"
            last_heard = loop.time()
            kind = msg.WhichOneof("kind")
            if kind == "frame":
                pipe.stats.frames_in += 1
                pipe.stats.bytes_in += len(msg.frame)
                peerlink_rx(dev, msg.frame)
            elif kind == "keepalive":
                pipe.stats.keepalives_in += 1
                if msg.keepalive.want_reply:
                    pipe.send_keepalive(msg.keepalive.seq, False)

    async def heartbeat() -> str:
        seq = 0
        while True:
            await asyncio.sleep(keepalive)
            if loop.time() - last_heard > dead_after:
                return f"nothing heard from the peer for {dead_after:g}s"
            seq += 1
            pipe.send_keepalive(seq, True)

    tasks = [asyncio.ensure_future(c) for c in (writer(), reader(), heartbeat())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        task = done.pop()
        exc = task.exception()
        if exc is not None:
            details = exc.details() if isinstance(exc, grpc.aio.AioRpcError) else str(exc)
            return f"link stream failed: {details or type(exc).__name__}"
        return str(task.result())
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(BaseException):
                await t


# --- acceptor ---------------------------------------------------------------------------------


HostLookup = Callable[[str], Any]


def _lookup_of(hosts: Any) -> HostLookup:
    if isinstance(hosts, Mapping):
        return hosts.get
    if callable(hosts) and not hasattr(hosts, "netns"):
        return hosts  # type: ignore[no-any-return]
    return lambda name: hosts if name in ("", getattr(hosts, "name", None)) else None


class LinkServicer(lp_grpc.PeerLinkServicer):
    """The accepting end of PeerLink.Connect (see the module docstring)."""

    def __init__(self, hosts: Any, *, lab: str = "", queue_len: int = QUEUE_LEN, keepalive: float = KEEPALIVE,
                 dead_after: float = DEAD_AFTER, hello_timeout: float = HELLO_TIMEOUT,
                 principal: Callable[[Any], Any] | None = None) -> None:
        self.lookup = _lookup_of(hosts)
        self.principal = principal
        self.single_host = hosts if hasattr(hosts, "netns") else None
        self.lab = lab
        self.queue_len = queue_len
        self.keepalive = keepalive
        self.dead_after = dead_after
        self.hello_timeout = hello_timeout
        self.sessions: dict[int, asyncio.Task[Any]] = {}  # id(dev) -> the task serving its stream
        self.stats: dict[str, LinkStats] = {}  # "host:nic" -> that end's counters

    def _check(self, hello: Any) -> tuple[grpc.StatusCode, str] | NetDevice:
        if hello.protocol_version != PROTOCOL_VERSION:
            return (grpc.StatusCode.FAILED_PRECONDITION,
                    f"link protocol version {hello.protocol_version} is not supported (this daemon speaks "
                    f"{PROTOCOL_VERSION})")
        if self.lab and hello.lab != self.lab:
            return (grpc.StatusCode.FAILED_PRECONDITION,
                    f"lab mismatch: this daemon is in lab {self.lab!r}, the dialer in {hello.lab!r}")
        host = self.lookup(hello.to_host)
        if host is None and self.single_host is not None and not hello.to_host:
            host = self.single_host
        if host is None:
            return grpc.StatusCode.NOT_FOUND, f"no host {hello.to_host!r} in this daemon"
        dev = dev_get_by_name(host.netns, hello.to_nic)
        if dev is None or not is_peerlink(dev):
            what = "no NIC" if dev is None else "not a peer-link NIC:"
            return grpc.StatusCode.NOT_FOUND, f"{what} {hello.to_nic!r} on host {hello.to_host or host.name!r}"
        peer = dev.priv.peer if isinstance(dev.priv, PeerlinkPriv) else None
        if peer is not None and peer != (hello.from_host, hello.from_nic):
            return (grpc.StatusCode.FAILED_PRECONDITION,
                    f"{hello.to_host}:{hello.to_nic} is wired to {peer[0]}:{peer[1]}, not "
                    f"{hello.from_host}:{hello.from_nic}")
        if hello.mtu != dev.mtu:
            return (grpc.StatusCode.INVALID_ARGUMENT,
                    f"MTU mismatch: {hello.from_host}:{hello.from_nic} has {hello.mtu}, "
                    f"{hello.to_host}:{hello.to_nic} has {dev.mtu}")
        return dev

    async def Connect(self, request_iterator: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:  # noqa: N802
        try:
            first = await asyncio.wait_for(context.read(), self.hello_timeout)
        except TimeoutError:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "no hello within the timeout")
            return
        if first is _EOF or first.WhichOneof("kind") != "hello":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first message of a link must be a hello")
            return
        hello = first.hello
        if self.principal is not None:
            who = self.principal(context)
            if who.name != LINK_PRINCIPAL and not who.capable(CAP_NET_ADMIN):
                log.warning("link from %s:%s refused: principal %s", hello.from_host, hello.from_nic, who.name)
                await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                    f"a link needs this host's link_token (or CAP_NET_ADMIN), not {who.name}'s token")
                return
        checked = self._check(hello)
        if not isinstance(checked, NetDevice):
            log.warning("link from %s:%s refused: %s", hello.from_host, hello.from_nic, checked[1])
            await context.abort(checked[0], checked[1])
            return
        dev = checked
        old = self.sessions.get(id(dev))
        if old is not None and not old.done():
            old.cancel()  # a restarted dialer replaces its stale stream
            with contextlib.suppress(BaseException):
                await old
        me = asyncio.current_task()
        assert me is not None
        self.sessions[id(dev)] = me
        key = f"{hello.to_host}:{hello.to_nic}"
        stats = self.stats.setdefault(key, LinkStats())
        stats.connects += 1
        pipe = _Pipe(self.queue_len, stats, lp.PeerLinkConnectResponse)
        await context.write(lp.PeerLinkConnectResponse(hello_ack=lp.PeerLinkHelloAck(
            protocol_version=PROTOCOL_VERSION, host=hello.to_host, nic=dev.name, mtu=dev.mtu, mac=dev.dev_addr)))
        peerlink_attach(dev, pipe.send_frame)
        log.info("link up: %s:%s <- %s:%s", hello.to_host, dev.name, hello.from_host, hello.from_nic)
        why = "cancelled"
        try:
            why = await _pump(pipe, dev, context.read, context.write, self.keepalive, self.dead_after)
        finally:
            if self.sessions.get(id(dev)) is me:
                del self.sessions[id(dev)]
                peerlink_detach(dev)
            log.info("link down: %s:%s (%s)", hello.to_host, dev.name, why)


def add_to_server(server: grpc.aio.Server, hosts: Any, *, lab: str = "", **kw: Any) -> LinkServicer:
    """Register a LinkServicer on ``server`` (before it starts); returns it."""
    servicer = LinkServicer(hosts, lab=lab, **kw)
    lp_grpc.add_PeerLinkServicer_to_server(servicer, server)
    return servicer


# --- dialer ------------------------------------------------------------------------------------

_PERMANENT = (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT,
              grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNIMPLEMENTED)


class LinkDialer:
    """The dialing end of a link (see the module docstring)."""

    def __init__(self, host: Any, dev_name: str, target: str, to_host: str, to_nic: str, lab: str = "", *,
                 channel_credentials: grpc.ChannelCredentials | None = None, token: str | None = None,
                 backoff: tuple[float, float] = (0.1, 5.0), queue_len: int = QUEUE_LEN,
                 keepalive: float = KEEPALIVE, dead_after: float = DEAD_AFTER,
                 hello_timeout: float = HELLO_TIMEOUT, from_host: str | None = None) -> None:
        dev = dev_get_by_name(host.netns, dev_name)
        if dev is None or not is_peerlink(dev):
            raise ValueError(f"{dev_name!r} is not a peer-link NIC of host {host.name!r}")
        self.host = host
        self.dev: NetDevice = dev
        self.target = target
        self.to_host, self.to_nic, self.lab = to_host, to_nic, lab
        self.from_host = from_host if from_host is not None else host.name
        self.credentials = channel_credentials
        self.metadata = (("authorization", f"Bearer {token}"),) if token else None
        self.backoff = backoff
        self.queue_len = queue_len
        self.keepalive, self.dead_after, self.hello_timeout = keepalive, dead_after, hello_timeout
        self.state = "down"
        self.last_error = ""
        self.stats = LinkStats()
        self._task: asyncio.Task[None] | None = None
        self._up = asyncio.Event()
        self._changed = asyncio.Event()

    @property
    def name(self) -> str:
        return f"{self.from_host}:{self.dev.name} -> {self.to_host}:{self.to_nic} @ {self.target}"

    def _set_state(self, state: str) -> None:
        self.state = state
        if state == "up":
            self._up.set()
        else:
            self._up.clear()
        self._changed.set()

    def start(self) -> None:
        """Run the link as a task on the running loop (idempotent)."""
        if self._task is None or self._task.done():
            self._set_state("connecting")
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """End the link: the stream closes, the NIC loses its carrier."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        peerlink_detach(self.dev)
        self._set_state("stopped")

    async def wait_up(self, timeout: float) -> None:
        """Return once the link is up; LinkError if it failed for good or is not up within ``timeout``."""
        async def until_up() -> None:
            while self.state != "up":
                if self.state in ("failed", "stopped"):
                    raise LinkError(f"link {self.name}: {self.last_error or self.state}")
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(until_up(), timeout)
        except TimeoutError:
            raise LinkError(f"link {self.name} not up after {timeout:g}s"
                            + (f": {self.last_error}" if self.last_error else "")) from None

    def _channel(self) -> grpc.aio.Channel:
        if self.credentials is not None:
            return grpc.aio.secure_channel(self.target, self.credentials, options=CHANNEL_OPTIONS)
        return grpc.aio.insecure_channel(self.target, options=CHANNEL_OPTIONS)

    async def _run(self) -> None:
        delay = self.backoff[0]
        while True:
            self._set_state("connecting")
            ok, permanent = await self._session()
            if permanent:
                self._set_state("failed")
                log.error("link %s failed: %s", self.name, self.last_error)
                return
            self._set_state("down")
            if ok:
                delay = self.backoff[0]
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff[1])

    async def _session(self) -> tuple[bool, bool]:
        """One connection: (was it up, is the failure permanent)."""
        hello = lp.PeerLinkHello(protocol_version=PROTOCOL_VERSION, lab=self.lab, from_host=self.from_host,
                                 from_nic=self.dev.name, to_host=self.to_host, to_nic=self.to_nic, mtu=self.dev.mtu)
        channel = self._channel()
        call: Any = None
        was_up = False
        try:
            call = lp_grpc.PeerLinkStub(channel).Connect(metadata=self.metadata)
            await call.write(lp.PeerLinkConnectRequest(hello=hello))
            first = await asyncio.wait_for(call.read(), self.hello_timeout)
            if first is _EOF or first.WhichOneof("kind") != "hello_ack":
                code = await call.code()
                details = await call.details()
                self.last_error = f"{code.name}: {details}" if code else "the peer sent no hello ack"
                return False, code in _PERMANENT
            pipe = _Pipe(self.queue_len, self.stats, lp.PeerLinkConnectRequest)
            self.stats.connects += 1
            if self.stats.connects > 1:
                self.stats.reconnects += 1
            peerlink_attach(self.dev, pipe.send_frame)
            was_up = True
            self.last_error = ""
            self._set_state("up")
            log.info("link up: %s", self.name)
            why = await _pump(pipe, self.dev, call.read, call.write, self.keepalive, self.dead_after)
            self.last_error = why
            log.warning("link down: %s (%s)", self.name, why)
            return True, False
        except grpc.aio.AioRpcError as exc:
            self.last_error = f"{exc.code().name}: {exc.details()}"
            return was_up, (not was_up) and exc.code() in _PERMANENT
        except TimeoutError:
            self.last_error = f"no hello ack within {self.hello_timeout:g}s"
            return False, False
        except (OSError, grpc.RpcError) as exc:
            self.last_error = str(exc)
            return was_up, False
        finally:
            if was_up:
                peerlink_detach(self.dev)
            if call is not None:
                call.cancel()
            await channel.close(grace=None)
