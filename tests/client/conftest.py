"""Fixtures of the client's tests.

``net`` is parametrized over the kernels of client_backends.py (linux,
local, grpc), all driven through the client.
"""
from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from client_backends import make_net
from hostkernel import HostTransport

import client


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
