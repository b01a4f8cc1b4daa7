"""ARP and the neighbour table: resolution, queueing, failure, answers, NUD timers, admin."""
from __future__ import annotations

from typing import Any

from kernel.net.core.neighbour import (
    NUD_DELAY,
    NUD_INCOMPLETE,
    NUD_PERMANENT,
    NUD_PROBE,
    NUD_REACHABLE,
    NUD_STALE,
    neigh_del,
    neigh_dump,
)
from kernel.net.core.skbuff import alloc_skb
from kernel.net.ipv4 import neigh_add
from kernel.net.ipv4.ip_output import ip_build_xmit
from kernel.net.ipv4.route import Flowi4, ip_route_output_key
from kernel.net.wire.arp import ARPOP_REPLY, ARPOP_REQUEST, ArpRepr
from kernel.net.wire.ethernet import EthernetRepr
from kernel.net.wire.ipv4 import Ipv4Repr
from kernel.net.wire.ipv4 import ip_aton as ip

MAC_A = bytes.fromhex("020000000001")
PEER = bytes.fromhex("020000000002")
BCAST = b"\xff" * 6


def setup(lab: Any) -> tuple[Any, Any]:
    h = lab.host("a")
    dev = lab.channel(h, "eth0", addr=MAC_A)
    lab.addr(h, dev, "10.0.0.1/24")
    return h, dev


def send(h: Any, daddr: str, payload: bytes = b"x") -> int:
    fl = Flowi4(daddr=ip(daddr), proto=253)
    rt = ip_route_output_key(h.netns, fl)
    assert not isinstance(rt, int)
    skb = alloc_skb(len(payload))
    skb.put_data(payload)
    return ip_build_xmit(h.netns, skb, rt=rt, fl4=fl, proto=253, ttl=64, tos=0, df=False)


def arp_of(frame: bytes) -> tuple[bytes, ArpRepr]:
    eth = EthernetRepr.parse(frame)
    assert eth.ethertype == 0x0806
    return eth.dst, ArpRepr.parse(frame[14:])


def neigh(h: Any, dev: Any, addr: str) -> Any:
    return h.netns.ipv4.arp_tbl.lookup(dev, ip(addr))


def test_resolution_queues_then_flushes(lab: Any) -> None:
    h, dev = setup(lab)
    assert send(h, "10.0.0.2", b"one") == 0
    assert send(h, "10.0.0.2", b"two") == 0
    [req] = dev.drain()  # one request at once, the packets wait
    dst, arp = arp_of(req)
    assert (dst, arp.operation, arp.sender_mac, arp.sender_ip, arp.target_mac, arp.target_ip) == (
        BCAST, ARPOP_REQUEST, MAC_A, ip("10.0.0.1"), bytes(6), ip("10.0.0.2"))
    assert neigh(h, dev, "10.0.0.2").nud_state == NUD_INCOMPLETE
    dev.inject(lab.arp_frame(ARPOP_REPLY, PEER, "10.0.0.2", MAC_A, "10.0.0.1", dst=MAC_A))
    frames = dev.drain()
    assert [EthernetRepr.parse(f).dst for f in frames] == [PEER, PEER]
    assert [Ipv4Repr.parse(f[14:]).payload_len for f in frames] == [3, 3]
    assert [f[34:] for f in frames] == [b"one", b"two"]
    n = neigh(h, dev, "10.0.0.2")
    assert (n.nud_state, n.ha) == (NUD_REACHABLE, PEER)
    assert send(h, "10.0.0.2") == 0 and len(dev.drain()) == 1


def test_failure_reports_host_unreachable_to_the_local_sender(lab: Any) -> None:
    h, dev = setup(lab)
    sink = lab.sink()
    send(h, "10.0.0.9", b"lost8byt")
    assert len(dev.drain()) == 1
    lab.clock.advance(1.0)
    lab.clock.advance(1.0)
    assert len(dev.drain()) == 2  # mcast_solicit = 3 requests, 1 s apart
    assert sink.errors == []
    lab.clock.advance(1.0)
    assert dev.drain() == []
    [(icmp, quoted)] = sink.errors
    assert icmp == (3, 1, 0)
    q = Ipv4Repr.parse(quoted)
    assert (q.src, q.dst, q.protocol) == (ip("10.0.0.1"), ip("10.0.0.9"), 253)
    assert h.netns.mib["IcmpMsg"]["OutType3"] == 1 and h.netns.mib["IcmpMsg"]["InType3"] == 1


def test_answers_requests_for_local_addresses_and_learns_the_asker(lab: Any) -> None:
    h, dev = setup(lab)
    eth1 = lab.channel(h, "eth1")
    lab.addr(h, eth1, "192.168.0.1/24")
    for target in ("10.0.0.1", "192.168.0.1"):  # arp_ignore=0: any local address
        dev.inject(lab.arp_frame(ARPOP_REQUEST, PEER, "10.0.0.2", bytes(6), target))
        [rep] = dev.drain()
        dst, arp = arp_of(rep)
        assert (dst, arp.operation, arp.sender_mac, arp.sender_ip, arp.target_mac, arp.target_ip) == (
            PEER, ARPOP_REPLY, MAC_A, ip(target), PEER, ip("10.0.0.2"))
    n = neigh(h, dev, "10.0.0.2")
    assert (n.nud_state, n.ha) == (NUD_STALE, PEER)
    dev.inject(lab.arp_frame(ARPOP_REQUEST, PEER, "10.0.0.2", bytes(6), "10.0.0.77"))
    assert dev.drain() == []


def test_duplicate_address_probe_is_answered(lab: Any) -> None:
    h, dev = setup(lab)
    dev.inject(lab.arp_frame(ARPOP_REQUEST, PEER, "0.0.0.0", bytes(6), "10.0.0.1"))
    [rep] = dev.drain()
    dst, arp = arp_of(rep)
    assert (dst, arp.target_ip, arp.sender_ip) == (PEER, 0, ip("10.0.0.1"))
    assert neigh(h, dev, "0.0.0.0") is None


def test_gratuitous_arp_updates_only_known_entries(lab: Any) -> None:
    h, dev = setup(lab)
    dev.inject(lab.arp_frame(ARPOP_REQUEST, PEER, "10.0.0.5", bytes(6), "10.0.0.5"))
    assert neigh(h, dev, "10.0.0.5") is None  # arp_accept = 0
    send(h, "10.0.0.5")
    dev.drain()
    dev.inject(lab.arp_frame(ARPOP_REQUEST, PEER, "10.0.0.5", bytes(6), "10.0.0.5"))
    n = neigh(h, dev, "10.0.0.5")
    assert (n.nud_state, n.ha) == (NUD_STALE, PEER)
    assert len(dev.drain()) == 1  # the queued packet went out


def test_reachable_decays_and_stale_reprobes(lab: Any) -> None:
    h, dev = setup(lab)
    send(h, "10.0.0.2")
    dev.drain()
    dev.inject(lab.arp_frame(ARPOP_REPLY, PEER, "10.0.0.2", MAC_A, "10.0.0.1", dst=MAC_A))
    dev.drain()
    n = neigh(h, dev, "10.0.0.2")
    assert 15.0 <= n.reachable_time < 45.0
    lab.clock.advance(46.0)
    assert n.nud_state == NUD_STALE
    send(h, "10.0.0.2")  # a stale entry is used as is, and goes DELAY
    assert n.nud_state == NUD_DELAY and len(dev.drain()) == 1
    lab.clock.advance(5.0)
    assert n.nud_state == NUD_PROBE
    [probe] = dev.drain()
    dst, arp = arp_of(probe)
    assert (dst, arp.operation) == (PEER, ARPOP_REQUEST)  # unicast probe
    dev.inject(lab.arp_frame(ARPOP_REPLY, PEER, "10.0.0.2", MAC_A, "10.0.0.1", dst=MAC_A))
    assert n.nud_state == NUD_REACHABLE


def test_admin_entries_and_noarp_devices(lab: Any) -> None:
    h, dev = setup(lab)
    assert neigh_add(h.netns, dev, ip("10.0.0.3"), PEER) == 0
    send(h, "10.0.0.3")
    [f] = dev.drain()
    assert EthernetRepr.parse(f).ethertype == 0x0800 and EthernetRepr.parse(f).dst == PEER
    dev.inject(lab.arp_frame(ARPOP_REPLY, bytes.fromhex("020000000099"), "10.0.0.3", MAC_A, "10.0.0.1", dst=MAC_A))
    assert neigh(h, dev, "10.0.0.3").ha == PEER  # permanent: protocol traffic does not change it
    dump = [d for d in neigh_dump(h.netns.ipv4.arp_tbl) if d["addr"] == ip("10.0.0.3")]
    assert dump[0]["state"] == NUD_PERMANENT and dump[0]["dev"] == "eth0"
    assert neigh_del(h.netns.ipv4.arp_tbl, dev, ip("10.0.0.3")) == 0
    assert neigh(h, dev, "10.0.0.3") is None
    # broadcast and multicast destinations need no resolution
    send(h, "10.0.0.255")
    [b] = dev.drain()
    assert EthernetRepr.parse(b).dst == BCAST
    fl = Flowi4(daddr=ip("239.1.2.3"), oif=dev.ifindex, proto=253)
    rt = ip_route_output_key(h.netns, fl)
    skb = alloc_skb(1)
    skb.put_data(b"m")
    ip_build_xmit(h.netns, skb, rt=rt, fl4=fl, proto=253, ttl=1, tos=0, df=False)
    [m] = dev.drain()
    assert EthernetRepr.parse(m).dst == bytes.fromhex("01005e010203")


def test_link_down_flushes_entries(lab: Any) -> None:
    from kernel.net.core.dev import dev_close
    h, dev = setup(lab)
    send(h, "10.0.0.2")
    assert neigh(h, dev, "10.0.0.2") is not None
    dev_close(dev)
    assert neigh(h, dev, "10.0.0.2") is None
