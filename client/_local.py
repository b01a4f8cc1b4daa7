"""An in-process kernel: the transport of ``client.local()`` (no daemon, no gRPC).

:class:`LocalHost` runs one :class:`kernel.host.Host` on an asyncio event loop
in a daemon thread.  :class:`LocalTransport` is one process of that host; its
``call()`` runs :func:`kernel.syscalls.do_syscall` on the loop and waits for
the result, so it is synchronous and thread-safe like every transport.

A call is handed to the loop with one ``call_soon_threadsafe`` and runs there
at once, up to its first suspension (``server.registry.start_eagerly``): one
that does not block -- most -- needs no task; one that blocks goes on in a
task.  The caller waits on a lock that the loop releases with the result.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from kernel.syscalls import SysReply, do_syscall
from server.registry import start_eagerly  # runs a call as the daemon does: inline up to its first suspension

if TYPE_CHECKING:
    from kernel.host import Host

T = TypeVar("T")


class LocalHost:
    """One emulated host running on its own event-loop thread."""

    def __init__(self, *, share_loop_with: LocalHost | None = None, **host_kwargs: Any) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._stopped = False
        # share_loop_with: another host on the same loop thread (hosts joined by
        # veth pairs must run on one loop); the loop's owner counts the users of all.
        self._owner: LocalHost = self if share_loop_with is None else share_loop_with._owner
        if share_loop_with is None:
            self.loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._run, name="socketlab-local-kernel", daemon=True)
            self._thread.start()
        else:
            self.loop, self._thread = self._owner.loop, self._owner._thread

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
        if self._owner is not self:
            self._owner.acquire()
            return
        with self._lock:
            if self._stopped:
                raise RuntimeError("this local host has stopped")
            self._users += 1

    def release(self) -> None:
        if self._owner is not self:
            self._owner.release()
            return
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


def _wait_uninterrupted(lock: threading.Lock, limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            lock.acquire(timeout=max(0.0, deadline - time.monotonic()))
            return
        except BaseException:  # noqa: BLE001  (a second interruption: keep waiting)
            if time.monotonic() >= deadline:
                return


class _Call:
    """One syscall handed to the kernel's loop; ``done`` (held) is released with its outcome."""

    __slots__ = ("done", "error", "reply", "task")

    def __init__(self) -> None:
        self.done = threading.Lock()
        self.done.acquire()
        self.reply: SysReply | None = None
        self.error: BaseException | None = None
        self.task: asyncio.Task[SysReply] | None = None

    # --- in the loop ---

    def start(self, proc: Any, op: str, args: dict[str, Any], timeout: float | None) -> None:
        try:
            done, reply, task = start_eagerly(do_syscall(proc, op, args, timeout))
        except BaseException as exc:  # noqa: BLE001 - the caller raises it
            self.error = exc
            self.done.release()
            return
        if done:
            self.reply = reply
            self.done.release()
            return
        self.task = task
        assert task is not None
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[SysReply]) -> None:
        if task.cancelled():  # the host stopped under it
            self.error = concurrent.futures.CancelledError()
        elif (exc := task.exception()) is not None:
            self.error = exc
        else:
            self.reply = task.result()
        self.done.release()

    def interrupt(self) -> None:
        """As a signal would: the kernel ends the call with EINTR and no side effect."""
        if self.task is not None:
            self.task.cancel()


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
        call = _Call()
        hand_over = self.local_host.loop.call_soon_threadsafe
        hand_over(call.start, self.proc, op, args, timeout)
        try:
            call.done.acquire()
        except BaseException:
            # Interrupted here (KeyboardInterrupt, a signal handler's exception):
            # cancel the syscall, which the kernel ends with EINTR and no side
            # effect, and let it settle before the exception goes on.
            with contextlib.suppress(RuntimeError):  # (a closed loop: nothing runs any more)
                hand_over(call.interrupt)
                _wait_uninterrupted(call.done)
            raise
        if call.error is not None:
            raise call.error
        assert call.reply is not None
        return call.reply

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.local_host.call_soon(self.proc.exit)
        finally:
            self.local_host.release()
