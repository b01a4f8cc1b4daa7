"""Every scenario of tests/differential/scenarios_*.py, on two kernels.

- test_host_*: the scenario itself is sound on Linux (no crash, no hang,
  the same trace twice in a row).
- test_emulated_matches_linux: the emulated kernel, reached through
  ``client.connect(daemon)``, produces the trace Linux produces (skipped for a
  module that sets ``EMULATED_READY = False``, see harness.emulated_skip_reason).

Run only the host side with ``python -m pytest tests/differential -k host``.
SOCKETLAB_TARGET=HOST:PORT uses a running daemon; SOCKETLAB_TARGET=local uses
``client.local()`` (the kernel in-process, no gRPC).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .harness import (
    HostKernel,
    describe_diff,
    discover,
    emulated,
    emulated_skip_reason,
    run_scenario,
    well_formed,
)

SCENARIOS = discover()
IDS = list(SCENARIOS)
# The emulated run of a module with EMULATED_READY = False is skipped (its
# host run is not): marked at collection, so no daemon process is made for it.
EMULATED_PARAMS = [
    pytest.param(name, marks=pytest.mark.skip(reason=reason))
    if (reason := emulated_skip_reason(fn)) is not None
    else name
    for name, fn in SCENARIOS.items()
]


@pytest.fixture(scope="session")
def emulated_target(request: pytest.FixtureRequest) -> str:
    """$SOCKETLAB_TARGET ("HOST:PORT" or "local") if set, else the session
    daemon of tests/conftest.py."""
    if os.environ.get("SOCKETLAB_TARGET"):
        return os.environ["SOCKETLAB_TARGET"]
    return request.getfixturevalue("daemon")


@pytest.fixture()
def emulated_net(emulated_target: str) -> Iterator[Any]:
    net = emulated(emulated_target)  # a fresh process per scenario
    try:
        yield net
    finally:
        try:
            net.close()
        except Exception:
            pass


def test_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 440
    assert sum(name.startswith("unix/") for name in SCENARIOS) >= 270
    assert sum(name.startswith("inet/") for name in SCENARIOS) >= 170
    assert sum(name.startswith("tcp/") for name in SCENARIOS) >= 170


@pytest.mark.parametrize("name", IDS)
def test_host_trace_well_formed(name: str) -> None:
    first = run_scenario(SCENARIOS[name], HostKernel())
    assert well_formed(first), f"{name} on Linux: {first!r}"
    second = run_scenario(SCENARIOS[name], HostKernel())
    assert first == second, f"{name} is not deterministic on Linux:\n{first!r}\n{second!r}"


@pytest.mark.parametrize("name", EMULATED_PARAMS)
def test_emulated_matches_linux(name: str, emulated_net: Any) -> None:
    want = run_scenario(SCENARIOS[name], HostKernel())
    assert well_formed(want), f"{name} on Linux: {want!r}"
    got = run_scenario(SCENARIOS[name], emulated_net)
    assert got == want, f"{name}: " + describe_diff(want, got)
