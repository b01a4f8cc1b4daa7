"""UDP over the emulated loopback (kernel.net.ipv4.udp): bind rules, data, errors, buffers, counters.

Figures (how many datagrams fit in a receive buffer, errnos) were measured on Linux 6.18.
"""
from __future__ import annotations

import struct

import pytest

import kernel.net.ipv4.af_inet  # noqa: F401
from kernel import uapi

AF_INET = uapi.AF_INET
DGRAM = uapi.SOCK_DGRAM
LO = "127.0.0.1"


def sin(addr: str, port: int, family: int = AF_INET) -> bytes:
    return struct.pack("<H", family) + struct.pack("!H", port) + bytes(int(x) for x in addr.split(".")) + bytes(8)


def unsin(raw: bytes) -> tuple[str, int]:
    return ".".join(str(b) for b in raw[4:8]), struct.unpack_from("!H", raw, 2)[0]


async def udp(rig, addr: str | None = LO, port: int = 0, proc=None) -> int:
    fd = await rig.ok("socket", proc, family=AF_INET, type=DGRAM, protocol=0)
    if addr is not None:
        await rig.ok("bind", proc, fd=fd, addr=sin(addr, port))
    return fd


async def name(rig, fd: int, proc=None) -> tuple[str, int]:
    reply = await rig.call("getsockname", proc, fd=fd)
    assert reply.ret == 0, reply.error_name
    return unsin(reply.addr)


async def sendto(rig, fd: int, data: bytes, dst: tuple[str, int], flags: int = 0) -> str | int:
    reply = await rig.call("sendto", fd=fd, data=data, flags=flags, addr=sin(*dst))
    return reply.ret if reply.ret >= 0 else reply.error_name


async def recv(rig, fd: int, size: int = 65536, flags: int = uapi.MSG_DONTWAIT) -> bytes | str:
    reply = await rig.call("recv", fd=fd, size=size, flags=flags)
    return reply.data if reply.ret >= 0 else reply.error_name


def mib(rig, table: str, field: str) -> int:
    return rig.host.netns.mib[table][field]


# --- bind ----------------------------------------------------------------------------------

async def test_autobind_in_ephemeral_range(rig) -> None:
    a = await udp(rig)
    b = await udp(rig)
    pa, pb = (await name(rig, a))[1], (await name(rig, b))[1]
    assert 32768 <= pa <= 60999 and 32768 <= pb <= 60999 and pa != pb


async def test_bind_errors(rig) -> None:
    a = await udp(rig)
    port = (await name(rig, a))[1]
    b = await udp(rig, None)
    assert await rig.err("bind", fd=b, addr=sin(LO, port)) == "EADDRINUSE"
    assert await rig.err("bind", fd=b, addr=sin("0.0.0.0", port)) == "EADDRINUSE"
    assert await rig.err("bind", fd=a, addr=sin(LO, 0)) == "EINVAL"
    assert await rig.err("bind", fd=b, addr=sin(LO, 0)[:15]) == "EINVAL"
    assert await rig.err("bind", fd=b, addr=sin(LO, 0, family=uapi.AF_UNIX)) == "EAFNOSUPPORT"
    assert await rig.err("bind", fd=b, addr=sin(LO, 0, family=uapi.AF_UNSPEC)) == "EAFNOSUPPORT"
    assert await rig.err("bind", fd=b, addr=sin("198.51.100.7", 0)) == "EADDRNOTAVAIL"
    assert await rig.err("bind", fd=b, addr=sin("0.0.0.0", 0, family=uapi.AF_UNSPEC)) == ""


async def test_bind_freebind_and_other_loopback(rig) -> None:
    a = await udp(rig, None)
    await rig.set_int(a, uapi.IP_FREEBIND, 1, level=uapi.SOL_IP)
    assert await rig.err("bind", fd=a, addr=sin("198.51.100.7", 0)) == ""
    b = await udp(rig, "127.1.2.3")
    assert (await name(rig, b))[0] == "127.1.2.3"


async def test_bind_privileged_port_needs_capability(rig) -> None:
    user = rig.host.spawn(uid=1000, gid=1000)
    fd = await udp(rig, None, proc=user)
    assert await rig.err("bind", user, fd=fd, addr=sin(LO, 80)) == "EACCES"
    assert await rig.err("bind", fd=await udp(rig, None), addr=sin(LO, 80)) == ""


async def test_reuseaddr_and_reuseport(rig) -> None:
    a, b = await udp(rig, None), await udp(rig, None)
    for fd in (a, b):
        await rig.set_int(fd, uapi.SO_REUSEADDR, 1)
    await rig.ok("bind", fd=a, addr=sin(LO, 5000))
    await rig.ok("bind", fd=b, addr=sin(LO, 5000))
    # the newest socket gets unicast datagrams
    s = await udp(rig)
    assert await sendto(rig, s, b"hi", (LO, 5000)) == 2
    assert await recv(rig, b) == b"hi" and await recv(rig, a) == "EAGAIN"
    c, d = await udp(rig, None), await udp(rig, None)
    user = rig.host.spawn(uid=1000, gid=1000)
    e = await udp(rig, None, proc=user)
    for fd, proc in ((c, None), (d, None), (e, user)):
        await rig.set_int(fd, uapi.SO_REUSEPORT, 1, proc=proc)
    await rig.ok("bind", fd=c, addr=sin(LO, 6000))
    await rig.ok("bind", fd=d, addr=sin(LO, 6000))
    assert await rig.err("bind", user, fd=e, addr=sin(LO, 6000)) == "EADDRINUSE"


# --- connect -------------------------------------------------------------------------------

async def test_connect_autobinds_and_disconnect(rig) -> None:
    r = await udp(rig)
    s = await udp(rig, None)
    await rig.ok("connect", fd=s, addr=sin(*await name(rig, r)))
    addr, port = await name(rig, s)
    assert addr == LO and 32768 <= port <= 60999
    reply = await rig.call("getpeername", fd=s)
    assert unsin(reply.addr) == await name(rig, r)
    await rig.ok("connect", fd=s, addr=struct.pack("<H", uapi.AF_UNSPEC))
    assert await name(rig, s) == ("0.0.0.0", 0)  # autobound: address and port forgotten
    assert await rig.err("getpeername", fd=s) == "ENOTCONN"
    b = await udp(rig, LO, 7000)
    await rig.ok("connect", fd=b, addr=sin(*await name(rig, r)))
    await rig.ok("connect", fd=b, addr=struct.pack("<H", uapi.AF_UNSPEC) + bytes(14))
    assert await name(rig, b) == (LO, 7000)


async def test_connect_errors(rig) -> None:
    s = await udp(rig, None)
    assert await rig.err("connect", fd=s, addr=sin(LO, 9)[:8]) == "EINVAL"
    assert await rig.err("connect", fd=s, addr=sin(LO, 9, family=uapi.AF_UNIX)) == "EAFNOSUPPORT"
    assert await rig.err("connect", fd=s, addr=sin("127.255.255.255", 9)) == "EACCES"
    await rig.set_int(s, uapi.SO_BROADCAST, 1)
    assert await rig.err("connect", fd=s, addr=sin("127.255.255.255", 9)) == ""


# --- data ----------------------------------------------------------------------------------

async def test_datagrams_keep_boundaries_and_sources(rig) -> None:
    a, b = await udp(rig), await udp(rig)
    dst = await name(rig, b)
    for data in (b"one", b"", b"three"):
        assert await sendto(rig, a, data, dst) == len(data)
    reply = await rig.call("recvfrom", fd=b, size=100, flags=0)
    assert reply.data == b"one" and unsin(reply.addr) == await name(rig, a)
    assert await recv(rig, b) == b""
    reply = await rig.call("recv", fd=b, size=2, flags=uapi.MSG_TRUNC)
    assert reply.ret == 5 and reply.data == b"th"
    assert await recv(rig, b) == "EAGAIN"
    assert mib(rig, "Udp", "InDatagrams") == 3 and mib(rig, "Udp", "OutDatagrams") == 3


async def test_peek_and_fionread(rig) -> None:
    a, b = await udp(rig), await udp(rig)
    await sendto(rig, a, b"hello", await name(rig, b))
    await sendto(rig, a, b"x", await name(rig, b))
    assert (await rig.call("ioctl", fd=b, cmd=uapi.FIONREAD)).value == 5
    assert await recv(rig, b, 100, uapi.MSG_PEEK) == b"hello"
    assert await recv(rig, b) == b"hello"
    assert (await rig.call("ioctl", fd=b, cmd=uapi.FIONREAD)).value == 1


async def test_send_errors(rig) -> None:
    a, b = await udp(rig), await udp(rig)
    dst = await name(rig, b)
    assert await sendto(rig, a, b"x", dst, uapi.MSG_OOB) == "EOPNOTSUPP"
    assert await sendto(rig, a, b"x", (LO, 0)) == "EINVAL"
    assert await sendto(rig, a, bytes(65508), dst) == "EMSGSIZE"
    assert await sendto(rig, a, bytes(65507), dst) == 65507
    assert len(await recv(rig, b)) == 65507
    assert (await rig.call("send", fd=a, data=b"x", flags=0)).error_name == "EDESTADDRREQ"
    assert await sendto(rig, a, b"x", ("127.255.255.255", dst[1])) == "EACCES"


async def test_port_unreachable_refuses_connected_socket(rig) -> None:
    a, b = await udp(rig), await udp(rig)
    dst = await name(rig, b)
    await rig.ok("close", fd=b)
    await rig.ok("connect", fd=a, addr=sin(*dst))
    assert (await rig.call("send", fd=a, data=b"x", flags=0)).ret == 1
    assert mib(rig, "Udp", "NoPorts") == 1
    assert await recv(rig, a) == "ECONNREFUSED"
    assert await recv(rig, a) == "EAGAIN"


# --- buffers ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("rcvbuf", "size", "fits"), [
    (1, 0, 2), (1, 100, 2), (1, 500, 1), (2048, 100, 4), (2048, 500, 3), (4096, 1000, 3),
    (10000, 100, 24), (10000, 500, 15), (10000, 2000, 4), (65536, 100, 157), (65536, 1000, 56),
    (212992, 8000, 25), (212992, 20000, 20), (212992, 65000, 6),
])
async def test_rcvbuf_accounting_matches_linux(rig, rcvbuf: int, size: int, fits: int) -> None:
    r = await udp(rig, None)
    await rig.set_int(r, uapi.SO_RCVBUF, rcvbuf)
    await rig.ok("bind", fd=r, addr=sin(LO, 0))
    s = await udp(rig)
    dst = await name(rig, r)
    for _ in range(fits + 3):
        await sendto(rig, s, bytes(size), dst)
    got = 0
    while isinstance(await recv(rig, r), bytes):
        got += 1
    assert got == fits
    assert mib(rig, "Udp", "RcvbufErrors") == 3 and rig.sk(r).sk_drops == 3


async def test_rxq_ovfl_cmsg(rig) -> None:
    r = await udp(rig, None)
    await rig.set_int(r, uapi.SO_RCVBUF, 1)
    await rig.set_int(r, uapi.SO_RXQ_OVFL, 1)
    await rig.ok("bind", fd=r, addr=sin(LO, 0))
    s = await udp(rig)
    for _ in range(4):
        await sendto(rig, s, b"x", await name(rig, r))
    await rig.ok("recv", fd=r, size=10, flags=0)
    await sendto(rig, s, b"y", await name(rig, r))
    reply = await rig.call("recvmsg", fd=r, flags=0, size=10, controllen=64)
    assert reply.data == b"x"
    assert rig.parse_cmsgs(reply.control) == []  # dropcount 0 when it was queued
    reply = await rig.call("recvmsg", fd=r, flags=0, size=10, controllen=64)
    assert reply.data == b"y"
    assert rig.parse_cmsgs(reply.control) == [(uapi.SOL_SOCKET, uapi.SO_RXQ_OVFL, struct.pack("<I", 2))]


async def test_shutdown(rig) -> None:
    a = await udp(rig)
    assert await rig.err("shutdown", fd=a, how=uapi.SHUT_RD) == "ENOTCONN"
    assert await rig.err("shutdown", fd=a, how=7) == "EINVAL"
    b = await udp(rig)
    await rig.ok("connect", fd=b, addr=sin(*await name(rig, a)))
    await rig.ok("shutdown", fd=b, how=uapi.SHUT_RD)
    assert (await rig.call("recv", fd=b, size=10, flags=0)).ret == 0


async def test_blocking_recv_wakes_and_times_out(rig) -> None:
    a, b = await udp(rig), await udp(rig)
    task = await rig.start("recv", fd=b, size=10, flags=0)
    assert not task.done()
    await sendto(rig, a, b"wake", await name(rig, b))
    await rig.settle()
    assert task.done() and task.result().data == b"wake"
    await rig.set_timeo(b, uapi.SO_RCVTIMEO, 0.5)
    task = await rig.start("recv", fd=b, size=10, flags=0)
    await rig.advance(0.6)
    assert task.done() and task.result().error_name == "EAGAIN"


async def test_poll_masks(rig) -> None:
    a, b = await udp(rig), await udp(rig)
    events = uapi.POLLIN | uapi.POLLOUT
    assert (await rig.call("poll", fds=[(b, events)], timeout_ms=0)).revents == [uapi.POLLOUT]
    await sendto(rig, a, b"x", await name(rig, b))
    assert (await rig.call("poll", fds=[(b, events)], timeout_ms=0)).revents == [events]


async def test_so_peek_off_walks_datagrams(rig) -> None:
    a, b = await udp(rig), await udp(rig)
    await rig.set_int(b, uapi.SO_PEEK_OFF, 0)
    for data in (b"hello", b"world"):
        await sendto(rig, a, data, await name(rig, b))
    peek = uapi.MSG_PEEK | uapi.MSG_DONTWAIT
    assert [await recv(rig, b, n, peek) for n in (2, 10, 10)] == [b"he", b"llo", b"world"]  # as Linux 6.18
    assert rig.sk(b).sk_peek_off == 10
    assert await recv(rig, b) == b"hello" and rig.sk(b).sk_peek_off == 5
    assert await recv(rig, b, 10, peek) == "EAGAIN"


async def test_corked_data_holds_send_buffer(rig) -> None:
    a, b = await udp(rig), await udp(rig)
    await rig.ok("connect", fd=a, addr=sin(*await name(rig, b)))
    await rig.set_int(a, uapi.SO_SNDBUF, 0)  # 4608: writable below 2304
    assert (await rig.call("send", fd=a, data=bytes(1000), flags=uapi.MSG_MORE)).ret == 1000
    assert (await rig.call("poll", fds=[(a, uapi.POLLOUT)], timeout_ms=0)).revents == [0]  # as Linux: 2304 held
    assert (await rig.call("send", fd=a, data=b"end", flags=0)).ret == 3
    assert rig.sk(a).sk_wmem_alloc == 0
    assert len(await recv(rig, b)) == 1003
    assert (await rig.call("poll", fds=[(a, uapi.POLLOUT)], timeout_ms=0)).revents == [uapi.POLLOUT]


async def test_cork_flow_is_shared_with_connect_and_connected_sends(rig) -> None:
    """inet->cork.fl, as Linux 6.18: a corked sendto re-addresses the flow a connected socket's cached
    route sends with (until the route is dropped, here by IP_TOS); connect() re-routes a pending
    datagram, even a connect that fails with EACCES."""
    a, b = await udp(rig), await udp(rig)
    s = await udp(rig, None)
    await rig.ok("connect", fd=s, addr=sin(*await name(rig, a)))
    assert await sendto(rig, s, b"c", await name(rig, b), uapi.MSG_MORE) == 1
    for data in (b"1", b"2"):
        assert (await rig.call("send", fd=s, data=data, flags=0)).ret == 1
    await rig.set_int(s, uapi.IP_TOS, 0x10, level=uapi.SOL_IP)
    for data in (b"3", b"4"):  # a fresh route to the peer, cached again: the next send uses the cork flow
        assert (await rig.call("send", fd=s, data=data, flags=0)).ret == 1
    assert [await recv(rig, a) for _ in range(2)] == [b"3", "EAGAIN"]
    assert [await recv(rig, b) for _ in range(4)] == [b"c1", b"2", b"4", "EAGAIN"]
    t = await udp(rig, None)
    assert await sendto(rig, t, b"x", await name(rig, a), uapi.MSG_MORE) == 1
    assert await rig.err("connect", fd=t, addr=sin("127.255.255.255", 9)) == "EACCES"
    assert (await rig.call("send", fd=t, data=b"y", flags=0)).ret == 1
    assert await recv(rig, a) == "EAGAIN"
    assert mib(rig, "Udp", "IgnoredMulti") == 1  # xy went to 127.255.255.255:9


async def test_reuseport_bind_decided_by_newest_conflicting_socket(rig) -> None:
    """udp_lib_lport_inuse as Linux 6.18: the port's chain is walked newest first and the first
    conflicting socket decides, so a wildcard SO_REUSEPORT bind depends on the order of the others."""
    outcomes = []
    for order in ("ab", "ba"):
        a, b = await udp(rig, None), await udp(rig, None)
        await rig.set_int(b, uapi.SO_REUSEPORT, 1)
        for fd, addr in ((a, "127.0.0.2"), (b, LO)) if order == "ab" else ((b, LO), (a, "127.0.0.2")):
            await rig.ok("bind", fd=fd, addr=sin(addr, 7100 + len(outcomes)))
        c = await udp(rig, None)
        await rig.set_int(c, uapi.SO_REUSEPORT, 1)
        outcomes.append(await rig.err("bind", fd=c, addr=sin("0.0.0.0", 7100 + len(outcomes))))
    assert outcomes == ["", "EADDRINUSE"]


@pytest.mark.parametrize("mode, sent, counters", [
    # IP_PMTUDISC_INTERFACE: accepted, fragmented to lo's 65535, the 65536-byte datagram fails reassembly
    (uapi.IP_PMTUDISC_INTERFACE, 65508, {("Ip", "FragCreates"): 2, ("Ip", "FragOKs"): 1, ("Ip", "ReasmFails"): 1,
                                        ("Udp", "OutDatagrams"): 1, ("Ip", "OutDiscards"): 0}),
    # IP_PMTUDISC_PROBE: DF, so fragmentation fails: an ICMP fragmentation needed (mtu 65535) to ourselves
    (uapi.IP_PMTUDISC_PROBE, "EMSGSIZE", {("Ip", "FragFails"): 1, ("Ip", "OutDiscards"): 1,
                                          ("Icmp", "InDestUnreachs"): 1, ("Udp", "OutDatagrams"): 0}),
])
async def test_65508_bytes_over_lo_without_pmtu(rig, mode: int, sent: int | str, counters: dict) -> None:
    """Modes that size datagrams by the device MTU (lo: 65536) let 65508 bytes through ip_append_data;
    what happens next, as Linux 6.18 (counter deltas measured there)."""
    r = await udp(rig)
    s = await udp(rig, None)
    await rig.set_int(s, uapi.IP_MTU_DISCOVER, mode, level=uapi.SOL_IP)
    await rig.set_int(s, uapi.IP_RECVERR, 1, level=uapi.SOL_IP)
    before = {key: mib(rig, *key) for key in counters}
    assert await sendto(rig, s, bytes(65508), await name(rig, r)) == sent
    assert {key: mib(rig, *key) - before[key] for key in counters} == counters
    assert await recv(rig, r) == "EAGAIN"
    reply = await rig.call("recvmsg", fd=s, size=1000, controllen=256, flags=uapi.MSG_ERRQUEUE)
    assert (reply.ret, reply.error_name) == ((520, "") if sent == "EMSGSIZE" else (-11, "EAGAIN"))


async def test_read_datagrams_keep_charging_rcvbuf_until_the_reader_queue_drains(rig) -> None:
    """udp_rmem_release as Linux 6.18: a read datagram's memory stays in sk_rmem_alloc (forward_deficit)
    while the reader queue holds more and the deficit is under a quarter of sk_rcvbuf."""
    r, s = await udp(rig), await udp(rig)
    for _ in range(2):
        await sendto(rig, s, bytes(1000), await name(rig, r))
    assert len(await recv(rig, r)) == 1000
    assert rig.sk(r).sk_rmem_alloc == 2 * 2304 and rig.sk(r).forward_deficit == 2304
    await rig.set_int(r, uapi.SO_RCVBUF, 2304)  # 4608: full
    assert await sendto(rig, s, b"x", await name(rig, r)) == 1
    assert mib(rig, "Udp", "RcvbufErrors") == 1
    assert len(await recv(rig, r)) == 1000 and await recv(rig, r) == "EAGAIN"
    assert rig.sk(r).sk_rmem_alloc == 0 and rig.sk(r).forward_deficit == 0
