"""The printed table and the ``--json`` document.

Each ratio row names the figure, its median and p99, the baseline measured
in the same run with its median and p99, and the ratio of the medians,
written like ``2.1x``.  Reference rows follow (figures with no baseline of
their own, and the baselines themselves).
"""
from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.figures import DETAIL, LABELS, RATIOS, Ratio
from bench.timing import Budget, Stats


def ratio_of(r: Ratio, stats: dict[str, Stats]) -> float:
    """The figure's median over the baseline's median."""
    return stats[r.figure].median_us / stats[r.baseline].median_us


def fmt_ratio(x: float) -> str:
    """``2.1x`` (two decimals below 1, so a small ratio does not read as 0.0x)."""
    return f"{x:.2f}x" if x < 1 else f"{x:.1f}x"


def table(mode: str, budget: Budget, stats: dict[str, Stats]) -> str:
    """The whole report as text."""
    lw = max(len(label) for label in LABELS.values())
    out = [
        f"socketlab bench, {mode} mode: 64-byte payloads; times in µs per op; ratio = figure median / baseline median",
        f"per figure: warm-up <= {budget.warmup_iterations} ops / {budget.warmup_seconds:g} s, then <= "
        f"{budget.iterations} ops / {budget.seconds:g} s in {budget.rounds} interleaved round(s)",
        "",
        f"{'':9}{'figure':<{lw}} {'n':>6} {'median':>9} {'p99':>9}   {'baseline':<{lw}} {'n':>6} {'median':>9} "
        f"{'p99':>9} {'ratio':>7}",
    ]
    for r in RATIOS:
        f, b = stats[r.figure], stats[r.baseline]
        target = f"  (target <= {r.target_max:g}x)" if r.target_max is not None else ""
        out.append(
            f"{r.name:<9}{LABELS[r.figure]:<{lw}} {f.n:>6} {f.median_us:>9.1f} {f.p99_us:>9.1f}   "
            f"{LABELS[r.baseline]:<{lw}} {b.n:>6} {b.median_us:>9.1f} {b.p99_us:>9.1f} {fmt_ratio(ratio_of(r, stats)):>7}"
            f"{target}"
        )
    out += [
        "",
        f"{'':9}{'every figure':<{lw}} {'n':>6} {'median':>9} {'p99':>9} {'mean':>9} {'min':>9} "
        f"{'cpu bench':>10} {'cpu server':>10}",
    ]
    for key in DETAIL:
        if key in stats:
            s = stats[key]
            out.append(f"{'':9}{LABELS[key]:<{lw}} {s.n:>6} {s.median_us:>9.1f} {s.p99_us:>9.1f} "
                       f"{s.mean_us:>9.1f} {s.min_us:>9.1f} {_cpu(s.client_cpu_us):>10} {_cpu(s.server_cpu_us):>10}")
    if "udp_veth_pair" in stats and "host_udp_pair" in stats:
        emu, host = 1e6 / stats["udp_veth_pair"].median_us, 1e6 / stats["host_udp_pair"].median_us
        out += ["", f"{'udp pps':<9}in-process, 2 emulated hosts over veth: {emu:,.0f} packets/s; host kernel UDP over "
                f"loopback: {host:,.0f} packets/s; emulated/host = {fmt_ratio(emu / host)}"]
    out += [
        "",
        "cpu bench = CPU µs per op of the bench process (all its threads: the caller's, the client's loop, grpc's); "
        "cpu server = of the server subprocess (clock-tick resolution).",
        f"load average at the end: {_loadavg()} on {os.cpu_count()} CPUs (other work on the machine inflates "
        "every figure).",
    ]
    return "\n".join(out)


def _cpu(us: float | None) -> str:
    return "-" if us is None else f"{us:.1f}"


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def environment() -> dict[str, Any]:
    """Where the figures were taken."""
    import grpc
    import uvloop

    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "grpcio": grpc.__version__,
        "uvloop": uvloop.__version__,
    }


def document(mode: str, budget: Budget, stats: dict[str, Stats]) -> dict[str, Any]:
    """The figures, ratios and run settings as a JSON-ready dict."""
    return {
        "mode": mode,
        "payload_bytes": 64,
        "unit": "us",
        "budget": asdict(budget),
        "environment": environment(),
        "figures": {key: {"label": LABELS[key].strip(), **asdict(s)} for key, s in stats.items()},
        "ratios": [
            {"name": r.name, "figure": r.figure, "baseline": r.baseline, "ratio": ratio_of(r, stats),
             "target_max": r.target_max}
            for r in RATIOS
        ],
    }


def write_json(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` to ``path`` (indented, trailing newline)."""
    path.write_text(json.dumps(doc, indent=2) + "\n")
