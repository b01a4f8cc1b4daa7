"""The transport contract between the Python client and a kernel.

A transport runs one syscall of one emulated process and returns its
:class:`kernel.syscalls.SysReply`.  ``op``, ``args`` and ``timeout`` are
exactly those of :func:`kernel.syscalls.do_syscall`.  It is synchronous and
thread-safe.  ``client._grpc.GrpcTransport`` reaches a daemon;
``client._local.LocalTransport`` runs a kernel in this process.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kernel.syscalls import SysReply


class Transport(Protocol):
    def call(self, op: str, args: dict[str, Any], timeout: float | None = None) -> SysReply:
        """Run one syscall; block until its result (or raise on transport failure)."""
        ...

    def close(self) -> None:
        """End the process: every fd it holds is closed, as on exit(2)."""
        ...
