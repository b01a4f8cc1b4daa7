"""``python -m bench [--quick] [--json FILE] [--target HOST:PORT]``: run the benchmarks, print the table.

It starts its own socketlabd (``python -m server --listen 127.0.0.1:0``) and
the bare grpc.aio echo server of :mod:`bench.echo` as subprocesses, reads
their ready lines, measures every figure of :mod:`bench.figures`, stops both
servers with SIGTERM and prints each figure next to its baseline and their
ratio.  Figure 5 (scale: :mod:`bench.scale`) runs last, in a subprocess with a
daemon of its own.  ``--quick`` takes a few seconds (CI's smoke run: it fails only on
errors, never on timings); the full mode takes about a minute and gives the
numbers we report.  ``--target`` measures a daemon that is already running
instead (e.g. one under a profiler).

Exit status: 0 on success, 1 when a workload or server failed.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from bench import figures, report
from bench.procs import ServerError
from bench.timing import FULL, QUICK

FULL_CONNECTIONS = 10_000
QUICK_CONNECTIONS = 500


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="socketlab benchmarks against same-run baselines")
    parser.add_argument("--quick", action="store_true", help="a few seconds in all (CI smoke run)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE as JSON")
    parser.add_argument("--target", metavar="HOST:PORT", help="measure this running socketlabd instead of starting one")
    parser.add_argument("--seconds", type=float, metavar="S", help="override the time budget per figure")
    parser.add_argument("--rounds", type=int, metavar="N", help="override the number of interleaved rounds")
    parser.add_argument("--connections", type=int, metavar="N",
                        help="figure 5's established connections (default 10000; --quick 500; 0 skips it)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(argv)
    mode = "quick" if ns.quick else "full"
    budget = QUICK if ns.quick else FULL
    if ns.seconds is not None:
        budget = replace(budget, seconds=ns.seconds)
    if ns.rounds is not None:
        budget = replace(budget, rounds=max(1, ns.rounds))
    started = time.monotonic()
    try:
        workloads = figures.set_up(ns.target, quick=ns.quick)
    except (ServerError, OSError, RuntimeError) as exc:
        print(f"bench: set-up failed: {exc}", file=sys.stderr)
        return 1
    try:
        with workloads.stack:
            stats = figures.run(workloads, budget)
    except (OSError, RuntimeError) as exc:
        print(f"bench: a workload failed: {exc}", file=sys.stderr)
        return 1
    connections = ns.connections if ns.connections is not None else (QUICK_CONNECTIONS if ns.quick else
                                                                     FULL_CONNECTIONS)
    scale = None
    if connections > 0:
        try:
            scale = figures.run_scale(connections)
        except (OSError, RuntimeError, ValueError) as exc:
            print(f"bench: figure 5 (scale) failed: {exc}", file=sys.stderr)
            return 1
    for note in workloads.notes:
        print(f"bench: {note}", file=sys.stderr)
    print(report.table(mode, budget, stats, workloads.waited, scale))
    print(f"\n(total {time.monotonic() - started:.1f} s)")
    if ns.json is not None:
        report.write_json(ns.json, report.document(mode, budget, stats, workloads.waited, scale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
