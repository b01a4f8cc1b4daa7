"""AF_UNIX, stateful: random syscall sequences on Linux and on ``client.local()``, in lockstep.

The machine is tests/fuzz/machine.py (:class:`UnixMachine`).  CI runs
CI_EXAMPLES sequences of up to CI_STEPS steps (< 60 s); more with

    SOCKETLAB_FUZZ_EXAMPLES=5000 SOCKETLAB_FUZZ_STEPS=50 python -m pytest tests/fuzz -p no:cacheprovider

A failure prints the shortest sequence hypothesis found and the outcome of
each side at the step that differed; its blob replays it (@reproduce_failure).
How many sequences and steps ran is printed at the end of the session.
"""

from __future__ import annotations

from .machine import CI_EXAMPLES, UnixMachine, _env_int, fuzz_settings


class LocalUnixMachine(UnixMachine):
    """The machine against an in-process emulated kernel (a fresh host per sequence)."""

    label = "local"


TestUnixStatefulLocal = LocalUnixMachine.TestCase
TestUnixStatefulLocal.settings = fuzz_settings(_env_int("SOCKETLAB_FUZZ_EXAMPLES", CI_EXAMPLES))
