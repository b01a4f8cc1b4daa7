"""The typed ``socketlab.v1.SocketCall`` service: one RPC per syscall.

The handlers are built from :data:`server.convert.CALLS`; whether an RPC is
unary or server-streaming comes from the proto descriptor.  A streaming
(blocking) call runs as a task of its own: when it has not finished after its
first step it is blocked, and the stream gets a PROGRESS_KIND_BLOCKED event;
when the client cancels the RPC, the task is interrupted (EINTR, no side
effect).  Every failure of the daemon itself is logged and becomes INTERNAL.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import Message

from client._gen.socketlab.v1 import socketcall_pb2 as sc
from kernel.syscalls import BadRequest, SysReply
from server.convert import BY_RPC, Call
from server.registry import EINTR_REPLY, ProcessEntry, ProcessTable, interrupt

log = logging.getLogger("socketlabd")

SERVICE = "socketlab.v1.SocketCall"
_SERVICE_DESC = sc.DESCRIPTOR.services_by_name["SocketCall"]


async def _lookup(table: ProcessTable, handle: str, context: grpc.aio.ServicerContext[Any, Any]) -> ProcessEntry:
    entry = table.get(handle, table.auth.principal(context))
    if entry is None:
        await context.abort(grpc.StatusCode.NOT_FOUND, "no such process handle (its session has ended?)")
    assert entry is not None
    entry.last_active = asyncio.get_running_loop().time()
    return entry


async def _check_shutdown(table: ProcessTable, context: grpc.aio.ServicerContext[Any, Any]) -> None:
    """A call that ended while the daemon drains ends with UNAVAILABLE (its process is gone)."""
    if table.shutting_down:
        await context.abort(grpc.StatusCode.UNAVAILABLE, "socketlabd is shutting down")


async def _fail(context: grpc.aio.ServicerContext[Any, Any], rpc: str, exc: Exception) -> None:
    """Map an exception of a handler to a status (never lets it kill the daemon)."""
    if isinstance(exc, BadRequest):
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
    log.exception("internal error in %s", rpc)
    await context.abort(grpc.StatusCode.INTERNAL, f"internal error in {rpc}: {type(exc).__name__}")


async def run_blocking(
    entry: ProcessEntry, call: Call, args: dict[str, Any], timeout: float | None,
    on_blocked: Callable[[], Awaitable[None]] | None,
) -> SysReply:
    """Run a call as a task; report once when it blocks; interrupt it if we are cancelled."""
    if entry.closed:  # the process exited while the request was on its way
        return EINTR_REPLY
    task = entry.start(call.op, args, timeout)
    try:
        if on_blocked is not None:
            await asyncio.sleep(0)  # let the call take its first step
            if not task.done():
                await on_blocked()
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            await interrupt(task)
        raise


def _unary(table: ProcessTable, call: Call) -> Callable[..., Awaitable[Message]]:
    async def handler(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Message:
        entry = await _lookup(table, request.process, context)
        try:
            args, timeout = call.to_args(request)
            reply = await run_blocking(entry, call, args, timeout, None)
            await _check_shutdown(table, context)
            return call.to_response(reply, request)
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception as exc:
            await _fail(context, call.rpc, exc)
            raise

    return handler


def _streaming(table: ProcessTable, call: Call) -> Callable[..., Awaitable[None]]:
    async def handler(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        entry = await _lookup(table, request.process, context)
        repeat = call.name == "epoll_wait" and request.repeat

        async def blocked() -> None:
            await context.write(call.progress())

        try:
            args, timeout = call.to_args(request)
            while True:
                reply = await run_blocking(entry, call, args, timeout, blocked)
                await _check_shutdown(table, context)
                await context.write(call.to_response(reply, request))
                if not repeat or reply.ret <= 0:
                    return
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception as exc:
            await _fail(context, call.rpc, exc)
            raise

    return handler


def _sigio(table: ProcessTable) -> Callable[..., Awaitable[None]]:
    async def handler(request: sc.SigioRequest, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        entry = await _lookup(table, request.process, context)
        task: asyncio.Task[Any] | None = None
        try:
            while not entry.closed:
                task = asyncio.ensure_future(entry.proc.sigio.get())
                entry.track(task)
                try:
                    info = await asyncio.shield(task)
                except asyncio.CancelledError:
                    if task.cancelled() and not context.cancelled():
                        await _check_shutdown(table, context)
                        return  # the process exited
                    raise
                await context.write(sc.SigioResponse(signo=info.signo, fd=info.fd, band=info.band))
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception as exc:
            await _fail(context, "Sigio", exc)
        finally:
            if task is not None and not task.done():
                task.cancel()

    return handler


def handlers(table: ProcessTable) -> grpc.GenericRpcHandler:
    """The SocketCall service's method handlers, bound to a process table."""
    methods: dict[str, grpc.RpcMethodHandler] = {}
    for method in _SERVICE_DESC.methods:
        req_cls = getattr(sc, method.input_type.name)
        resp_cls = getattr(sc, method.output_type.name)
        kw: dict[str, Any] = {
            "request_deserializer": req_cls.FromString,
            "response_serializer": resp_cls.SerializeToString,
        }
        if method.name == "Sigio":
            methods[method.name] = grpc.unary_stream_rpc_method_handler(_sigio(table), **kw)
            continue
        call = BY_RPC[method.name]
        if method.server_streaming:
            methods[method.name] = grpc.unary_stream_rpc_method_handler(_streaming(table, call), **kw)
        else:
            methods[method.name] = grpc.unary_unary_rpc_method_handler(_unary(table, call), **kw)
    return grpc.method_handlers_generic_handler(SERVICE, methods)


