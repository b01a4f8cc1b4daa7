"""Every scenario of tests/differential/scenarios_topo.py, on three hosts, twice:
Linux network namespaces joined by veth pairs, and emulated kernel Hosts
joined by veth pairs in this process (see topo_harness.py).

- test_topo_host_trace_well_formed: the scenario is sound on Linux (no
  crash, no hang, the same trace on two freshly built topologies).
- test_topo_emulated_matches_linux: the emulated hosts give Linux's trace.

The Linux side needs root and iproute2 (``ip``); without them every test
here skips.  Run only the Linux side with ``-k host``.
"""

from __future__ import annotations

import pytest

from .harness import describe_diff, well_formed
from .topo_harness import discover_topo, run_topo
from .topo_linux import linux_lab_unavailable

SCENARIOS = discover_topo()
IDS = list(SCENARIOS)

# Emulated traces that differ from Linux, with the diagnosis (strict xfail).
KNOWN_MISMATCHES: dict[str, str] = {}  # scenario name -> why the emulation differs (a strict xfail)

# Linux traces of this session, by scenario: the emulated test reuses the
# host test's first trace instead of running Linux a third time.
_LINUX_TRACES: dict[str, list] = {}


def linux_trace(name: str) -> list:
    if name not in _LINUX_TRACES:
        _LINUX_TRACES[name] = run_topo(SCENARIOS[name], "linux")
    return _LINUX_TRACES[name]

UNAVAILABLE = linux_lab_unavailable()
pytestmark = pytest.mark.skipif(UNAVAILABLE is not None, reason=UNAVAILABLE or "")

EMULATED_PARAMS = [
    pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_MISMATCHES[name], strict=True))
    if name in KNOWN_MISMATCHES else name
    for name in IDS
]


def test_enough_topology_scenarios() -> None:
    assert len(SCENARIOS) >= 30


@pytest.mark.parametrize("name", IDS)
def test_topo_host_trace_well_formed(name: str) -> None:
    first = run_topo(SCENARIOS[name], "linux")
    _LINUX_TRACES.setdefault(name, first)
    assert well_formed(first), f"{name} on Linux: {first!r}"
    second = run_topo(SCENARIOS[name], "linux")
    assert first == second, f"{name} is not deterministic on Linux:\n{first!r}\n{second!r}"


@pytest.mark.parametrize("name", EMULATED_PARAMS)
def test_topo_emulated_matches_linux(name: str) -> None:
    want = linux_trace(name)
    assert well_formed(want), f"{name} on Linux: {want!r}"
    got = run_topo(SCENARIOS[name], "emulated")
    assert got == want, f"{name}: " + describe_diff(want, got)
