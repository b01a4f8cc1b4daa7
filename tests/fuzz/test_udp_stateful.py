"""AF_INET UDP, stateful: random syscall sequences on Linux and on the emulated kernel, in lockstep.

The machine is tests/fuzz/udp_machine.py (:class:`UdpMachine`).  CI runs
udp_machine.CI_EXAMPLES sequences locally (``client.local()``) and
DAEMON_EXAMPLES through the session daemon, CI_STEPS steps each (~20 s in
all).  A long campaign:

    SOCKETLAB_UDP_FUZZ_EXAMPLES=3000 SOCKETLAB_UDP_FUZZ_DAEMON_EXAMPLES=300 \\
    SOCKETLAB_FUZZ_STEPS=40 python -m pytest tests/fuzz/test_udp_stateful.py -p no:cacheprovider

A failure prints the shortest sequence hypothesis found and both outcomes of
the step that differed; its blob replays it (@reproduce_failure).  How many
sequences and steps ran is printed at the end of the session (udp-local,
udp-daemon).
"""

from __future__ import annotations

import errno
import socket
from typing import Any

from hypothesis.stateful import run_state_machine_as_test

from kernel.host import DEFAULT_SYSCTLS

from .machine import _env_int, fuzz_settings, host_sysctls
from .udp_machine import BUF_VALUES, CI_EXAMPLES, CI_STEPS, DAEMON_EXAMPLES, POOL_PORTS, UdpMachine


def _steps() -> int:
    return _env_int("SOCKETLAB_FUZZ_STEPS", CI_STEPS)


class LocalUdpMachine(UdpMachine):
    """The machine against an in-process emulated kernel (a fresh host per sequence)."""

    label = "local"


TestUdpStatefulLocal = LocalUdpMachine.TestCase
TestUdpStatefulLocal.settings = fuzz_settings(_env_int("SOCKETLAB_UDP_FUZZ_EXAMPLES", CI_EXAMPLES), _steps())


def _comparable_buf_values() -> list[int]:
    """The SO_*BUF values the host's and the daemon's *mem_max clamp alike."""
    host = host_sysctls()
    return [v for v in BUF_VALUES
            if all(min(v, host.get(k, DEFAULT_SYSCTLS[k])) == min(v, DEFAULT_SYSCTLS[k])
                   for k in ("net.core.rmem_max", "net.core.wmem_max"))]


def test_udp_stateful_daemon(daemon: str) -> None:
    """The machine through the daemon (gRPC): a new emulated process per sequence on one host."""

    class DaemonUdpMachine(UdpMachine):
        label = "daemon"
        buf_values = _comparable_buf_values()

        def make_emulated_net(self) -> Any:
            import client

            return client.connect(daemon)

    run_state_machine_as_test(
        DaemonUdpMachine,
        settings=fuzz_settings(_env_int("SOCKETLAB_UDP_FUZZ_DAEMON_EXAMPLES", DAEMON_EXAMPLES), _steps()),
    )


def test_linux_loopback_icmp_is_synchronous() -> None:
    """What the machine relies on: on Linux's loopback a send to a port nobody
    has is answered (ICMP port unreachable -> ECONNREFUSED on the connected
    socket) before send() returns; so is a datagram queued at its receiver."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as r:
            s.connect(("127.0.0.1", POOL_PORTS[0]))
            s.send(b"x")
            assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNREFUSED
            r.bind(("127.0.0.1", 0))
            s.sendto(b"y", r.getsockname())
            assert r.recv(10, socket.MSG_DONTWAIT) == b"y"
