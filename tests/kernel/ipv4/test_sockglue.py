"""SOL_IP / SOL_UDP options, IP control messages and the error queue (kernel.net.ipv4.ip_sockglue).

Expected values are Linux 6.18's (probed on the host with the stdlib socket module).
"""
from __future__ import annotations

import struct

import pytest

import kernel.net.ipv4.af_inet  # noqa: F401
from kernel import uapi

LO = "127.0.0.1"
SOL_IP = uapi.SOL_IP


def sin(addr: str, port: int) -> bytes:
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + bytes(int(x) for x in addr.split(".")) + bytes(8)


async def udp(rig, bind: bool = True) -> int:
    fd = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=0)
    if bind:
        await rig.ok("bind", fd=fd, addr=sin(LO, 0))
    return fd


async def getopt(rig, fd: int, opt: int, optlen: int = 4, level: int = SOL_IP) -> bytes | str:
    reply = await rig.call("getsockopt", fd=fd, level=level, optname=opt, optlen=optlen)
    return reply.data if reply.ret >= 0 else reply.error_name


async def setopt(rig, fd: int, opt: int, val: bytes, level: int = SOL_IP) -> str:
    return (await rig.call("setsockopt", fd=fd, level=level, optname=opt, optval=val)).error_name


async def addr_of(rig, fd: int) -> bytes:
    return (await rig.call("getsockname", fd=fd)).addr


@pytest.mark.parametrize(("opt", "want"), [
    (uapi.IP_TTL, struct.pack("<i", 64)), (uapi.IP_MULTICAST_TTL, struct.pack("<i", 1)),
    (uapi.IP_MULTICAST_LOOP, struct.pack("<i", 1)), (uapi.IP_MULTICAST_ALL, struct.pack("<i", 1)),
    (uapi.IP_MTU_DISCOVER, struct.pack("<i", uapi.IP_PMTUDISC_WANT)), (uapi.IP_TOS, bytes(4)),
    (uapi.IP_MULTICAST_IF, bytes(4)), (uapi.IP_OPTIONS, b""), (uapi.IP_MTU, "ENOTCONN"),
    (uapi.IP_PKTOPTIONS, "ENOPROTOOPT"), (99, "EINVAL"), (120, "ENOPROTOOPT"), (200, "EOPNOTSUPP"),
])
async def test_getsockopt_defaults(rig, opt: int, want: bytes | str) -> None:
    assert await getopt(rig, await udp(rig), opt) == want


async def test_int_option_quirks(rig) -> None:
    fd = await udp(rig)
    assert await getopt(rig, fd, uapi.IP_TTL, 1) == b"@"  # a single byte when optlen < 4
    assert await setopt(rig, fd, uapi.IP_TTL, b"\x05") == ""
    assert await getopt(rig, fd, uapi.IP_TTL) == struct.pack("<i", 5)
    assert await setopt(rig, fd, uapi.IP_TTL, b"") == "EINVAL"
    assert await setopt(rig, fd, uapi.IP_TTL, struct.pack("<i", 256)) == "EINVAL"
    assert await setopt(rig, fd, uapi.IP_TTL, struct.pack("<i", -1)) == ""
    assert await setopt(rig, fd, uapi.IP_TOS, b"") == ""
    assert await setopt(rig, fd, uapi.IP_MTU_DISCOVER, struct.pack("<i", 9)) == "EINVAL"
    assert await setopt(rig, fd, uapi.IP_HDRINCL, struct.pack("<i", 1)) == "ENOPROTOOPT"
    assert await setopt(rig, fd, uapi.IP_MTU, bytes(4)) == "ENOPROTOOPT"
    assert await setopt(rig, fd, uapi.IP_ROUTER_ALERT, struct.pack("<i", 1)) == "EINVAL"
    assert await setopt(rig, fd, uapi.IP_UNICAST_IF, struct.pack("!i", 77)) == "EADDRNOTAVAIL"
    assert await setopt(rig, fd, uapi.IP_UNICAST_IF, struct.pack("!i", 1)) == ""
    assert await setopt(rig, fd, uapi.IP_OPTIONS, b"\x01" * 41) == "EINVAL"
    assert await setopt(rig, fd, uapi.IP_OPTIONS, b"\x94\x04\x00\x00") == ""
    assert await getopt(rig, fd, uapi.IP_OPTIONS, 40) == b"\x94\x04\x00\x00"
    assert await setopt(rig, fd, uapi.IP_TOS, struct.pack("<i", 0x10)) == ""
    assert await getopt(rig, fd, uapi.SO_PRIORITY, level=uapi.SOL_SOCKET) == struct.pack("<i", 6)


async def test_sol_udp(rig) -> None:
    fd = await udp(rig)
    assert await getopt(rig, fd, uapi.UDP_CORK, level=uapi.IPPROTO_UDP) == bytes(4)
    assert await setopt(rig, fd, uapi.UDP_CORK, b"\x01", level=uapi.IPPROTO_UDP) == "EINVAL"
    assert await setopt(rig, fd, 2, bytes(4), level=uapi.IPPROTO_UDP) == "ENOPROTOOPT"
    assert await getopt(rig, fd, 1, level=uapi.IPPROTO_TCP) == "EOPNOTSUPP"
    assert await setopt(rig, fd, 1, bytes(4), level=uapi.IPPROTO_TCP) == "ENOPROTOOPT"


async def test_ip_mtu_connected(rig) -> None:
    a, b = await udp(rig), await udp(rig)
    await rig.ok("connect", fd=a, addr=await addr_of(rig, b))
    assert await getopt(rig, a, uapi.IP_MTU) == struct.pack("<i", 65535)


async def test_receive_cmsgs_in_linux_order(rig) -> None:
    a, b = await udp(rig), await udp(rig)
    for opt in (uapi.IP_RECVORIGDSTADDR, uapi.IP_RECVTOS, uapi.IP_RECVTTL, uapi.IP_PKTINFO):
        assert await setopt(rig, b, opt, struct.pack("<i", 1)) == ""
    await rig.ok("sendto", fd=a, data=b"x", flags=0, addr=await addr_of(rig, b))
    reply = await rig.call("recvmsg", fd=b, flags=0, size=10, controllen=256)
    cm = rig.parse_cmsgs(reply.control)
    assert [t for _, t, _ in cm] == [uapi.IP_PKTINFO, uapi.IP_TTL, uapi.IP_TOS, uapi.IP_ORIGDSTADDR]
    assert cm[0][2] == struct.pack("<i", 1) + bytes([127, 0, 0, 1]) * 2
    assert cm[1][2] == struct.pack("<i", 64) and cm[2][2] == b"\x00"
    assert cm[3][2] == await addr_of(rig, b)
    # too little room: MSG_CTRUNC
    await rig.ok("sendto", fd=a, data=b"x", flags=0, addr=await addr_of(rig, b))
    reply = await rig.call("recvmsg", fd=b, flags=0, size=10, controllen=20)
    assert reply.msg_flags & uapi.MSG_CTRUNC


async def test_send_cmsgs(rig) -> None:
    a, b = await udp(rig), await udp(rig)
    await setopt(rig, b, uapi.IP_RECVTTL, struct.pack("<i", 1))
    ttl = rig.cmsg(SOL_IP, uapi.IP_TTL, struct.pack("<i", 9))
    await rig.ok("sendmsg", fd=a, flags=0, iov=[b"x"], addr=await addr_of(rig, b), control=ttl)
    reply = await rig.call("recvmsg", fd=b, flags=0, size=10, controllen=64)
    assert rig.parse_cmsgs(reply.control) == [(SOL_IP, uapi.IP_TTL, struct.pack("<i", 9))]
    bad = rig.cmsg(SOL_IP, uapi.IP_TTL, struct.pack("<i", 0))
    reply = await rig.call("sendmsg", fd=a, flags=0, iov=[b"x"], addr=await addr_of(rig, b), control=bad)
    assert reply.error_name == "EINVAL"
    odd = rig.cmsg(SOL_IP, 77, bytes(4))
    reply = await rig.call("sendmsg", fd=a, flags=0, iov=[b"x"], addr=await addr_of(rig, b), control=odd)
    assert reply.error_name == "EINVAL"


async def test_error_queue(rig) -> None:
    a, b = await udp(rig), await udp(rig)
    dst = await addr_of(rig, b)
    await rig.ok("close", fd=b)
    await rig.ok("connect", fd=a, addr=dst)
    assert await setopt(rig, a, uapi.IP_RECVERR, struct.pack("<i", 1)) == ""
    assert (await rig.call("recvmsg", fd=a, flags=uapi.MSG_ERRQUEUE, size=10, controllen=64)).error_name == "EAGAIN"
    await rig.ok("send", fd=a, data=b"payload", flags=0)
    assert (await rig.call("poll", fds=[(a, uapi.POLLIN)], timeout_ms=0)).revents == [uapi.POLLERR]
    reply = await rig.call("recvmsg", fd=a, flags=uapi.MSG_ERRQUEUE, size=100, controllen=128)
    assert reply.data == b"payload" and reply.addr == dst
    assert reply.msg_flags & uapi.MSG_ERRQUEUE
    [(level, type_, data)] = rig.parse_cmsgs(reply.control)
    assert (level, type_) == (SOL_IP, uapi.IP_RECVERR)
    ee = struct.unpack_from("<IBBBBII", data)
    assert ee == (uapi.ECONNREFUSED, uapi.SO_EE_ORIGIN_ICMP, 3, 3, 0, 0, 0)
    assert data[16:18] == struct.pack("<H", uapi.AF_INET) and data[20:24] == bytes([127, 0, 0, 1])
    assert await getopt(rig, a, uapi.SO_ERROR, level=uapi.SOL_SOCKET) == bytes(4)  # dequeue cleared sk_err


async def test_local_emsgsize_error(rig) -> None:
    a, b = await udp(rig), await udp(rig)
    await setopt(rig, a, uapi.IP_RECVERR, struct.pack("<i", 1))
    reply = await rig.call("sendto", fd=a, data=bytes(65508), flags=0, addr=await addr_of(rig, b))
    assert reply.error_name == "EMSGSIZE"
    reply = await rig.call("recvmsg", fd=a, flags=uapi.MSG_ERRQUEUE, size=100, controllen=128)
    [(_, _, data)] = rig.parse_cmsgs(reply.control)
    errno_, origin, _, _, _, info = struct.unpack_from("<IBBBBI", data)
    assert (errno_, origin, info, reply.data, data[16:]) == (uapi.EMSGSIZE, uapi.SO_EE_ORIGIN_LOCAL, 65535, b"",
                                                            bytes(16))
