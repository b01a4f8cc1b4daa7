"""Figure 5: N established TCP connections in one daemon; its memory per idle socket; the accept rate.

``python -m bench.scale --connections N [--loop uvloop|asyncio] [--json]``
starts its own socketlabd (``python -m server --listen 127.0.0.1:0``) and
drives it with the asyncio client (``client.aio``) from one event loop:
``ceil(N / PER_PROCESS)`` emulated processes (an emulated process has
RLIMIT_NOFILE 1024, as Linux's default, so each holds at most
PER_PROCESS connections: both ends plus its listener).  Each process listens
on 127.0.0.1 (backlog 1024) and accepts in a loop while ``WINDOW`` connect
tasks per process open connections to it, all processes at once.

Reported: the accept rate (N connections established end to end over the
seconds from the first connect to the last accept: socket + connect on one
side, accept on the other, each an RPC on the process's Session stream),
and the daemon's RSS (``/proc/PID/status`` VmRSS) before the first connect
and once all N are established and idle, divided by the 2N sockets (both
ends live in the daemon) -- issue 8's "daemon memory per idle socket".
The last output line is a JSON object (``--json``) for ``bench.figures``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

PER_PROCESS = 500
WINDOW = 16


@dataclass
class ScaleResult:
    connections: int
    processes: int
    seconds: float
    accept_rate: float
    rss_before_kib: int
    rss_after_kib: int
    bytes_per_socket: float
    loop: str


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def _process(net: Any, n: int, go: asyncio.Event, held: list[Any]) -> None:
    listener = await net.socket(net.AF_INET, net.SOCK_STREAM)
    await listener.bind(("127.0.0.1", 0))
    await listener.listen(1024)
    addr = await listener.getsockname()
    held.append(listener)
    await go.wait()
    todo = iter(range(n))

    async def connector() -> None:
        for _ in todo:
            s = await net.socket(net.AF_INET, net.SOCK_STREAM)
            await s.connect(addr)
            held.append(s)

    async def acceptor() -> None:
        for _ in range(n):
            conn, _ = await listener.accept()
            held.append(conn)

    await asyncio.gather(acceptor(), *(connector() for _ in range(WINDOW)))


async def measure(target: str, pid: int, connections: int, loop_kind: str) -> ScaleResult:
    import client.aio

    nproc = max(1, math.ceil(connections / PER_PROCESS))
    shares = [connections // nproc + (1 if i < connections % nproc else 0) for i in range(nproc)]
    nets = [await client.aio.connect(target) for _ in range(nproc)]
    held: list[Any] = []
    go = asyncio.Event()
    try:
        tasks = [asyncio.ensure_future(_process(net, n, go, held)) for net, n in zip(nets, shares)]
        while len(held) < nproc:  # every listener is up
            await asyncio.sleep(0.01)
            for t in tasks:
                if t.done():
                    t.result()
        await asyncio.sleep(0.2)
        before = rss_kib(pid)
        t0 = time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - t0
        await asyncio.sleep(0.5)  # idle: delayed ACKs fired, nothing in flight
        after = rss_kib(pid)
        if len(held) != nproc + 2 * connections:
            raise RuntimeError(f"scale: {len(held)} sockets held, expected {nproc + 2 * connections}")
    finally:
        for net in nets:
            await net.close()
    return ScaleResult(connections, nproc, seconds, connections / seconds, before, after,
                       (after - before) * 1024 / (2 * connections), loop_kind)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop", help="the daemon's event loop")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    ns = parser.parse_args(argv)
    import uvloop

    from bench.procs import spawn, wait_ready

    server, ready = spawn("socketlabd", "server", "--loop", ns.loop)
    try:
        target = wait_ready(server, ready)
        result = uvloop.run(measure(target, server.proc.pid, ns.connections, ns.loop))
    finally:
        status = server.stop()
    if status != 0:
        print(f"bench.scale: socketlabd exited with {status}:\n{server.tail()}", file=sys.stderr)
        return 1
    if ns.json:
        print(json.dumps(asdict(result)))
    else:
        print(f"{result.connections} connections in {result.processes} processes: {result.accept_rate:,.0f} "
              f"connections/s; daemon RSS {result.rss_before_kib / 1024:.1f} -> {result.rss_after_kib / 1024:.1f} "
              f"MiB = {result.bytes_per_socket / 1024:.1f} KiB per idle socket")
    return 0


if __name__ == "__main__":
    sys.exit(main())
