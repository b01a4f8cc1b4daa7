"""An in-process kernel: the transport of ``client.local()`` (no daemon, no gRPC).

:class:`LocalHost` runs one :class:`kernel.host.Host` on an asyncio event loop
in a daemon thread.  :class:`LocalTransport` is one process of that host; its
``call()`` runs :func:`kernel.syscalls.do_syscall` on the loop and waits for
the result, so it is synchronous and thread-safe like every transport.
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from kernel.host import Host
    from kernel.syscalls import SysReply

T = TypeVar("T")


class LocalHost:
    """One emulated host running on its own event-loop thread."""

    def __init__(self, **host_kwargs: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="socketlab-local-kernel", daemon=True)
        self._lock = threading.Lock()
        self._users = 0
        self._stopped = False
        self._thread.start()

        def make() -> Host:
            from kernel.host import Host

            return Host(**host_kwargs)

        self.host: Host = self.call_soon(make)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro: Awaitable[T]) -> T:
        """Run a coroutine on the kernel's loop and wait for its result."""

        async def wrap() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrap(), self.loop).result()

    def call_soon(self, fn: Callable[[], T]) -> T:
        """Run a plain function on the kernel's loop thread and wait for its result."""

        async def wrap() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(wrap(), self.loop).result()

    def acquire(self) -> None:
        with self._lock:
            if self._stopped:
                raise RuntimeError("this local host has stopped")
            self._users += 1

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            last = self._users <= 0 and not self._stopped
            if last:
                self._stopped = True
        if last:
            self.stop()

    def stop(self) -> None:
        """Cancel what still runs on the loop and end the thread."""

        async def shutdown() -> None:
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.loop.stop()

        if self.loop.is_closed() or not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(shutdown(), self.loop)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                self.loop.close()


def _wait_uninterrupted(event: threading.Event, limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            event.wait(max(0.0, deadline - time.monotonic()))
            return
        except BaseException:  # noqa: BLE001  (a second interruption: keep waiting)
            if time.monotonic() >= deadline:
                return


class LocalTransport:
    """One process of an in-process host (``host.spawn(uid=0, gid=0)``)."""

    def __init__(self, host: LocalHost | None = None, uid: int = 0, gid: int = 0) -> None:
        self.local_host = host if host is not None else LocalHost()
        self.local_host.acquire()
        self._closed = False
        try:
            self.proc = self.local_host.call_soon(lambda: self.local_host.host.spawn(uid=uid, gid=gid))
        except BaseException:
            self.local_host.release()
            raise

    def __repr__(self) -> str:
        return f"<LocalTransport pid={getattr(self.proc, 'pid', '?')}>"

    def spawn(self, uid: int = 0, gid: int = 0) -> LocalTransport:
        """Another process on the same host (to pass fds, share names)."""
        return LocalTransport(self.local_host, uid=uid, gid=gid)

    def call(self, op: str, args: dict[str, Any], timeout: float | None = None) -> SysReply:
        if self._closed:
            raise RuntimeError("the process has exited")
        from kernel.syscalls import do_syscall

        settled = threading.Event()

        async def syscall() -> SysReply:
            try:
                return await do_syscall(self.proc, op, args, timeout)
            finally:
                settled.set()

        fut = asyncio.run_coroutine_threadsafe(syscall(), self.local_host.loop)
        try:
            return fut.result()
        except BaseException:
            # Interrupted here (KeyboardInterrupt, a signal handler's exception):
            # cancel the syscall, which the kernel ends with EINTR and no side
            # effect, and let it settle before the exception goes on.
            if not fut.done():
                fut.cancel()
                _wait_uninterrupted(settled)
            raise

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.local_host.call_soon(self.proc.exit)
        finally:
            self.local_host.release()
