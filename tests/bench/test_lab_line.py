"""Issue 5's line lab, quick: ``bench.lab_line.run(5)`` starts 5 daemons in a line, a ping crosses it.

The figures (start time, per-hop RTT, slope, RSS) are printed (``pytest -s``
shows them), never judged: the machine is shared.  What must hold: the lab
comes up, the echo h0 -> h4 is answered across 4 links and 3 forwarding
daemons, every hop answers, and each daemon's RSS was read.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from bench import lab_line
from server.topology import parse_topology


def test_line_topology_is_valid() -> None:
    topo = parse_topology(yaml.safe_dump(lab_line.line_topology(6, list(range(41000, 41006)))))
    assert list(topo.hosts) == [f"h{i}" for i in range(6)]
    assert [(str(lk.a), str(lk.b)) for lk in topo.links][0] == ("h0:eth1", "h1:eth0")
    assert topo.hosts["h2"].sysctls == {"net.ipv4.ip_forward": 1} and not topo.hosts["h0"].sysctls
    assert {"dst": "10.200.0.0/30", "via": "10.200.0.9", "metric": 0} in topo.hosts["h3"].routes  # back left


@pytest.mark.timeout(240)
def test_quick_line_ping_crosses(tmp_path: Path) -> None:
    res = lab_line.run(5, count=3, hop_count=2, timeout=120.0, state_dir=str(tmp_path))
    out = io.StringIO()
    lab_line.report(res, out)
    print(out.getvalue())
    assert res.up, res.log
    assert res.crossed and res.e2e_received >= 2, out.getvalue()
    assert sorted(res.hop_rtts) == [1, 2, 3, 4] and all(res.hop_rtts.values()), out.getvalue()
    assert res.slope_ms is not None
    assert len(res.rss_kib) == 5 and all(r > 0 for r in res.rss_kib)
