"""AF_UNIX, stateful, through the daemon: the machine of test_unix_stateful.py
against ``client.connect(daemon)`` (gRPC), fewer sequences.

The daemon's sysctls are kernel.host.DEFAULT_SYSCTLS and cannot be set from
here, so this variant leaves out the SO_RCVBUF/SO_SNDBUF values that the two
kernels' *_max sysctls would clamp differently (a configuration difference,
not a behaviour), and skips when the host's defaults differ from the daemon's.
SOCKETLAB_FUZZ_DAEMON_EXAMPLES sets the number of sequences.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis.stateful import run_state_machine_as_test

from kernel.host import DEFAULT_SYSCTLS

from .machine import BUF_VALUES, DAEMON_EXAMPLES, UnixMachine, _env_int, fuzz_settings, host_sysctls


def _comparable_buf_values() -> list[int]:
    """The SO_*BUF values both kernels clamp alike (min(value, *mem_max))."""
    host = host_sysctls()
    keep = []
    for value in BUF_VALUES:
        if all(min(value, host.get(k, DEFAULT_SYSCTLS[k])) == min(value, DEFAULT_SYSCTLS[k])
               for k in ("net.core.rmem_max", "net.core.wmem_max")):
            keep.append(value)
    return keep


def _incomparable() -> str | None:
    host = host_sysctls()
    for name in ("net.core.rmem_default", "net.core.wmem_default", "net.unix.max_dgram_qlen"):
        if name in host and host[name] != DEFAULT_SYSCTLS[name]:
            return f"host {name}={host[name]} but the daemon's is {DEFAULT_SYSCTLS[name]}"
    return None


def test_unix_stateful_daemon(daemon: str) -> None:
    reason = _incomparable()
    if reason:
        pytest.skip(reason)

    class DaemonUnixMachine(UnixMachine):
        label = "daemon"
        buf_values = _comparable_buf_values()

        def make_emulated_net(self) -> Any:
            import client

            return client.connect(daemon)

    run_state_machine_as_test(
        DaemonUnixMachine, settings=fuzz_settings(_env_int("SOCKETLAB_FUZZ_DAEMON_EXAMPLES", DAEMON_EXAMPLES))
    )
