"""The baselines: a bare grpc.aio echo server on uvloop, and sync clients shaped like ours.

Server (``python -m bench.echo --listen 127.0.0.1:0``, started by the bench
in a subprocess like the daemon): one generic service ``bench.Echo`` with

* ``Unary``: returns its request;
* ``PingPong``: a bidi stream that writes back every message it reads, with
  ``context.read()`` / ``context.write()`` as the daemon's Session does.

Messages are raw bytes (identity serializers: no protobuf), 64 bytes in
the latency figures.  The server takes the daemon's own options
(``server.app.SERVER_OPTIONS``: ``grpc.so_reuseport`` = 0 and explicit max
message sizes) and runs on uvloop like the daemon, so what differs from
socketlabd is the emulation alone: protobuf messages, the session's
dispatch of each call to a task, and the kernel.

Clients, and the choice of their threading model: our ``GrpcTransport``
(client/_grpc.py) is a *sync* grpc client on a channel with
``client._grpc.CHANNEL_OPTIONS`` in which

1. the caller puts the request on a ``queue.SimpleQueue`` that a generator
   feeds to the stream (grpc's own request-consuming thread drains it),
2. one reader thread iterates the responses and hands each to the waiting
   caller's slot (a ``threading.Lock`` released by the reader),
3. the caller blocks acquiring that lock.

:class:`BidiPingPong` reproduces exactly that (same queue, generator,
reader thread and lock hand-off, one outstanding message), so the ratio of
a socketlab syscall to one of its round trips isolates the cost of the
emulation, not that of two thread hops that any pipelined sync client
needs.  :class:`DirectPingPong` (reference only) reads the response on the
caller's thread, to show what those hops cost.  :class:`UnaryEcho` is a
plain sync unary call from the caller's thread: GrpcTransport has no unary
path, and that is how a simple client of the typed RPCs calls them.
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
from collections.abc import Iterator
from typing import Any, cast

import grpc

SERVICE = "bench.Echo"
UNARY = f"/{SERVICE}/Unary"
PING_PONG = f"/{SERVICE}/PingPong"
CONNECT_SECONDS = 10.0

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
    ns = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    import uvloop

    return uvloop.run(serve(ns.listen))


# --- clients -----------------------------------------------------------------


def open_channel(target: str) -> grpc.Channel:
    """A sync channel to ``target`` with our client's options, once it is ready."""
    from client._grpc import CHANNEL_OPTIONS

    channel = grpc.insecure_channel(target, options=CHANNEL_OPTIONS)
    grpc.channel_ready_future(channel).result(timeout=CONNECT_SECONDS)
    return channel


def _stream(channel: grpc.Channel) -> Any:
    """The PingPong method of ``channel`` (raw bytes both ways)."""
    return channel.stream_stream(PING_PONG, request_serializer=None, response_deserializer=None)


class _Slot:
    """Where one reply lands (as in client/_grpc.py): ``lock`` is released when it does."""

    __slots__ = ("lock", "reply")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.reply: bytes | None = None


class BidiPingPong:
    """Round trips on one bidi stream, with GrpcTransport's threads: queue -> grpc; reader thread -> lock."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._requests: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._pending: collections.deque[_Slot] = collections.deque()
        self._lock = threading.Lock()
        self._responses = cast(Iterator[bytes], _stream(channel)(self._request_iter()))
        self._reader = threading.Thread(target=self._read_loop, name="bench-pingpong-reader", daemon=True)
        self._reader.start()

    def _request_iter(self) -> Iterator[bytes]:
        while True:
            msg = self._requests.get()
            if msg is None:
                return
            yield msg

    def _read_loop(self) -> None:
        try:
            for msg in self._responses:
                with self._lock:
                    slot = self._pending.popleft()
                slot.reply = msg
                slot.lock.release()
        except grpc.RpcError:
            pass
        with self._lock:
            pending, self._pending = self._pending, collections.deque()
        for slot in pending:
            slot.lock.release()

    def call(self, payload: bytes) -> bytes:
        """One round trip: send ``payload``, wait for its echo."""
        slot = _Slot()
        with self._lock:
            self._pending.append(slot)
        self._requests.put(payload)
        slot.lock.acquire()
        if slot.reply is None:
            raise ConnectionError("the ping-pong stream ended")
        return slot.reply

    def close(self) -> None:
        """Half-close the stream and wait (bounded) for the reader."""
        self._requests.put(None)
        self._reader.join(timeout=5.0)


class DirectPingPong:
    """Round trips on one bidi stream, the response read on the caller's thread (no hand-off)."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._requests: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._responses = cast(Iterator[bytes], _stream(channel)(iter(self._requests.get, None)))

    def call(self, payload: bytes) -> bytes:
        """One round trip: send ``payload``, read its echo."""
        self._requests.put(payload)
        return next(self._responses)

    def close(self) -> None:
        """Half-close the stream and read it to its end."""
        self._requests.put(None)
        for _ in self._responses:
            pass


class UnaryEcho:
    """Plain sync unary calls from the caller's thread."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._call = channel.unary_unary(UNARY, request_serializer=None, response_deserializer=None)

    def call(self, payload: bytes) -> bytes:
        """One unary echo of ``payload``."""
        reply: bytes = self._call(payload, timeout=CONNECT_SECONDS)
        return reply


if __name__ == "__main__":
    sys.exit(main())
