"""net/packet/internal.h: struct packet_sock, the per-namespace list, sockaddr_ll/sockaddr_pkt.

``PacketSock`` is a ``Sock`` of family AF_PACKET with what af_packet.c keeps
in struct packet_sock: ``num`` (the bound ethertype, host order; 0 = none),
``ifindex`` (0 = every device, -1 = the device went away), the receive hook
``prot_hook`` (a ``PacketType`` registered with dev_add_pack while
``running``), the membership list (PACKET_ADD_MEMBERSHIP entries with their
use counts), the PACKET_STATISTICS counters and the boolean options.

Addresses (include/uapi/linux/if_packet.h):

- ``struct sockaddr_ll`` (20 bytes): sll_family u16, sll_protocol be16,
  sll_ifindex s32, sll_hatype u16, sll_pkttype u8, sll_halen u8, sll_addr[8].
  The ethertype travels in network order; inside the stack it is host order.
- ``struct sockaddr_pkt`` (SOCK_PACKET, 18 bytes): spkt_family u16 (the
  device's ARPHRD type on receive), spkt_device[14], spkt_protocol be16.
  SOCK_PACKET binds with a plain 16-byte ``struct sockaddr`` whose sa_data
  is the device name.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.core.dev import PacketType
from kernel.net.sock import Proto, Sock

if TYPE_CHECKING:
    from kernel.host import Host
    from kernel.net.core.dev import NetDevice

SOCKADDR_LL = struct.Struct("<H2siHBB8s")
SOCKADDR_LL_SIZE = SOCKADDR_LL.size  # 20
SLL_ADDR_OFFSET = 12  # offsetof(struct sockaddr_ll, sll_addr)
SOCKADDR_PKT_SIZE = 18  # sizeof(struct sockaddr_pkt)
SOCKADDR_SIZE = 16  # sizeof(struct sockaddr)
SPKT_DEVICE_LEN = 14  # sizeof(spkt_device) == sizeof(sa_data)

PACKET_MREQ = struct.Struct("<iHH8s")  # struct packet_mreq (16 bytes)
MR_ADDRESS_OFFSET = 8  # offsetof(struct packet_mreq, mr_address)
TPACKET_STATS = struct.Struct("<II")  # struct tpacket_stats: tp_packets, tp_drops
TPACKET_AUXDATA = struct.Struct("<IIIHHHH")  # struct tpacket_auxdata (20 bytes)

# setsockopt / getsockopt names beyond those in kernel.uapi (linux/if_packet.h)
PACKET_COPY_THRESH = 7
PACKET_HDRLEN = 11
PACKET_RESERVE = 12
PACKET_TX_RING = 13
PACKET_LOSS = 14
PACKET_VNET_HDR = 15
PACKET_TX_TIMESTAMP = 16
PACKET_TIMESTAMP = 17
PACKET_FANOUT = 18
PACKET_TX_HAS_OFF = 19
PACKET_QDISC_BYPASS = 20
PACKET_ROLLOVER_STATS = 21
PACKET_FANOUT_DATA = 22
PACKET_VNET_HDR_SZ = 24

TPACKET_V1, TPACKET_V2, TPACKET_V3 = 0, 1, 2
TPACKET_HDRLEN = {TPACKET_V1: 32, TPACKET_V2: 32, TPACKET_V3: 48}  # sizeof(struct tpacket*_hdr)
TP_STATUS_USER = 1
VLAN_HLEN = 4
ETH_P_8021Q = 0x8100


def ethertype_of_protocol(protocol: int) -> int:
    """socket(AF_PACKET, type, protocol): the low 16 bits are a be16 (htons(ETH_P_*)): host order."""
    p = protocol & 0xFFFF
    return ((p & 0xFF) << 8) | (p >> 8)


def sockaddr_ll(ifindex: int, protocol: int, hatype: int = 0, pkttype: int = 0, addr: bytes = b"") -> bytes:
    """A full 20-byte sockaddr_ll (protocol host order)."""
    return SOCKADDR_LL.pack(uapi.AF_PACKET, struct.pack("!H", protocol & 0xFFFF), ifindex, hatype, pkttype,
                            len(addr), addr[:8].ljust(8, b"\0"))


@dataclass(frozen=True)
class SockaddrLl:
    """A parsed struct sockaddr_ll (the caller checked the length)."""

    family: int
    protocol: int  # host order
    ifindex: int
    hatype: int
    pkttype: int
    halen: int
    addr: bytes

    @classmethod
    def parse(cls, raw: bytes) -> SockaddrLl:
        family, proto, ifindex, hatype, pkttype, halen, addr = SOCKADDR_LL.unpack_from(raw.ljust(SOCKADDR_LL_SIZE, b"\0"))
        return cls(family, struct.unpack("!H", proto)[0], ifindex, hatype, pkttype, halen, addr)


def sockaddr_pkt(dev_type: int, name: str, protocol: int) -> bytes:
    """struct sockaddr_pkt as packet_rcv_spkt fills it (family = the device's ARPHRD type)."""
    raw = name.encode("latin-1")[: SPKT_DEVICE_LEN - 1]
    return struct.pack("<H", dev_type & 0xFFFF) + raw.ljust(SPKT_DEVICE_LEN, b"\0") + struct.pack("!H", protocol & 0xFFFF)


def spkt_device_name(raw: bytes) -> str:
    """The device name of sa_data / spkt_device: 14 bytes, cut at the first NUL (byte 13 forced NUL)."""
    field = raw[2:2 + SPKT_DEVICE_LEN - 1]
    return field.split(b"\0", 1)[0].decode("latin-1")


@dataclass
class PacketMclist:
    """struct packet_mclist: one PACKET_ADD_MEMBERSHIP entry."""

    ifindex: int
    type: int
    alen: int
    addr: bytes  # 8 bytes, zero padded past alen
    count: int = 1

    def matches(self, ifindex: int, type_: int, alen: int, addr: bytes) -> bool:
        return self.ifindex == ifindex and self.type == type_ and self.alen == alen and self.addr[:alen] == addr[:alen]


class PacketProto(Proto):
    name = "PACKET"


packet_proto = PacketProto()


class PacketSock(Sock):
    """struct packet_sock."""

    def __init__(self, host: Host, type_: int) -> None:
        super().__init__(host, uapi.AF_PACKET, type_, 0, packet_proto)  # sk_protocol stays 0, as sk_alloc leaves it
        self.num = 0  # po->num: bound ethertype (host order)
        self.ifindex = 0
        self.running = False
        self.prot_hook: PacketType = PacketType(0, _unset_rcv, None, self)
        self.mclist: list[PacketMclist] = []
        self.tp_packets = 0
        self.tp_drops = 0
        self.auxdata = False
        self.origdev = False
        self.tp_version = TPACKET_V1
        self.tp_reserve = 0
        self.tp_loss = False
        self.tp_tstamp = 0
        self.tp_tx_has_off = False
        self.qdisc_bypass = False
        self.copy_thresh = 0
        self.gen = 0  # bumped on every wake: sleeping readers re-check

    def wake(self, mask: int) -> None:
        self.gen += 1
        super().wake(mask)

    @property
    def net(self) -> Any:
        return self.host.netns


def _unset_rcv(skb: Any, dev: NetDevice, pt: PacketType, orig_dev: NetDevice) -> int:
    return 0


class PacketNet:
    """struct netns_packet: the namespace's packet sockets (sklist), for the notifier and /proc/net/packet."""

    def __init__(self) -> None:
        self.sklist: list[PacketSock] = []


def pkt_sk(sk: Sock | None) -> PacketSock:
    assert isinstance(sk, PacketSock)
    return sk
