"""Prometheus metrics: ``--metrics HOST:PORT`` serves ``GET /metrics`` (text format 0.0.4).

What is exported (prometheus-client renders it; values are read at scrape
time in the daemon's own event loop, so no lock is needed):

- ``socketlab_rpc_total{method,code}`` and ``socketlab_rpc_seconds{method}``
  (histogram): every gRPC call, counted and timed by :class:`MetricsInterceptor`;
- ``socketlab_syscalls_total{op,result}``: syscalls run for clients (result
  is ``ok`` or the errno name), from ``server.registry.SYSCALLS``;
- ``socketlab_processes``, ``socketlab_open_files``, and
  ``socketlab_sockets{family,type,state}``: what the emulated kernel holds now;
- ``socketlab_nic_{rx,tx}_{packets,bytes,errors,dropped}_total{nic}`` and
  ``socketlab_nic_up{nic}`` / ``socketlab_nic_running{nic}`` (link state);
- ``socketlab_tcp_sockets{state}``: TCP sockets by sk_state as /proc/net/tcp
  lists them (listeners, connections, SYN-RECV children, TIME-WAIT minisocks;
  the state names are Linux's: ESTABLISHED, SYN-SENT, ..., TIME-WAIT);
- ``socketlab_link_up{link,peer,role}`` (1 while a PeerLink to another daemon
  is up: the dialer's session, or the carrier of the NIC a peer dialed) and
  ``socketlab_link_<counter>_total{link}`` (frames/bytes in and out, queue
  drops, keepalives, connects, reconnects of each dialed link), when the
  daemon is one host of a lab (``Metrics(host, links=lab.link_status)``);
- ``socketlab_uptime_seconds``; ``socketlab_asyncio_tasks`` (tasks alive in
  the daemon's loop: the fault and load tests check it returns to baseline).

Health vs readiness (decided for issue #7): the gRPC health service's ""
and per-service statuses say whether the daemon SERVES its API (SERVING from
start until the SIGTERM drain); a lab link that is down is a network
condition a lab may want (a flap, a peer restarting), not a reason to stop
answering syscalls, so it does not turn health NOT_SERVING.  Link readiness
is read from ``socketlab_link_up`` (and ``socketlab lab status``).

The HTTP side is a minimal asyncio server (one request per connection), so
the endpoint lives in the daemon's loop and dies with it.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import grpc
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from kernel import uapi
from kernel.host import Host
from server import registry as _registry

log = logging.getLogger("socketlabd")

_FAMILY = {uapi.AF_UNIX: "unix", uapi.AF_INET: "inet", uapi.AF_INET6: "inet6", uapi.AF_PACKET: "packet"}
_TYPE = {uapi.SOCK_STREAM: "stream", uapi.SOCK_DGRAM: "dgram", uapi.SOCK_RAW: "raw", uapi.SOCK_SEQPACKET: "seqpacket"}
_SS = {0: "free", 1: "unconnected", 2: "connecting", 3: "connected", 4: "disconnecting"}


class HostCollector(Collector):
    """Reads the emulated host (and, in a lab, its links) at scrape time."""

    def __init__(self, host: Host, links: Callable[[], list[dict[str, Any]]] | None = None) -> None:
        self.host = host
        self.links = links
        self.started = time.monotonic()

    def collect(self) -> Iterable[Any]:
        host = self.host
        yield GaugeMetricFamily("socketlab_uptime_seconds", "Seconds since the daemon started",
                                value=time.monotonic() - self.started)
        yield GaugeMetricFamily("socketlab_processes", "Client processes alive on the host", value=len(host.processes))
        yield GaugeMetricFamily("socketlab_open_files", "Open files on the host (fs.file-nr)", value=host.nr_files)
        try:
            tasks = len(asyncio.all_tasks())
        except RuntimeError:  # (scraped outside the daemon's loop)
            tasks = 0
        yield GaugeMetricFamily("socketlab_asyncio_tasks", "asyncio tasks alive in the daemon (a leak check)",
                                value=tasks)
        socks = GaugeMetricFamily("socketlab_sockets", "Sockets by family, type and state",
                                  labels=("family", "type", "state"))
        counts: collections.Counter[tuple[str, str, str]] = collections.Counter()
        seen: set[int] = set()
        for proc in list(host.processes.values()):
            for file in list(proc.fdtable.values()):
                sock = getattr(file, "private_data", None)
                sk = getattr(sock, "sk", None)
                if sk is None or id(sock) in seen:
                    continue
                seen.add(id(sock))
                family = _FAMILY.get(getattr(sk, "sk_family", -1), str(getattr(sk, "sk_family", "?")))
                type_ = _TYPE.get(getattr(sock, "type", -1), str(getattr(sock, "type", "?")))
                counts[family, type_, _SS.get(getattr(sock, "state", -1), "?")] += 1
        for labels, n in sorted(counts.items()):
            socks.add_metric(labels, n)
        yield socks
        calls = CounterMetricFamily("socketlab_syscalls", "Syscalls run for clients, by result", labels=("op", "result"))
        for (op, ret), n in sorted(_registry.SYSCALLS.items()):
            calls.add_metric((op, "ok" if ret == 0 else uapi.errno_name(-ret)), n)
        yield calls
        yield self._tcp_states()
        yield from self._nics()
        yield from self._links()

    def _tcp_states(self) -> Any:
        from kernel.net.ipv4.tcp.states import STATE_NAMES
        from kernel.net.proc import _tcp_socks

        family = GaugeMetricFamily("socketlab_tcp_sockets", "TCP sockets by state (as /proc/net/tcp lists them)",
                                   labels=("state",))
        net = getattr(self.host, "netns", None)
        counts: collections.Counter[str] = collections.Counter()
        if net is not None:
            for sk in _tcp_socks(net):
                state = 6 if hasattr(sk, "tw_entry_stamp") else getattr(sk, "sk_state", 0)
                counts[STATE_NAMES.get(state, str(state))] += 1
        for name in STATE_NAMES.values():
            family.add_metric((name,), counts.get(name, 0))
        return family

    def _links(self) -> Iterable[Any]:
        if self.links is None:
            return
        try:
            rows = self.links()
        except Exception:  # noqa: BLE001  (a scrape never fails because of a lab's bookkeeping)
            log.exception("socketlabd: link status for metrics")
            return
        up = GaugeMetricFamily("socketlab_link_up", "1 while a link to a peer daemon is up",
                               labels=("link", "peer", "role"))
        counters: dict[str, CounterMetricFamily] = {}
        for row in rows:
            link = str(row.get("link", ""))
            up.add_metric((link, str(row.get("peer", "")), str(row.get("role", ""))),
                          1 if row.get("state") == "up" else 0)
            for key, value in sorted((row.get("stats") or {}).items()):
                if not isinstance(value, int):
                    continue
                if key not in counters:
                    counters[key] = CounterMetricFamily(f"socketlab_link_{key}", f"PeerLink {key} per link",
                                                        labels=("link",))
                counters[key].add_metric((link,), value)
        yield up
        yield from counters.values()

    def _nics(self) -> Iterable[Any]:
        net = getattr(self.host, "netns", None)
        devices = list(net.dev_index_head.values()) if net is not None else []
        counters = {}
        for direction in ("rx", "tx"):
            for what in ("packets", "bytes", "errors", "dropped"):
                counters[direction, what] = CounterMetricFamily(
                    f"socketlab_nic_{direction}_{what}", f"NIC {direction} {what}", labels=("nic",))
        up = GaugeMetricFamily("socketlab_nic_up", "1 if the NIC is administratively up", labels=("nic",))
        running = GaugeMetricFamily("socketlab_nic_running", "1 if the NIC is up with carrier (link up)",
                                    labels=("nic",))
        for dev in devices:
            for (direction, what), family in counters.items():
                family.add_metric((dev.name,), getattr(dev.stats, f"{direction}_{what}"))
            up.add_metric((dev.name,), 1 if dev.is_up else 0)
            running.add_metric((dev.name,), 1 if dev.running else 0)
        yield from counters.values()
        yield up
        yield running


class Metrics:
    """The daemon's metric registry."""

    def __init__(self, host: Host, links: Callable[[], list[dict[str, Any]]] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.rpcs = Counter("socketlab_rpc", "gRPC calls by method and status code", ("method", "code"),
                            registry=self.registry)
        self.latency = Histogram("socketlab_rpc_seconds", "gRPC call duration by method", ("method",),
                                 registry=self.registry,
                                 buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5, 30, 300))
        self.collector = HostCollector(host, links)
        self.registry.register(self.collector)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def observe(self, method: str, code: str, seconds: float) -> None:
        self.rpcs.labels(method, code).inc()
        self.latency.labels(method).observe(seconds)


def _code_of(context: Any, exc: BaseException | None) -> str:
    if exc is None:
        code = context.code() if hasattr(context, "code") else None
        return code.name if isinstance(code, grpc.StatusCode) else "OK"
    if isinstance(exc, asyncio.CancelledError):
        return "CANCELLED"
    code = context.code() if hasattr(context, "code") else None
    return code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Counts and times every call (streaming calls: until they end)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def intercept_service(self, continuation: Any, details: grpc.HandlerCallDetails) -> Any:
        handler = await continuation(details)
        if handler is None:
            return None
        method = details.method
        observe = self.metrics.observe
        kw = {"request_deserializer": handler.request_deserializer, "response_serializer": handler.response_serializer}

        if handler.unary_unary is not None or handler.stream_unary is not None:
            inner = handler.unary_unary or handler.stream_unary

            async def single(request: Any, context: Any) -> Any:
                start = time.perf_counter()
                exc: BaseException | None = None
                try:
                    return await inner(request, context)
                except BaseException as e:
                    exc = e
                    raise
                finally:
                    observe(method, _code_of(context, exc), time.perf_counter() - start)

            make = grpc.unary_unary_rpc_method_handler if handler.unary_unary else grpc.stream_unary_rpc_method_handler
            return make(single, **kw)

        inner_stream = handler.unary_stream or handler.stream_stream

        async def streaming(request: Any, context: Any) -> Any:
            start = time.perf_counter()
            exc: BaseException | None = None
            try:
                result = inner_stream(request, context)
                if hasattr(result, "__aiter__"):
                    async for item in result:
                        yield item
                else:
                    await result
            except BaseException as e:
                exc = e
                raise
            finally:
                observe(method, _code_of(context, exc), time.perf_counter() - start)

        make_s = grpc.unary_stream_rpc_method_handler if handler.unary_stream else grpc.stream_stream_rpc_method_handler
        return make_s(streaming, **kw)


async def serve_metrics(metrics: Metrics, listen: str) -> asyncio.Server:
    """Start the /metrics HTTP endpoint on HOST:PORT (port 0: any); returns the server."""
    host, _, port = listen.rpartition(":")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            line = request.split(b"\r\n", 1)[0].split()
            if len(line) >= 2 and line[0] == b"GET" and line[1].split(b"?")[0] == b"/metrics":
                body, status = metrics.render(), b"200 OK"
                ctype = b"text/plain; version=0.0.4; charset=utf-8"
            else:
                body, status, ctype = b"not found: try /metrics\n", b"404 Not Found", b"text/plain"
            writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype + b"\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host.strip("[]") or "127.0.0.1", int(port))
    return server
