"""The kernels the client's tests run on, as socket-module-like Nets.

``linux``: a :class:`hostkernel.HostTransport` (raw syscalls on this machine's
kernel, the oracle for the client's own behaviour); ``local``:
``client.local()`` (the emulated kernel in this process); ``grpc``: the daemon
of the session's ``daemon`` fixture, through ``client.connect``.
"""
from __future__ import annotations

from typing import Any, cast

import pytest
from hostkernel import HostTransport

import client


def _kernel_error() -> str | None:
    try:
        import kernel.host
        import kernel.syscalls  # noqa: F401
    except Exception as exc:  # noqa: BLE001  (the kernel is still being written)
        return f"{type(exc).__name__}: {exc}"
    return None


def make_net(kind: str, request: pytest.FixtureRequest | None = None) -> Any:
    if kind == "linux":
        return client.Net(cast(Any, HostTransport()))
    problem = _kernel_error()
    if problem:
        pytest.skip(f"emulated kernel not importable: {problem}")
    if kind == "grpc":
        assert request is not None
        target = request.getfixturevalue("daemon")
        if target == "local":
            pytest.skip("SOCKETLAB_TARGET=local: no daemon")
        return client.connect(target)
    return client.local()


def another_process(net: Any) -> Any:
    """A second process on the same host as ``net``."""
    transport = net._transport
    if isinstance(transport, HostTransport):
        return client.Net(cast(Any, HostTransport()))
    if hasattr(transport, "spawn"):
        return client.Net(transport.spawn())
    return client.connect(transport.target)
