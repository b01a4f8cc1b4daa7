"""Issue 5's scale figure: a line of N daemons started on one machine, a ping across it.

``python -m bench.lab_line [--hosts 50] [--quick] [--keep FILE] [--timeout S]``

1. ``line_topology(n)`` writes a line lab ``h0 — h1 — … — hN-1``: host i has
   ``eth0`` towards h(i-1) and ``eth1`` towards h(i+1); link i (h_i:eth1 ↔
   h(i+1):eth0, h_i dials) is the /30 ``10.200.0.0/16 + 4i`` (h_i ``.1``,
   h(i+1) ``.2``).  Inner hosts have ``net.ipv4.ip_forward: 1``; every host
   routes its default towards hN-1 (h(N-1)'s default points back) and one
   static /30 route per link beyond its left neighbour, so echo requests
   travel right and replies travel left (static routes both ways).  API
   ports are free loopback ports below the ephemeral range.
2. ``client.lab.lab_up`` starts one ``socketlabd`` per host (the real CLI
   path: one process each) and returns once every daemon serves and every
   link is up: that wall time is the **start time** (the issue's target:
   50 daemons within 60 s); each daemon's ready line time is read from its
   log, so the table also gives when the last daemon served.
3. From a process on h0 (``client.connect``, a raw ICMP socket: the
   ``socketlab ping`` code, ``client.lab.ping``), echo requests go to the
   far end (hN-1) and to each hop's address (h_k's eth0): the median RTT per
   hop, and the least-squares slope of RTT against the hop count (the cost
   of one forwarding daemon, both ways).
4. RSS (and PSS, from /proc/PID/smaps_rollup) of every daemon, then
   ``lab_down``.

Exit status 0 when the lab came up and the end-to-end ping crossed it, 1
otherwise.  ``run(...)`` returns the figures as a :class:`LineResult` (the
test in tests/bench/test_lab_line.py uses it with 5 hosts).
"""
from __future__ import annotations

import argparse
import io
import ipaddress
import os
import random
import re
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

BASE_NET = ipaddress.IPv4Address("10.200.0.0")
PORT_RANGE = (20000, 32000)  # below Linux's default ephemeral range (32768-60999)
_READY_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*socketlabd ready")


def link_addresses(i: int) -> tuple[str, str, str]:
    """(left address, right address, network) of link i: h_i's eth1 and h(i+1)'s eth0, a /30."""
    base = BASE_NET + 4 * i
    return str(base + 1), str(base + 2), f"{base}/30"


def free_ports(n: int, *, rng: random.Random | None = None, tries: int = 50) -> list[int]:
    """``n`` consecutive loopback ports that bind now (checked one by one)."""
    rng = rng or random.Random()
    for _ in range(tries):
        base = rng.randrange(PORT_RANGE[0], PORT_RANGE[1] - n)
        ok = True
        for port in range(base, base + n):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return list(range(base, base + n))
    raise RuntimeError(f"no {n} consecutive free ports in {PORT_RANGE}")


def line_topology(n: int, ports: list[int], *, name: str = "line", tls: dict[str, str] | None = None) -> dict[str, Any]:
    """The topology document (a dict for yaml.safe_dump) of an ``n``-host line."""
    if n < 2:
        raise ValueError("a line needs at least 2 hosts")
    hosts: dict[str, Any] = {}
    for i in range(n):
        nics, addresses, routes = [], [], []
        if i > 0:
            nics.append({"name": "eth0"})
            addresses.append({"dev": "eth0", "address": link_addresses(i - 1)[1] + "/30"})
        if i < n - 1:
            nics.append({"name": "eth1"})
            addresses.append({"dev": "eth1", "address": link_addresses(i)[0] + "/30"})
            routes.append({"dst": "default", "via": link_addresses(i)[1]})  # towards hN-1
            for j in range(i - 1):  # links beyond the left neighbour: back left
                routes.append({"dst": link_addresses(j)[2], "via": link_addresses(i - 1)[0]})
        else:
            routes.append({"dst": "default", "via": link_addresses(i - 1)[0]})
        spec: dict[str, Any] = {"api": {"address": "127.0.0.1", "port": ports[i]}, "nics": nics,
                                "addresses": addresses, "routes": routes}
        if 0 < i < n - 1:
            spec["sysctls"] = {"net.ipv4.ip_forward": 1}
        hosts[f"h{i}"] = spec
    doc: dict[str, Any] = {"name": name, "seed": 1, "hosts": hosts,
                           "links": [{"endpoints": [f"h{i}:eth1", f"h{i + 1}:eth0"]} for i in range(n - 1)]}
    if tls:
        doc["tls"] = dict(tls)
    return doc


@dataclass
class LineResult:
    hosts: int
    start_s: float = 0.0  # lab_up: spawn to every link up
    last_ready_s: float | None = None  # spawn to the last daemon's ready line
    up: bool = False
    e2e_received: int = 0
    e2e_sent: int = 0
    e2e_rtts: list[float] = field(default_factory=list)
    first_ms: float | None = None  # the first echo h0 -> hN-1: ARP on every hop on the way
    hop_rtts: dict[int, list[float]] = field(default_factory=dict)  # hop k (h_k) -> RTTs in ms
    slope_ms: float | None = None  # median RTT per extra hop
    intercept_ms: float | None = None
    slope_min_ms: float | None = None  # the same fit over each hop's minimum RTT (less load noise)
    rss_kib: list[int] = field(default_factory=list)
    pss_kib: list[int] = field(default_factory=list)
    log: str = ""

    @property
    def crossed(self) -> bool:
        return self.e2e_received > 0


def _kib(pid: int, path: str, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _ready_times(state: dict[str, Any]) -> list[float]:
    out = []
    for h in state["hosts"].values():
        try:
            for line in Path(h["log"]).read_text().splitlines():
                m = _READY_TIME.match(line)
                if m:
                    out.append(datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp())
                    break
        except OSError:
            continue
    return out


def fit(points: list[tuple[int, float]]) -> tuple[float, float] | None:
    """Least-squares (slope, intercept) of y against x; None with fewer than two distinct x."""
    if len({x for x, _ in points}) < 2:
        return None
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    return slope, my - slope * mx


def run(n: int, *, count: int = 5, hop_count: int = 3, timeout: float = 120.0, hops: list[int] | None = None,
        tls: dict[str, str] | None = None, client_tls: Any = None, progress: Any = None,
        state_dir: str | None = None) -> LineResult:
    """Start an ``n``-host line lab, measure, take it down (always)."""
    import client
    from client import lab as cli_lab

    res = LineResult(hosts=n)
    err = io.StringIO()
    work = Path(tempfile.mkdtemp(prefix="socketlab-line-"))
    old_state = os.environ.get("SOCKETLAB_STATE_DIR")
    os.environ["SOCKETLAB_STATE_DIR"] = state_dir or str(work / "state")
    name = f"line{n}-{os.getpid()}"
    path = work / "line.yml"
    path.write_text(yaml.safe_dump(line_topology(n, free_ports(n), name=name, tls=tls), sort_keys=False))

    def say(text: str) -> None:
        if progress is not None:
            print(text, file=progress, flush=True)

    try:
        say(f"lab_line: starting {n} daemons ({path})")
        t0 = time.time()
        rc = cli_lab.lab_up(str(path), io.StringIO(), err, timeout=timeout)
        res.start_s = time.time() - t0
        res.up = rc == 0
        if not res.up:
            res.log = err.getvalue()[-4000:]
            say(f"lab_line: lab up failed (rc {rc}) after {res.start_s:.1f}s\n{res.log}")
            return res
        state = cli_lab.find_state(name)
        ready = _ready_times(state)
        if len(ready) == n:
            res.last_ready_s = max(ready) - t0
        say(f"lab_line: {n} daemons up, every link up in {res.start_s:.1f}s")
        for h in state["hosts"].values():
            rss = _kib(h["pid"], "status", "VmRSS")
            pss = _kib(h["pid"], "smaps_rollup", "Pss")
            if rss is not None:
                res.rss_kib.append(rss)
            if pss is not None:
                res.pss_kib.append(pss)
        net = client.connect(state["hosts"]["h0"]["api"], connect_timeout=30.0,
                             **({"tls": client_tls} if client_tls is not None else {}))
        try:
            far = link_addresses(n - 2)[1]
            _got, first = cli_lab.ping(net, far, io.StringIO(), count=1, timeout=10.0, sleep=time.sleep)
            res.first_ms = first[0] if first else None
            res.e2e_sent = count
            res.e2e_received, res.e2e_rtts = cli_lab.ping(net, far, io.StringIO(), count=count, interval=0.05,
                                                          timeout=10.0, sleep=time.sleep)
            say(f"lab_line: ping h0 -> h{n - 1} ({far}): {res.e2e_received}/{count} replies")
            for k in hops if hops is not None else range(1, n):
                got, rtts = cli_lab.ping(net, link_addresses(k - 1)[1], io.StringIO(), count=hop_count,
                                         interval=0.0, timeout=10.0, sleep=time.sleep)
                res.hop_rtts[k] = rtts
            points = [(k, statistics.median(r)) for k, r in res.hop_rtts.items() if r]
            line = fit(points)
            if line is not None:
                res.slope_ms, res.intercept_ms = line
            line = fit([(k, min(r)) for k, r in res.hop_rtts.items() if r])
            if line is not None:
                res.slope_min_ms = line[0]
        finally:
            net.close()
        return res
    finally:
        cli_lab.lab_down(name, io.StringIO(), io.StringIO(), quiet=True)
        if old_state is None:
            os.environ.pop("SOCKETLAB_STATE_DIR", None)
        else:
            os.environ["SOCKETLAB_STATE_DIR"] = old_state


def report(res: LineResult, out: Any) -> None:
    """The table: start time, end-to-end ping, per-hop RTT, the slope, memory."""
    w = out.write
    w(f"socketlab lab line: {res.hosts} daemons on one machine ({os.cpu_count()} CPUs, "
      f"load {os.getloadavg()[0]:.1f})\n")
    w(f"start        every daemon serving and every link up: {res.start_s:.1f} s "
      f"(target <= 60 s for 50){'' if res.up else '  FAILED'}\n")
    if res.last_ready_s is not None:
        w(f"             last daemon ready (its log line):      {res.last_ready_s:.1f} s\n")
    if not res.up:
        return
    e2e = res.e2e_rtts
    w(f"ping         h0 -> h{res.hosts - 1}: {res.e2e_received}/{res.e2e_sent} replies"
      + (f", RTT median {statistics.median(e2e):.2f} ms (min {min(e2e):.2f}, max {max(e2e):.2f})" if e2e else "")
      + f" over {res.hosts - 1} links"
      + (f"; the first (ARP at every hop) {res.first_ms:.2f} ms" if res.first_ms is not None else "") + "\n")
    w("hop  host  address          replies  median ms  min ms\n")
    for k, rtts in res.hop_rtts.items():
        addr = link_addresses(k - 1)[1]
        if rtts:
            w(f"{k:3d}  h{k:<4d} {addr:<16s} {len(rtts):7d}  {statistics.median(rtts):9.2f}  {min(rtts):6.2f}\n")
        else:
            w(f"{k:3d}  h{k:<4d} {addr:<16s} {0:7d}  {'-':>9s}  {'-':>6s}\n")
    if res.slope_ms is not None and res.intercept_ms is not None:
        w(f"slope        {res.slope_ms:.3f} ms per hop (median RTT ~ {res.intercept_ms:.2f} + {res.slope_ms:.3f} * hops)"
          + (f"; over the minima {res.slope_min_ms:.3f} ms per hop" if res.slope_min_ms is not None else "") + "\n")
    if res.rss_kib:
        rss = sorted(res.rss_kib)
        w(f"memory       RSS per daemon: median {statistics.median(rss) / 1024:.1f} MiB, max {rss[-1] / 1024:.1f} MiB, "
          f"total {sum(rss) / 1024:.0f} MiB")
        if res.pss_kib:
            w(f"; PSS total {sum(res.pss_kib) / 1024:.0f} MiB")
        w("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lab_line", description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50, help="daemons in the line (default 50; --quick 5)")
    parser.add_argument("--quick", action="store_true", help="5 hosts, fewer pings (CI)")
    parser.add_argument("--count", type=int, default=None, help="end-to-end echo requests (default 10; --quick 3)")
    parser.add_argument("--timeout", type=float, default=180.0, help="give up lab up after S seconds")
    ns = parser.parse_args(argv)
    n = 5 if ns.quick and ns.hosts == 50 else ns.hosts
    count = ns.count or (3 if ns.quick else 10)
    res = run(n, count=count, hop_count=2 if ns.quick else 5, timeout=ns.timeout, progress=sys.stderr)
    report(res, sys.stdout)
    return 0 if res.up and res.crossed else 1


if __name__ == "__main__":
    sys.exit(main())
