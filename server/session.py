"""``socketlab.v1.Process/Session``: a process's lifetime and its pipelined syscall channel.

The first client message opens a process; the first reply gives its handle.
Each later message is one call tagged with a client-chosen id.  Calls start
in arrival order and each gets exactly one reply with its id, written as soon
as it completes.  ``cancel`` interrupts a pending call: it answers -EINTR
with no side effect.  When the stream ends or breaks, pending calls are
interrupted and the process exits, closing all its fds.

How it runs (the hot path of every client syscall):

* A call runs inline in the read loop up to its first suspension, as an
  eager task would.  One that completes without blocking -- most do -- is
  answered right there: the read loop writes its reply and only then posts
  the next read (a bare ping-pong's order, the cheapest per call: no task,
  no extra loop iteration).  One that blocks goes on in a task of its own
  (from where it stopped), so a blocked recv does not stall the channel;
  that task writes the reply.
* The read loop never queues behind another write: when one is in flight,
  an inline reply is written by a task instead.  And if its own inline write
  stays in flight for WRITE_STALL_SECONDS (a client that does not read its
  replies: HTTP/2 flow control), reading goes on in a new read loop, so the
  session keeps taking requests (and cancels) as it would with a task per call.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import grpc

from client._gen.socketlab.v1 import process_pb2 as pb
from client._gen.socketlab.v1 import types_pb2 as t
from kernel.syscalls import BadRequest
from server.convert import CALLS, Call, check_timeout
from server.registry import EINTR_REPLY, ProcessEntry, ProcessTable, guarded_syscall, start_eagerly

log = logging.getLogger("socketlabd")

EOF: Any = grpc.aio.EOF  # type: ignore[attr-defined]  # (missing from grpc-stubs)

MAX_PENDING = 10_000  # calls in flight on one session (each blocked one is a task of the daemon)
WRITE_STALL_SECONDS = 0.05  # an inline reply write in flight this long: read on in another task

_cleanups: set[asyncio.Task[Any]] = set()  # strong references to teardown tasks


class _Pending:
    """A call of the channel between its arrival and its reply."""

    __slots__ = ("in_syscall", "inline", "interrupt", "started", "task")

    def __init__(self) -> None:
        self.task: asyncio.Task[Any] | None = None
        self.started = False  # the call has taken its first step
        self.in_syscall = False  # the call is inside the kernel (a cancel interrupts it)
        self.interrupt = False  # interrupted before it reached the kernel
        self.inline = True  # still running in the read loop (its reply is the loop's to write)

    def cancel(self) -> None:
        """Interrupt the call: in the kernel -> cancel it; not yet there -> never enter."""
        if self.in_syscall and self.task is not None:
            self.task.cancel()
        elif not self.started:
            self.interrupt = True


class Session:
    """One Session stream: one process and its in-flight calls."""

    def __init__(self, table: ProcessTable, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        self.table = table
        self.context = context
        self.entry: ProcessEntry | None = None
        self.pending: dict[int, _Pending] = {}
        self._wlock = asyncio.Lock()
        self._broken = False
        self._writes = 0  # writes queued or in flight (the read loop writes inline only when 0)
        # the read loop(s) and the write-stall watchdog (see the module docstring)
        self._readers: set[asyncio.Task[None]] = set()
        self._generation = 0  # the current read loop's number
        self._ended: asyncio.Future[None] | None = None  # set by the read loop that meets EOF (or fails)
        self._inline_writes = 0  # inline replies started by the read loops
        self._inline_writing = False  # the current read loop awaits its inline write
        self._watchdog: asyncio.TimerHandle | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self.terminated: tuple[grpc.StatusCode, str] | None = None  # ended by the daemon (idle, shutdown)

    def terminate(self, code: grpc.StatusCode, details: str) -> None:
        """End the session from the daemon's side: the process exits (pending calls get
        no reply) and the stream ends with ``code`` (the handler aborts with it)."""
        if self.terminated is not None:
            return
        self.terminated = (code, details)
        self._broken = True  # replies still to come are dropped
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(None)

    def _check_idle(self) -> None:
        """The idle timer: end the session after --idle-timeout without a message or a pending call."""
        self._idle_timer = None
        entry = self.entry
        if entry is None or self.terminated is not None or self._ended is None or self._ended.done():
            return
        idle = self.table.limits.idle_timeout
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self.pending or entry.busy():
            entry.last_active = now
        remaining = entry.last_active + idle - now
        if remaining <= 0:
            log.info("session of pid=%d idle for %gs: ending it", entry.pid, idle)
            self.terminate(grpc.StatusCode.DEADLINE_EXCEEDED, f"session idle for {idle:g} s (--idle-timeout)")
            return
        self._idle_timer = loop.call_later(remaining, self._check_idle)

    async def serve(self) -> None:
        """Run the stream until the client ends or breaks it."""
        first = await self.context.read()
        if first is EOF:
            return
        if first.WhichOneof("kind") != "open":
            await self.context.abort(grpc.StatusCode.FAILED_PRECONDITION, "the first message must be `open`")
        opts = first.open
        caps = None
        if opts.HasField("capabilities"):
            caps = [bit for bit in range(64) if opts.capabilities >> bit & 1]
        owner = self.table.auth.principal(self.context)
        if self.table.shutting_down:
            await self.context.abort(grpc.StatusCode.UNAVAILABLE, "socketlabd is shutting down")
        if self.table.full():
            await self.context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                     f"too many processes (--max-processes {self.table.limits.max_processes})")
        self.entry = self.table.open(uid=opts.uid, gid=opts.gid, caps=caps, owner=owner)
        loop = asyncio.get_running_loop()
        self._ended = loop.create_future()
        self.entry.last_active = loop.time()
        if self.table.limits.idle_timeout > 0:
            self._idle_timer = loop.call_later(self.table.limits.idle_timeout, self._check_idle)
        self.table.sessions.add(self)
        try:
            opened = pb.ProcessOpened(process=self.entry.handle, pid=self.entry.pid)
            await self._write(pb.SessionResponse(id=first.id, opened=opened))
            self._start_reader()
            await self._ended
        except BaseException:
            for reader in list(self._readers):
                reader.cancel()
            raise
        finally:
            # (At EOF, a read loop still in its stalled write finishes it, as a write task would.)
            self.table.sessions.discard(self)
            if self._watchdog is not None:
                self._watchdog.cancel()
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            if self.terminated is not None:
                for reader in list(self._readers):
                    reader.cancel()
            if self._ended.done() and not self._ended.cancelled():
                self._ended.exception()  # retrieved (when serve() was cancelled first)
            cleanup = asyncio.ensure_future(self._end())
            _cleanups.add(cleanup)
            cleanup.add_done_callback(_cleanups.discard)
            await asyncio.shield(cleanup)

    def _start_reader(self) -> None:
        """Start a read loop (a task for the whole session, or after a write stalled)."""
        self._generation += 1
        reader = asyncio.ensure_future(self._read_loop(self._generation))
        self._readers.add(reader)
        reader.add_done_callback(self._readers.discard)

    async def _read_loop(self, generation: int) -> None:
        """Read and start calls until EOF, or until a new read loop takes over."""
        assert self._ended is not None and self.entry is not None
        entry = self.entry
        loop = asyncio.get_running_loop()
        try:
            while True:
                req = await self.context.read()
                if req is EOF:
                    break
                entry.last_active = loop.time()
                response = self._dispatch(req)
                if response is None:
                    continue
                if self._writes:  # another write is queued or in flight: never wait behind it
                    self._spawn_write(response)
                    continue
                self._inline_writes += 1
                self._inline_writing = True
                if self._watchdog is None:
                    self._watchdog = asyncio.get_running_loop().call_later(
                        WRITE_STALL_SECONDS, self._check_stall, self._inline_writes)
                try:
                    await self._write(response)
                finally:
                    if generation == self._generation:
                        self._inline_writing = False
                if generation != self._generation:  # a new read loop took over while this write stalled
                    return
        except Exception as exc:  # noqa: BLE001 - serve() raises it
            if not self._ended.done():
                self._ended.set_exception(exc)
            return
        if not self._ended.done():
            self._ended.set_result(None)

    def _check_stall(self, seen: int) -> None:
        """The watchdog: the same inline write in flight for a whole period -> read on in a new loop."""
        self._watchdog = None
        if not self._inline_writing:
            return  # idle: the next inline write re-arms it
        if self._inline_writes == seen:
            self._inline_writing = False
            self._start_reader()
            return
        self._watchdog = asyncio.get_running_loop().call_later(
            WRITE_STALL_SECONDS, self._check_stall, self._inline_writes)

    def _spawn_write(self, response: pb.SessionResponse, only_while: _Pending | None = None) -> None:
        task = asyncio.ensure_future(self._write(response, only_while))
        _cleanups.add(task)
        task.add_done_callback(_cleanups.discard)

    def _dispatch(self, req: pb.SessionRequest) -> pb.SessionResponse | None:
        """Start one call; its reply when it completed without blocking (None: a task answers)."""
        kind = req.WhichOneof("kind")
        rid = req.id
        if kind == "cancel":
            pending = self.pending.get(rid)
            if pending is not None:
                pending.cancel()
            return None
        call = CALLS.get(kind or "")
        if call is None:
            return _error(rid, grpc.StatusCode.INVALID_ARGUMENT, f"not a call: {kind!r}")
        if rid in self.pending:
            return _error(rid, grpc.StatusCode.INVALID_ARGUMENT, f"call id {rid} is already pending")
        if len(self.pending) >= MAX_PENDING:
            return _error(rid, grpc.StatusCode.RESOURCE_EXHAUSTED, f"more than {MAX_PENDING} calls pending")
        pending = _Pending()
        self.pending[rid] = pending
        timeout = req.timeout if req.HasField("timeout") else None
        # The call runs here and now up to its first suspension; if it blocks,
        # a task of its own goes on from there and writes the reply.
        done, response, task = start_eagerly(self._serve_call(rid, pending, call, req, timeout))
        if done:
            return response
        pending.inline = False  # (the task's next step comes in a later loop iteration)
        pending.task = task
        return None

    async def _serve_call(
        self, rid: int, pending: _Pending, call: Call, req: pb.SessionRequest, timeout: float | None
    ) -> pb.SessionResponse | None:
        """Run one call; its reply if it is still inline, else write it (and return None)."""
        pending.started = True
        body: Any = getattr(req, call.name)
        response = pb.SessionResponse(id=rid)
        try:
            args, own_timeout = call.to_args(body)
            if timeout is None:
                timeout = own_timeout
            else:
                check_timeout(timeout)
            if pending.interrupt:
                reply = EINTR_REPLY
            else:
                assert self.entry is not None
                if req.report_progress and call.blocking:
                    asyncio.get_running_loop().call_soon(self._check_blocked, rid, pending, call)
                pending.in_syscall = True
                try:
                    reply = await guarded_syscall(self.entry.proc, call.op, args, timeout)
                finally:
                    pending.in_syscall = False
            call.fill(reply, body, getattr(response, call.name))
        except BadRequest as exc:
            response.error.CopyFrom(pb.CallError(code=grpc.StatusCode.INVALID_ARGUMENT.value[0], message=str(exc)))
        except Exception as exc:
            log.exception("internal error in session call %s", call.op)
            response.error.CopyFrom(pb.CallError(code=grpc.StatusCode.INTERNAL.value[0], message=repr(exc)))
        finally:
            self.pending.pop(rid, None)
        if pending.inline:
            return response
        await self._write(response)
        return None

    def _check_blocked(self, rid: int, pending: _Pending, call: Call) -> None:
        """Runs one loop step after a call entered the kernel: still there = blocked."""
        if pending.in_syscall and self.pending.get(rid) is pending:
            progress = t.Progress(kind=t.PROGRESS_KIND_BLOCKED, op=call.op)
            self._spawn_write(pb.SessionResponse(id=rid, progress=progress), pending)

    async def _write(self, response: pb.SessionResponse, only_while: _Pending | None = None) -> None:
        """Write one message (serialized); a broken stream drops it."""
        self._writes += 1
        try:
            await self._wlock.acquire()
            try:
                if self._broken or (only_while is not None and not only_while.in_syscall):
                    return
                await self.context.write(response)
            except Exception:  # noqa: BLE001 - the client went away; teardown follows
                self._broken = True
            finally:
                self._wlock.release()
        finally:
            self._writes -= 1

    async def _end(self) -> None:
        """Interrupt every pending call, let them answer, then exit the process."""
        tasks = [p.task for p in self.pending.values() if p.task is not None]
        for pending in list(self.pending.values()):
            pending.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)
        if self.entry is not None:
            await self.table.close(self.entry)


def _error(rid: int, code: grpc.StatusCode, message: str) -> pb.SessionResponse:
    return pb.SessionResponse(id=rid, error=pb.CallError(code=code.value[0], message=message))


async def drain() -> None:
    """Wait (bounded) for the teardowns of ended sessions (daemon shutdown)."""
    if _cleanups:
        await asyncio.wait(list(_cleanups), timeout=5.0)


def handler(table: ProcessTable) -> grpc.GenericRpcHandler:
    """The Process service's method handlers, bound to a process table."""

    async def session(request_iterator: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        sess = Session(table, context)
        try:
            await sess.serve()
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception:
            log.exception("internal error in Session")
            await context.abort(grpc.StatusCode.INTERNAL, "internal error in Session")
        if sess.terminated is not None:
            await context.abort(*sess.terminated)

    method = grpc.stream_stream_rpc_method_handler(
        session,
        request_deserializer=pb.SessionRequest.FromString,
        response_serializer=pb.SessionResponse.SerializeToString,
    )
    return grpc.method_handlers_generic_handler("socketlab.v1.Process", {"Session": method})
