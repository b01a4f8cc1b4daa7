"""The Host admin service on a daemon built in the test's own loop (server.app.build), driven by grpc.aio.

Kernel refusals come back as a Result with the errno; malformed requests are
INVALID_ARGUMENT.  Captures get frames injected straight into the daemon's
kernel (the test shares its loop), so nothing waits on real traffic.  Waits
are bounded (asyncio.timeout), never sleeps.
"""
from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio

from client._gen.socketlab.v1 import host_pb2 as hp
from client._gen.socketlab.v1 import host_pb2_grpc as hp_grpc
from kernel import uapi
from kernel.host import Host
from kernel.net.core import dev as netdev
from server.app import Daemon, build
from server.host_service import HostService

pytestmark = pytest.mark.asyncio(loop_scope="module")

WAIT = 10.0
IFF_UP, IFF_LOOPBACK, IFF_RUNNING, IFF_PROMISC = 0x1, 0x8, 0x40, 0x100
PCAP_MAGIC = 0xA1B2C3D4
needs_ipv4 = pytest.mark.skipif(Host().netns.ipv4 is None, reason="IPv4 is not wired into the kernel yet")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def daemon_inproc() -> AsyncIterator[Daemon]:
    d = build("127.0.0.1:0")
    await d.start()
    yield d
    await d.stop(grace=None)


@pytest_asyncio.fixture(loop_scope="module")
async def stub(daemon_inproc: Daemon) -> AsyncIterator[hp_grpc.HostStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{daemon_inproc.port}") as ch:
        yield hp_grpc.HostStub(ch)


@pytest_asyncio.fixture(loop_scope="module")
async def veth(stub: hp_grpc.HostStub, daemon_inproc: Daemon) -> AsyncIterator[tuple[str, str]]:
    """A veth pair, up; deleted afterwards."""
    names = (f"va{id(stub) % 1000}", f"vb{id(stub) % 1000}")
    reply = await stub.AddLink(hp.AddLinkRequest(name=names[0], kind=hp.LINK_KIND_VETH, peer_name=names[1], up=True))
    assert reply.result.ret == 0, reply.result
    yield names
    if names[0] in daemon_inproc.host.netns.dev_name_head:
        await stub.DeleteLink(hp.DeleteLinkRequest(name=names[0]))


async def invalid(call: Any) -> str:
    """The details of an INVALID_ARGUMENT status (fails on any other outcome)."""
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, info.value
    return str(info.value.details())


# --- links ----------------------------------------------------------------------------

async def test_list_links_shows_lo_first(stub: hp_grpc.HostStub) -> None:
    reply = await stub.ListLinks(hp.ListLinksRequest())
    assert reply.result.ret == 0
    lo = reply.links[0]
    assert (lo.ifindex, lo.name, lo.kind, lo.mtu, lo.link_type) == (1, "lo", hp.LINK_KIND_LOOPBACK, 65536, 772)
    assert lo.flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING) == IFF_UP | IFF_LOOPBACK | IFF_RUNNING
    assert lo.operstate == "UNKNOWN" and lo.qdisc == "noqueue" and lo.carrier
    one = await stub.ListLinks(hp.ListLinksRequest(name="lo"))
    assert [link.name for link in one.links] == ["lo"]
    none = await stub.ListLinks(hp.ListLinksRequest(name="nope0"))
    assert (none.result.ret, none.result.error_name, len(none.links)) == (-uapi.ENODEV, "ENODEV", 0)


async def test_add_veth_pair(stub: hp_grpc.HostStub, veth: tuple[str, str]) -> None:
    a, b = veth
    links = {link.name: link for link in (await stub.ListLinks(hp.ListLinksRequest())).links}
    assert links[a].kind == links[b].kind == hp.LINK_KIND_VETH
    assert links[a].peer_name == b and links[b].peer_name == a
    assert links[a].peer_ifindex == links[b].ifindex and links[b].ifindex == links[a].ifindex - 1  # peer registered first
    assert links[a].operstate == "UP" and links[a].carrier and links[a].mtu == 1500
    assert len(links[a].address) == 6 and links[a].address[0] & 0x03 == 0x02  # random, locally administered
    again = await stub.AddLink(hp.AddLinkRequest(name=a, kind=hp.LINK_KIND_VETH, peer_name="other0"))
    assert again.result.error_name == "EEXIST"
    assert "other0" not in {link.name for link in (await stub.ListLinks(hp.ListLinksRequest())).links}


async def test_add_link_defaults_down_and_dummy(stub: hp_grpc.HostStub) -> None:
    reply = await stub.AddLink(hp.AddLinkRequest(name="dm0", kind=hp.LINK_KIND_DUMMY, mtu=9000,
                                                 address=bytes.fromhex("020000000042")))
    assert reply.result.ret == 0
    (dm,) = reply.links
    assert (dm.kind, dm.mtu, dm.address, dm.flags & IFF_UP, dm.operstate, dm.qdisc) == (
        hp.LINK_KIND_DUMMY, 9000, bytes.fromhex("020000000042"), 0, "DOWN", "noop")
    up = await stub.SetLink(hp.SetLinkRequest(name="dm0", up=True))
    assert up.result.ret == 0 and up.link.operstate == "UNKNOWN" and up.link.flags & IFF_UP
    assert (await stub.DeleteLink(hp.DeleteLinkRequest(name="dm0"))).result.ret == 0
    assert (await stub.DeleteLink(hp.DeleteLinkRequest(name="dm0"))).result.error_name == "ENODEV"


async def test_add_link_refusals(stub: hp_grpc.HostStub) -> None:
    bad_name = await stub.AddLink(hp.AddLinkRequest(name="a/b", kind=hp.LINK_KIND_DUMMY))
    assert bad_name.result.error_name == "EINVAL"
    long_name = await stub.AddLink(hp.AddLinkRequest(name="x" * 16, kind=hp.LINK_KIND_DUMMY))
    assert long_name.result.error_name == "EINVAL"
    mcast = await stub.AddLink(hp.AddLinkRequest(name="dm1", kind=hp.LINK_KIND_DUMMY,
                                                 address=bytes.fromhex("010000000001")))
    assert mcast.result.error_name == "EADDRNOTAVAIL"
    mtu = await stub.AddLink(hp.AddLinkRequest(name="vx0", kind=hp.LINK_KIND_VETH, peer_name="vx1", mtu=67))
    assert mtu.result.error_name == "EINVAL"
    await invalid(stub.AddLink(hp.AddLinkRequest(name="vx0", kind=hp.LINK_KIND_VETH)))  # no peer
    await invalid(stub.AddLink(hp.AddLinkRequest(name="vx0")))  # no kind
    await invalid(stub.AddLink(hp.AddLinkRequest(kind=hp.LINK_KIND_DUMMY)))  # no name
    await invalid(stub.AddLink(hp.AddLinkRequest(name="dm1", kind=hp.LINK_KIND_DUMMY, address=b"\x02\0")))


async def test_set_link(stub: hp_grpc.HostStub, veth: tuple[str, str]) -> None:
    a, b = veth
    mtu = await stub.SetLink(hp.SetLinkRequest(name=a, mtu=9000))
    assert mtu.result.ret == 0 and mtu.link.mtu == 9000
    assert (await stub.SetLink(hp.SetLinkRequest(name=a, mtu=10))).result.error_name == "EINVAL"
    down = await stub.SetLink(hp.SetLinkRequest(name=b, up=False))
    assert down.link.operstate == "DOWN" and not down.link.flags & IFF_UP
    peer = (await stub.ListLinks(hp.ListLinksRequest(name=a))).links[0]
    assert peer.operstate == "LOWERLAYERDOWN" and not peer.carrier and not peer.flags & IFF_RUNNING
    up = await stub.SetLink(hp.SetLinkRequest(name=b, up=True))
    assert up.link.operstate == "UP"
    mac = await stub.SetLink(hp.SetLinkRequest(name=a, address=bytes.fromhex("02aabbccddee")))
    assert mac.link.address == bytes.fromhex("02aabbccddee")
    assert (await stub.SetLink(hp.SetLinkRequest(name=a, address=bytes(6)))).result.error_name == "EADDRNOTAVAIL"
    on = await stub.SetLink(hp.SetLinkRequest(name=a, promisc=True))
    assert on.link.flags & IFF_PROMISC and on.link.promiscuity == 1
    twice = await stub.SetLink(hp.SetLinkRequest(name=a, promisc=True))
    assert twice.link.promiscuity == 1
    off = await stub.SetLink(hp.SetLinkRequest(name=a, promisc=False))
    assert not off.link.flags & IFF_PROMISC and off.link.promiscuity == 0
    qlen = await stub.SetLink(hp.SetLinkRequest(name=a, tx_queue_len=10))
    assert qlen.link.tx_queue_len == 10
    assert (await stub.SetLink(hp.SetLinkRequest(name="nope0", up=True))).result.error_name == "ENODEV"
    assert (await stub.SetLink(hp.SetLinkRequest(name="lo", address=bytes.fromhex("020000000001")))
            ).result.error_name == "EOPNOTSUPP"


async def test_delete_link(stub: hp_grpc.HostStub, daemon_inproc: Daemon) -> None:
    assert (await stub.AddLink(hp.AddLinkRequest(name="vd0", kind=hp.LINK_KIND_VETH, peer_name="vd1"))).result.ret == 0
    assert (await stub.DeleteLink(hp.DeleteLinkRequest(name="vd1"))).result.ret == 0  # either end takes both
    names = daemon_inproc.host.netns.dev_name_head
    assert "vd0" not in names and "vd1" not in names
    assert (await stub.DeleteLink(hp.DeleteLinkRequest(name="lo"))).result.error_name == "EOPNOTSUPP"
    await invalid(stub.DeleteLink(hp.DeleteLinkRequest()))


async def test_link_stats(stub: hp_grpc.HostStub, veth: tuple[str, str], daemon_inproc: Daemon) -> None:
    from kernel.drivers.net.channel import netif_rx_frame

    a, _ = veth
    dev = daemon_inproc.host.netns.dev_name_head[a]
    netif_rx_frame(dev, bytes(6) + bytes(6) + b"\x88\xb5" + b"x" * 46)
    stats = (await stub.ListLinks(hp.ListLinksRequest(name=a))).links[0].stats
    assert (stats.rx_packets, stats.rx_bytes, stats.rx_dropped) == (1, 60, 1)  # no handler for 0x88b5


# --- addresses, routes, neighbours ------------------------------------------------------

async def test_address_route_neighbour_requests_are_checked(stub: hp_grpc.HostStub) -> None:
    await invalid(stub.AddAddress(hp.AddAddressRequest(link="lo", local="10.0.0.300", prefix_length=8)))
    await invalid(stub.AddAddress(hp.AddAddressRequest(link="lo", local="10.0.0.1", prefix_length=33)))
    await invalid(stub.AddAddress(hp.AddAddressRequest(link="lo", local="10.0.0.1", prefix_length=8,
                                                       broadcast="x")))
    await invalid(stub.AddAddress(hp.AddAddressRequest(local="10.0.0.1", prefix_length=8)))
    await invalid(stub.DeleteAddress(hp.DeleteAddressRequest(link="lo", local="")))
    await invalid(stub.AddRoute(hp.AddRouteRequest(destination="10.0.0.0", prefix_length=40, link="lo")))
    await invalid(stub.AddRoute(hp.AddRouteRequest(destination="ten", prefix_length=8, link="lo")))
    await invalid(stub.DeleteRoute(hp.DeleteRouteRequest(destination="10.0.0.0", prefix_length=8, gateway="g")))
    await invalid(stub.AddNeighbour(hp.AddNeighbourRequest(address="10.0.0.1.1", link="lo")))
    await invalid(stub.DeleteNeighbour(hp.DeleteNeighbourRequest(address="10.0.0.1")))
    nodev = await stub.AddAddress(hp.AddAddressRequest(link="nope0", local="10.0.0.1", prefix_length=8))
    assert nodev.result.error_name == "ENODEV"
    nodev_r = await stub.AddRoute(hp.AddRouteRequest(destination="10.0.0.0", prefix_length=8, link="nope0"))
    assert nodev_r.result.error_name == "ENODEV"
    assert (await stub.ListAddresses(hp.ListAddressesRequest(link="nope0"))).result.error_name == "ENODEV"
    assert (await stub.ListNeighbours(hp.ListNeighboursRequest(link="nope0"))).result.error_name == "ENODEV"


@needs_ipv4
async def test_addresses(stub: hp_grpc.HostStub, veth: tuple[str, str]) -> None:
    a, _ = veth
    lo = (await stub.ListAddresses(hp.ListAddressesRequest(link="lo"))).addresses
    assert [(x.local, x.prefix_length, x.scope, x.label) for x in lo] == [("127.0.0.1", 8, 254, "lo")]
    add = await stub.AddAddress(hp.AddAddressRequest(link=a, local="10.9.0.1", prefix_length=24, broadcast="+"))
    assert add.result.ret == 0
    second = await stub.AddAddress(hp.AddAddressRequest(link=a, local="10.9.0.2", prefix_length=24, label=f"{a}:1"))
    assert second.result.ret == 0
    again = await stub.AddAddress(hp.AddAddressRequest(link=a, local="10.9.0.1", prefix_length=24))
    assert again.result.error_name == "EEXIST"
    got = (await stub.ListAddresses(hp.ListAddressesRequest(link=a))).addresses
    assert [(x.local, x.prefix_length, x.broadcast, x.label, x.flags & 1, x.family) for x in got] == [
        ("10.9.0.1", 24, "10.9.0.255", a, 0, uapi.AF_INET), ("10.9.0.2", 24, "", f"{a}:1", 1, uapi.AF_INET)]
    routes = (await stub.ListRoutes(hp.ListRoutesRequest())).routes
    assert any(r.destination == "10.9.0.0" and r.prefix_length == 24 and r.link == a and r.protocol == 2
               and r.scope == 253 and r.preferred_source == "10.9.0.1" for r in routes)
    gone = await stub.DeleteAddress(hp.DeleteAddressRequest(link=a, local="10.9.0.1", prefix_length=24))
    assert gone.result.ret == 0
    assert (await stub.DeleteAddress(hp.DeleteAddressRequest(link=a, local="10.9.0.1"))).result.error_name \
        == "EADDRNOTAVAIL"


@needs_ipv4
async def test_routes(stub: hp_grpc.HostStub, veth: tuple[str, str]) -> None:
    a, _ = veth
    assert (await stub.AddAddress(hp.AddAddressRequest(link=a, local="10.8.0.1", prefix_length=24))).result.ret == 0
    add = await stub.AddRoute(hp.AddRouteRequest(destination="192.168.0.0", prefix_length=16, gateway="10.8.0.254"))
    assert add.result.ret == 0
    dflt = await stub.AddRoute(hp.AddRouteRequest(destination="0.0.0.0", prefix_length=0, gateway="10.8.0.254",
                                                  metric=100))
    assert dflt.result.ret == 0
    dup = await stub.AddRoute(hp.AddRouteRequest(destination="192.168.0.0", prefix_length=16, gateway="10.8.0.254"))
    assert dup.result.error_name == "EEXIST"
    offlink = await stub.AddRoute(hp.AddRouteRequest(destination="172.16.0.0", prefix_length=12, gateway="10.7.0.1"))
    assert offlink.result.error_name == "ENETUNREACH"
    hostbits = await stub.AddRoute(hp.AddRouteRequest(destination="172.16.0.1", prefix_length=12, link=a))
    assert hostbits.result.error_name == "EINVAL"
    routes = [r for r in (await stub.ListRoutes(hp.ListRoutesRequest())).routes if r.link == a]
    assert [(r.destination, r.prefix_length, r.gateway, r.metric) for r in routes] == [
        ("0.0.0.0", 0, "10.8.0.254", 100), ("10.8.0.0", 24, "", 0), ("192.168.0.0", 16, "10.8.0.254", 0)]
    everything = (await stub.ListRoutes(hp.ListRoutesRequest(table=0))).routes
    assert any(r.table == 255 and r.type == 2 and r.destination == "10.8.0.1" for r in everything)
    text = (await stub.ReadProc(hp.ReadProcRequest(path="net/route"))).content.decode()
    assert f"{a}\t0000A8C0\tFE00080A\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0" in text
    assert (await stub.DeleteRoute(hp.DeleteRouteRequest(destination="192.168.0.0", prefix_length=16))).result.ret == 0
    assert (await stub.DeleteRoute(hp.DeleteRouteRequest(destination="192.168.0.0", prefix_length=16))
            ).result.error_name == "ESRCH"


@needs_ipv4
async def test_neighbours(stub: hp_grpc.HostStub, veth: tuple[str, str]) -> None:
    a, _ = veth
    mac = bytes.fromhex("020000000007")
    add = await stub.AddNeighbour(hp.AddNeighbourRequest(address="10.7.0.7", lladdr=mac, link=a))
    assert add.result.ret == 0
    got = (await stub.ListNeighbours(hp.ListNeighboursRequest(link=a))).neighbours
    assert [(n.address, n.lladdr, n.link, n.state) for n in got] == [("10.7.0.7", mac, a, 0x80)]
    arp = (await stub.ReadProc(hp.ReadProcRequest(path="net/arp"))).content.decode()
    assert f"10.7.0.7         0x1         0x6         02:00:00:00:00:07     *        {a}\n" in arp
    short = await stub.AddNeighbour(hp.AddNeighbourRequest(address="10.7.0.8", lladdr=b"\x02\x00", link=a))
    assert short.result.error_name == "EINVAL"
    nomac = await stub.AddNeighbour(hp.AddNeighbourRequest(address="10.7.0.9", link=a))
    assert nomac.result.error_name == "EINVAL"
    assert (await stub.DeleteNeighbour(hp.DeleteNeighbourRequest(address="10.7.0.7", link=a))).result.ret == 0
    assert (await stub.DeleteNeighbour(hp.DeleteNeighbourRequest(address="10.7.0.7", link=a))
            ).result.error_name == "ENOENT"


# --- sysctls and /proc -------------------------------------------------------------------

async def test_sysctls(stub: hp_grpc.HostStub) -> None:
    got = await stub.GetSysctl(hp.GetSysctlRequest(name="net.ipv4.ip_local_port_range"))
    assert got.result.ret == 0 and got.sysctl.value == "32768\t60999"
    by_path = await stub.GetSysctl(hp.GetSysctlRequest(name="/proc/sys/net/ipv4/ip_default_ttl"))
    assert (by_path.sysctl.name, by_path.sysctl.value) == ("net.ipv4.ip_default_ttl", "64")
    assert (await stub.GetSysctl(hp.GetSysctlRequest(name="net.ipv4.nope"))).result.error_name == "ENOENT"
    try:
        assert (await stub.SetSysctl(hp.SetSysctlRequest(name="net.ipv4.ip_default_ttl", value="0"))
                ).result.error_name == "EINVAL"
        assert (await stub.SetSysctl(hp.SetSysctlRequest(name="net.ipv4.ip_default_ttl", value="abc"))
                ).result.error_name == "EINVAL"
        ok = await stub.SetSysctl(hp.SetSysctlRequest(name="net.ipv4.ip_default_ttl", value="99\n"))
        assert ok.result.ret == 0 and ok.sysctl.value == "99"
        rng = await stub.SetSysctl(hp.SetSysctlRequest(name="net.ipv4.ip_local_port_range", value="40000 50000"))
        assert rng.sysctl.value == "40000\t50000"
        half = await stub.SetSysctl(hp.SetSysctlRequest(name="net.ipv4.ip_local_port_range", value="45000"))
        assert half.sysctl.value == "45000\t50000"  # a shorter write sets the first values only
        bad = await stub.SetSysctl(hp.SetSysctlRequest(name="net.ipv4.ip_local_port_range", value="50000 40000"))
        assert bad.result.error_name == "EINVAL" and bad.sysctl.value == "45000\t50000"
        assert (await stub.SetSysctl(hp.SetSysctlRequest(name="net.ipv4.ip_local_port_range", value="500 600"))
                ).result.error_name == "EINVAL"  # below ip_unprivileged_port_start
        ping = await stub.SetSysctl(hp.SetSysctlRequest(name="net.ipv4.ping_group_range", value="10 5"))
        assert ping.result.ret == 0 and ping.sysctl.value == "1\t0"
        assert (await stub.SetSysctl(hp.SetSysctlRequest(name="net.ipv4.nope", value="1"))).result.error_name \
            == "ENOENT"
        snmp = (await stub.ReadProc(hp.ReadProcRequest(path="net/snmp"))).content.decode()
        assert snmp.splitlines()[1].startswith("Ip: 2 99 ")
    finally:
        await stub.SetSysctl(hp.SetSysctlRequest(name="net.ipv4.ip_default_ttl", value="64"))
        await stub.SetSysctl(hp.SetSysctlRequest(name="net.ipv4.ip_local_port_range", value="32768 60999"))
    listed = (await stub.ListSysctls(hp.ListSysctlsRequest(prefix="net.core."))).sysctls
    names = [s.name for s in listed]
    assert names == sorted(names) and "net.core.somaxconn" in names and all(n.startswith("net.core.") for n in names)
    await invalid(stub.GetSysctl(hp.GetSysctlRequest()))


async def test_read_proc(stub: hp_grpc.HostStub, veth: tuple[str, str]) -> None:
    dev = (await stub.ReadProc(hp.ReadProcRequest(path="/proc/net/dev"))).content.decode()
    assert dev.startswith("Inter-|   Receive") and f"{veth[0]:>6}: " in dev
    unix = await stub.ReadProc(hp.ReadProcRequest(path="net/unix"))
    assert unix.content.startswith(b"Num       RefCount Protocol Flags    Type St Inode Path\n")
    assert (await stub.ReadProc(hp.ReadProcRequest(path="net/nope"))).result.error_name == "ENOENT"
    assert (await stub.ReadProc(hp.ReadProcRequest(path="/proc/net"))).result.error_name == "EISDIR"
    await invalid(stub.ReadProc(hp.ReadProcRequest()))


# --- capture -----------------------------------------------------------------------------

def frame(n: int) -> bytes:
    return bytes.fromhex("ffffffffffff020000000001") + b"\x88\xb5" + bytes([n]) * 50


def pcap_records(data: bytes) -> list[bytes]:
    magic, _, _, _, _, snaplen, linktype = struct.unpack_from("<IHHiIII", data)
    assert (magic, linktype) == (PCAP_MAGIC, 1)
    out, off = [], 24
    while off < len(data):
        _, _, incl, orig = struct.unpack_from("<IIII", data, off)
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


async def read(call: Any) -> hp.CaptureResponse:
    async with asyncio.timeout(WAIT):
        msg = await call.read()
    assert msg is not grpc.aio.EOF  # type: ignore[attr-defined]
    return msg  # type: ignore[no-any-return]


async def rest(call: Any) -> list[hp.CaptureResponse]:
    """The stream's remaining messages up to its end (read() style: it cannot be mixed with iteration)."""
    out = []
    async with asyncio.timeout(WAIT):
        while (msg := await call.read()) is not grpc.aio.EOF:  # type: ignore[attr-defined]
            out.append(msg)
    return out


async def test_capture_streams_pcap_until_count(stub: hp_grpc.HostStub, veth: tuple[str, str],
                                                daemon_inproc: Daemon) -> None:
    from kernel.drivers.net.channel import netif_rx_frame

    dev = daemon_inproc.host.netns.dev_name_head[veth[1]]
    call = stub.Capture(hp.CaptureRequest(link=veth[1], count=2, promiscuous=True))
    first = await read(call)
    assert first.result.ret == 0 and len(first.data) == 24
    assert dev.promiscuity == 1
    data = bytes(first.data)
    for n in range(3):
        netif_rx_frame(dev, frame(n))
    msgs = await rest(call)
    data += b"".join(m.data for m in msgs)
    assert pcap_records(data) == [frame(0), frame(1)]
    assert (msgs[-1].packets, msgs[-1].byte_count) == (2, 2 * 64)
    assert dev.promiscuity == 0
    assert not [pt for pt in daemon_inproc.host.netns.ptype_all if pt.dev is dev]  # the tap is gone


async def test_capture_pcapng_to_a_file_and_cancel(stub: hp_grpc.HostStub, veth: tuple[str, str],
                                                   daemon_inproc: Daemon, tmp_path: Path) -> None:
    from kernel.drivers.net.channel import netif_rx_frame

    dev = daemon_inproc.host.netns.dev_name_head[veth[0]]
    path = tmp_path / "cap.pcapng"
    call = stub.Capture(hp.CaptureRequest(link=veth[0], format=hp.CAPTURE_FORMAT_PCAPNG, file=str(path)))
    first = await read(call)
    assert first.result.ret == 0 and first.data[:4] == b"\x0a\x0d\x0d\x0a"  # section header block
    netif_rx_frame(dev, frame(7))
    msg = await read(call)
    assert msg.packets == 1 and frame(7) in msg.data
    call.cancel()
    async with asyncio.timeout(WAIT):
        while [pt for pt in daemon_inproc.host.netns.ptype_all if pt.dev is dev]:
            await asyncio.sleep(0)
    assert path.read_bytes() == bytes(first.data) + bytes(msg.data)


async def test_capture_file_only_and_link_deletion(stub: hp_grpc.HostStub, daemon_inproc: Daemon,
                                                  tmp_path: Path) -> None:
    from kernel.drivers.net.channel import netif_rx_frame

    assert (await stub.AddLink(hp.AddLinkRequest(name="cf0", kind=hp.LINK_KIND_DUMMY, up=True))).result.ret == 0
    dev = daemon_inproc.host.netns.dev_name_head["cf0"]
    path = tmp_path / "cap.pcap"
    call = stub.Capture(hp.CaptureRequest(link="cf0", file=str(path), file_only=True))
    first = await read(call)
    assert first.result.ret == 0 and first.data == b""
    netif_rx_frame(dev, frame(1))
    msg = await read(call)
    assert (msg.data, msg.packets) == (b"", 1)
    assert (await stub.DeleteLink(hp.DeleteLinkRequest(name="cf0"))).result.ret == 0
    assert await rest(call) == []  # the stream ends with the NIC
    assert pcap_records(path.read_bytes()) == [frame(1)]


async def test_capture_refusals(stub: hp_grpc.HostStub, tmp_path: Path) -> None:
    nodev = [m async for m in stub.Capture(hp.CaptureRequest(link="nope0"))]
    assert [m.result.error_name for m in nodev] == ["ENODEV"]
    nodir = [m async for m in stub.Capture(hp.CaptureRequest(link="lo", file=str(tmp_path / "no" / "x.pcap")))]
    assert [m.result.error_name for m in nodir] == ["ENOENT"]
    with pytest.raises(grpc.aio.AioRpcError) as info:
        _ = [m async for m in stub.Capture(hp.CaptureRequest(link="lo", file_only=True))]
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


# --- permissions ---------------------------------------------------------------------------

class _Principal:
    def __init__(self, caps: set[int]) -> None:
        self.caps = caps

    def capable(self, cap: int) -> bool:
        return cap in self.caps


class _Context:
    async def abort(self, code: Any, details: str) -> None:
        raise AssertionError(f"aborted: {code} {details}")


async def test_changes_need_cap_net_admin() -> None:
    host = Host()
    svc = HostService(host, principal=lambda ctx: _Principal({uapi.CAP_NET_RAW}))
    ctx = _Context()
    assert (await svc.AddLink(hp.AddLinkRequest(name="d0", kind=hp.LINK_KIND_DUMMY), ctx)).result.error_name == "EPERM"
    assert (await svc.SetLink(hp.SetLinkRequest(name="lo", up=False), ctx)).result.error_name == "EPERM"
    assert host.netns.dev_name_head["lo"].flags & netdev.IFF_UP
    assert (await svc.DeleteLink(hp.DeleteLinkRequest(name="lo"), ctx)).result.error_name == "EPERM"
    assert (await svc.SetSysctl(hp.SetSysctlRequest(name="net.ipv4.ip_forward", value="1"), ctx)
            ).result.error_name == "EPERM"
    assert host.sysctl["net.ipv4.ip_forward"] == 0
    assert (await svc.AddRoute(hp.AddRouteRequest(destination="10.0.0.0", prefix_length=8, link="lo"), ctx)
            ).result.error_name == "EPERM"
    assert (await svc.ListLinks(hp.ListLinksRequest(), ctx)).result.ret == 0  # reads are open
    assert (await svc.ReadProc(hp.ReadProcRequest(path="net/snmp"), ctx)).result.ret == 0
    nobody = HostService(host, principal=lambda ctx: _Principal(set()))
    refused = [m async for m in nobody.Capture(hp.CaptureRequest(link="lo"), ctx)]
    assert [m.result.error_name for m in refused] == ["EPERM"]
