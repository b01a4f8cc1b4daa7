"""AF_INET TCP, stateful: random syscall sequences on Linux and on the emulated kernel, in lockstep.

The machine is tests/fuzz/tcp_machine.py (:class:`TcpMachine`; its docstring
lists the steps and every sequence it drops as timing- or randomness-
dependent).  CI runs tcp_machine.CI_EXAMPLES sequences locally
(``client.local()``) and DAEMON_EXAMPLES through the session daemon,
CI_STEPS steps each.  A long campaign (manual long mode)::

    SOCKETLAB_TCP_FUZZ_EXAMPLES=5000 SOCKETLAB_TCP_FUZZ_DAEMON_EXAMPLES=500 \\
    SOCKETLAB_FUZZ_STEPS=50 python -m pytest tests/fuzz/test_tcp_stateful.py -p no:cacheprovider

How many sequences and steps ran is printed at the end of the session
(tcp-local, tcp-daemon), with the sequences dropped per guard.
"""

from __future__ import annotations

from typing import Any

from hypothesis.stateful import run_state_machine_as_test

from .machine import _env_int, fuzz_settings
from .tcp_machine import CI_EXAMPLES, CI_STEPS, DAEMON_EXAMPLES, TcpMachine


def _steps() -> int:
    return _env_int("SOCKETLAB_FUZZ_STEPS", CI_STEPS)


class LocalTcpMachine(TcpMachine):
    """The machine against an in-process emulated kernel (a fresh host per sequence)."""

    label = "local"


TestTcpStatefulLocal = LocalTcpMachine.TestCase
TestTcpStatefulLocal.settings = fuzz_settings(_env_int("SOCKETLAB_TCP_FUZZ_EXAMPLES", CI_EXAMPLES), _steps())


def test_tcp_stateful_daemon(daemon: str) -> None:
    """The machine through the daemon (gRPC): a new emulated process per sequence on one host."""

    class DaemonTcpMachine(TcpMachine):
        label = "daemon"

        def make_emulated_net(self) -> Any:
            import client

            return client.connect(daemon)

    run_state_machine_as_test(
        DaemonTcpMachine,
        settings=fuzz_settings(_env_int("SOCKETLAB_TCP_FUZZ_DAEMON_EXAMPLES", DAEMON_EXAMPLES), _steps()),
    )
