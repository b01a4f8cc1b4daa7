"""socketlab's Python client: the stdlib ``socket`` module, on an emulated host.

    import client
    net = client.connect("127.0.0.1:50051")   # a new process on that host
    a, b = net.socketpair()
    a.sendall(b"ping"); b.recv(4)
    net.select([b], [], [], 1.0)              # like select.select
    net.close()                               # the process exits

``client.patch(net)`` makes the stdlib ``socket`` module (and ``select``,
``selectors``) use that process, so unmodified stdlib code runs on the
emulated host; ``client.aio`` is the asyncio flavour.
``client.local()`` runs a kernel in this Python process instead of reaching a
daemon (fast tests, no gRPC).  See client/README.md for what is supported.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from client._patch import patch
from client._socket import (
    CONSTANTS,
    AddressFamily,
    AddressInfo,
    MsgFlag,
    Net,
    Socket,
    SocketIO,
    SocketKind,
    error,
    gaierror,
    herror,
    timeout,
)
from client._transport import Transport

if TYPE_CHECKING:
    from client._local import LocalHost

__all__ = [
    "CONSTANTS",
    "AddressFamily",
    "AddressInfo",
    "MsgFlag",
    "Net",
    "Socket",
    "SocketIO",
    "SocketKind",
    "Transport",
    "connect",
    "error",
    "gaierror",
    "herror",
    "local",
    "patch",
    "timeout",
]


def connect(target: str, **kwargs: Any) -> Net:
    """A new process on the daemon at ``target`` ("HOST:PORT"), as a socket-module-like Net.

    Keyword arguments: ``uid``, ``gid``, ``capabilities`` (a bit mask) for the
    process; ``token`` (a bearer token, when the daemon has ``--token-file``);
    ``tls`` (a :class:`client.TlsConfig`: CA, and the client certificate and key
    for mutual TLS); ``connect_timeout`` seconds.
    """
    grpc_transport: Any = importlib.import_module("client._grpc").GrpcTransport
    return Net(grpc_transport(target, **kwargs))


def __getattr__(name: str) -> Any:
    if name == "TlsConfig":  # lazily: importing grpc is not free
        return importlib.import_module("client._grpc").TlsConfig
    raise AttributeError(name)


def local(same_host_as: Net | None = None, *, uid: int = 0, gid: int = 0, host: LocalHost | None = None) -> Net:
    """A new process on an in-process emulated host (no daemon).

    Each call makes a fresh host, unless ``same_host_as`` names a Net from an
    earlier ``local()``: then the new process shares that host (its
    filesystem, abstract names, and fds passed with SCM_RIGHTS).  ``host``
    names an existing :class:`client._local.LocalHost` instead (several hosts
    on one loop, ``LocalHost(share_loop_with=...)``, make a multi-host lab).
    """
    from client._local import LocalTransport

    if same_host_as is not None and host is not None:
        raise TypeError("give same_host_as or host, not both")
    if same_host_as is not None:
        transport = same_host_as._transport
        if not isinstance(transport, LocalTransport):
            raise TypeError("same_host_as must be a Net made by client.local()")
        host = transport.local_host
    return Net(LocalTransport(host, uid=uid, gid=gid))
