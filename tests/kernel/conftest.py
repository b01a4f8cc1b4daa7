"""Unit tests of the emulated kernel, driven directly (no gRPC), on a manual clock.

Every test gets a fresh ``rig``: one ``Host`` on a ``ManualClock`` with a
seeded RNG and one root process.  Tests never sleep: a blocking call runs as a
task (``rig.start``), ``rig.settle()`` lets the loop run until the task is
parked on a wait queue, and time moves only with ``rig.clock.advance``.

Note: this directory has no ``__init__.py`` on purpose (it would make a
package named ``kernel`` that shadows the real one); helpers live here, as
methods of the fixture object, not in an importable module.
"""
from __future__ import annotations

import asyncio
import random
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kernel import uapi
from kernel.clock import ManualClock
from kernel.host import Host
from kernel.net.sock import Sock
from kernel.process import Process
from kernel.syscalls import SysReply, do_syscall

CMSG_HDR = struct.Struct("<Qii")  # x86_64 struct cmsghdr


class Rig:
    """A host on a manual clock, one process, and helpers to drive syscalls."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.host = Host(clock=self.clock, rng=random.Random(1))
        self.proc = self.host.spawn()
        self.tasks: list[asyncio.Task[SysReply]] = []

    # --- calls ------------------------------------------------------------------
    async def call(self, name: str, proc: Process | None = None, /, *, timeout: float | None = None,
                   **args: Any) -> SysReply:
        """do_syscall as a process (default: the rig's own) with keyword args."""
        return await do_syscall(proc or self.proc, name, args, timeout)

    async def ok(self, name: str, proc: Process | None = None, /, **args: Any) -> int:
        """A call that must succeed; its return value."""
        reply = await self.call(name, proc, **args)
        assert reply.ret >= 0, f"{name}{args} failed with {reply.error_name}"
        return reply.ret

    async def err(self, name: str, proc: Process | None = None, /, **args: Any) -> str:
        """A call's errno name ('' on success)."""
        return (await self.call(name, proc, **args)).error_name

    async def start(self, name: str, proc: Process | None = None, /, *, timeout: float | None = None,
                    **args: Any) -> asyncio.Task[SysReply]:
        """Run a (blocking) call as a task and let it run until it sleeps (its timers are
        then armed at the current virtual time); the rig cancels leftovers at teardown."""
        task = asyncio.ensure_future(self.call(name, proc, timeout=timeout, **args))
        self.tasks.append(task)
        await self.settle()
        return task

    @staticmethod
    async def settle(rounds: int = 8) -> None:
        """Let every runnable task run until it blocks (no wall-clock time passes)."""
        for _ in range(rounds):
            await asyncio.sleep(0)

    async def advance(self, seconds: float) -> None:
        """Move virtual time (firing due timers), then let woken tasks run."""
        self.clock.advance(seconds)
        await self.settle()

    # --- sockets ------------------------------------------------------------------
    async def socket(self, type_: int = uapi.SOCK_STREAM, proc: Process | None = None, family: int = uapi.AF_UNIX) -> int:
        return await self.ok("socket", proc, family=family, type=type_, protocol=0)

    async def pair(self, type_: int = uapi.SOCK_STREAM, proc: Process | None = None) -> tuple[int, int]:
        reply = await self.call("socketpair", proc, family=uapi.AF_UNIX, type=type_, protocol=0)
        assert reply.ret == 0, reply.error_name
        return reply.fds[0], reply.fds[1]

    @staticmethod
    def sun(path: str | bytes) -> bytes:
        """A sockaddr_un for a path (str/bytes) or, with a leading NUL, an abstract name."""
        raw = path.encode() if isinstance(path, str) else path
        return struct.pack("<H", uapi.AF_UNIX) + raw

    async def listener(self, path: str = "/tmp/srv", backlog: int = 8, proc: Process | None = None,
                       type_: int = uapi.SOCK_STREAM) -> int:
        fd = await self.socket(type_, proc)
        await self.ok("bind", proc, fd=fd, addr=self.sun(path))
        await self.ok("listen", proc, fd=fd, backlog=backlog)
        return fd

    async def connected(self, path: str = "/tmp/srv", client: Process | None = None,
                        server: Process | None = None) -> tuple[int, int, int]:
        """(listener, client fd, accepted fd): a stream connection between two processes."""
        lfd = await self.listener(path, proc=server)
        cfd = await self.socket(proc=client)
        await self.ok("connect", client, fd=cfd, addr=self.sun(path))
        afd = await self.ok("accept", server, fd=lfd)
        return lfd, cfd, afd

    async def set_timeo(self, fd: int, optname: int, seconds: float, proc: Process | None = None) -> None:
        sec = int(seconds)
        usec = round((seconds - sec) * 1_000_000)
        await self.ok("setsockopt", proc, fd=fd, level=uapi.SOL_SOCKET, optname=optname,
                      optval=struct.pack("<qq", sec, usec))

    async def set_int(self, fd: int, optname: int, value: int, proc: Process | None = None,
                      level: int = uapi.SOL_SOCKET) -> None:
        await self.ok("setsockopt", proc, fd=fd, level=level, optname=optname, optval=struct.pack("<i", value))

    async def fill(self, fd: int, chunk: int = 4096, proc: Process | None = None) -> int:
        """Send with MSG_DONTWAIT until EAGAIN; the bytes that went in."""
        total = 0
        while True:
            reply = await self.call("send", proc, fd=fd, data=b"f" * chunk, flags=uapi.MSG_DONTWAIT)
            if reply.ret < 0:
                assert reply.error_name == "EAGAIN", reply.error_name
                return total
            total += reply.ret

    def sk(self, fd: int, proc: Process | None = None) -> Sock:
        """The struct sock behind an fd."""
        f = (proc or self.proc).fget(fd)
        assert f is not None
        sk = f.private_data.sk
        assert sk is not None
        return sk  # type: ignore[no-any-return]

    # --- ancillary data -------------------------------------------------------------
    @staticmethod
    def cmsg(level: int, type_: int, data: bytes) -> bytes:
        pad = (-len(data)) % 8
        return CMSG_HDR.pack(CMSG_HDR.size + len(data), level, type_) + data + bytes(pad)

    @classmethod
    def rights(cls, *fds: int) -> bytes:
        return cls.cmsg(uapi.SOL_SOCKET, uapi.SCM_RIGHTS, struct.pack(f"<{len(fds)}i", *fds))

    @classmethod
    def creds(cls, pid: int, uid: int, gid: int) -> bytes:
        return cls.cmsg(uapi.SOL_SOCKET, uapi.SCM_CREDENTIALS, struct.pack("<iII", pid, uid, gid))

    @staticmethod
    def parse_cmsgs(control: bytes) -> list[tuple[int, int, bytes]]:
        out: list[tuple[int, int, bytes]] = []
        off = 0
        while off + CMSG_HDR.size <= len(control):
            clen, level, type_ = CMSG_HDR.unpack_from(control, off)
            out.append((level, type_, control[off + CMSG_HDR.size: off + clen]))
            off += (clen + 7) & ~7
        return out

    # --- accounting ------------------------------------------------------------------
    def baseline_files(self) -> int:
        """What host.nr_files is with nothing open: stdin/stdout/stderr per live process."""
        return 3 * len(self.host.processes)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = Rig()
    yield r
    for task in r.tasks:
        task.cancel()
    await asyncio.gather(*r.tasks, return_exceptions=True)
