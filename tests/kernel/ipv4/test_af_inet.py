"""AF_INET socket creation, bind, autobind, getname, connect/disconnect, shutdown (kernel.net.ipv4.af_inet).

Expected values were checked against Linux 6.18 (see tests/differential/scenarios_inet.py for the
traces); here they run on the emulated kernel directly, on a manual clock.
"""
from __future__ import annotations

import struct

import pytest

import kernel.net.ipv4.af_inet  # noqa: F401  (registers PF_INET even before host.py imports it)
from kernel import uapi

AF_INET = uapi.AF_INET
DGRAM = uapi.SOCK_DGRAM


def sin(addr: str, port: int, family: int = AF_INET) -> bytes:
    return struct.pack("<H", family) + struct.pack("!H", port) + bytes(int(x) for x in addr.split(".")) + bytes(8)


def unsin(raw: bytes) -> tuple[str, int]:
    port = struct.unpack_from("!H", raw, 2)[0]
    return ".".join(str(b) for b in raw[4:8]), port


async def udp(rig, addr: str | None = "127.0.0.1", port: int = 0, proc=None) -> int:
    fd = await rig.ok("socket", proc, family=AF_INET, type=DGRAM, protocol=0)
    if addr is not None:
        await rig.ok("bind", proc, fd=fd, addr=sin(addr, port))
    return fd


async def name(rig, fd: int, peer: bool = False, proc=None) -> tuple[str, int]:
    reply = await rig.call("getpeername" if peer else "getsockname", proc, fd=fd)
    assert reply.ret == 0, reply.error_name
    return unsin(reply.addr)


# --- creation --------------------------------------------------------------------------

@pytest.mark.parametrize(("type_", "proto", "want"), [
    (DGRAM, 0, ""),
    (DGRAM, uapi.IPPROTO_UDP, ""),
    (DGRAM, uapi.IPPROTO_TCP, "EPROTONOSUPPORT"),
    (uapi.SOCK_STREAM, 0, ""),  # TCP (issue 4): protocol 0 picks IPPROTO_TCP
    (uapi.SOCK_STREAM, uapi.IPPROTO_UDP, "EPROTONOSUPPORT"),  # as Linux: no such protocol for the type
    (uapi.SOCK_SEQPACKET, 0, "ESOCKTNOSUPPORT"),
    (uapi.SOCK_RDM, 0, "ESOCKTNOSUPPORT"),
    (DGRAM, -1, "EINVAL"),
    (DGRAM, uapi.IPPROTO_MAX, "EINVAL"),
])
async def test_socket_create(rig, type_: int, proto: int, want: str) -> None:
    assert await rig.err("socket", family=AF_INET, type=type_, protocol=proto) == want


async def test_socket_defaults(rig) -> None:
    fd = await udp(rig, None)
    for opt, val in ((uapi.SO_TYPE, DGRAM), (uapi.SO_DOMAIN, AF_INET), (uapi.SO_PROTOCOL, uapi.IPPROTO_UDP)):
        reply = await rig.call("getsockopt", fd=fd, level=uapi.SOL_SOCKET, optname=opt, optlen=4)
        assert struct.unpack("<i", reply.data)[0] == val
    assert await name(rig, fd) == ("0.0.0.0", 0)
    assert await rig.err("getpeername", fd=fd) == "ENOTCONN"
    assert await rig.err("listen", fd=fd, backlog=1) == "EOPNOTSUPP"
    assert await rig.err("accept", fd=fd) == "EOPNOTSUPP"


async def test_socketpair_unsupported(rig) -> None:
    assert await rig.err("socketpair", family=AF_INET, type=DGRAM, protocol=0) == "EOPNOTSUPP"
