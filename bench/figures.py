"""What the bench measures, and which figure is divided by which baseline.

Figures (one operation each, 64-byte payloads):

* ``socketlab_pair``: ``a.send(64 B)`` on one socket of an AF_UNIX socketpair
  plus ``b.recv(64)`` on the other, through the Python client
  (``client.connect``) against a socketlabd subprocess: two syscalls, each
  one message pair on the process's Session stream.  Its halves are
  recorded too (``socketlab_send``, ``socketlab_recv``).
* ``local_pair``: the same pair through ``client.local()`` (the kernel on
  an event-loop thread of this process, no gRPC).
* ``host_pair``: the same pair on the host kernel (stdlib ``socket.socketpair``).
* ``grpc_bidi``: one round trip of 64 bytes on a bare grpc.aio bidi stream,
  the client in GrpcTransport's threading model (see :mod:`bench.echo`).
* ``grpc_unary``: one bare grpc.aio unary echo of 64 bytes, same model.
* ``grpc_bidi_sync``, ``grpc_unary_sync``: the same two with a plain sync
  grpc client (reference: what a simple client gets).
* ``udp_veth_pair``: a UDP datagram from one emulated host to another over a
  veth pair, in-process, no RPC (send + recvfrom; :mod:`bench.udp`), against
  ``host_udp_pair``, the same on the host kernel over 127.0.0.1.  The report
  also gives both as packets per second (issue 3's figure).

Throughput figures (one operation moves :data:`BYTES` [key] bytes; the
report gives bytes/s and the ratio of throughputs, figure over baseline):

* figure 2, ``api_bulk``: 64 KiB ``sendall`` / ``recv_into`` on a TCP
  connection inside socketlabd through the Python client
  (:mod:`bench.stream`) against ``grpc_bulk``, 64 KiB messages echoed on a
  bare grpc.aio bidi stream (:class:`bench.echo.BidiBulk`).
* figure 3, ``tcp_veth`` / ``tcp_lo``: in-process TCP bulk between two
  emulated hosts over a 1500-MTU veth pair / over loopback (64 KiB MTU) on a
  ManualClock (:mod:`bench.tcp`) against ``host_tcp``, the host kernel's TCP
  over 127.0.0.1.  Timer waits cost no wall time there; the report counts
  the virtual seconds a transfer waited (:attr:`Workloads.virtual`).
* figure 4, ``link_bulk``: the same TCP bulk between two in-process daemons
  joined by a PeerLink (:mod:`bench.link`) against ``tcp_veth``.
* figure 6: ``*_asyncio`` keys are figures 1, 2 and 4 with the stdlib
  asyncio loop in the daemon (``socketlabd --loop asyncio``; the link's
  loop for figure 4); the ratio is the uvloop figure over it.

Figure 5 (scale) runs last in a subprocess of its own (:mod:`bench.scale`).

:data:`RATIOS` pairs figures with baselines; the first is issue 8's target
(at most 2.5x: the two syscalls against one message pair, so 2.0x is what a
free emulation would cost).  The bidi baseline has GrpcTransport's client
threading model; should client/_grpc.py change it, change
:class:`bench.echo.BidiPingPong` and :class:`bench.echo.UnaryEcho` to match,
so that the ratio keeps isolating the emulation.
"""
from __future__ import annotations

import asyncio
import contextlib
import socket as stdlib_socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import echo, link, procs, stream, tcp, udp
from bench.timing import Budget, Op, Samples, Stats, measure, warm_up

PAYLOAD_BYTES = 64
PAYLOAD = b"x" * PAYLOAD_BYTES

LABELS: dict[str, str] = {
    "socketlab_pair": "send+recv, client -> socketlabd",
    "socketlab_send": "  send alone, client -> socketlabd",
    "socketlab_recv": "  recv alone, client -> socketlabd",
    "local_pair": "send+recv, client.local()",
    "host_pair": "send+recv, host kernel socketpair",
    "grpc_bidi": "grpc.aio bidi ping-pong round trip",
    "grpc_unary": "grpc.aio unary echo",
    "grpc_bidi_sync": "sync grpc bidi round trip, caller reads",
    "grpc_unary_sync": "sync grpc unary echo",
    "udp_veth_pair": "UDP send+recv, 2 emulated hosts, veth",
    "host_udp_pair": "UDP send+recv, host kernel loopback",
    "socketlab_pair_asyncio": "send+recv, socketlabd on asyncio loop",
    "api_bulk": "TCP 64K sendall/recv_into via client",
    "api_bulk_asyncio": "TCP 64K via client, asyncio socketlabd",
    "grpc_bulk": "grpc.aio bidi stream, 64K msgs echoed",
    "tcp_veth": "TCP bulk in-process, veth 1500 MTU",
    "tcp_lo": "TCP bulk in-process, loopback 64K MTU",
    "host_tcp": "TCP bulk, host kernel loopback",
    "link_bulk": "TCP bulk, 2 daemons over a PeerLink",
    "link_bulk_asyncio": "TCP bulk over a PeerLink, asyncio loop",
}

# Throughput figures: bytes moved by one operation (set by set_up: --quick moves less per op).
BYTES: dict[str, int] = {}


@dataclass(frozen=True)
class Ratio:
    """A figure over its baseline (medians), with the target ceiling if the project set one."""

    name: str
    figure: str
    baseline: str
    target_max: float | None = None


RATIOS: list[Ratio] = [
    Ratio("latency", "socketlab_pair", "grpc_bidi", target_max=2.5),
    Ratio("latency", "socketlab_pair", "grpc_unary"),
    Ratio("latency", "local_pair", "host_pair"),
    Ratio("udp", "udp_veth_pair", "host_udp_pair"),
]


@dataclass(frozen=True)
class Rate:
    """A throughput figure over its baseline's throughput (the baseline's median time over the figure's).

    ``target_min`` is issue 8's floor for that ratio; ``target_abs`` a floor
    in bits/s for the figure itself (figure 3), with ``target`` the text.
    """

    figure_no: int
    figure: str
    baseline: str
    target: str = ""
    target_min: float | None = None
    target_abs_bps: float | None = None


RATES: list[Rate] = [
    Rate(2, "api_bulk", "grpc_bulk", ">= 0.6x", target_min=0.6),
    Rate(3, "tcp_veth", "host_tcp", ">= 1 Gbit/s", target_abs_bps=1e9),
    Rate(3, "tcp_lo", "host_tcp", ">= 4 Gbit/s", target_abs_bps=4e9),
    Rate(4, "link_bulk", "tcp_veth", ">= 0.5x", target_min=0.5),
    Rate(6, "api_bulk", "api_bulk_asyncio", "uvloop if > 1x"),
    Rate(6, "link_bulk", "link_bulk_asyncio", "uvloop if > 1x"),
]

# Figure 6 for figure 1 is a latency ratio: the asyncio daemon's pair over the uvloop daemon's.
LOOP_RATIO = Ratio("loop", "socketlab_pair_asyncio", "socketlab_pair")

# Every figure, in the order of the detail table below the ratios.
DETAIL: list[str] = [
    "socketlab_pair", "socketlab_send", "socketlab_recv", "local_pair", "host_pair",
    "grpc_bidi", "grpc_unary", "grpc_bidi_sync", "grpc_unary_sync", "udp_veth_pair", "host_udp_pair",
    "socketlab_pair_asyncio", "api_bulk", "api_bulk_asyncio", "grpc_bulk", "tcp_veth", "tcp_lo", "host_tcp",
    "link_bulk", "link_bulk_asyncio",
]


def _pair(a: Any, b: Any) -> Op:
    """send on ``a`` then recv on ``b``; returns the timestamp between the two."""
    clock = time.perf_counter_ns

    def op() -> int:
        a.send(PAYLOAD)
        mid = clock()
        b.recv(PAYLOAD_BYTES)
        return mid

    return op


def _check_pair(a: Any, b: Any) -> None:
    """One checked pair: the bench measures the real thing or fails."""
    sent = a.send(PAYLOAD)
    got = b.recv(PAYLOAD_BYTES)
    if sent != PAYLOAD_BYTES or got != PAYLOAD:
        raise RuntimeError(f"send+recv check failed: sent {sent}, received {got!r}")


def _echo(call: Callable[[bytes], bytes]) -> Op:
    def op() -> None:
        call(PAYLOAD)

    return op


def _check_echo(call: Callable[[bytes], bytes]) -> None:
    got = call(PAYLOAD)
    if got != PAYLOAD:
        raise RuntimeError(f"echo check failed: received {got!r}")


@dataclass
class Workloads:
    """The set-up workloads (key -> op), and what to undo at the end."""

    ops: dict[str, Op]
    stack: contextlib.ExitStack
    notes: list[str]
    server_pids: dict[str, int]
    virtual: dict[str, Callable[[], float]]
    waited: dict[str, float] = field(default_factory=dict)


def set_up(daemon_target: str | None = None, quick: bool = False) -> Workloads:
    """Start the servers (unless ``daemon_target`` names a running daemon), connect, check every workload."""
    import client

    stack = contextlib.ExitStack()
    notes: list[str] = []
    bulk_batch = stream.BATCH // 4 if quick else stream.BATCH
    BYTES.update({"api_bulk": bulk_batch, "api_bulk_asyncio": bulk_batch, "grpc_bulk": bulk_batch,
                  "tcp_veth": tcp.CHUNK, "tcp_lo": tcp.CHUNK, "host_tcp": tcp.CHUNK,
                  "link_bulk": tcp.CHUNK, "link_bulk_asyncio": tcp.CHUNK})
    try:
        servers: list[tuple[procs.Server, Any]] = []
        if daemon_target is None:
            servers.append(procs.spawn("socketlabd", "server"))
        asyncio_daemon = procs.spawn("socketlabd-asyncio", "server", "--loop", "asyncio")
        stack.callback(_stop, asyncio_daemon[0], notes)
        servers.append(procs.spawn("bench-echo", "bench.echo"))
        for server, _ in servers:
            stack.callback(_stop, server, notes)
        targets = [procs.wait_ready(server, ready) for server, ready in servers]
        echo_target = targets[-1]
        if daemon_target is None:
            daemon_target = targets[0]

        ops: dict[str, Op] = {}
        pids: dict[str, int] = {}
        if len(servers) == 2:
            pids["socketlab_pair"] = servers[0][0].proc.pid
        for key in ("grpc_bidi", "grpc_unary", "grpc_bidi_sync", "grpc_unary_sync"):
            pids[key] = servers[-1][0].proc.pid

        net = client.connect(daemon_target)
        stack.callback(net.close)
        a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
        _check_pair(a, b)
        ops["socketlab_pair"] = _pair(a, b)

        lnet = client.local()
        stack.callback(lnet.close)
        la, lb = lnet.socketpair(lnet.AF_UNIX, lnet.SOCK_STREAM)
        _check_pair(la, lb)
        ops["local_pair"] = _pair(la, lb)

        ha, hb = stdlib_socket.socketpair(stdlib_socket.AF_UNIX, stdlib_socket.SOCK_STREAM)
        stack.enter_context(ha)
        stack.enter_context(hb)
        _check_pair(ha, hb)
        ops["host_pair"] = _pair(ha, hb)

        ops["udp_veth_pair"], hosts = udp.emulated_pair()
        stack.callback(lambda: hosts)  # the two emulated hosts live as long as the bench
        ops["host_udp_pair"] = udp.host_pair(stack)

        # figure 6 for figure 1: the same pair against a daemon on the stdlib asyncio loop
        asyncio_target = procs.wait_ready(*asyncio_daemon)
        pids["socketlab_pair_asyncio"] = pids["api_bulk_asyncio"] = asyncio_daemon[0].proc.pid
        anet = client.connect(asyncio_target)
        stack.callback(anet.close)
        aa, ab = anet.socketpair(anet.AF_UNIX, anet.SOCK_STREAM)
        _check_pair(aa, ab)
        ops["socketlab_pair_asyncio"] = _pair(aa, ab)

        # figure 3: in-process TCP bulk, and the host kernel's
        virtual: dict[str, Callable[[], float]] = {}
        for key, kind in (("tcp_veth", "veth"), ("tcp_lo", "lo")):
            ops[key], pair = tcp.emulated_bulk(kind)
            virtual[key] = pair.clock.now
        ops["host_tcp"] = tcp.host_bulk(stack)

        # figure 2: bulk through the API (and on the asyncio daemon: figure 6)
        if "socketlab_pair" in pids:
            pids["api_bulk"] = pids["socketlab_pair"]
        ops["api_bulk"] = stream.api_bulk(daemon_target, stack, bulk_batch)
        ops["api_bulk_asyncio"] = stream.api_bulk(asyncio_target, stack, bulk_batch)

        # figure 4: TCP bulk across a PeerLink between two in-process daemons (uvloop; asyncio: figure 6)
        ops["link_bulk"] = link.link_bulk(stack, "uvloop")
        ops["link_bulk_asyncio"] = link.link_bulk(stack, "asyncio")

        client_loop = echo.ClientLoop(echo_target, _transport_loop(net, notes))
        stack.callback(client_loop.close)
        bidi = echo.BidiPingPong(client_loop)
        stack.callback(bidi.close)
        unary = echo.UnaryEcho(client_loop)
        channel = echo.open_sync_channel(echo_target)
        stack.callback(channel.close)
        sync_bidi = echo.SyncPingPong(channel)
        stack.callback(sync_bidi.close)
        sync_unary = echo.SyncUnaryEcho(channel)
        calls = (("grpc_bidi", bidi.call), ("grpc_unary", unary.call),
                 ("grpc_bidi_sync", sync_bidi.call), ("grpc_unary_sync", sync_unary.call))
        for name, call in calls:
            _check_echo(call)
            ops[name] = _echo(call)
        grpc_bulk = echo.BidiBulk(client_loop, stream.MESSAGE, bulk_batch // stream.MESSAGE)
        stack.callback(grpc_bulk.close)
        if grpc_bulk.call() != bulk_batch:
            raise RuntimeError("grpc bulk check failed")
        pids["grpc_bulk"] = servers[-1][0].proc.pid
        ops["grpc_bulk"] = lambda: None if grpc_bulk.call() == bulk_batch else _fail("grpc bulk: short echo")
    except BaseException:
        stack.close()
        raise
    return Workloads(ops, stack, notes, pids, virtual)


def _fail(what: str) -> None:
    raise RuntimeError(what)


def _transport_loop(net: Any, notes: list[str]) -> asyncio.AbstractEventLoop | None:
    """The event loop that runs GrpcTransport's gRPC side, if the client has one the bench can find."""
    loop = getattr(getattr(getattr(net, "_transport", None), "_loop", None), "loop", None)
    if isinstance(loop, asyncio.AbstractEventLoop) and loop.is_running():
        return loop
    notes.append("note: GrpcTransport's event loop not found; the grpc.aio baselines run on a loop of their own "
                 "(one more thread switch per message than the client: the ratios read low)")
    return None


def _stop(server: procs.Server, notes: list[str]) -> None:
    status = server.stop()
    if status != 0:
        notes.append(f"warning: {server.name} exited with status {status} after SIGTERM:\n{server.tail()}")


def run(workloads: Workloads, budget: Budget) -> dict[str, Stats]:
    """Warm up every workload, then measure them in interleaved rounds; the stats per figure.

    Also records, for the ManualClock figures, the virtual seconds per op the
    transfers waited on timers (``workloads.waited``: key -> virtual seconds per op).
    """
    samples = {key: Samples() for key in workloads.ops}
    for op in workloads.ops.values():
        warm_up(op, budget.warmup_iterations, budget.warmup_seconds)
    iterations, seconds = budget.per_round()
    rewarm = max(1, budget.warmup_iterations // 10)
    waited = dict.fromkeys(workloads.virtual, 0.0)
    for _ in range(budget.rounds):
        for key, op in workloads.ops.items():
            warm_up(op, rewarm, budget.warmup_seconds / 10)
            v0 = workloads.virtual[key]() if key in workloads.virtual else 0.0
            measure(op, iterations, seconds, samples[key], workloads.server_pids.get(key))
            if key in workloads.virtual:
                waited[key] += workloads.virtual[key]() - v0
    for key, total in waited.items():
        n = len(samples[key].total)
        workloads.waited[key] = total / n if n else 0.0
    stats = {key: Stats.of(s.total, s.client_cpu_s, s.server_cpu_s) for key, s in samples.items()}
    pair = samples["socketlab_pair"]
    if pair.first:
        stats["socketlab_send"] = Stats.of(pair.first)
        stats["socketlab_recv"] = Stats.of([t - f for t, f in zip(pair.total, pair.first)])
    return stats


def run_scale(connections: int) -> dict[str, Any]:
    """Figure 5 in a subprocess (``python -m bench.scale --json``): its result as a dict."""
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(procs.REPO), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run([sys.executable, "-m", "bench.scale", "--connections", str(connections), "--json"],
                          cwd=procs.REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=1800)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"bench.scale failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result
