"""Fixtures of the client's tests.

``net`` is parametrized over two kernels, both driven through the client:
``linux`` (a :class:`hostkernel.HostTransport`: raw syscalls on this machine's
kernel, the oracle for the client's own behaviour) and ``local``
(``client.local()``: the emulated kernel in this process) and ``grpc`` (the
daemon of the session's ``daemon`` fixture, through ``client.connect``).
"""
from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

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


@pytest.fixture(params=["linux", "local", "grpc"])
def net(request: pytest.FixtureRequest) -> Iterator[Any]:
    n = make_net(request.param, request)
    yield n
    n.close()


@pytest.fixture()
def host_net() -> Iterator[Any]:
    n = client.Net(cast(Any, HostTransport()))
    yield n
    n.close()


@pytest.fixture()
def path() -> Iterator[str]:
    """A unique filesystem name directly in /tmp (exists on both kernels)."""
    name = f"/tmp/slc-{uuid.uuid4().hex[:16]}.sock"
    yield name
    if os.path.exists(name):
        os.unlink(name)
