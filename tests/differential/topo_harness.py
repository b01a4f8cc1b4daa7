"""Differential harness for scenarios across several hosts.

A topology scenario is ``def scenario_NAME(lab) -> list`` in
``scenarios_topo.py``: ``lab.a``, ``lab.r``, ``lab.b`` are socket-module-like
objects, one per host of topo_spec.py, and ``lab.select`` is
``select.select`` (over the sockets of one host).  Each run builds the
topology afresh (no neighbour, route-cache or PMTU state left over), twice
over: in Linux network namespaces (topo_linux.LinuxLab) and in emulated
kernel Hosts joined by veth pairs (topo_emulated.EmulatedLab).  The traces
are compared as in harness.py.

Decorators on a scenario: ``@variant("pmtu")`` picks the topology variant;
``@seconds(n)`` gives it more than ``harness.SCENARIO_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .harness import SCENARIO_SECONDS, load_module, run_scenario
from .topo_spec import topology

Scenario = Callable[[Any], list]


def variant(name: str) -> Callable[[Scenario], Scenario]:
    def mark(fn: Scenario) -> Scenario:
        fn.topology_variant = name  # type: ignore[attr-defined]
        return fn

    return mark


def seconds(limit: float) -> Callable[[Scenario], Scenario]:
    def mark(fn: Scenario) -> Scenario:
        fn.scenario_seconds = limit  # type: ignore[attr-defined]
        return fn

    return mark


def discover_topo() -> dict[str, Scenario]:
    module = load_module("scenarios_topo")
    return {name[len("scenario_") :]: fn for name, fn in sorted(vars(module).items())
            if name.startswith("scenario_") and callable(fn)}


def make_lab(kind: str, fn: Scenario) -> Any:
    spec = topology(getattr(fn, "topology_variant", "base"))
    if kind == "linux":
        from .topo_linux import LinuxLab

        return LinuxLab(spec)
    from .topo_emulated import EmulatedLab

    return EmulatedLab(spec)


def run_topo(fn: Scenario, kind: str) -> list:
    """One run of fn on a fresh lab of that kind ("linux" or "emulated")."""
    lab = make_lab(kind, fn)
    try:
        return run_scenario(fn, lab, getattr(fn, "scenario_seconds", SCENARIO_SECONDS))
    finally:
        lab.close()
