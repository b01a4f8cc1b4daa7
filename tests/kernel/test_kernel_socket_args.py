"""sys_socket / sys_socketpair argument checks, sys_socketcall by number, malformed requests."""
from __future__ import annotations

import struct
from typing import Any

import pytest

from kernel import uapi as U
from kernel.syscalls import SOCKETCALL_TABLE, BadRequest, do_syscall, ops


async def _socket_err(rig: Any, family: int, type_: int, protocol: int = 0) -> str:
    files, fds = rig.host.nr_files, sorted(rig.proc.fdtable)
    name = await rig.err("socket", family=family, type=type_, protocol=protocol)
    if name:  # a failed socket() leaves nothing behind
        assert rig.host.nr_files == files and sorted(rig.proc.fdtable) == fds
    return name


@pytest.mark.parametrize("family", [-1, U.AF_MAX, 1000, U.AF_UNSPEC, U.AF_INET6, U.AF_NETLINK, 45])  # AF_INET: registered (issue 3)
async def test_socket_unsupported_family_is_eafnosupport(rig: Any, family: int) -> None:
    assert await _socket_err(rig, family, U.SOCK_STREAM) == "EAFNOSUPPORT"
    reply = await rig.call("socketpair", family=family, type=U.SOCK_STREAM, protocol=0)
    assert reply.error_name == "EAFNOSUPPORT" and reply.fds == []


async def test_socket_type_range_is_checked_before_the_family_registry(rig: Any) -> None:
    # Linux's __sock_create: family range, then type range, then net_families
    assert await _socket_err(rig, U.AF_INET, U.SOCK_MAX) == "EINVAL"
    assert await _socket_err(rig, 100, U.SOCK_MAX) == "EAFNOSUPPORT"


@pytest.mark.parametrize("type_", [U.SOCK_MAX, 15, -1])
async def test_socket_bad_type_is_einval(rig: Any, type_: int) -> None:
    assert await _socket_err(rig, U.AF_UNIX, type_) == "EINVAL"


@pytest.mark.parametrize("flag", [0x10, U.O_ASYNC, 1 << 30, U.MSG_DONTWAIT << 8])
async def test_socket_unknown_flag_bits_are_einval(rig: Any, flag: int) -> None:
    assert await _socket_err(rig, U.AF_UNIX, U.SOCK_STREAM | flag) == "EINVAL"
    assert await rig.err("socketpair", family=U.AF_UNIX, type=U.SOCK_STREAM | flag, protocol=0) == "EINVAL"


@pytest.mark.parametrize("type_", [0, U.SOCK_RDM, U.SOCK_DCCP, U.SOCK_PACKET])
async def test_af_unix_unsupported_type_is_esocktnosupport(rig: Any, type_: int) -> None:
    assert await _socket_err(rig, U.AF_UNIX, type_) == "ESOCKTNOSUPPORT"


async def test_af_unix_protocol(rig: Any) -> None:
    assert await _socket_err(rig, U.AF_UNIX, U.SOCK_STREAM, 2) == "EPROTONOSUPPORT"
    assert await _socket_err(rig, U.AF_UNIX, U.SOCK_DGRAM, -1) == "EPROTONOSUPPORT"
    assert await rig.err("socketpair", family=U.AF_UNIX, type=U.SOCK_STREAM, protocol=6) == "EPROTONOSUPPORT"
    fd = await rig.ok("socket", family=U.AF_UNIX, type=U.SOCK_STREAM, protocol=U.AF_UNIX)  # PF_UNIX is fine
    reply = await rig.call("getsockopt", fd=fd, level=U.SOL_SOCKET, optname=U.SO_PROTOCOL, optlen=4)
    assert struct.unpack("<i", reply.data) == (0,)


async def test_sock_raw_reads_as_dgram(rig: Any) -> None:
    fd = await rig.socket(U.SOCK_RAW)
    reply = await rig.call("getsockopt", fd=fd, level=U.SOL_SOCKET, optname=U.SO_TYPE, optlen=4)
    assert struct.unpack("<i", reply.data) == (U.SOCK_DGRAM,)
    a, b = await rig.pair(U.SOCK_RAW)
    await rig.ok("send", fd=a, data=b"one", flags=0)
    await rig.ok("send", fd=a, data=b"two", flags=0)
    assert (await rig.call("recv", fd=b, size=64, flags=0)).data == b"one"  # message boundaries kept
    assert await rig.err("listen", fd=fd, backlog=1) == "EOPNOTSUPP"


async def test_sock_nonblock_and_sock_cloexec(rig: Any) -> None:
    nb = await rig.ok("socket", family=U.AF_UNIX, type=U.SOCK_STREAM | U.SOCK_NONBLOCK, protocol=0)
    ce = await rig.ok("socket", family=U.AF_UNIX, type=U.SOCK_DGRAM | U.SOCK_CLOEXEC, protocol=0)
    assert await rig.ok("fcntl", fd=nb, cmd=U.F_GETFL) == U.O_RDWR | U.O_NONBLOCK
    assert await rig.ok("fcntl", fd=nb, cmd=U.F_GETFD) == 0
    assert await rig.ok("fcntl", fd=ce, cmd=U.F_GETFL) == U.O_RDWR
    assert await rig.ok("fcntl", fd=ce, cmd=U.F_GETFD) == U.FD_CLOEXEC
    reply = await rig.call("socketpair", family=U.AF_UNIX,
                           type=U.SOCK_STREAM | U.SOCK_NONBLOCK | U.SOCK_CLOEXEC, protocol=0)
    for fd in reply.fds:
        assert await rig.ok("fcntl", fd=fd, cmd=U.F_GETFL) & U.O_NONBLOCK
        assert await rig.ok("fcntl", fd=fd, cmd=U.F_GETFD) == U.FD_CLOEXEC
    assert await rig.err("recv", fd=reply.fds[0], size=1, flags=0) == "EAGAIN"


async def test_accept4_flags(rig: Any) -> None:
    lfd = await rig.listener()
    for _ in range(2):
        c = await rig.socket()
        await rig.ok("connect", fd=c, addr=rig.sun("/tmp/srv"))
    assert await rig.err("accept4", fd=lfd, flags=U.O_ASYNC) == "EINVAL"
    new = await rig.ok("accept4", fd=lfd, flags=U.SOCK_NONBLOCK | U.SOCK_CLOEXEC)
    assert await rig.ok("fcntl", fd=new, cmd=U.F_GETFL) == U.O_RDWR | U.O_NONBLOCK
    assert await rig.ok("fcntl", fd=new, cmd=U.F_GETFD) == U.FD_CLOEXEC
    await rig.ok("fcntl", fd=lfd, cmd=U.F_SETFL, arg=U.O_NONBLOCK)
    plain = await rig.ok("accept", fd=lfd)  # the listener's own O_NONBLOCK is not inherited (Linux)
    assert await rig.ok("fcntl", fd=plain, cmd=U.F_GETFL) == U.O_RDWR


async def test_socketcall_by_number(rig: Any) -> None:
    fd = (await rig.call("socketcall", call=U.SYS_SOCKET, args=[U.AF_UNIX, U.SOCK_DGRAM, 0])).ret
    assert fd == 3
    pair = await rig.call("socketcall", call=U.SYS_SOCKETPAIR, args=[U.AF_UNIX, U.SOCK_STREAM, 0])
    a, b = pair.fds
    assert (await rig.call("socketcall", call=U.SYS_SEND, args=[a, b"hi", 0])).ret == 2
    got = await rig.call("socketcall", call=U.SYS_RECV, args=[b, 16, 0])
    assert (got.ret, got.data) == (2, b"hi")
    assert (await rig.call("socketcall", call=U.SYS_BIND, args=[fd, rig.sun("\0name")])).ret == 0
    name = await rig.call("socketcall", call=U.SYS_GETSOCKNAME, args=[fd])
    assert name.addr == rig.sun("\0name")
    await rig.ok("close", fd=fd)
    assert (await rig.call("socketcall", call=U.SYS_LISTEN, args=[fd, 1])).error_name == "EBADF"
    # trailing arguments default as the named op's do
    assert (await rig.call("socketcall", call=U.SYS_SOCKET, args=[U.AF_UNIX, U.SOCK_STREAM])).ret >= 0


@pytest.mark.parametrize("call", [0, -1, U.SYS_SENDMMSG + 1, 1 << 20])
async def test_socketcall_unknown_number_is_einval(rig: Any, call: int) -> None:
    assert (await rig.call("socketcall", call=call, args=[])).error_name == "EINVAL"


def test_socketcall_table_names_real_ops() -> None:
    assert sorted(SOCKETCALL_TABLE) == list(range(U.SYS_SOCKET, U.SYS_SENDMMSG + 1))
    assert {op for op, _ in SOCKETCALL_TABLE.values()} <= set(ops())


@pytest.mark.parametrize(
    ("op", "args"),
    [
        ("no_such_call", {}),
        ("close", {}),  # missing fd
        ("close", {"fd": "3"}),
        ("close", {"fd": True}),  # bool is not an int here
        ("close", {"fd": 3.0}),
        ("send", {"fd": 3, "data": 12, "flags": 0}),
        ("bind", {"fd": 3}),
        ("poll", {"fds": [(0,)], "timeout_ms": 0}),
        ("poll", {"fds": 5, "timeout_ms": 0}),
        ("sendmsg", {"fd": 3, "flags": 0, "iov": b"abc"}),
        ("sendmmsg", {"fd": 3, "flags": 0, "msgs": [b"x"]}),
        ("recvmmsg", {"fd": 3, "flags": 0, "msgs": None}),
        ("socketcall", {"call": U.SYS_SOCKET, "args": 1}),
        ("socketcall", {"call": U.SYS_LISTEN, "args": [3, 1, 2]}),  # too many arguments
    ],
)
async def test_malformed_requests_raise_badrequest(rig: Any, op: str, args: dict[str, Any]) -> None:
    await rig.socket()
    with pytest.raises(BadRequest):
        await do_syscall(rig.proc, op, args)
