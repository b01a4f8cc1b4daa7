"""The baselines: a bare grpc.aio echo server on uvloop, and clients shaped like ours.

Server (``python -m bench.echo --listen 127.0.0.1:0``, started by the bench
in a subprocess like the daemon): one generic service ``bench.Echo`` with

* ``Unary``: returns its request;
* ``PingPong``: a bidi stream that writes back every message it reads, with
  ``context.read()`` / ``context.write()`` as the daemon's Session does.
  :class:`BidiBulk` streams 64 KiB messages through it (figure 2's baseline:
  every byte crosses gRPC twice, up and back, as a byte that one client
  socket sends and another receives through socketlabd does).

``--loop asyncio`` serves on the stdlib loop instead of uvloop (figure 6).

Messages are raw bytes (identity serializers: no protobuf), 64 bytes in
the latency figures.  The server takes the daemon's own options
(``server.app.SERVER_OPTIONS``: ``grpc.so_reuseport`` = 0 and explicit max
message sizes) and runs on uvloop like the daemon, so what differs from
socketlabd is the emulation alone: protobuf messages, the session's
dispatch of each call, and the kernel.

Clients, and the choice of their threading model.  Our ``GrpcTransport``
(client/_grpc.py, since commit a89f2c6) runs the gRPC side in one
background uvloop thread with a ``grpc.aio`` channel made with
``client._grpc.CHANNEL_OPTIONS``:

1. the caller registers a slot (a held ``threading.Lock``) and hands the
   message to the loop with ``call_soon_threadsafe(queue.put_nowait, msg)``;
2. a writer task takes it from the ``asyncio.Queue`` and ``write()``s it on
   the stream;
3. a reader task ``read()``s each reply and releases the waiting slot;
4. the caller, blocked acquiring that lock, wakes up with the reply.

:class:`BidiPingPong` reproduces exactly that (queue, writer and reader
tasks, lock hand-off; one message in flight), on GrpcTransport's very loop
thread (see :class:`ClientLoop` for why it must be the same one), so the
ratio of a socketlab syscall to one of its round trips isolates the cost of
the emulation, not that of the two thread switches any sync caller of an
asyncio client pays.  :class:`UnaryEcho` uses the same model for a unary
call (hand-off to the loop, a task awaits the call and releases the slot):
GrpcTransport has no unary path, and this keeps the two baselines alike.
If client/_grpc.py changes its threading model, change these to match.

For reference only, :class:`SyncPingPong` and :class:`SyncUnaryEcho` are
what a plain sync grpc client does (grpc's own threads; the caller reads
the stream itself, or makes a blocking unary call).
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import queue
import signal
import sys
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar, cast

import grpc

SERVICE = "bench.Echo"
UNARY = f"/{SERVICE}/Unary"
PING_PONG = f"/{SERVICE}/PingPong"
CONNECT_SECONDS = 10.0
T = TypeVar("T")

log = logging.getLogger("bench.echo")


# --- server ------------------------------------------------------------------


async def _unary(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    return request


async def _ping_pong(request_iterator: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
    eof = grpc.aio.EOF  # type: ignore[attr-defined]
    while True:
        msg = await context.read()
        if msg is eof:
            return
        await context.write(msg)


def handler() -> grpc.GenericRpcHandler:
    """The ``bench.Echo`` service with raw-bytes messages."""
    return grpc.method_handlers_generic_handler(SERVICE, {
        "Unary": grpc.unary_unary_rpc_method_handler(_unary),
        "PingPong": grpc.stream_stream_rpc_method_handler(_ping_pong),
    })


async def serve(listen: str) -> int:
    """Serve until SIGTERM/SIGINT; log ``bench-echo ready listen=HOST:PORT`` once serving."""
    from server.app import SERVER_OPTIONS

    server = grpc.aio.server(options=SERVER_OPTIONS)
    server.add_generic_rpc_handlers((handler(),))
    port = server.add_insecure_port(listen)
    if port == 0:
        raise OSError(f"cannot listen on {listen}")
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signo in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signo, stop.set)
    log.info("bench-echo ready listen=%s:%d", listen.rsplit(":", 1)[0], port)
    await stop.wait()
    await server.stop(0.5)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.echo --listen HOST:PORT``."""
    parser = argparse.ArgumentParser(prog="bench.echo", description="bare grpc.aio echo server (bench baseline)")
    parser.add_argument("--listen", default="127.0.0.1:0", metavar="HOST:PORT")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    ns = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if ns.loop == "asyncio":
        return asyncio.run(serve(ns.listen))
    import uvloop

    return uvloop.run(serve(ns.listen))


# --- clients -----------------------------------------------------------------


def _channel_options() -> list[tuple[str, int]]:
    from client._grpc import CHANNEL_OPTIONS

    return list(CHANNEL_OPTIONS)


class _Slot:
    """Where one reply lands (as in client/_grpc.py): ``lock`` is released when it does."""

    __slots__ = ("failure", "lock", "reply")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.reply: bytes | None = None
        self.failure: BaseException | None = None

    def wait(self) -> bytes:
        self.lock.acquire()
        if self.failure is not None:
            raise ConnectionError(f"echo server: {self.failure!r}")
        if self.reply is None:
            raise ConnectionError("echo server: the stream ended")
        return self.reply


class ClientLoop:
    """The event-loop thread running the gRPC side of the baseline clients, with one aio channel.

    Pass ``loop`` (the loop of GrpcTransport's own thread) to share it, which
    is what the bench does: grpc.aio delivers every completion of a process
    through the loop that first initialised it and forwards those of any other
    loop to it with ``call_soon_threadsafe`` (one more thread switch), so a
    baseline on a loop of its own would pay a hop that GrpcTransport does not.
    Without ``loop``, a uvloop of its own is started (and stopped by close).
    """

    def __init__(self, target: str, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._thread: threading.Thread | None = None
        if loop is None:
            import uvloop

            loop = uvloop.new_event_loop()
            self._thread = threading.Thread(target=loop.run_forever, name="bench-echo-grpc", daemon=True)
            self._thread.start()
        self.loop: asyncio.AbstractEventLoop = loop
        self.channel: grpc.aio.Channel = self.run(self._open(target))

    @property
    def shared(self) -> bool:
        """Whether the loop is someone else's."""
        return self._thread is None

    async def _open(self, target: str) -> grpc.aio.Channel:
        channel = grpc.aio.insecure_channel(target, options=_channel_options())
        async with asyncio.timeout(CONNECT_SECONDS):
            await channel.channel_ready()
        return channel

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` in the loop; wait (bounded) for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=CONNECT_SECONDS)

    def close(self) -> None:
        """Close the channel; stop the loop and its thread if they are ours."""
        try:
            self.run(self.channel.close(None))
        finally:
            if self._thread is not None:
                self.loop.call_soon_threadsafe(self.loop.stop)
                self._thread.join(timeout=5.0)
                if not self._thread.is_alive():
                    self.loop.close()


class BidiPingPong:
    """Round trips on one bidi stream, with GrpcTransport's model: hand-off to a loop, reader releases a lock."""

    def __init__(self, client_loop: ClientLoop) -> None:
        self._cl = client_loop
        self._pending: collections.deque[_Slot] = collections.deque()
        self._lock = threading.Lock()
        self._ended = threading.Event()
        self._queue: asyncio.Queue[bytes | None] = client_loop.run(self._open())

    async def _open(self) -> asyncio.Queue[bytes | None]:
        method: Any = self._cl.channel.stream_stream(PING_PONG, request_serializer=None, response_deserializer=None)
        self._call: Any = method()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._write_loop(queue)), loop.create_task(self._read_loop())]
        return queue

    async def _write_loop(self, queue: asyncio.Queue[bytes | None]) -> None:
        try:
            while (msg := await queue.get()) is not None:
                await self._call.write(msg)
            await self._call.done_writing()
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError, grpc.aio.UsageError):
            pass  # the reader reports it

    async def _read_loop(self) -> None:
        eof = grpc.aio.EOF  # type: ignore[attr-defined]
        failure: BaseException | None = None
        try:
            while (msg := await self._call.read()) is not eof:
                with self._lock:
                    slot = self._pending.popleft()
                slot.reply = msg
                slot.lock.release()
        except BaseException as exc:  # noqa: BLE001 - handed to every waiting caller
            failure = exc
        finally:
            with self._lock:
                pending, self._pending = self._pending, collections.deque()
            for slot in pending:
                slot.failure = failure
                slot.lock.release()
            self._ended.set()

    def call(self, payload: bytes) -> bytes:
        """One round trip: send ``payload``, wait for its echo."""
        slot = _Slot()
        with self._lock:
            if self._ended.is_set():
                raise ConnectionError("echo server: the stream ended")
            self._pending.append(slot)
        self._cl.loop.call_soon_threadsafe(self._queue.put_nowait, payload)
        return slot.wait()

    def close(self) -> None:
        """Half-close the stream and wait (bounded) for its end."""
        self._cl.loop.call_soon_threadsafe(self._queue.put_nowait, None)
        if not self._ended.wait(timeout=5.0):
            self._cl.loop.call_soon_threadsafe(self._call.cancel)


class UnaryEcho:
    """Unary calls with GrpcTransport's model: hand-off to the loop, a task awaits the call, a lock wakes the caller."""

    def __init__(self, client_loop: ClientLoop) -> None:
        self._cl = client_loop
        self._method = client_loop.channel.unary_unary(UNARY, request_serializer=None, response_deserializer=None)
        self._tasks: set[asyncio.Task[None]] = set()

    def _start(self, payload: bytes, slot: _Slot) -> None:
        task = self._cl.loop.create_task(self._one(payload, slot))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _one(self, payload: bytes, slot: _Slot) -> None:
        try:
            slot.reply = await self._method(payload, timeout=CONNECT_SECONDS)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            slot.failure = exc
        finally:
            slot.lock.release()

    def call(self, payload: bytes) -> bytes:
        """One unary echo of ``payload``."""
        slot = _Slot()
        self._cl.loop.call_soon_threadsafe(self._start, payload, slot)
        return slot.wait()


class BidiBulk:
    """Bulk on one bidi stream: ``count`` messages of ``size`` bytes written while their echoes are read.

    One call moves ``count * size`` bytes up and back, the writer running
    ahead of the reader as far as HTTP/2 flow control lets it: the streaming
    throughput of bare grpc.aio with that message size.
    """

    def __init__(self, client_loop: ClientLoop, size: int, count: int) -> None:
        self._cl = client_loop
        self.size, self.count = size, count
        self._msg = bytes(size)
        self._call: Any = client_loop.run(self._open())

    async def _open(self) -> Any:
        method: Any = self._cl.channel.stream_stream(PING_PONG, request_serializer=None, response_deserializer=None)
        return method()

    async def _bulk(self) -> int:
        async def write() -> None:
            for _ in range(self.count):
                await self._call.write(self._msg)

        writer = asyncio.get_running_loop().create_task(write())
        got = 0
        try:
            for _ in range(self.count):
                msg = await self._call.read()
                if msg is grpc.aio.EOF:  # type: ignore[attr-defined]
                    raise ConnectionError("echo server: the bulk stream ended")
                got += len(msg)
        finally:
            await writer
        return got

    def call(self) -> int:
        """Move one batch; the bytes echoed back."""
        return asyncio.run_coroutine_threadsafe(self._bulk(), self._cl.loop).result(timeout=60.0)

    def close(self) -> None:
        """Half-close the stream and read it to its end (bounded)."""
        async def end() -> None:
            await self._call.done_writing()
            while await self._call.read() is not grpc.aio.EOF:  # type: ignore[attr-defined]
                pass

        try:
            self._cl.run(end())
        except (grpc.aio.AioRpcError, TimeoutError):
            self._cl.loop.call_soon_threadsafe(self._call.cancel)


def open_sync_channel(target: str) -> grpc.Channel:
    """A sync channel to ``target`` with our client's options, once it is ready."""
    channel = grpc.insecure_channel(target, options=_channel_options())
    grpc.channel_ready_future(channel).result(timeout=CONNECT_SECONDS)
    return channel


class SyncPingPong:
    """Round trips on a sync grpc bidi stream, the response read on the caller's thread (reference)."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._requests: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        method: Any = channel.stream_stream(PING_PONG, request_serializer=None, response_deserializer=None)
        self._responses = cast(Iterator[bytes], method(iter(self._requests.get, None)))

    def call(self, payload: bytes) -> bytes:
        """One round trip: send ``payload``, read its echo."""
        self._requests.put(payload)
        return next(self._responses)

    def close(self) -> None:
        """Half-close the stream and read it to its end."""
        self._requests.put(None)
        for _ in self._responses:
            pass


class SyncUnaryEcho:
    """Plain blocking sync grpc unary calls from the caller's thread (reference)."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._call = channel.unary_unary(UNARY, request_serializer=None, response_deserializer=None)

    def call(self, payload: bytes) -> bytes:
        """One unary echo of ``payload``."""
        reply: bytes = self._call(payload, timeout=CONNECT_SECONDS)
        return reply


if __name__ == "__main__":
    sys.exit(main())
