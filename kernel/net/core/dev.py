"""struct net_device and the device layer (net/core/dev.c).

A ``NetDevice`` is a NIC: name, ifindex, hardware type and address, MTU,
IFF_* flags, per-device statistics, the driver's ``netdev_ops`` and
``header_ops``, an optional ``qdisc`` (the hook link impairments plug into),
and ``ip_ptr`` (IPv4's in_device, set by kernel.net.ipv4.devinet).

Transmit: ``dev_queue_xmit(skb)`` hands a frame (data = link-layer header +
payload) to the taps (``ptype_all``: AF_PACKET sockets and sniffers see
PACKET_OUTGOING copies as the frame leaves: after the qdisc, in
dev_hard_start_xmit), then to the qdisc if one is attached, else straight to
the driver's ``ndo_start_xmit``.  Receive: a driver calls ``netif_rx(skb)``
with ``skb.protocol`` set (eth_type_trans) and data at the network header
(mac_header marks the link header).  Frames go on the namespace backlog;
when nobody is already draining it, ``netif_rx`` drains it at once (what
do_softirq does at local_bh_enable), so a send on loopback is delivered
before the sending call returns and reentrant sends queue instead of
recursing.  ``__netif_receive_skb`` counts the frame, feeds the taps, then the
device's ``rx_handler`` (a bridge port: ``netdev_rx_handler_register``; a
handler returning RX_HANDLER_CONSUMED keeps the frame from the stack), then
the handlers registered for its ethertype (``dev_add_pack``).

Notifiers: ``register_netdevice_notifier(net, fn)``; fn(event, dev) for
NETDEV_REGISTER, NETDEV_UP, NETDEV_DOWN, NETDEV_CHANGE, NETDEV_CHANGEMTU,
NETDEV_CHANGEADDR, NETDEV_UNREGISTER.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol

from kernel import uapi
from kernel.net.core.skbuff import CHECKSUM_PARTIAL, PACKET_LOOPBACK, PACKET_OUTGOING, SkBuff, skb_checksum_help

if TYPE_CHECKING:
    from kernel.net.core.net_namespace import Net

# include/uapi/linux/if.h
IFF_UP = 0x1
IFF_BROADCAST = 0x2
IFF_DEBUG = 0x4
IFF_LOOPBACK = 0x8
IFF_POINTOPOINT = 0x10
IFF_NOTRAILERS = 0x20
IFF_RUNNING = 0x40
IFF_NOARP = 0x80
IFF_PROMISC = 0x100
IFF_ALLMULTI = 0x200
IFF_MASTER = 0x400
IFF_SLAVE = 0x800
IFF_MULTICAST = 0x1000
IFF_PORTSEL = 0x2000
IFF_AUTOMEDIA = 0x4000
IFF_DYNAMIC = 0x8000
IFF_LOWER_UP = 0x10000
IFF_DORMANT = 0x20000
IFF_ECHO = 0x40000
# the flags the device layer owns: a SIOCSIFFLAGS caller cannot set or clear them
IFF_VOLATILE = (IFF_LOOPBACK | IFF_POINTOPOINT | IFF_BROADCAST | IFF_ECHO | IFF_MASTER | IFF_SLAVE | IFF_RUNNING
                | IFF_LOWER_UP | IFF_DORMANT)

# include/uapi/linux/if_arp.h
ARPHRD_ETHER = 1
ARPHRD_LOOPBACK = 772
ARPHRD_NONE = 0xFFFE

# include/linux/netdevice.h: enum netdev_cmd
NETDEV_UP = 1
NETDEV_DOWN = 2
NETDEV_REBOOT = 3
NETDEV_CHANGE = 4
NETDEV_REGISTER = 5
NETDEV_UNREGISTER = 6
NETDEV_CHANGEMTU = 7
NETDEV_CHANGEADDR = 8

NETDEV_TX_OK = 0
NETDEV_TX_BUSY = 0x10

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806

ETH_ALEN = 6
ETH_HLEN = 14
ETH_DATA_LEN = 1500
ETH_MIN_MTU = 68
ETH_MAX_MTU = 0xFFFF


@dataclass(slots=True)
class NetDeviceStats:
    """struct rtnl_link_stats64 (the /proc/net/dev columns)."""

    rx_packets: int = 0
    rx_bytes: int = 0
    rx_errors: int = 0
    rx_dropped: int = 0
    rx_fifo_errors: int = 0
    rx_frame_errors: int = 0
    rx_compressed: int = 0
    multicast: int = 0
    tx_packets: int = 0
    tx_bytes: int = 0
    tx_errors: int = 0
    tx_dropped: int = 0
    tx_fifo_errors: int = 0
    collisions: int = 0
    tx_carrier_errors: int = 0
    tx_compressed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class NetDeviceOps(Protocol):
    """struct net_device_ops: what a driver implements."""

    def ndo_open(self, dev: NetDevice) -> int: ...

    def ndo_stop(self, dev: NetDevice) -> int: ...

    def ndo_start_xmit(self, skb: SkBuff, dev: NetDevice) -> int: ...


class HeaderOps(Protocol):
    """struct header_ops: build the link-layer header in front of skb data."""

    def create(self, skb: SkBuff, dev: NetDevice, type_: int, daddr: bytes | None, saddr: bytes | None) -> int: ...


class Qdisc(Protocol):
    """The egress hook: enqueue a frame; the qdisc later hands it to dev_hard_start_xmit (kernel.net.sched)."""

    def enqueue(self, skb: SkBuff, dev: NetDevice) -> int: ...


@dataclass(eq=False)
class PacketType:
    """struct packet_type: a receive handler for one ethertype (or ETH_P_ALL)."""

    type: int
    func: Callable[[SkBuff, NetDevice, PacketType, NetDevice], int]
    dev: NetDevice | None = None  # only frames of this device (None: all)
    priv: Any = None  # af_packet_priv
    outgoing: bool = True  # ptype_all taps: also see transmitted frames


@dataclass(eq=False)
class NetDevice:
    """struct net_device."""

    name: str
    netdev_ops: Any
    type: int = ARPHRD_ETHER
    dev_addr: bytes = bytes(ETH_ALEN)
    broadcast: bytes = b"\xff" * ETH_ALEN
    mtu: int = ETH_DATA_LEN
    min_mtu: int = ETH_MIN_MTU
    max_mtu: int = ETH_MAX_MTU
    hard_header_len: int = ETH_HLEN
    flags: int = IFF_BROADCAST | IFF_MULTICAST
    header_ops: Any = None
    tx_queue_len: int = 1000
    ifindex: int = 0
    net: Net | None = None
    stats: NetDeviceStats = field(default_factory=NetDeviceStats)
    qdisc: Any = None
    ip_ptr: Any = None  # struct in_device (kernel.net.ipv4.devinet)
    promiscuity: int = 0
    allmulti: int = 0
    gflags: int = 0  # IFF_PROMISC / IFF_ALLMULTI as the user set them (SIOCSIFFLAGS), each one reference
    mc_list: dict[bytes, int] = field(default_factory=dict)  # link-layer multicast addresses -> users
    carrier: bool = True
    priv: Any = None  # the driver's private state (netdev_priv)
    rx_handler: Any = None  # Callable[[SkBuff], int]: a bridge port's br_handle_frame (netdev_rx_handler_register)
    rx_handler_data: Any = None  # the bridge port it belongs to
    hw_csum: bool = False  # NETIF_F_HW_CSUM: carries CHECKSUM_PARTIAL packets as they are (lo, veth)
    tso: bool = False  # NETIF_F_TSO: carries TCP super-packets whole (lo, veth; kernel/net/ipv4/tcp_offload.py)

    def __repr__(self) -> str:
        return f"<NetDevice {self.ifindex}: {self.name} mtu {self.mtu} flags {self.flags:#x}>"

    @property
    def is_up(self) -> bool:
        return bool(self.flags & IFF_UP)

    @property
    def running(self) -> bool:
        """netif_running && netif_carrier_ok."""
        return bool(self.flags & IFF_UP) and self.carrier


def call_netdevice_notifiers(event: int, dev: NetDevice) -> None:
    assert dev.net is not None
    for fn in list(dev.net.netdev_chain):
        fn(event, dev)


def register_netdevice_notifier(net: Net, fn: Callable[[int, NetDevice], None]) -> None:
    net.netdev_chain.append(fn)


def register_netdevice(net: Net, dev: NetDevice) -> int:
    """register_netdevice: a unique name (EEXIST), an ifindex, NETDEV_REGISTER."""
    if not dev.name or len(dev.name) >= uapi.IFNAMSIZ or "/" in dev.name or dev.name.strip() != dev.name:
        return -uapi.EINVAL
    if dev.name in net.dev_name_head:
        return -uapi.EEXIST
    if dev.ifindex:
        if dev.ifindex in net.dev_index_head:
            return -uapi.EBUSY
    else:
        dev.ifindex = net.dev_new_index()
    dev.net = net
    net.dev_index_head[dev.ifindex] = dev
    net.dev_name_head[dev.name] = dev
    call_netdevice_notifiers(NETDEV_REGISTER, dev)
    return 0


def unregister_netdevice(dev: NetDevice) -> None:
    """unregister_netdevice: close it, tell everyone, forget it."""
    net = dev.net
    if net is None:
        return
    dev_close(dev)
    call_netdevice_notifiers(NETDEV_UNREGISTER, dev)
    net.dev_index_head.pop(dev.ifindex, None)
    net.dev_name_head.pop(dev.name, None)
    net.ptype_all[:] = [pt for pt in net.ptype_all if pt.dev is not dev]
    for handlers in net.ptype_base.values():
        handlers[:] = [pt for pt in handlers if pt.dev is not dev]


def dev_get_by_name(net: Net, name: str) -> NetDevice | None:
    return net.dev_name_head.get(name)


def dev_get_by_index(net: Net, ifindex: int) -> NetDevice | None:
    return net.dev_index_head.get(ifindex)


RX_HANDLER_CONSUMED = 0  # enum rx_handler_result: the handler took the frame
RX_HANDLER_PASS = 3  # the stack carries on with it


def netdev_rx_handler_register(dev: NetDevice, handler: Callable[[SkBuff], int], data: Any) -> int:
    """netdev_rx_handler_register: one receive handler per device (EBUSY if taken: a port of another bridge)."""
    if dev.rx_handler is not None:
        return -uapi.EBUSY
    dev.rx_handler, dev.rx_handler_data = handler, data
    return 0


def netdev_rx_handler_unregister(dev: NetDevice) -> None:
    dev.rx_handler = dev.rx_handler_data = None


def dev_open(dev: NetDevice) -> int:
    """dev_open: ndo_open, IFF_UP (+RUNNING/LOWER_UP with carrier), NETDEV_UP."""
    if dev.flags & IFF_UP:
        return 0
    err = dev.netdev_ops.ndo_open(dev) if hasattr(dev.netdev_ops, "ndo_open") else 0
    if err:
        return err
    dev.flags |= IFF_UP
    _sync_running(dev)
    call_netdevice_notifiers(NETDEV_UP, dev)
    return 0


def dev_close(dev: NetDevice) -> int:
    """dev_close: NETDEV_DOWN first (addresses' routes go), then ndo_stop."""
    if not dev.flags & IFF_UP:
        return 0
    dev.flags &= ~IFF_UP
    _sync_running(dev)
    call_netdevice_notifiers(NETDEV_DOWN, dev)
    if hasattr(dev.netdev_ops, "ndo_stop"):
        dev.netdev_ops.ndo_stop(dev)
    return 0


def _sync_running(dev: NetDevice) -> None:
    if dev.flags & IFF_UP and dev.carrier:
        dev.flags |= IFF_RUNNING | IFF_LOWER_UP
    else:
        dev.flags &= ~(IFF_RUNNING | IFF_LOWER_UP)


def netif_carrier_on(dev: NetDevice) -> None:
    if not dev.carrier:
        dev.carrier = True
        _sync_running(dev)
        if dev.net is not None:
            call_netdevice_notifiers(NETDEV_CHANGE, dev)


def netif_carrier_off(dev: NetDevice) -> None:
    if dev.carrier:
        dev.carrier = False
        _sync_running(dev)
        if dev.net is not None:
            call_netdevice_notifiers(NETDEV_CHANGE, dev)


def dev_set_mtu(dev: NetDevice, mtu: int) -> int:
    if not dev.min_mtu <= mtu <= dev.max_mtu:
        return -uapi.EINVAL
    if mtu != dev.mtu:
        dev.mtu = mtu
        if dev.net is not None:
            call_netdevice_notifiers(NETDEV_CHANGEMTU, dev)
    return 0


def dev_set_promiscuity(dev: NetDevice, inc: int) -> None:
    dev.promiscuity = max(0, dev.promiscuity + inc)
    if dev.promiscuity:
        dev.flags |= IFF_PROMISC
    else:
        dev.flags &= ~IFF_PROMISC


def dev_set_allmulti(dev: NetDevice, inc: int) -> None:
    """dev_set_allmulti: a use count behind IFF_ALLMULTI."""
    dev.allmulti = max(0, dev.allmulti + inc)
    if dev.allmulti:
        dev.flags |= IFF_ALLMULTI
    else:
        dev.flags &= ~IFF_ALLMULTI


def dev_get_flags(dev: NetDevice) -> int:
    """dev_get_flags: the flags as SIOCGIFFLAGS / ip link show them.

    PROMISC and ALLMULTI are the user's (gflags), not the use counts of packet
    sockets; RUNNING / LOWER_UP follow the carrier of an up device.
    """
    flags = (dev.flags & ~(IFF_PROMISC | IFF_ALLMULTI | IFF_RUNNING | IFF_LOWER_UP | IFF_DORMANT)) | (
        dev.gflags & (IFF_PROMISC | IFF_ALLMULTI))
    if dev.flags & IFF_UP and dev.carrier:
        flags |= IFF_RUNNING | IFF_LOWER_UP
    return flags


def dev_change_flags(dev: NetDevice, flags: int) -> int:
    """__dev_change_flags: the user-settable bits, then IFF_UP (open/close), then the
    user's PROMISC and ALLMULTI references (gflags)."""
    flags &= 0xFFFFFFFF
    old_flags = dev.flags
    dev.flags = (flags & (IFF_DEBUG | IFF_NOTRAILERS | IFF_NOARP | IFF_DYNAMIC | IFF_MULTICAST | IFF_PORTSEL
                          | IFF_AUTOMEDIA)) | (dev.flags & (IFF_UP | IFF_VOLATILE | IFF_PROMISC | IFF_ALLMULTI))
    ret = 0
    if (old_flags ^ flags) & IFF_UP:
        ret = dev_close(dev) if old_flags & IFF_UP else dev_open(dev)
    if (flags ^ dev.gflags) & IFF_PROMISC:
        dev.gflags ^= IFF_PROMISC
        dev_set_promiscuity(dev, 1 if flags & IFF_PROMISC else -1)
    if (flags ^ dev.gflags) & IFF_ALLMULTI:
        dev.gflags ^= IFF_ALLMULTI
        dev_set_allmulti(dev, 1 if flags & IFF_ALLMULTI else -1)
    if dev.net is not None and (old_flags ^ dev.flags) & ~(IFF_UP | IFF_VOLATILE | IFF_PROMISC | IFF_ALLMULTI):
        call_netdevice_notifiers(NETDEV_CHANGE, dev)
    return ret


def dev_add_pack(net: Net, pt: PacketType) -> None:
    """dev_add_pack: ETH_P_ALL handlers are taps, others get one ethertype."""
    if pt.type == ETH_P_ALL:
        net.ptype_all.append(pt)
    else:
        net.ptype_base.setdefault(pt.type, []).append(pt)


def dev_remove_pack(net: Net, pt: PacketType) -> None:
    if pt.type == ETH_P_ALL:
        if pt in net.ptype_all:
            net.ptype_all.remove(pt)
    else:
        handlers = net.ptype_base.get(pt.type, [])
        if pt in handlers:
            handlers.remove(pt)


def dev_hard_header(skb: SkBuff, dev: NetDevice, type_: int, daddr: bytes | None, saddr: bytes | None) -> int:
    """dev_hard_header: let the device's header_ops push its link header (0 if it has none)."""
    if dev.header_ops is None:
        return 0
    return int(dev.header_ops.create(skb, dev, type_, daddr, saddr))


def dev_queue_xmit_nit(skb: SkBuff, dev: NetDevice) -> None:
    """dev_queue_xmit_nit: taps see a copy of every transmitted frame."""
    net = dev.net
    if net is None or not net.ptype_all:
        return
    for pt in list(net.ptype_all):
        if not pt.outgoing or (pt.dev is not None and pt.dev is not dev):
            continue
        if pt.priv is not None and pt.priv is skb.sk:
            continue  # skb_loop_sk: a packet socket does not see the frames it sent itself
        skb_checksum_help(skb)  # what a tap sees carries its real checksum
        c = skb.clone()
        c.pkt_type = PACKET_OUTGOING
        c.dev = dev
        if c.mac_header < 0:
            c.mac_header = c.doff
        pt.func(c, dev, pt, dev)


def dev_queue_xmit(skb: SkBuff) -> int:
    """__dev_queue_xmit: taps, then the qdisc or the driver. Returns NET_XMIT_* / -errno."""
    dev: NetDevice = skb.dev
    if not dev.flags & IFF_UP:
        dev.stats.tx_dropped += 1
        return -uapi.ENETDOWN
    skb.mac_header = skb.doff
    if skb.gso_size and (not dev.tso or dev.qdisc is not None):
        # validate_xmit_skb's skb_gso_segment: real segments for a device that cannot carry the
        # super-packet, and for a qdisc (netem impairs segment by segment)
        from kernel.net.ipv4.tcp_offload import tcp4_gso_segment

        segs = tcp4_gso_segment(skb, with_l2=True)
        skb.free()
        rc = 0
        for seg in segs:
            rc = dev_queue_xmit(seg) or rc
        return rc
    if dev.qdisc is not None:
        return int(dev.qdisc.enqueue(skb, dev))
    return dev_hard_start_xmit(skb, dev)


def dev_hard_start_xmit(skb: SkBuff, dev: NetDevice) -> int:
    """xmit_one: the taps see the frame as it leaves (after the qdisc, never a frame dropped for
    want of carrier, as dev_queue_xmit_nit sits in xmit_one), then the driver transmits; tx
    counters move when it accepts the frame."""
    if not dev.carrier:
        dev.stats.tx_dropped += 1
        return 0  # NET_XMIT_DROP is not reported to the sender on Linux either
    if skb.ip_summed == CHECKSUM_PARTIAL and not dev.hw_csum:
        skb_checksum_help(skb)  # validate_xmit_skb: the device cannot finish it
    dev_queue_xmit_nit(skb, dev)
    length = skb.len
    rc = dev.netdev_ops.ndo_start_xmit(skb, dev)
    if rc == NETDEV_TX_OK:
        dev.stats.tx_packets += 1
        dev.stats.tx_bytes += length
    else:
        dev.stats.tx_dropped += 1
    return 0


def netif_rx(skb: SkBuff) -> int:
    """netif_rx: queue on the backlog, and drain it unless a drain is running."""
    dev: NetDevice = skb.dev
    net = dev.net
    if net is None or not dev.flags & IFF_UP:
        dev.stats.rx_dropped += 1
        return 1  # NET_RX_DROP
    net.backlog.append(skb)
    if not net.in_softirq:
        net_rx_action(net)
    return 0


def net_rx_action(net: Net) -> None:
    """The NET_RX softirq: process queued frames until the backlog is empty."""
    net.in_softirq = True
    try:
        while net.backlog:
            __netif_receive_skb(net.backlog.popleft())
    finally:
        net.in_softirq = False


def __netif_receive_skb(skb: SkBuff) -> int:
    dev: NetDevice = skb.dev
    net = dev.net
    assert net is not None
    if skb.pkt_type != PACKET_LOOPBACK:  # dev_loopback_xmit copies (IP multicast/broadcast) are no received frames
        dev.stats.rx_packets += 1
        dev.stats.rx_bytes += skb.len + (skb.doff - skb.mac_header if skb.mac_header >= 0 else 0)
    skb.skb_iif = dev.ifindex
    if skb.network_header < 0:
        skb.network_header = skb.doff
    if skb.ip_summed == CHECKSUM_PARTIAL and (net.ptype_all or dev.rx_handler is not None
                                              or len(net.ptype_base.get(skb.protocol, ())) > 1):
        skb_checksum_help(skb)  # taps, packet sockets and bridges see real checksums
    for pt in list(net.ptype_all) if skb.pkt_type != PACKET_LOOPBACK else ():  # packet_rcv drops those
        if pt.dev is None or pt.dev is dev:
            pt.func(skb.clone(), dev, pt, dev)
    if dev.rx_handler is not None and skb.pkt_type != PACKET_LOOPBACK and dev.rx_handler(skb) == RX_HANDLER_CONSUMED:
        return 0  # a bridge port: the bridge forwards or passes it up on the bridge device
    handlers = net.ptype_base.get(skb.protocol)
    if not handlers:
        dev.stats.rx_dropped += 1  # rx_nohandler on Linux; counted as dropped in /proc/net/dev
        return 1
    rc = 1
    last = len(handlers) - 1
    for i, pt in enumerate(list(handlers)):
        if pt.dev is not None and pt.dev is not dev:
            continue
        rc = pt.func(skb if i == last else skb.clone(), dev, pt, dev)
    return rc
