"""Raw IPv4 sockets (net/ipv4/raw.c) on one host's loopback, as Linux 6.18 behaves.

The figures (errnos, which socket sees which copy, header fields the kernel
fills, MSG_MORE corking, the disconnect that unhashes) were read off the host
kernel in a scratch netns with the same calls.
"""
from __future__ import annotations

import socket
import struct
from typing import Any

from kernel import uapi
from kernel.net.ipv4.raw import raw_sockets
from kernel.net.wire.checksum import internet_checksum

SOL_IP = 0
IP_RECVERR = 11
LO = "127.0.0.1"


def sin(addr: str, port: int = 0, family: int = uapi.AF_INET) -> bytes:
    return struct.pack("<H", family) + struct.pack("!H", port) + socket.inet_aton(addr) + bytes(8)


def echo(ident: int, seq: int, data: bytes, type_: int = 8) -> bytes:
    head = struct.pack("!BBHHH", type_, 0, 0, ident, seq)
    c = internet_checksum(head + data)
    return struct.pack("!BBHHH", type_, 0, c, ident, seq) + data


def iphdr(src: str, dst: str, proto: int, plen: int, ttl: int = 64, tos: int = 0, ident: int = 0x1234,
          check: bool = True) -> bytes:
    h = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + plen, ident, 0, ttl, proto, 0, socket.inet_aton(src),
                    socket.inet_aton(dst))
    if check:
        c = internet_checksum(h)
        h = h[:10] + struct.pack("!H", c) + h[12:]
    return h


async def raw(rig: Any, proto: int, bind: str | None = None, proc: Any = None) -> int:
    fd = await rig.ok("socket", proc, family=uapi.AF_INET, type=uapi.SOCK_RAW, protocol=proto)
    if bind is not None:
        await rig.ok("bind", proc, fd=fd, addr=sin(bind))
    return fd


async def drain(rig: Any, fd: int, size: int = 4096) -> list[bytes]:
    out = []
    while True:
        reply = await rig.call("recv", fd=fd, size=size, flags=uapi.MSG_DONTWAIT)
        if reply.ret < 0:
            assert reply.error_name == "EAGAIN", reply.error_name
            return out
        out.append(reply.data)


async def test_create(rig: Any) -> None:
    assert await rig.err("socket", family=uapi.AF_INET, type=uapi.SOCK_RAW, protocol=0) == "EPROTONOSUPPORT"
    user = rig.host.spawn(uid=1000, gid=1000)
    assert await rig.err("socket", user, family=uapi.AF_INET, type=uapi.SOCK_RAW, protocol=1) == "EPERM"
    for proto in (1, 6, 17, 253, 255, 256):
        fd = await raw(rig, proto)
        reply = await rig.call("getsockopt", fd=fd, level=uapi.SOL_SOCKET, optname=uapi.SO_PROTOCOL, optlen=4)
        assert reply.data == struct.pack("<i", proto)
        reply = await rig.call("getsockname", fd=fd)
        assert reply.addr[:8] == sin("0.0.0.0", proto)[:8]
    assert await rig.err("listen", fd=fd, backlog=1) == "EOPNOTSUPP"
    assert await rig.err("getpeername", fd=fd) == "ENOTCONN"
    assert len(raw_sockets(rig.host.netns)) == 6


async def test_icmp_echo_request_and_reply_seen(rig: Any) -> None:
    r = await raw(rig, uapi.IPPROTO_ICMP)
    s = await raw(rig, uapi.IPPROTO_ICMP)
    mib = rig.host.netns.mib
    out_echos = mib["Icmp"]["OutEchos"]
    assert await rig.ok("sendto", fd=s, data=echo(0x1234, 7, b"tok"), flags=0, addr=sin(LO)) == 11
    got = await drain(rig, r)
    assert [p[20] for p in got] == [8, 0]
    for p in got:
        assert p[9] == 1 and internet_checksum(p[:20]) == 0 and internet_checksum(p[20:]) == 0
        assert p[24:] == struct.pack("!HH", 0x1234, 7) + b"tok"
    assert [p[20] for p in await drain(rig, s)] == [8, 0]  # the sender's own socket too
    assert mib["Icmp"]["OutEchos"] == out_echos + 1


async def test_icmp_filter(rig: Any) -> None:
    r = await raw(rig, uapi.IPPROTO_ICMP)
    u = await raw(rig, uapi.IPPROTO_UDP)
    get = {"fd": r, "level": uapi.SOL_RAW, "optname": uapi.ICMP_FILTER}
    assert (await rig.call("getsockopt", **get, optlen=4)).data == bytes(4)
    await rig.ok("setsockopt", **get, optval=struct.pack("<I", 1 << 8))
    s = await raw(rig, uapi.IPPROTO_ICMP)
    await rig.ok("sendto", fd=s, data=echo(9, 9, b"f"), flags=0, addr=sin(LO))
    assert [p[20] for p in await drain(rig, r)] == [0]
    assert await rig.err("setsockopt", fd=u, level=uapi.SOL_RAW, optname=uapi.ICMP_FILTER,
                         optval=bytes(4)) == "EOPNOTSUPP"
    assert await rig.err("getsockopt", fd=u, level=uapi.SOL_RAW, optname=uapi.ICMP_FILTER, optlen=4) == "EOPNOTSUPP"
    await rig.ok("setsockopt", **get, optval=b"\xff\xff\xff\xff")
    await rig.ok("setsockopt", **get, optval=b"\x01\x02")
    assert (await rig.call("getsockopt", **get, optlen=8)).data == b"\x01\x02\xff\xff"
    assert (await rig.call("getsockopt", **get, optlen=2)).data == b"\x01\x02"
    assert await rig.err("setsockopt", fd=r, level=uapi.SOL_RAW, optname=2, optval=bytes(4)) == "ENOPROTOOPT"


async def test_hdrincl(rig: Any) -> None:
    r = await raw(rig, 253, bind="127.0.0.5")
    s = await raw(rig, uapi.IPPROTO_RAW)
    pkt = iphdr("0.0.0.0", "127.0.0.5", 253, 3, ttl=33, tos=0x10, ident=0, check=False)[:2] + bytes(2) \
        + iphdr("0.0.0.0", "127.0.0.5", 253, 3, ttl=33, tos=0x10, ident=0, check=False)[4:] + b"abc"
    assert await rig.ok("sendto", fd=s, data=pkt, flags=0, addr=sin("127.0.0.5")) == 23
    (got,) = await drain(rig, r)
    assert got[20:] == b"abc" and struct.unpack_from("!H", got, 2)[0] == 23
    assert got[1] == 0x10 and got[8] == 33 and internet_checksum(got[:20]) == 0
    assert got[12:16] == socket.inet_aton("127.0.0.1") and struct.unpack_from("!H", got, 4)[0] != 0
    good = iphdr(LO, "127.0.0.8", 253, 4) + b"abcd"
    assert await rig.err("sendto", fd=s, data=good[:12], flags=0, addr=sin("127.0.0.8")) == "EINVAL"
    assert await rig.err("sendto", fd=s, data=b"\x44" + good[1:], flags=0, addr=sin("127.0.0.8")) == "EINVAL"
    assert await rig.err("sendto", fd=s, data=b"\x4f" + good[1:], flags=0, addr=sin("127.0.0.8")) == "EINVAL"
    await rig.ok("setsockopt", fd=s, level=SOL_IP, optname=uapi.IP_OPTIONS, optval=bytes([1, 1, 1, 0]))
    assert await rig.err("sendto", fd=s, data=good, flags=0, addr=sin("127.0.0.8")) == "EINVAL"
    assert (await drain(rig, s)) == []  # IPPROTO_RAW sockets never receive


async def test_bound_and_connected_filters(rig: Any) -> None:
    r = await raw(rig, 253, bind="127.0.0.16")
    await rig.ok("connect", fd=r, addr=sin("127.0.0.17", 77))
    a = await raw(rig, 253, bind="127.0.0.17")
    b = await raw(rig, 253, bind="127.0.0.18")
    await rig.ok("sendto", fd=b, data=b"-18", flags=0, addr=sin("127.0.0.16"))
    await rig.ok("sendto", fd=a, data=b"-17", flags=0, addr=sin("127.0.0.16"))
    await rig.ok("sendto", fd=a, data=b"-other", flags=0, addr=sin("127.0.0.19"))
    assert [p[20:] for p in await drain(rig, r)] == [b"-17"]
    reply = await rig.call("getpeername", fd=r)
    assert reply.addr[:8] == sin("127.0.0.17", 77)[:8]
    # AF_UNSPEC disconnect: __udp_disconnect also unhashes a raw socket (bind never locks its "port")
    await rig.ok("connect", fd=r, addr=struct.pack("<H", uapi.AF_UNSPEC) + bytes(14))
    assert (await rig.call("getsockname", fd=r)).addr[:8] == sin("0.0.0.0", 0)[:8]
    await rig.ok("sendto", fd=a, data=b"-again", flags=0, addr=sin("127.0.0.16"))
    assert await drain(rig, r) == []


async def test_send_errors_and_address_forms(rig: Any) -> None:
    r = await raw(rig, 253, bind="127.0.0.22")
    s = await raw(rig, 253)
    assert await rig.err("send", fd=s, data=b"x", flags=0) == "EDESTADDRREQ"
    assert await rig.ok("sendto", fd=s, data=b"-unspec", flags=0, addr=sin("127.0.0.22", family=0)) == 7
    assert await rig.err("sendto", fd=s, data=b"-6", flags=0, addr=sin("127.0.0.22", family=10)) == "EAFNOSUPPORT"
    assert await rig.err("sendto", fd=s, data=b"-s", flags=0, addr=sin("127.0.0.22")[:8]) == "EINVAL"
    assert await rig.err("sendto", fd=s, data=b"x", flags=uapi.MSG_OOB, addr=sin("127.0.0.22")) == "EOPNOTSUPP"
    assert await rig.err("sendto", fd=s, data=bytes(65516), flags=0, addr=sin("127.0.0.22")) == "EMSGSIZE"
    assert await rig.ok("sendto", fd=s, data=bytes(65515), flags=0, addr=sin("127.0.0.22")) == 65515
    assert await rig.err("sendto", fd=s, data=b"b", flags=0, addr=sin("127.255.255.255")) == "EACCES"
    got = await drain(rig, r, 70000)
    assert [len(p) for p in got] == [27, 65535]


async def test_msg_more_corks(rig: Any) -> None:
    r = await raw(rig, 253, bind="127.0.0.77")
    s = await raw(rig, 253)
    assert await rig.ok("sendto", fd=s, data=b"part1-", flags=uapi.MSG_MORE, addr=sin("127.0.0.77")) == 6
    assert await drain(rig, r) == []
    assert await rig.ok("sendto", fd=s, data=b"part2", flags=0, addr=sin("127.0.0.77")) == 5
    assert [p[20:] for p in await drain(rig, r)] == [b"part1-part2"]


async def test_trunc_peek_ttl_tos(rig: Any) -> None:
    r = await raw(rig, 253, bind="127.0.0.23")
    s = await raw(rig, 253)
    await rig.ok("setsockopt", fd=s, level=SOL_IP, optname=uapi.IP_TTL, optval=struct.pack("<i", 3))
    await rig.ok("setsockopt", fd=s, level=SOL_IP, optname=uapi.IP_TOS, optval=struct.pack("<i", 0x20))
    await rig.ok("sendto", fd=s, data=bytes(100), flags=0, addr=sin("127.0.0.23"))
    reply = await rig.call("recvmsg", fd=r, size=30, flags=uapi.MSG_PEEK)
    assert reply.ret == 30 and reply.msg_flags & uapi.MSG_TRUNC
    reply = await rig.call("recvmsg", fd=r, size=30, flags=uapi.MSG_TRUNC)
    assert reply.ret == 120 and reply.data[8] == 3 and reply.data[1] == 0x20
    assert reply.addr[:8] == sin(LO)[:8]


async def test_receive_buffer_drops(rig: Any) -> None:
    r = await raw(rig, 253, bind="127.0.0.31")
    await rig.ok("setsockopt", fd=r, level=uapi.SOL_SOCKET, optname=uapi.SO_RCVBUF, optval=struct.pack("<i", 0))
    s = await raw(rig, 253)
    for _ in range(3):
        await rig.ok("sendto", fd=s, data=bytes(1000), flags=0, addr=sin("127.0.0.31"))
    sk = rig.sk(r)
    assert len(sk.sk_receive_queue) == 1 and sk.sk_drops == 2


async def test_recverr_protocol_unreachable(rig: Any) -> None:
    s = await raw(rig, 251)
    await rig.ok("setsockopt", fd=s, level=SOL_IP, optname=IP_RECVERR, optval=struct.pack("<i", 1))
    await rig.ok("connect", fd=s, addr=sin("127.0.0.27"))
    await rig.ok("send", fd=s, data=b"token-12", flags=0)  # the quote must hold 8 bytes past the IP header
    # connected to 127.0.0.27, it does not take its own packet; the error comes first as sk_err
    assert (await rig.call("recv", fd=s, size=100, flags=uapi.MSG_DONTWAIT)).error_name == "ENOPROTOOPT"
    reply = await rig.call("recvmsg", fd=s, size=200, flags=uapi.MSG_ERRQUEUE, controllen=1024)
    assert reply.data == b"token-12" and reply.msg_flags == uapi.MSG_ERRQUEUE
    (level, type_, data), = rig.parse_cmsgs(reply.control)
    assert (level, type_) == (SOL_IP, IP_RECVERR)
    assert struct.unpack_from("<IBBBB", data) == (uapi.ENOPROTOOPT, 2, 3, 2, 0)
    assert (await rig.call("recv", fd=s, size=100, flags=uapi.MSG_DONTWAIT)).error_name == "EAGAIN"


async def test_raw_udp_sees_datagrams_and_poll(rig: Any) -> None:
    r = await raw(rig, uapi.IPPROTO_UDP, bind="127.0.0.12")
    poll = await rig.call("poll", fds=[(r, uapi.POLLIN | uapi.POLLOUT)], timeout_ms=0)
    assert poll.revents == [uapi.POLLOUT]
    u = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=0)
    await rig.ok("sendto", fd=u, data=b"udp-tok", flags=0, addr=sin("127.0.0.12", 9))
    poll = await rig.call("poll", fds=[(r, uapi.POLLIN)], timeout_ms=0)
    assert poll.revents == [uapi.POLLIN]
    assert (await rig.call("ioctl", fd=r, cmd=uapi.SIOCINQ)).value == 35
    (p,) = await drain(rig, r)
    assert p[9] == 17 and p[28:] == b"udp-tok" and struct.unpack_from("!H", p, 22)[0] == 9


async def test_blocking_recv_wakes(rig: Any) -> None:
    r = await raw(rig, 250, bind="127.0.0.28")
    task = await rig.start("recv", fd=r, size=100, flags=0)
    assert not task.done()
    s = await raw(rig, 250)
    await rig.ok("sendto", fd=s, data=b"wake", flags=0, addr=sin("127.0.0.28"))
    await rig.settle()
    assert task.done() and task.result().data[20:] == b"wake"
