"""Smoke run of the benchmarks: ``python -m bench --quick`` must work; timings are never judged.

It fails only when the bench errs (non-zero exit, a traceback, no table):
the output must hold a ``latency`` line with a ratio written like ``2.1x``,
a throughput row for each of issue 8's figures 2, 3, 4 and 6, the scale
figure (5) and issue 8's table, and ``--json`` must write a document with
every ratio.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RATIO = re.compile(r"\b\d+(\.\d+)?x\b")


def test_bench_quick_runs(tmp_path: Path) -> None:
    out_json = tmp_path / "bench.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out_json)],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, f"bench exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    latency = [line for line in proc.stdout.splitlines() if "latency" in line and RATIO.search(line)]
    assert latency, f"no latency line with a ratio:\n{proc.stdout}"
    doc = json.loads(out_json.read_text())
    assert doc["mode"] == "quick"
    assert doc["ratios"] and all(r["ratio"] > 0 for r in doc["ratios"])
    assert {"socketlab_pair", "grpc_bidi", "grpc_unary", "host_pair", "local_pair",
            "udp_veth_pair", "host_udp_pair"} <= set(doc["figures"])
    assert re.search(r"^udp pps .* packets/s; host kernel UDP over loopback: .* packets/s", proc.stdout, re.M), proc.stdout
    for n in (2, 3, 4, 6):
        assert re.search(rf"^fig {n} .* MB/s .*\d+(\.\d+)?x$", proc.stdout, re.M), (n, proc.stdout)
    assert re.search(r"^fig 5 +scale: 500 established TCP connections .* KiB per idle socket", proc.stdout, re.M)
    assert "issue 8 (targets are informative" in proc.stdout
    assert {"api_bulk", "grpc_bulk", "tcp_veth", "tcp_lo", "host_tcp", "link_bulk", "link_bulk_asyncio",
            "api_bulk_asyncio", "socketlab_pair_asyncio"} <= set(doc["figures"])
    assert len(doc["throughput"]) == 6 and all(t["ratio"] > 0 for t in doc["throughput"])
    assert doc["scale"]["connections"] == 500 and doc["scale"]["accept_rate"] > 0
