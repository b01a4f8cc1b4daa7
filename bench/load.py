"""``python -m bench.load``: N concurrent client processes doing echo for S seconds (issue #7).

Each emulated process (a Process/Session of its own, opened with
``client.aio.connect``) holds a socketpair and loops: send 64 bytes on one
end, recv them on the other, send them back, recv them again -- four
syscalls per round, each timed.  The processes are spread over a few worker
OS processes (``--workers``), each one asyncio loop driving its share, since
one Python process per emulated process (or one thread each) would not fit
on the machine.  All processes are opened first; the clock starts when the
last one is ready.

It starts its own socketlabd with ``--metrics`` (or measures ``--target``,
whose metrics endpoint ``--metrics-url`` names) and reports: calls/s,
p50/p99/max latency per call, errors, and what the daemon holds before,
during and after (processes, open files, asyncio tasks, RSS).  Exit status
1 when a call failed or the daemon did not return to its baseline.

    python -m bench.load                          # full size: 1000 processes, 60 s
    python -m bench.load --processes 50 --seconds 5
"""
from __future__ import annotations

import argparse
import array
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PAYLOAD = b"0123456789abcdef" * 4  # 64 bytes
CALLS_PER_ROUND = 4


# --- one worker: many emulated processes in one asyncio loop -------------------------------------


async def _echo(target: str, ready: asyncio.Event, opened: list[int], n: int, go: asyncio.Event,
                deadline: list[float], lat: array.array[float], errors: list[str]) -> None:
    import client.aio

    try:
        net = await client.aio.connect(target, connect_timeout=60)
    except Exception as exc:  # noqa: BLE001 - counted
        errors.append(f"connect: {exc!r}")
        opened[0] += 1
        if opened[0] == n:
            ready.set()
        return
    try:
        a, b = await net.socketpair()
        opened[0] += 1
        if opened[0] == n:
            ready.set()
        await go.wait()
        clock = time.perf_counter
        while clock() < deadline[0]:
            t0 = clock()
            await a.send(PAYLOAD)
            t1 = clock()
            got = await b.recv(len(PAYLOAD))
            t2 = clock()
            await b.send(got)
            t3 = clock()
            back = await a.recv(len(PAYLOAD))
            t4 = clock()
            if back != PAYLOAD:
                errors.append(f"echo: got {back!r}")
                break
            lat.extend((t1 - t0, t2 - t1, t3 - t2, t4 - t3))
        await a.close()
        await b.close()
    except Exception as exc:  # noqa: BLE001 - counted
        errors.append(f"echo: {exc!r}")
    finally:
        await net.close()


async def _worker(target: str, n: int, seconds: float, start_at: float, out: str) -> None:
    ready, go = asyncio.Event(), asyncio.Event()
    opened = [0]
    deadline = [0.0]
    lat: array.array[float] = array.array("d")
    errors: list[str] = []
    tasks = [asyncio.ensure_future(_echo(target, ready, opened, n, go, deadline, lat, errors)) for _ in range(n)]
    await ready.wait()
    print("READY", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # GO <epoch>
    start = float(line.split()[1]) if line.startswith("GO") else time.time()
    await asyncio.sleep(max(0.0, start - time.time()))
    t0 = time.perf_counter()
    deadline[0] = t0 + seconds
    go.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    with open(out, "wb") as f:
        lat.tofile(f)
    print(json.dumps({"calls": len(lat), "elapsed": elapsed, "errors": errors[:20], "nerrors": len(errors)}),
          flush=True)


# --- the driver -----------------------------------------------------------------------------------


@dataclass
class Held:
    """What the daemon holds (metrics endpoint + /proc)."""

    processes: int
    files: int
    tasks: int
    rss_kib: int


@dataclass
class LoadReport:
    processes: int
    seconds: float
    workers: int
    calls: int
    errors: int
    calls_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    before: Held
    peak: Held
    after: Held
    error_samples: list[str]

    @property
    def leaked(self) -> bool:
        b, a = self.before, self.after
        return (a.processes, a.files, a.tasks) != (b.processes, b.files, b.tasks)

    def lines(self) -> list[str]:
        b, p, a = self.before, self.peak, self.after
        return [
            f"load: {self.processes} client processes x {self.seconds:g} s echo ({self.workers} worker processes)",
            f"  calls       {self.calls}  ({self.calls_per_s:.0f} calls/s), errors {self.errors}",
            f"  latency     p50 {self.p50_ms:.2f} ms  p99 {self.p99_ms:.2f} ms  max {self.max_ms:.1f} ms per call",
            f"  daemon RSS  before {b.rss_kib / 1024:.1f} MiB  loaded {p.rss_kib / 1024:.1f} MiB  "
            f"after {a.rss_kib / 1024:.1f} MiB",
            f"  held        before {b.processes} processes/{b.files} files/{b.tasks} tasks, "
            f"loaded {p.processes}/{p.files}/{p.tasks}, after {a.processes}/{a.files}/{a.tasks}"
            + ("  LEAK" if self.leaked else ""),
        ]


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def held(metrics_url: str, pid: int) -> Held:
    with urllib.request.urlopen(metrics_url, timeout=30) as reply:
        text = reply.read().decode()

    def value(name: str) -> int:
        m = re.search(rf"^{name} (\S+)$", text, re.M)
        return int(float(m.group(1))) if m else -1

    return Held(value("socketlab_processes"), value("socketlab_open_files"), value("socketlab_asyncio_tasks"),
                _rss_kib(pid) if pid > 0 else 0)


def _quantile(sorted_values: array.array[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def run(target: str, metrics_url: str, daemon_pid: int, processes: int, seconds: float, workers: int,
        settle: float = 30.0) -> LoadReport:
    """Run the load against a daemon and measure it (see the module docstring)."""
    workers = max(1, min(workers, processes))
    before = held(metrics_url, daemon_pid)
    shares = [processes // workers + (1 if i < processes % workers else 0) for i in range(workers)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    tmp = tempfile.mkdtemp(prefix="socketlab-load-")
    outs = [os.path.join(tmp, f"w{i}.lat") for i in range(workers)]
    procs = [subprocess.Popen([sys.executable, "-m", "bench.load", "--worker", "--target", target,
                               "--processes", str(n), "--seconds", str(seconds), "--out", out],
                              cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for n, out in zip(shares, outs)]
    try:
        for p in procs:
            assert p.stdout is not None
            line = p.stdout.readline()
            if line.strip() != "READY":
                raise RuntimeError(f"a load worker failed to open its processes (exit {p.poll()}): {line!r}")
        start = time.time() + 0.2
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(f"GO {start}\n")
            p.stdin.flush()
        time.sleep(max(0.0, start + seconds / 2 - time.time()))
        peak = held(metrics_url, daemon_pid)
        results: list[dict[str, Any]] = []
        for p in procs:
            assert p.stdout is not None
            line = p.stdout.readline()
            p.wait(timeout=seconds + 120)
            results.append(json.loads(line) if line.strip() else {"calls": 0, "elapsed": 0.0, "errors": [
                f"worker exit {p.returncode}"], "nerrors": 1})
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    lat: array.array[float] = array.array("d")
    for out in outs:
        with open(out, "rb") as f:
            data = f.read()
        lat.frombytes(data)
        os.unlink(out)
    os.rmdir(tmp)
    lat = array.array("d", sorted(lat))
    elapsed = max((r["elapsed"] for r in results), default=0.0) or seconds
    deadline = time.monotonic() + settle
    after = held(metrics_url, daemon_pid)
    while (after.processes, after.files, after.tasks) != (before.processes, before.files, before.tasks) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
        after = held(metrics_url, daemon_pid)
    return LoadReport(
        processes=processes, seconds=seconds, workers=workers, calls=len(lat),
        errors=sum(r["nerrors"] for r in results), calls_per_s=len(lat) / elapsed,
        p50_ms=_quantile(lat, 0.50) * 1e3, p99_ms=_quantile(lat, 0.99) * 1e3, max_ms=(lat[-1] if lat else 0) * 1e3,
        before=before, peak=peak, after=after, error_samples=[e for r in results for e in r["errors"]][:10],
    )


def start_daemon(*extra: str) -> tuple[Any, str]:
    """socketlabd with --metrics on free ports: (bench.procs.Server, metrics URL)."""
    from bench.procs import spawn, wait_ready

    server, ready = spawn("socketlabd", "server", "--metrics", "127.0.0.1:0", *extra)
    wait_ready(server, ready)
    for line in list(server.log):
        m = re.search(r"metrics=(http://\S+)", line)
        if m:
            return server, m.group(1)
    server.stop()
    raise RuntimeError("socketlabd did not log its metrics endpoint")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=1000, help="concurrent client processes (default 1000)")
    parser.add_argument("--seconds", type=float, default=60.0, help="echo time (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="OS processes hosting them (default 4)")
    parser.add_argument("--target", metavar="HOST:PORT", help="a running daemon (needs --metrics-url)")
    parser.add_argument("--metrics-url", metavar="URL", help="its metrics endpoint")
    parser.add_argument("--daemon-pid", type=int, default=0, help="its pid, for RSS (default: not read)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(argv)
    if ns.worker:
        import uvloop

        uvloop.run(_worker(ns.target, ns.processes, ns.seconds, 0.0, ns.out))
        return 0
    server = None
    if ns.target:
        if not ns.metrics_url:
            print("bench.load: --target needs --metrics-url", file=sys.stderr)
            return 2
        target, url, pid = ns.target, ns.metrics_url, ns.daemon_pid
    else:
        server, url = start_daemon()
        target, pid = server.target, server.proc.pid
    try:
        report = run(target, url, pid, ns.processes, ns.seconds, ns.workers)
    finally:
        status = server.stop() if server is not None else 0
    print("\n".join(report.lines()))
    if ns.json:
        ns.json.write_text(json.dumps(asdict(report), indent=2))
    if status != 0:
        print(f"bench.load: socketlabd exited with {status}", file=sys.stderr)
    return 1 if report.errors or report.leaked or status != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
