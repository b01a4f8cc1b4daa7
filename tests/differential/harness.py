"""Differential harness: one scenario, two kernels, compared traces.

A scenario is ``def scenario_NAME(net) -> list``: it drives sockets through
``net``, an object with the surface of Python's ``socket`` module plus
``net.select`` (shaped like ``select.select``) and, optionally, ``net.unlink``
(removes a path in that kernel's filesystem).  It returns a trace, a list of
plain values.  Traces never hold ports, pids, fd numbers or random names: a
scenario compares such values and records the comparison.

The reference backend is the host's Linux kernel (:class:`HostKernel`); the
candidate is the emulated kernel reached with ``client.connect(target)``.

The helpers here are the same as in ``shared/conformance/runner.py`` so that a
``scenarios_*.py`` module runs unchanged under that runner and under pytest.
"""

from __future__ import annotations

import errno
import importlib
import os
import pkgutil
import select
import signal
import socket
from collections.abc import Callable
from typing import Any

SCENARIO_SECONDS = 10

Scenario = Callable[[Any], list]


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call fn; return ('ok', result) or ('err', 'ERRNO_NAME')."""
    try:
        return ("ok", fn(*args, **kwargs))
    except OSError as exc:  # socket.timeout is an OSError subclass
        if exc.errno is None:
            return ("err", type(exc).__name__)
        return ("err", errno.errorcode.get(exc.errno, str(exc.errno)))


def errname(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """Call fn; return 'ok' or the errno name it raised."""
    outcome = attempt(fn, *args, **kwargs)
    return "ok" if outcome[0] == "ok" else outcome[1]


class HostKernel:
    """The reference: the stdlib socket module on this machine's Linux kernel."""

    name = "linux"

    def __getattr__(self, attr: str) -> Any:
        return getattr(socket, attr)

    @staticmethod
    def select(r: list, w: list, x: list, timeout: float | None = None) -> tuple:
        return select.select(r, w, x, timeout)

    @staticmethod
    def unlink(path: str | bytes) -> None:
        os.unlink(path)

    def close(self) -> None:
        pass


def emulated(target: str) -> Any:
    """A new process on the emulated host at target ("HOST:PORT"), or, for
    target "local", on a fresh in-process kernel (``client.local()``)."""
    import client  # the project's Python client

    if target == "local":
        return client.local()
    return client.connect(target)


# ---------------------------------------------------------------- running


class Overtime(BaseException):
    """Raised by SIGALRM when a scenario runs past its time (BaseException so
    that no ``except Exception`` inside a scenario or a client swallows it)."""


def _alarm(signum: int, frame: Any) -> None:
    raise Overtime()


def normalise(value: Any) -> Any:
    """Make a trace value comparable: bytearray/memoryview become bytes,
    lists and tuples are normalised element by element."""
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, tuple):
        return tuple(normalise(v) for v in value)
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def run_scenario(fn: Scenario, net: Any, seconds: float = SCENARIO_SECONDS) -> list:
    """Run one scenario against net and return its normalised trace.

    A crash is an outcome: ["CRASH", type, message]; a scenario still running
    after ``seconds`` is ["HUNG"].
    """
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        trace = fn(net)
        signal.setitimer(signal.ITIMER_REAL, 0)
        return normalise(list(trace))
    except Overtime:
        return ["HUNG"]
    except Exception as exc:  # a crash is an outcome worth comparing too
        return ["CRASH", type(exc).__name__, str(exc)[:200]]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def well_formed(trace: list) -> bool:
    return bool(trace) and trace[0] not in ("HUNG", "CRASH", "NO CLIENT")


# -------------------------------------------------------------- discovery


def scenario_modules() -> list[str]:
    """Names of the scenarios_*.py modules beside this file, sorted."""
    here = os.path.dirname(os.path.abspath(__file__))
    return sorted(info.name for info in pkgutil.iter_modules([here]) if info.name.startswith("scenarios_"))


def load_module(stem: str) -> Any:
    package = __package__ or ""
    if package:
        return importlib.import_module(f"{package}.{stem}")
    return importlib.import_module(stem)


def discover() -> dict[str, Scenario]:
    """Every scenario of every scenarios_*.py module, keyed by
    '<module suffix>/<scenario name without the scenario_ prefix>'."""
    found: dict[str, Scenario] = {}
    for stem in scenario_modules():
        module = load_module(stem)
        if getattr(module, "MULTI_HOST", False):  # scenario(lab): topo_harness.py runs those
            continue
        area = stem[len("scenarios_") :]
        for name, fn in vars(module).items():
            if name.startswith("scenario_") and callable(fn):
                found[f"{area}/{name[len('scenario_') :]}"] = fn
    return dict(sorted(found.items()))


def emulated_skip_reason(fn: Scenario) -> str | None:
    """Why the emulated run of fn is skipped, or None when it runs.

    A scenarios_*.py module whose kernel side does not exist yet sets
    ``EMULATED_READY = False`` (and ``EMULATED_NOT_READY_REASON``): its
    scenarios still run on Linux (test_host_*), the emulated run is skipped
    until the module flips the flag.
    """
    module = importlib.import_module(fn.__module__)
    if getattr(module, "EMULATED_READY", True):
        return None
    return str(getattr(module, "EMULATED_NOT_READY_REASON", f"{module.__name__}: emulated side not ready"))


def describe_diff(want: list, got: list) -> str:
    """A readable, element-by-element diff of two traces."""
    lines = []
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else "<missing>"
        g = got[i] if i < len(got) else "<missing>"
        mark = "  " if w == g else "!!"
        lines.append(f"{mark} [{i}] linux={w!r}")
        if w != g:
            lines.append(f"        emulated={g!r}")
    return f"traces differ\n  linux:    {want!r}\n  emulated: {got!r}\n" + "\n".join(lines)
