"""net/ethernet/eth.c: the Ethernet II link header for devices that use it.

``eth_header_ops.create`` pushes dst/src/ethertype in front of the data
(IEEE 802.3 clause 3.1.1, Ethernet II framing); ``eth_type_trans`` is what a
driver calls on a received frame: it marks the MAC header, pulls it, sets
``pkt_type`` (host, broadcast, multicast, other host) and returns the
ethertype.  Frames shorter than a header return -1 (the driver drops them).
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from kernel.net.core.dev import IFF_LOOPBACK, IFF_NOARP
from kernel.net.core.skbuff import PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST, SkBuff

if TYPE_CHECKING:
    from kernel.net.core.dev import NetDevice

ETH_HLEN = 14
_TYPE = struct.Struct("!H")
BROADCAST = b"\xff" * 6


class EthHeaderOps:
    """header_ops for Ethernet: build the 14-byte header."""

    def create(self, skb: SkBuff, dev: NetDevice, type_: int, daddr: bytes | None, saddr: bytes | None) -> int:
        off = skb.push(ETH_HLEN)
        head = skb.head
        assert isinstance(head, bytearray)
        head[off:off + 6] = daddr if daddr is not None else bytes(6)
        head[off + 6:off + 12] = saddr if saddr is not None else dev.dev_addr
        _TYPE.pack_into(head, off + 12, type_)
        skb.mac_header = off
        if daddr is None and not dev.flags & (IFF_LOOPBACK | IFF_NOARP):
            return -ETH_HLEN  # eth_header: no destination on a device that needs one
        return ETH_HLEN


eth_header_ops = EthHeaderOps()


def eth_type_trans(skb: SkBuff, dev: NetDevice) -> int:
    """Mark and pull the Ethernet header; classify the destination; return the ethertype."""
    if skb.len < ETH_HLEN:
        return -1
    off = skb.doff
    head = skb.head
    skb.mac_header = off
    skb.dev = dev
    dst = bytes(head[off:off + 6])
    if dst[0] & 1:
        skb.pkt_type = PACKET_BROADCAST if dst == BROADCAST else PACKET_MULTICAST
    elif dst == dev.dev_addr:
        skb.pkt_type = PACKET_HOST
    else:
        skb.pkt_type = PACKET_OTHERHOST
    proto: int = _TYPE.unpack_from(head, off + 12)[0]
    skb.pull(ETH_HLEN)
    skb.network_header = skb.doff
    skb.protocol = proto
    return proto


def eth_random_addr(rng: object) -> bytes:
    """eth_random_addr: a random locally administered unicast MAC (rng: random.Random)."""
    b = bytearray(rng.randbytes(6))  # type: ignore[attr-defined]
    b[0] = (b[0] & 0xFE) | 0x02
    return bytes(b)
