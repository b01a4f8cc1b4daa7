"""AF_PACKET sockets (net/packet/af_packet.c) against the figures Linux 6.18 gives.

Every expected value was read off the host kernel with the same calls (root,
lo and a veth pair in a scratch netns): creation errnos, sockaddr_ll layouts
and lengths, which copies of a frame each socket sees (ETH_P_ALL taps see
PACKET_OUTGOING copies, never of their own frames), send checks (address
length, header, MTU, VLAN allowance), PACKET_STATISTICS, memberships and the
option errnos.
"""
from __future__ import annotations

import struct
from typing import Any

import pytest

from kernel import uapi
from kernel.drivers.net.veth import veth_pair
from kernel.net.core.dev import IFF_ALLMULTI, IFF_PROMISC, dev_close, dev_open

ETH_P_TEST = 0x88B5
SOL_PACKET = uapi.SOL_PACKET
LO_HWADDR = bytes(6)


def htons(v: int) -> int:
    return struct.unpack("<H", struct.pack("!H", v))[0]


def sll(ifindex: int, proto: int = 0, hatype: int = 0, pkttype: int = 0, halen: int = 0, addr: bytes = b"") -> bytes:
    return (struct.pack("<H", uapi.AF_PACKET) + struct.pack("!H", proto)
            + struct.pack("<iHBB", ifindex, hatype, pkttype, halen) + addr.ljust(8, b"\0"))


def parse_sll(raw: bytes) -> tuple[int, int, int, int, int, int, bytes]:
    fam, = struct.unpack_from("<H", raw)
    proto, = struct.unpack_from("!H", raw, 2)
    ifindex, hatype, pkttype, halen = struct.unpack_from("<iHBB", raw, 4)
    return fam, proto, ifindex, hatype, pkttype, halen, raw[12:12 + halen]


def frame(dst: bytes, src: bytes, ethertype: int, payload: bytes) -> bytes:
    return dst + src + struct.pack("!H", ethertype) + payload


async def psock(rig: Any, type_: int = uapi.SOCK_RAW, proto: int = 0, proc: Any = None) -> int:
    return await rig.ok("socket", proc, family=uapi.AF_PACKET, type=type_, protocol=htons(proto))


async def drain(rig: Any, fd: int, size: int = 65536) -> list[tuple[bytes, bytes]]:
    out = []
    while True:
        reply = await rig.call("recvfrom", fd=fd, size=size, flags=uapi.MSG_DONTWAIT)
        if reply.ret < 0:
            assert reply.error_name == "EAGAIN", reply.error_name
            return out
        out.append((reply.data, reply.addr))


async def setopt(rig: Any, fd: int, optname: int, val: bytes | int, level: int = SOL_PACKET) -> str:
    optval = struct.pack("<i", val) if isinstance(val, int) else val
    return await rig.err("setsockopt", fd=fd, level=level, optname=optname, optval=optval)


async def getopt(rig: Any, fd: int, optname: int, optlen: int = 4, level: int = SOL_PACKET) -> bytes | str:
    reply = await rig.call("getsockopt", fd=fd, level=level, optname=optname, optlen=optlen)
    return reply.data if reply.ret == 0 else reply.error_name


def mreq(ifindex: int, type_: int, alen: int = 0, addr: bytes = b"") -> bytes:
    return struct.pack("<iHH", ifindex, type_, alen) + addr.ljust(8, b"\0")


@pytest.fixture
def veth(rig: Any) -> tuple[Any, Any]:
    return veth_pair(rig.host.netns, "vx0", rig.host.netns, "vx1")


# --- creation -----------------------------------------------------------------------


async def test_create_types_and_capability(rig: Any) -> None:
    for type_ in (uapi.SOCK_RAW, uapi.SOCK_DGRAM, uapi.SOCK_PACKET):
        assert await psock(rig, type_) >= 0
    for type_ in (uapi.SOCK_STREAM, uapi.SOCK_SEQPACKET, 4):
        assert await rig.err("socket", family=uapi.AF_PACKET, type=type_, protocol=0) == "ESOCKTNOSUPPORT"
    user = rig.host.spawn(uid=1000, gid=1000)
    assert await rig.err("socket", user, family=uapi.AF_PACKET, type=uapi.SOCK_RAW, protocol=0) == "EPERM"
    assert await rig.err("socket", user, family=uapi.AF_PACKET, type=uapi.SOCK_STREAM, protocol=0) == "EPERM"
    fd = await psock(rig, proto=uapi.ETH_P_ALL)
    assert await getopt(rig, fd, uapi.SO_PROTOCOL, level=uapi.SOL_SOCKET) == struct.pack("<i", 0)
    assert await getopt(rig, fd, uapi.SO_DOMAIN, level=uapi.SOL_SOCKET) == struct.pack("<i", uapi.AF_PACKET)
    reply = await rig.call("getsockname", fd=fd)
    assert reply.addrlen == 12 and parse_sll(reply.addr)[:3] == (uapi.AF_PACKET, uapi.ETH_P_ALL, 0)
    assert await rig.err("getpeername", fd=fd) == "EOPNOTSUPP"
    assert await rig.err("connect", fd=fd, addr=sll(1)) == "EOPNOTSUPP"
    assert await rig.err("listen", fd=fd, backlog=1) == "EOPNOTSUPP"
    assert await rig.err("shutdown", fd=fd, how=uapi.SHUT_RDWR) == "EOPNOTSUPP"


async def test_bind_checks_and_getsockname(rig: Any) -> None:
    fd = await psock(rig)
    assert await rig.err("bind", fd=fd, addr=sll(1)[:19]) == "EINVAL"
    assert await rig.err("bind", fd=fd, addr=struct.pack("<H", uapi.AF_INET) + sll(1)[2:]) == "EINVAL"
    assert await rig.err("bind", fd=fd, addr=sll(999)) == "ENODEV"
    await rig.ok("bind", fd=fd, addr=sll(1, uapi.ETH_P_IP))
    reply = await rig.call("getsockname", fd=fd)
    assert reply.addrlen == 18
    assert reply.addr == struct.pack("<H", 17) + b"\x08\x00" + struct.pack("<iHBB", 1, 772, 0, 6) + LO_HWADDR
    reply = await rig.call("getsockname", fd=fd, addrlen=4)
    assert (reply.addrlen, reply.addr) == (18, b"\x11\x00\x08\x00")
    await rig.ok("bind", fd=fd, addr=sll(0, 0))  # protocol 0 keeps the bound one, ifindex 0 = all devices
    reply = await rig.call("getsockname", fd=fd)
    assert reply.addrlen == 12 and parse_sll(reply.addr)[1:3] == (uapi.ETH_P_IP, 0)


# --- receive ----------------------------------------------------------------------------


async def test_eth_p_all_sees_both_directions_but_not_its_own_output(rig: Any) -> None:
    tap = await psock(rig, proto=uapi.ETH_P_ALL)
    await rig.ok("bind", fd=tap, addr=sll(1))
    sender = await psock(rig)
    f = frame(LO_HWADDR, b"\x02" * 6, ETH_P_TEST, b"hello-raw")
    assert await rig.ok("sendto", fd=sender, data=f, flags=0, addr=sll(1, ETH_P_TEST)) == len(f)
    got = [(d, parse_sll(a)) for d, a in await drain(rig, tap) if b"hello-raw" in d]
    assert [d for d, _ in got] == [f, f]
    assert [s[4] for _, s in got] == [uapi.PACKET_OUTGOING, uapi.PACKET_HOST]
    assert got[0][1] == (uapi.AF_PACKET, ETH_P_TEST, 1, 772, uapi.PACKET_OUTGOING, 6, b"\x02" * 6)
    reply = await rig.call("recvfrom", fd=tap, size=100, flags=uapi.MSG_DONTWAIT)
    assert reply.error_name == "EAGAIN"
    # a tap that sends sees only the received (looped-back) copy of its own frame
    await rig.ok("sendto", fd=tap, data=f, flags=0, addr=sll(1, ETH_P_TEST))
    assert [parse_sll(a)[4] for d, a in await drain(rig, tap)] == [uapi.PACKET_HOST]


async def test_recvfrom_address_is_padded_to_sockaddr_ll(rig: Any) -> None:
    r = await psock(rig, proto=ETH_P_TEST)
    await rig.ok("bind", fd=r, addr=sll(1))
    s = await psock(rig)
    await rig.ok("sendto", fd=s, data=frame(LO_HWADDR, b"\x02" * 6, ETH_P_TEST, b"x"), flags=0, addr=sll(1, ETH_P_TEST))
    reply = await rig.call("recvfrom", fd=r, size=100, flags=0)
    assert reply.addrlen == 20
    assert reply.addr == sll(1, ETH_P_TEST, 772, 0, 6, b"\x02" * 6)


async def test_dgram_strips_and_builds_the_link_header(rig: Any) -> None:
    raw = await psock(rig, proto=ETH_P_TEST)
    await rig.ok("bind", fd=raw, addr=sll(1))
    dg = await psock(rig, uapi.SOCK_DGRAM, ETH_P_TEST)
    await rig.ok("bind", fd=dg, addr=sll(1))
    dest = b"\x0a" * 6
    assert await rig.ok("sendto", fd=dg, data=b"dgrampayload", flags=0,
                        addr=sll(1, ETH_P_TEST, halen=6, addr=dest)) == 12
    assert await rig.ok("sendto", fd=dg, data=b"dgrampayload2", flags=0, addr=None) == 13  # lo needs no address
    assert await rig.ok("sendto", fd=dg, data=b"", flags=0, addr=None) == 0
    got = await drain(rig, raw)
    assert [d for d, _ in got] == [dest + LO_HWADDR + b"\x88\xb5dgrampayload",
                                   LO_HWADDR * 2 + b"\x88\xb5dgrampayload2", LO_HWADDR * 2 + b"\x88\xb5"]
    assert [parse_sll(a)[4] for _, a in got] == [uapi.PACKET_OTHERHOST, uapi.PACKET_HOST, uapi.PACKET_HOST]
    got = await drain(rig, dg)
    assert [d for d, _ in got] == [b"dgrampayload", b"dgrampayload2", b""]
    assert parse_sll(got[0][1]) == (uapi.AF_PACKET, ETH_P_TEST, 1, 772, uapi.PACKET_OTHERHOST, 6, LO_HWADDR)


async def test_msg_trunc_peek_and_bad_flags(rig: Any) -> None:
    r = await psock(rig, proto=ETH_P_TEST)
    await rig.ok("bind", fd=r, addr=sll(1))
    f = frame(LO_HWADDR, LO_HWADDR, ETH_P_TEST, b"x" * 50)
    await rig.ok("sendto", fd=r, data=f, flags=0, addr=sll(1, ETH_P_TEST))
    for flags in (uapi.MSG_OOB, uapi.MSG_WAITALL, uapi.MSG_CMSG_CLOEXEC):
        assert (await rig.call("recvfrom", fd=r, size=10, flags=flags | uapi.MSG_DONTWAIT)).error_name == "EINVAL"
    reply = await rig.call("recvmsg", fd=r, size=10, flags=uapi.MSG_PEEK)
    assert (reply.ret, reply.data, reply.msg_flags & uapi.MSG_TRUNC) == (10, f[:10], uapi.MSG_TRUNC)
    reply = await rig.call("recvmsg", fd=r, size=10, flags=uapi.MSG_TRUNC)
    assert (reply.ret, reply.data) == (64, f[:10])
    assert (await rig.call("recv", fd=r, size=10, flags=uapi.MSG_DONTWAIT)).error_name == "EAGAIN"
    assert (await rig.call("recvmsg", fd=r, size=10, flags=uapi.MSG_ERRQUEUE)).error_name == "EAGAIN"


async def test_auxdata(rig: Any) -> None:
    raw = await psock(rig, proto=ETH_P_TEST)
    await rig.ok("bind", fd=raw, addr=sll(1))
    dg = await psock(rig, uapi.SOCK_DGRAM, ETH_P_TEST)
    await rig.ok("bind", fd=dg, addr=sll(1))
    for fd in (raw, dg):
        assert await setopt(rig, fd, uapi.PACKET_AUXDATA, 1) == ""
    f = frame(LO_HWADDR, b"\x02" * 6, ETH_P_TEST, b"own-frame")
    await rig.ok("sendto", fd=raw, data=f, flags=0, addr=sll(1, ETH_P_TEST))
    reply = await rig.call("recvmsg", fd=raw, size=100, flags=0, controllen=1000)
    assert rig.parse_cmsgs(reply.control) == [(SOL_PACKET, uapi.PACKET_AUXDATA,
                                               struct.pack("<IIIHHHH", 1, 23, 23, 0, 14, 0, 0))]
    reply = await rig.call("recvmsg", fd=dg, size=5, flags=0, controllen=1000)
    assert reply.data == b"own-f" and reply.msg_flags == uapi.MSG_TRUNC
    assert rig.parse_cmsgs(reply.control) == [(SOL_PACKET, uapi.PACKET_AUXDATA,
                                               struct.pack("<IIIHHHH", 1, 9, 9, 0, 0, 0, 0))]


async def test_statistics_and_receive_buffer_drops(rig: Any) -> None:
    r = await psock(rig, proto=ETH_P_TEST)
    await rig.ok("bind", fd=r, addr=sll(1))
    assert await getopt(rig, r, uapi.PACKET_STATISTICS, 8) == bytes(8)
    s = await psock(rig)
    f = frame(LO_HWADDR, LO_HWADDR, ETH_P_TEST, b"y" * 1000)
    for _ in range(3):
        await rig.ok("sendto", fd=s, data=f, flags=0, addr=sll(1, ETH_P_TEST))
    assert await getopt(rig, r, uapi.PACKET_STATISTICS, 4) == struct.pack("<I", 3)
    assert await getopt(rig, r, uapi.PACKET_STATISTICS, 16) == bytes(8)  # reset by the read
    await setopt(rig, r, uapi.SO_RCVBUF, 0, level=uapi.SOL_SOCKET)  # SOCK_MIN_RCVBUF: the queue holds one
    sk = rig.sk(r)
    queued = len(sk.sk_receive_queue)
    for _ in range(4):
        await rig.ok("sendto", fd=s, data=f, flags=0, addr=sll(1, ETH_P_TEST))
    assert len(sk.sk_receive_queue) == queued  # the three already queued are over the new rcvbuf
    assert await getopt(rig, r, uapi.PACKET_STATISTICS, 8) == struct.pack("<II", 4, 4)
    assert sk.sk_drops == 4


async def test_blocking_recv_wakes_and_poll(rig: Any) -> None:
    r = await psock(rig, proto=ETH_P_TEST)
    await rig.ok("bind", fd=r, addr=sll(1))
    reply = await rig.call("poll", fds=[(r, uapi.POLLIN | uapi.POLLOUT)], timeout_ms=0)
    assert reply.revents == [uapi.POLLOUT]
    task = await rig.start("recv", fd=r, size=100, flags=0)
    assert not task.done()
    s = await psock(rig)
    f = frame(LO_HWADDR, LO_HWADDR, ETH_P_TEST, b"wake")
    await rig.ok("sendto", fd=s, data=f, flags=0, addr=sll(1, ETH_P_TEST))
    await rig.settle()
    assert task.done() and task.result().data == f
    await rig.ok("sendto", fd=s, data=f, flags=0, addr=sll(1, ETH_P_TEST))
    reply = await rig.call("poll", fds=[(r, uapi.POLLIN)], timeout_ms=0)
    assert reply.revents == [uapi.POLLIN]
    assert (await rig.call("ioctl", fd=r, cmd=uapi.SIOCINQ)).value == len(f)


# --- send ---------------------------------------------------------------------------------


async def test_sendto_address_and_frame_checks(rig: Any) -> None:
    s = await psock(rig)
    f = frame(LO_HWADDR, b"\x02" * 6, ETH_P_TEST, b"hello-raw")
    assert await rig.err("sendto", fd=s, data=f, flags=0, addr=None) == "ENXIO"
    for n in (8, 12, 18, 19):
        assert await rig.err("sendto", fd=s, data=f, flags=0, addr=sll(1, ETH_P_TEST)[:n]) == "EINVAL"
    assert await rig.err("sendto", fd=s, data=f, flags=0, addr=sll(1, ETH_P_TEST, halen=9)) == "EINVAL"
    assert await rig.ok("sendto", fd=s, data=f, flags=0, addr=sll(1, ETH_P_TEST, halen=8)) == len(f)
    assert await rig.err("sendto", fd=s, data=b"", flags=0, addr=sll(1, ETH_P_TEST)) == "EINVAL"
    assert await rig.err("sendto", fd=s, data=f[:13], flags=0, addr=sll(1, ETH_P_TEST)) == "EINVAL"
    assert await rig.ok("sendto", fd=s, data=f[:14], flags=0, addr=sll(1, ETH_P_TEST)) == 14
    assert await rig.err("sendto", fd=s, data=f, flags=0, addr=sll(999, ETH_P_TEST)) == "ENXIO"


async def test_mtu_limits_and_vlan_allowance(rig: Any, veth: Any) -> None:
    vx0, _ = veth
    raw = await psock(rig)
    await rig.ok("bind", fd=raw, addr=sll(vx0.ifindex, ETH_P_TEST))
    assert await rig.ok("sendto", fd=raw, data=bytes(1514), flags=0, addr=None) == 1514
    assert await rig.err("sendto", fd=raw, data=bytes(1515), flags=0, addr=None) == "EMSGSIZE"
    tagged = bytes(12) + b"\x81\x00"
    assert await rig.ok("sendto", fd=raw, data=tagged + bytes(1504), flags=0, addr=None) == 1518
    assert await rig.err("sendto", fd=raw, data=tagged + bytes(1505), flags=0, addr=None) == "EMSGSIZE"
    dg = await psock(rig, uapi.SOCK_DGRAM)
    await rig.ok("bind", fd=dg, addr=sll(vx0.ifindex, ETH_P_TEST))
    assert await rig.err("sendto", fd=dg, data=bytes(1500), flags=0, addr=None) == "EINVAL"  # eth_header: no address
    assert await rig.err("sendto", fd=dg, data=bytes(1505), flags=0, addr=None) == "EMSGSIZE"
    to = sll(vx0.ifindex, ETH_P_TEST, halen=6, addr=b"\xff" * 6)
    assert await rig.ok("sendto", fd=dg, data=bytes(1500), flags=0, addr=to) == 1500
    assert await rig.err("sendto", fd=dg, data=bytes(1501), flags=0, addr=to) == "EMSGSIZE"


async def test_frames_cross_a_veth_pair(rig: Any, veth: Any) -> None:
    vx0, vx1 = veth
    rx = await psock(rig, proto=ETH_P_TEST)
    await rig.ok("bind", fd=rx, addr=sll(vx1.ifindex))
    tx = await psock(rig, uapi.SOCK_DGRAM)
    await rig.ok("bind", fd=tx, addr=sll(vx0.ifindex, ETH_P_TEST))
    assert await rig.ok("sendto", fd=tx, data=b"over-veth", flags=0,
                        addr=sll(vx0.ifindex, ETH_P_TEST, halen=6, addr=vx1.dev_addr)) == 9
    got = await drain(rig, rx)
    assert [d for d, _ in got] == [vx1.dev_addr + vx0.dev_addr + b"\x88\xb5over-veth"]
    assert parse_sll(got[0][1]) == (uapi.AF_PACKET, ETH_P_TEST, vx1.ifindex, 1, uapi.PACKET_HOST, 6, vx0.dev_addr)
    assert rig.sk(tx).sk_wmem_alloc == 0  # the driver freed the frame


# --- devices going down, memberships --------------------------------------------------------


async def test_bind_to_down_device_and_device_down(rig: Any, veth: Any) -> None:
    vx0, vx1 = veth
    dev_close(vx0)
    a = await psock(rig, proto=uapi.ETH_P_ALL)
    await rig.ok("bind", fd=a, addr=sll(vx0.ifindex, uapi.ETH_P_ALL))
    assert await getopt(rig, a, uapi.SO_ERROR, level=uapi.SOL_SOCKET) == struct.pack("<i", uapi.ENETDOWN)
    assert await rig.err("sendto", fd=a, data=bytes(20), flags=0, addr=None) == "ENETDOWN"
    dev_open(vx0)  # NETDEV_UP hooks the socket again
    b = await psock(rig, proto=uapi.ETH_P_ALL)
    await rig.ok("bind", fd=b, addr=sll(vx1.ifindex))
    f = frame(vx1.dev_addr, vx0.dev_addr, ETH_P_TEST, b"after-up")
    await rig.ok("sendto", fd=a, data=f, flags=0, addr=None)
    assert [d for d, _ in await drain(rig, b)] == [f]
    dev_close(vx1)
    assert await getopt(rig, b, uapi.SO_ERROR, level=uapi.SOL_SOCKET) == struct.pack("<i", uapi.ENETDOWN)
    reply = await rig.call("poll", fds=[(b, uapi.POLLIN)], timeout_ms=0)
    assert reply.revents == [0]
    assert not rig.sk(b).running


async def test_memberships(rig: Any, veth: Any) -> None:
    vx0, _ = veth
    idx = vx0.ifindex
    s = await psock(rig, proto=uapi.ETH_P_ALL)
    add, drop = uapi.PACKET_ADD_MEMBERSHIP, uapi.PACKET_DROP_MEMBERSHIP
    assert await setopt(rig, s, add, mreq(idx, uapi.PACKET_MR_PROMISC)) == ""
    assert vx0.flags & IFF_PROMISC
    assert await setopt(rig, s, add, mreq(idx, uapi.PACKET_MR_PROMISC)) == ""
    assert await setopt(rig, s, drop, mreq(idx, uapi.PACKET_MR_PROMISC)) == ""
    assert vx0.flags & IFF_PROMISC  # the entry counts two adds
    assert await setopt(rig, s, drop, mreq(idx, uapi.PACKET_MR_PROMISC)) == ""
    assert not vx0.flags & IFF_PROMISC
    assert await setopt(rig, s, drop, mreq(idx, uapi.PACKET_MR_PROMISC)) == ""  # nothing to drop: still 0
    assert await setopt(rig, s, add, mreq(idx, uapi.PACKET_MR_PROMISC)[:15]) == "EINVAL"
    assert await setopt(rig, s, add, mreq(idx, uapi.PACKET_MR_PROMISC) + bytes(8)) == ""
    assert await setopt(rig, s, add, mreq(999, uapi.PACKET_MR_PROMISC)) == "ENODEV"
    assert await setopt(rig, s, add, mreq(idx, uapi.PACKET_MR_PROMISC, 7)) == "EINVAL"
    assert await setopt(rig, s, add, mreq(idx, uapi.PACKET_MR_MULTICAST, 3, b"\x01\x00\x5e")) == "EINVAL"
    group = b"\x01\x00\x5e\x00\x00\x09"
    assert await setopt(rig, s, add, mreq(idx, uapi.PACKET_MR_MULTICAST, 6, group)) == ""
    assert vx0.mc_list.get(group) == 1
    assert await setopt(rig, s, add, mreq(idx, uapi.PACKET_MR_ALLMULTI)) == ""
    assert vx0.flags & IFF_ALLMULTI
    assert await setopt(rig, s, add, mreq(idx, uapi.PACKET_MR_UNICAST, 6, b"\x02" * 6)) == ""
    assert await setopt(rig, s, add, mreq(idx, 4)) == ""
    await rig.ok("close", fd=s)  # packet_flush_mclist undoes every entry
    assert not vx0.flags & (IFF_PROMISC | IFF_ALLMULTI) and group not in vx0.mc_list


# --- options ----------------------------------------------------------------------------------


async def test_option_errnos(rig: Any) -> None:
    fd = await psock(rig, proto=ETH_P_TEST)
    for optname in (1, 2, 3, 5):
        assert await getopt(rig, fd, optname) == "ENOPROTOOPT"
    assert await getopt(rig, fd, 99) == "ENOPROTOOPT"
    assert await getopt(rig, fd, 1, level=0) == "ENOPROTOOPT"
    for optname in (uapi.PACKET_AUXDATA, uapi.PACKET_ORIGDEV, uapi.PACKET_VERSION, uapi.PACKET_IGNORE_OUTGOING):
        assert await getopt(rig, fd, optname, 100) == bytes(4)
    assert await getopt(rig, fd, 11) == struct.pack("<i", 32)  # PACKET_HDRLEN of TPACKET_V1
    assert await getopt(rig, fd, 11, 2) == "EINVAL"
    assert [await setopt(rig, fd, o, 1) for o in (3, 6, 8, 9, 10, 23, 99)] == \
        ["ENOPROTOOPT", "ENOPROTOOPT", "", "", "", "", "ENOPROTOOPT"]
    assert [await setopt(rig, fd, o, b"\x01") for o in (8, 9, 10, 23)] == ["EINVAL"] * 4
    assert await setopt(rig, fd, uapi.PACKET_IGNORE_OUTGOING, 2) == "EINVAL"
    assert await setopt(rig, fd, uapi.PACKET_VERSION, 5) == "EINVAL"
    assert await setopt(rig, fd, 1, 1, level=0) == "ENOPROTOOPT"
    assert await getopt(rig, fd, uapi.PACKET_VERSION) == struct.pack("<i", 1)
    assert await getopt(rig, fd, uapi.PACKET_IGNORE_OUTGOING) == struct.pack("<i", 1)


async def test_ignore_outgoing(rig: Any) -> None:
    tap = await psock(rig, proto=uapi.ETH_P_ALL)
    await rig.ok("bind", fd=tap, addr=sll(1))
    assert await setopt(rig, tap, uapi.PACKET_IGNORE_OUTGOING, 1) == ""
    s = await psock(rig)
    await rig.ok("sendto", fd=s, data=frame(LO_HWADDR, LO_HWADDR, ETH_P_TEST, b"z"), flags=0, addr=sll(1, ETH_P_TEST))
    assert [parse_sll(a)[4] for _, a in await drain(rig, tap)] == [uapi.PACKET_HOST]


# --- SOCK_PACKET ---------------------------------------------------------------------------------


async def test_sock_packet(rig: Any) -> None:
    p = await psock(rig, uapi.SOCK_PACKET, ETH_P_TEST)
    reply = await rig.call("getsockname", fd=p)
    assert (reply.addrlen, reply.addr) == (16, b"\x11\x00" + bytes(14))
    name = struct.pack("<H", uapi.AF_PACKET) + b"lo".ljust(14, b"\0")
    assert await rig.err("bind", fd=p, addr=name[:15]) == "EINVAL"
    assert await rig.err("bind", fd=p, addr=struct.pack("<H", 17) + b"nope".ljust(14, b"\0")) == "ENODEV"
    await rig.ok("bind", fd=p, addr=name)
    reply = await rig.call("getsockname", fd=p)
    assert reply.addr == b"\x11\x00lo" + bytes(12)
    f = frame(LO_HWADDR, b"\x02" * 6, ETH_P_TEST, b"own-frame")
    assert await rig.err("sendto", fd=p, data=f, flags=0, addr=None) == "ENOTCONN"
    assert await rig.ok("sendto", fd=p, data=f, flags=0, addr=name) == len(f)
    got = await drain(rig, p)
    assert got == [(f, b"\x04\x03lo" + bytes(12) + b"\x88\xb5")]
    assert await setopt(rig, p, uapi.PACKET_AUXDATA, 1) == "EOPNOTSUPP"
