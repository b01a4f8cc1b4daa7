"""Interface names and indexes through the client: if_nametoindex & co. and AF_PACKET addresses.

Each test runs on the three kernels of the ``net`` fixture (``linux``: the
client over this machine's kernel, ``local`` and ``grpc``: the emulated one)
and compares with the stdlib ``socket`` module on the host wherever the
answer does not depend on the machine's devices: lo is index 1 on both, with
ARPHRD_LOOPBACK and an all-zero address.  AF_PACKET sockets of the host see
every frame on lo (other programs' too), so the frames are picked by a random
token.  Needs root (AF_PACKET) on the host, as the rest of the suite.
"""
from __future__ import annotations

import errno
import socket
import uuid
from typing import Any

import pytest

import client
import client.aio

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ARPHRD_LOOPBACK = 772
LO_ADDR = b"\x00" * 6


def outcome(fn: Any, *args: Any) -> Any:
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # noqa: BLE001  (compared with the stdlib's, type and all)
        return (type(exc).__name__, getattr(exc, "errno", None), str(exc))


NAME_CASES: list[Any] = ["lo", b"lo", "lo:1", "bogus0", "x" * 20, "", "lo\0x", 1, None, bytearray(b"lo")]
INDEX_CASES: list[Any] = [1, True, 2**32 + 1, 0, 2**31 - 1, 2**32, -1, 2**64, "1", 1.0, None]


@pytest.mark.parametrize("name", NAME_CASES, ids=repr)
def test_if_nametoindex_like_stdlib(net: Any, name: Any) -> None:
    assert outcome(net.if_nametoindex, name) == outcome(socket.if_nametoindex, name)


@pytest.mark.parametrize("index", INDEX_CASES, ids=repr)
def test_if_indextoname_like_stdlib(net: Any, index: Any) -> None:
    assert outcome(net.if_indextoname, index) == outcome(socket.if_indextoname, index)


def test_if_argument_counts(net: Any) -> None:
    assert outcome(net.if_nametoindex) == outcome(socket.if_nametoindex)  # type: ignore[call-arg]
    assert outcome(net.if_indextoname) == outcome(socket.if_indextoname)  # type: ignore[call-arg]
    assert outcome(net.if_nameindex, 1) == outcome(socket.if_nameindex, 1)  # type: ignore[call-arg]


def test_if_nameindex(net: Any) -> None:
    pairs = net.if_nameindex()
    assert pairs[0] == (1, "lo")
    assert [i for i, _ in pairs] == sorted(i for i, _ in pairs)
    for index, name in pairs:
        assert net.if_nametoindex(name) == index
        assert net.if_indextoname(index) == name
    if net._transport.__class__.__name__ == "HostTransport":
        assert pairs == socket.if_nameindex()


def test_if_nameindex_emulated_devices() -> None:
    """The emulated host's own devices (the daemon's default: lo, eth0), found past a gap in the indexes."""
    from kernel.drivers.net.dummy import dummy_dev
    from kernel.net.core.dev import unregister_netdevice

    net = client.local()
    try:
        host = net._transport.local_host.host
        netns = host.netns
        made = net._transport.local_host.call_soon(lambda: [dummy_dev(netns, f"gap{i}") for i in range(5)])
        keep = made[-1]
        net._transport.local_host.call_soon(lambda: [unregister_netdevice(d) for d in made[:-1]])
        pairs = net.if_nameindex()
        assert (keep.ifindex, "gap4") in pairs
        assert [name for _, name in pairs if name.startswith("gap")] == ["gap4"]
        assert net.if_nametoindex("gap4") == keep.ifindex
        assert outcome(net.if_indextoname, made[0].ifindex) == ("OSError", errno.ENXIO, "[Errno 6] No such device or address")
    finally:
        net.close()


def test_packet_bind_and_names(net: Any) -> None:
    s = net.socket(net.AF_PACKET, net.SOCK_RAW, net.htons(ETH_P_ALL))
    with s:
        assert s.getsockname() == ("", ETH_P_ALL, 0, 0, b"")
        s.bind(("lo", ETH_P_ALL))
        assert s.getsockname() == ("lo", ETH_P_ALL, 0, ARPHRD_LOOPBACK, LO_ADDR)
        with pytest.raises(OSError) as err:
            s.bind(("bogus0", ETH_P_ALL))
        assert err.value.errno == errno.ENODEV
        with pytest.raises(OSError) as err:
            s.sendto(b"x" * 20, ("bogus0", ETH_P_IP))
        assert err.value.errno == errno.ENODEV
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL)) as std:
        std.bind(("lo", ETH_P_ALL))
        assert std.getsockname() == ("lo", ETH_P_ALL, 0, ARPHRD_LOOPBACK, LO_ADDR)


def _token_addrs(recvfrom: Any, token: bytes) -> list[Any]:
    out = []
    for _ in range(100000):
        try:
            data, addr = recvfrom(65536, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return out
        if token in data:
            out.append(addr)
    return out


def test_packet_sees_udp_on_lo(net: Any) -> None:
    """A datagram to 127.0.0.1 is seen leaving (PACKET_OUTGOING) and arriving (PACKET_HOST) on lo."""
    expected = [("lo", ETH_P_IP, socket.PACKET_OUTGOING, ARPHRD_LOOPBACK, LO_ADDR),
                ("lo", ETH_P_IP, socket.PACKET_HOST, ARPHRD_LOOPBACK, LO_ADDR)]
    for mod in (net, socket):
        token = uuid.uuid4().bytes
        p = mod.socket(mod.AF_PACKET, mod.SOCK_RAW, mod.htons(ETH_P_ALL))
        p.bind(("lo", ETH_P_ALL))
        r = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
        r.bind(("127.0.0.1", 0))
        u = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
        _token_addrs(p.recvfrom, token)  # empty the queue of the host's other lo traffic (rcvbuf room)
        u.sendto(token, r.getsockname())
        assert r.recv(100) == token
        assert _token_addrs(p.recvfrom, token) == expected, mod
        for s in (p, r, u):
            s.close()


def test_unbound_packet_socket_names_the_device(net: Any) -> None:
    """An unbound ETH_P_ALL socket: recvmsg's address still names lo (SIOCGIFNAME on the socket's fd)."""
    token = uuid.uuid4().bytes
    p = net.socket(net.AF_PACKET, net.SOCK_DGRAM, net.htons(ETH_P_ALL))
    r = net.socket(net.AF_INET, net.SOCK_DGRAM)
    r.bind(("127.0.0.1", 0))
    u = net.socket(net.AF_INET, net.SOCK_DGRAM)
    _token_addrs(p.recvfrom, token)  # empty the queue of the host's other lo traffic (rcvbuf room)
    u.sendto(token, r.getsockname())
    seen = []
    for _ in range(100000):
        try:
            data, _anc, _flags, addr = p.recvmsg(65536, 0, net.MSG_DONTWAIT)
        except BlockingIOError:
            break
        if token in data:
            seen.append(addr)
    assert ("lo", ETH_P_IP, socket.PACKET_HOST, ARPHRD_LOOPBACK, LO_ADDR) in seen
    for s in (p, r, u):
        s.close()


async def test_aio_interfaces(daemon: str) -> None:
    if daemon == "local":
        pytest.skip("SOCKETLAB_TARGET=local: no daemon")
    anet = await client.aio.connect(daemon)
    try:
        assert await anet.if_nametoindex("lo") == 1
        assert await anet.if_indextoname(1) == "lo"
        assert (await anet.if_nameindex())[0] == (1, "lo")
        with pytest.raises(OSError, match="no interface with this name"):
            await anet.if_nametoindex("bogus0")
        with pytest.raises(OSError) as err:
            await anet.if_indextoname(999)
        assert err.value.errno == errno.ENXIO
        token = uuid.uuid4().bytes
        p = await anet.socket(anet.AF_PACKET, anet.SOCK_RAW, socket.htons(ETH_P_ALL))
        await p.bind(("lo", ETH_P_ALL))
        assert await p.getsockname() == ("lo", ETH_P_ALL, 0, ARPHRD_LOOPBACK, LO_ADDR)
        with pytest.raises(OSError) as err:
            await p.bind(("bogus0", ETH_P_ALL))
        assert err.value.errno == errno.ENODEV
        r = await anet.socket(anet.AF_INET, anet.SOCK_DGRAM)
        await r.bind(("127.0.0.1", 0))
        u = await anet.socket(anet.AF_INET, anet.SOCK_DGRAM)
        dest = await r.getsockname()
        await u.sendto(token, dest)
        seen = []
        while True:
            try:
                data, addr = await p.recvfrom(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            if token in data:
                seen.append(addr)
        assert seen == [("lo", ETH_P_IP, socket.PACKET_OUTGOING, ARPHRD_LOOPBACK, LO_ADDR),
                        ("lo", ETH_P_IP, socket.PACKET_HOST, ARPHRD_LOOPBACK, LO_ADDR)]
        for s in (p, r, u):
            await s.close()
    finally:
        await anet.close()


def test_patch_dispatches_if_functions() -> None:
    original = socket.if_nameindex
    net = client.local()
    try:
        with client.patch(net):
            assert socket.if_nameindex() == net.if_nameindex()
            assert socket.if_nametoindex("lo") == 1
            assert socket.if_indextoname(1) == "lo"
        assert socket.if_nameindex is original
    finally:
        net.close()
