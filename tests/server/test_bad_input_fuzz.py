"""Random protobuf requests to every RPC of a live daemon (issue #7, bad input).

The strategies are built from the message descriptors: every field of every
request type, with extreme values (0, -1, INT32_MIN/MAX, UINT32_MAX, 2^63-1,
NaN, inf...), unknown enum values, random bytes, nested messages and oneofs.
Each reply must be OK with a valid result (ret >= 0 and no error, or ret =
-errno with the errno's name), or end with a documented status; never
UNKNOWN or INTERNAL, and the daemon stays up: health SERVING and a normal
call works afterwards.  SOCKETLAB_FUZZ_EXAMPLES raises the number of
requests (default: a CI-sized run).
"""
from __future__ import annotations

import math
import os
import queue
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import client
from client._gen.socketlab.v1 import host_pb2, process_pb2, socketcall_pb2
from client._gen.socketlab.v1 import process_pb2_grpc as pb_grpc
from kernel import uapi

EXAMPLES = int(os.environ.get("SOCKETLAB_FUZZ_EXAMPLES", "300"))
DEADLINE = 0.2  # a random call may block (poll forever, recv on an empty socket): the deadline ends it
DOCUMENTED = {
    grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED,
}
ERRNO_NAMES = {uapi.errno_name(n) for n in range(1, 134)}
TRIED: dict[str, int] = {}

INT32 = [0, 1, -1, 2, 3, 4, 5, 7, 8, 255, 65535, 65536, 2**31 - 1, -(2**31), 2**30, -2]
UINT32 = [0, 1, 2, 3, 16, 127, 128, 65535, 2**31 - 1, 2**31, 2**32 - 1]
INT64 = [*INT32, 2**63 - 1, -(2**63), 2**32, 2**31]
UINT64 = [*UINT32, 2**64 - 1, 2**63, 2**32]
DOUBLE = [0.0, -0.0, 0.001, 0.05, -1.0, 1e308, -1e308, math.inf, -math.inf, math.nan, 5e-324]

_INT_KINDS = {
    FieldDescriptor.TYPE_INT32: (INT32, -(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (INT32, -(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (INT32, -(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_ENUM: (INT32, -(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: (UINT32, 0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (UINT32, 0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: (INT64, -(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (INT64, -(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (INT64, -(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: (UINT64, 0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (UINT64, 0, 2**64 - 1),
}


def _scalar(field: FieldDescriptor, handle: str) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind in _INT_KINDS:
        picks, lo, hi = _INT_KINDS[kind]
        if kind == FieldDescriptor.TYPE_ENUM:
            known = [v.number for v in field.enum_type.values]
            return st.one_of(st.sampled_from(known), st.sampled_from(picks), st.integers(lo, hi))
        small = st.integers(-3, 12) if lo < 0 else st.integers(0, 12)
        if field.name in ("fd", "epfd"):  # mostly the fds the process really has (see Daemon)
            return st.one_of(st.integers(3, 12), st.integers(3, 12), st.sampled_from(picks), st.integers(lo, hi))
        return st.one_of(st.sampled_from(picks), small, st.integers(lo, hi))
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.one_of(st.sampled_from(DOUBLE), st.floats(allow_nan=True, width=64 if kind == 1 else 32))
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind == FieldDescriptor.TYPE_STRING:
        if field.name == "process":
            return st.one_of(st.just(handle), st.just(handle), st.just(handle), st.text(max_size=30))
        return st.one_of(st.sampled_from(["lo", "eth0", "", "net/snmp", "net.ipv4.ip_forward", "10.0.0.1",
                                          "127.0.0.1", "::1", "x" * 16, "a/b", "0.0.0.0", "10.0.0.0/24"]),
                         st.text(max_size=40))
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.one_of(st.binary(max_size=64), st.binary(min_size=100, max_size=4096),
                         st.sampled_from([b"", b"\x01\x00", b"\x02\x00", b"\x01\x00\x00abstract", b"\x00" * 16,
                                          b"\x02\x00\x00\x50\x7f\x00\x00\x01", b"\xff\xff" + b"\x00" * 30]))
    raise AssertionError(f"unhandled field type {kind} of {field.full_name}")


@st.composite
def message(draw: st.DrawFn, desc: Descriptor, handle: str, depth: int = 0) -> dict[str, Any]:
    """A dict of field values for ``desc`` (as kwargs of the message class)."""
    out: dict[str, Any] = {}
    oneofs = {o.name: o for o in desc.oneofs if not o.name.startswith("_")}  # (proto3 optional = synthetic oneof)
    chosen: dict[str, str | None] = {}
    for name, oneof in oneofs.items():
        chosen[name] = draw(st.one_of(st.none(), st.sampled_from([f.name for f in oneof.fields])))
    for field in desc.fields:
        real = field.containing_oneof
        if real is not None and real.name in chosen:
            if chosen[real.name] != field.name:
                continue
        elif field.name != "process" and not draw(st.booleans()):
            continue
        if field.message_type is not None:
            if depth >= 3:
                continue
            sub = message(field.message_type, handle, depth + 1)
            if field.is_repeated:
                out[field.name] = draw(st.lists(sub, max_size=3))
            else:
                out[field.name] = draw(sub)
        elif field.is_repeated:
            out[field.name] = draw(st.lists(_scalar(field, handle), max_size=4))
        else:
            out[field.name] = draw(_scalar(field, handle))
    return out


def build(cls: Any, values: dict[str, Any]) -> Any:
    """The message of class ``cls`` with the drawn field values."""
    msg = cls()
    for name, value in values.items():
        field = cls.DESCRIPTOR.fields_by_name[name]
        if field.message_type is not None:
            if field.is_repeated:
                container = getattr(msg, name)
                for item in value:
                    new = container.add()
                    new.CopyFrom(build(type(new), item))
            else:
                target = getattr(msg, name)
                target.CopyFrom(build(type(target), value))
        elif field.is_repeated:
            getattr(msg, name).extend(value)
        else:
            setattr(msg, name, value)
    return msg


def check_result(msg: Any, where: str) -> None:
    """Every Result inside a reply is a valid one (ret >= 0, or -errno with its name)."""
    for field, value in msg.ListFields():
        if field.message_type is None:
            continue
        items = value if field.is_repeated else [value]
        for item in items:
            if field.message_type.full_name == "socketlab.v1.Result":
                if item.ret < 0:
                    assert item.error_number == -item.ret, (where, item)
                    assert item.error_name in ERRNO_NAMES, (where, item)
                else:
                    assert item.error_number == 0 and item.error_name == "", (where, item)
            elif field.message_type.full_name == "socketlab.v1.CallError":
                assert item.code in {c.value[0] for c in DOCUMENTED}, (where, item)
            else:
                check_result(item, where)


class Daemon:
    def __init__(self, target: str, channel: grpc.Channel) -> None:
        self.target = target
        self.channel = channel
        self.net = client.connect(target)  # a process whose handle the typed requests use
        self.handle = self.net._transport.handle  # type: ignore[attr-defined]
        n = self.net  # fds 3..12: sockets of every kind the requests can hit
        self.keep = [*n.socketpair(), *n.socketpair(n.AF_UNIX, n.SOCK_DGRAM), n.socket(n.AF_INET, n.SOCK_DGRAM),
                     n.socket(n.AF_UNIX, n.SOCK_STREAM), n.socket(n.AF_UNIX, n.SOCK_SEQPACKET)]
        self.keep[0].send(b"some data")
        self.keep[2].send(b"a datagram")
        self.keep[4].bind(("127.0.0.1", 0))
        self.keep[5].bind("\0socketlab-fuzz-listener")
        self.keep[5].listen()


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Daemon]:
    from tests.conftest import start_daemon

    running = start_daemon()
    ch = grpc.insecure_channel(running.target, options=[("grpc.max_send_message_length", 1 << 26)])
    d = Daemon(running.target, ch)
    try:
        yield d
        # afterwards: still up, healthy, and a normal call works
        health = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        net = client.connect(running.target)
        a, b = net.socketpair()
        a.sendall(b"still here")
        assert b.recv(64) == b"still here"
        net.close()
        d.net.close()
    finally:
        ch.close()
        status = running.stop()
    assert status == 0, "".join(running.log[-40:])
    assert not any("Traceback" in line or "internal error" in line for line in running.log), \
        "".join(running.log[-60:])
    print("\nbad-input fuzz: requests tried per RPC:", dict(sorted(TRIED.items())), "total", sum(TRIED.values()))


def _unary_methods(module: Any, service: str) -> list[tuple[str, Any, Any, bool]]:
    desc = module.DESCRIPTOR.services_by_name[service]
    return [(m.name, getattr(module, m.input_type.name), getattr(module, m.output_type.name), m.server_streaming)
            for m in desc.methods]


SOCKETCALL = _unary_methods(socketcall_pb2, "SocketCall")
HOST = _unary_methods(host_pb2, "Host")


def _call(d: Daemon, service: str, method: tuple[str, Any, Any, bool], values: dict[str, Any]) -> None:
    name, req_cls, resp_cls, streaming = method
    TRIED[f"{service}/{name}"] = TRIED.get(f"{service}/{name}", 0) + 1
    req = build(req_cls, values)
    path = f"/socketlab.v1.{service}/{name}"
    kw = {"request_serializer": req_cls.SerializeToString, "response_deserializer": resp_cls.FromString}
    try:
        if streaming:
            replies = list(d.channel.unary_stream(path, **kw)(req, timeout=DEADLINE))
        else:
            replies = [d.channel.unary_unary(path, **kw)(req, timeout=DEADLINE)]
    except grpc.RpcError as exc:
        assert exc.code() in DOCUMENTED, (path, req, exc.code(), exc.details())
        return
    for reply in replies:
        check_result(reply, f"{path} {req}")


def _requests(methods: list[tuple[str, Any, Any, bool]], handle: str) -> st.SearchStrategy[Any]:
    return st.sampled_from(methods).flatmap(
        lambda m: st.tuples(st.just(m), message(m[1].DESCRIPTOR, handle)))


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])


def test_socketcall_rpcs_with_random_requests(fuzzed: Daemon) -> None:
    @FUZZ
    @given(st.data())
    def run(data: st.DataObject) -> None:
        method, values = data.draw(_requests(SOCKETCALL, fuzzed.handle))
        _call(fuzzed, "SocketCall", method, values)

    run()


def test_host_rpcs_with_random_requests(fuzzed: Daemon) -> None:
    @settings(FUZZ, max_examples=max(50, EXAMPLES // 3))
    @given(st.data())
    def run(data: st.DataObject) -> None:
        method, values = data.draw(_requests(HOST, fuzzed.handle))
        _call(fuzzed, "Host", method, values)

    run()


def test_session_messages_at_random(fuzzed: Daemon) -> None:
    desc = process_pb2.SessionRequest.DESCRIPTOR
    stub = pb_grpc.ProcessStub(fuzzed.channel)

    @settings(FUZZ, max_examples=max(30, EXAMPLES // 6))
    @given(message(process_pb2.OpenProcess.DESCRIPTOR, ""),
           st.lists(message(desc, fuzzed.handle), min_size=1, max_size=12), st.booleans())
    def run(open_values: dict[str, Any], calls: list[dict[str, Any]], open_first: bool) -> None:
        TRIED["Process/Session"] = TRIED.get("Process/Session", 0) + len(calls)
        msgs = [build(process_pb2.SessionRequest, c) for c in calls]
        if open_first:
            msgs.insert(0, process_pb2.SessionRequest(open=process_pb2.OpenProcess(**open_values)))
        out: queue.SimpleQueue[Any] = queue.SimpleQueue()
        call = stub.Session(iter(msgs), timeout=10)

        def read() -> None:
            try:
                for reply in call:
                    out.put(reply)
                out.put(None)
            except grpc.RpcError as exc:
                out.put(exc)

        threading.Thread(target=read, daemon=True).start()
        while True:
            reply = out.get(timeout=15)
            if reply is None:
                return
            if isinstance(reply, grpc.RpcError):
                assert reply.code() in DOCUMENTED - {grpc.StatusCode.DEADLINE_EXCEEDED}, (msgs, reply)
                return
            check_result(reply, f"Session {msgs}")

    run()
