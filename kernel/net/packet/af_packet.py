"""PF_PACKET (net/packet/af_packet.c): link-layer sockets on the emulated NICs.

Creation (``packet_create``): CAP_NET_RAW or EPERM, then SOCK_RAW, SOCK_DGRAM
or the obsolete SOCK_PACKET (anything else ESOCKTNOSUPPORT).  The protocol
argument is a be16 ethertype (``htons(ETH_P_ALL)``); when non-zero the socket
starts receiving at once on every device.  SO_PROTOCOL reads 0, as on Linux.

Receive: the socket's ``prot_hook`` is a ``PacketType`` registered with
dev_add_pack: ETH_P_ALL hooks are taps (``ptype_all``) and also see
transmitted frames as PACKET_OUTGOING (never the frames this socket sent
itself: skb_loop_sk, and not with PACKET_IGNORE_OUTGOING).  ``packet_rcv``
gives SOCK_RAW the whole frame and SOCK_DGRAM the frame past its link header,
records a ``sockaddr_ll`` (ifindex, hatype, pkttype, the source hardware
address) and queues the frame unless sk_rmem_alloc already reached sk_rcvbuf
(counted in PACKET_STATISTICS tp_drops and sk_drops).  ``packet_recvmsg``
accepts only MSG_PEEK / MSG_DONTWAIT / MSG_TRUNC / MSG_ERRQUEUE (EINVAL), one
frame per call, MSG_TRUNC when cut, the address padded to 20 bytes, and
PACKET_AUXDATA / SO_RXQ_OVFL control messages.

Send (``packet_snd``): the destination is the sockaddr_ll (EINVAL under 20
bytes or under sll_halen + 12) or the bound device (ENXIO without one);
ENETDOWN when the device is down; EMSGSIZE above mtu (+ link header for
SOCK_RAW) + 4; SOCK_RAW needs a whole link header (EINVAL), SOCK_DGRAM has
dev_hard_header build it from sll_addr (EINVAL when the device needs an
address and none is given).  Frames are charged to sk_wmem_alloc until the
driver frees them.

Bind (``packet_do_bind``): sockaddr_ll of at least 20 bytes with family
AF_PACKET (EINVAL), an existing ifindex or 0 for all (ENODEV); protocol 0
keeps the current one; binding to a down device succeeds but sets sk_err
ENETDOWN.  The netdevice notifier unhooks a socket whose device goes down
(sk_err ENETDOWN) and hooks it again when it comes up.

Options (SOL_PACKET): PACKET_ADD_MEMBERSHIP / PACKET_DROP_MEMBERSHIP
(PACKET_MR_PROMISC -> dev_set_promiscuity, PACKET_MR_ALLMULTI,
PACKET_MR_MULTICAST / PACKET_MR_UNICAST with address length checks; use
counts per entry, undone on close), PACKET_STATISTICS (tp_packets includes
the drops; both reset when read), PACKET_AUXDATA, PACKET_ORIGDEV,
PACKET_VERSION, PACKET_HDRLEN, PACKET_RESERVE, PACKET_LOSS, PACKET_TIMESTAMP,
PACKET_IGNORE_OUTGOING, PACKET_QDISC_BYPASS, PACKET_TX_HAS_OFF,
PACKET_COPY_THRESH with Linux's length and range checks.  The mmap rings
(PACKET_RX_RING / PACKET_TX_RING), fanout and virtio-net headers are not
emulated: asking for them is EOPNOTSUPP (a zero ring request is accepted).
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from kernel import uapi
from kernel.net.core.dev import (
    ARPHRD_ETHER,
    IFF_UP,
    NETDEV_DOWN,
    NETDEV_UNREGISTER,
    NETDEV_UP,
    NetDevice,
    PacketType,
    dev_add_pack,
    dev_get_by_index,
    dev_get_by_name,
    dev_hard_header,
    dev_hard_start_xmit,
    dev_queue_xmit,
    dev_remove_pack,
    dev_set_allmulti,
    dev_set_promiscuity,
    register_netdevice_notifier,
)
from kernel.net.core.net_namespace import Net, register_pernet_subsys
from kernel.net.core.skbuff import MAX_HEADER, PACKET_LOOPBACK, PACKET_OUTGOING, SkBuff, alloc_skb
from kernel.net.packet.internal import (
    ETH_P_8021Q,
    MR_ADDRESS_OFFSET,
    PACKET_COPY_THRESH,
    PACKET_FANOUT,
    PACKET_FANOUT_DATA,
    PACKET_HDRLEN,
    PACKET_LOSS,
    PACKET_MREQ,
    PACKET_QDISC_BYPASS,
    PACKET_RESERVE,
    PACKET_ROLLOVER_STATS,
    PACKET_TIMESTAMP,
    PACKET_TX_HAS_OFF,
    PACKET_TX_RING,
    PACKET_VNET_HDR,
    PACKET_VNET_HDR_SZ,
    SLL_ADDR_OFFSET,
    SOCKADDR_LL_SIZE,
    SOCKADDR_PKT_SIZE,
    SOCKADDR_SIZE,
    SPKT_DEVICE_LEN,
    TP_STATUS_USER,
    TPACKET_AUXDATA,
    TPACKET_HDRLEN,
    TPACKET_STATS,
    TPACKET_V1,
    TPACKET_V3,
    VLAN_HLEN,
    PacketMclist,
    PacketNet,
    PacketSock,
    SockaddrLl,
    ethertype_of_protocol,
    pkt_sk,
    sockaddr_ll,
    sockaddr_pkt,
    spkt_device_name,
)
from kernel.net.scm import CmsgWriter
from kernel.net.sock import SEND_SHUTDOWN, SOCK_DEAD, SOCK_RXQ_OVFL, SS_UNCONNECTED, ProtoOps, Socket
from kernel.net.socket import sock_register
from kernel.net.uaccess import MsgHdr, OptBuf
from kernel.wait import wait_event

if TYPE_CHECKING:
    from kernel.net.core.dev_ioctl import Ifreq
    from kernel.process import Process

MSG_CMSG_COMPAT = 0x80000000
_RECV_FLAGS = uapi.MSG_PEEK | uapi.MSG_DONTWAIT | uapi.MSG_TRUNC | MSG_CMSG_COMPAT | uapi.MSG_ERRQUEUE
INT_MAX = 2**31 - 1


def packet_net(net: Net) -> PacketNet:
    pn = net.packet
    assert isinstance(pn, PacketNet)
    return pn


# --- the receive hook -----------------------------------------------------------------

def register_prot_hook(po: PacketSock) -> None:
    """__register_prot_hook: start receiving (dev_add_pack), once."""
    if not po.running:
        dev_add_pack(po.net, po.prot_hook)
        po.running = True


def unregister_prot_hook(po: PacketSock) -> None:
    if po.running:
        po.running = False
        dev_remove_pack(po.net, po.prot_hook)


def _source_hwaddr(skb: SkBuff, dev: NetDevice) -> bytes:
    """dev_parse_header: eth_header_parse gives the frame's source address."""
    if dev.header_ops is None or skb.mac_header < 0:
        return b""
    alen = len(dev.dev_addr)
    off = skb.mac_header + alen
    return bytes(skb.head[off:off + alen])


def packet_rcv(skb: SkBuff, dev: NetDevice, pt: PacketType, orig_dev: NetDevice) -> int:
    """packet_rcv: queue a copy of a frame for a SOCK_RAW / SOCK_DGRAM socket."""
    po: PacketSock = pt.priv
    if skb.pkt_type == PACKET_LOOPBACK or po.sock_flag(SOCK_DEAD):
        return 0
    skb = skb.clone()  # our own data offsets over the shared bytes
    if dev.header_ops is not None and skb.mac_header >= 0:
        if po.sk_type != uapi.SOCK_DGRAM:
            skb.doff = skb.mac_header  # skb_push back to the link header
        elif skb.pkt_type == PACKET_OUTGOING:
            nh = skb.network_header
            if nh < skb.doff or nh > skb.tail:
                nh = min(skb.doff + dev.hard_header_len, skb.tail)
            skb.doff = nh  # skb_pull(skb, skb_network_offset(skb))
    if skb.network_header < 0:
        skb.network_header = skb.doff
    if po.sk_rmem_alloc >= po.sk_rcvbuf:
        po.tp_drops += 1
        po.sk_drops += 1
        return 0
    ifindex = orig_dev.ifindex if po.origdev else dev.ifindex
    hwaddr = _source_hwaddr(skb, dev)
    skb.cb["sll"] = (dev.type, skb.pkt_type, ifindex, hwaddr)
    skb.cb["origlen"] = skb.len
    skb.cb["dropcount"] = po.sk_drops
    skb.destructor = None
    po.skb_set_owner_r(skb)
    po.tp_packets += 1
    po.sk_receive_queue.append(skb)
    po.data_ready()
    return 0


def packet_rcv_spkt(skb: SkBuff, dev: NetDevice, pt: PacketType, orig_dev: NetDevice) -> int:
    """packet_rcv_spkt: SOCK_PACKET gets the whole frame and a sockaddr_pkt naming the device."""
    po: PacketSock = pt.priv
    if skb.pkt_type == PACKET_LOOPBACK or po.sock_flag(SOCK_DEAD):
        return 0
    skb = skb.clone()
    if skb.mac_header >= 0:
        skb.doff = skb.mac_header
    if skb.network_header < 0:
        skb.network_header = skb.doff
    skb.cb["spkt"] = sockaddr_pkt(dev.type, dev.name, skb.protocol)
    skb.cb["dropcount"] = po.sk_drops
    if po.sk_rmem_alloc >= po.sk_rcvbuf:  # sock_queue_rcv_skb
        po.sk_drops += 1
        return 0
    skb.destructor = None
    po.skb_set_owner_r(skb)
    po.sk_receive_queue.append(skb)
    po.data_ready()
    return 0


# --- creation, release, the notifier ----------------------------------------------

class PacketFamily:
    """packet_family_ops: net_proto_family for PF_PACKET."""

    family = uapi.AF_PACKET

    def create(self, proc: Process, sock: Socket, protocol: int, kern: bool) -> int:
        return packet_create(proc, sock, protocol, kern)


def packet_create(proc: Process, sock: Socket, protocol: int, kern: bool) -> int:
    if not kern and not proc.capable(uapi.CAP_NET_RAW):
        return -uapi.EPERM
    if sock.type not in (uapi.SOCK_DGRAM, uapi.SOCK_RAW, uapi.SOCK_PACKET):
        return -uapi.ESOCKTNOSUPPORT
    sock.state = SS_UNCONNECTED
    po = PacketSock(proc.host, sock.type)
    sock.ops = packet_ops_spkt if sock.type == uapi.SOCK_PACKET else packet_ops
    proto = ethertype_of_protocol(protocol)
    po.num = proto
    po.prot_hook = PacketType(proto, packet_rcv_spkt if sock.type == uapi.SOCK_PACKET else packet_rcv, None, po)
    sock.sk = po
    po.sk_socket = sock
    if proto:
        register_prot_hook(po)
    packet_net(po.net).sklist.append(po)
    return 0


def packet_release(sock: Socket) -> None:
    sk = sock.sk
    if sk is None:
        return
    po = pkt_sk(sk)
    sklist = packet_net(po.net).sklist
    if po in sklist:
        sklist.remove(po)
    unregister_prot_hook(po)
    po.prot_hook.dev = None
    packet_flush_mclist(po)
    po.sock_set_flag(SOCK_DEAD)
    po.sk_socket = None
    sock.sk = None
    po.purge_receive_queue()
    while po.sk_error_queue:
        po.sk_error_queue.popleft().free()


def packet_notifier(event: int, dev: NetDevice) -> None:
    """packet_notifier: a socket bound to a device that goes down stops and sees ENETDOWN."""
    net = dev.net
    if net is None or not isinstance(net.packet, PacketNet):
        return
    for po in list(net.packet.sklist):
        if event == NETDEV_UNREGISTER and po.mclist:
            packet_dev_mclist_delete(dev, po)
        if event in (NETDEV_DOWN, NETDEV_UNREGISTER):
            if dev.ifindex == po.ifindex:
                if po.running:
                    unregister_prot_hook(po)
                    po.sk_err = uapi.ENETDOWN
                    if not po.sock_flag(SOCK_DEAD):
                        po.error_report()
                if event == NETDEV_UNREGISTER:
                    po.ifindex = -1
                    po.prot_hook.dev = None
        elif event == NETDEV_UP and dev.ifindex == po.ifindex and po.num:
            register_prot_hook(po)


def packet_net_init(net: Net) -> None:
    """packet_net_init: the namespace's socket list, and the notifier that follows its devices."""
    net.packet = PacketNet()
    register_netdevice_notifier(net, packet_notifier)


# --- bind and getname -------------------------------------------------------------

def packet_do_bind(po: PacketSock, name: str | None, ifindex: int, proto: int) -> int:
    net = po.net
    dev: NetDevice | None = None
    if name is not None:
        dev = dev_get_by_name(net, name)
        if dev is None:
            return -uapi.ENODEV
    elif ifindex:
        dev = dev_get_by_index(net, ifindex)
        if dev is None:
            return -uapi.ENODEV
    need_rehook = po.prot_hook.type != proto or po.prot_hook.dev is not dev
    if need_rehook:
        if po.running:
            po.num = 0
            unregister_prot_hook(po)
        po.num = proto
        po.prot_hook.type = proto
        po.prot_hook.dev = dev
        po.ifindex = dev.ifindex if dev is not None else 0
    if proto == 0 or not need_rehook:
        return 0
    if dev is None or dev.flags & IFF_UP:
        register_prot_hook(po)
    else:
        po.sk_err = uapi.ENETDOWN
        if not po.sock_flag(SOCK_DEAD):
            po.error_report()
    return 0


def packet_bind(sock: Socket, addr: bytes) -> int:
    po = pkt_sk(sock.sk)
    if len(addr) < SOCKADDR_LL_SIZE:
        return -uapi.EINVAL
    sll = SockaddrLl.parse(addr)
    if sll.family != uapi.AF_PACKET:
        return -uapi.EINVAL
    return packet_do_bind(po, None, sll.ifindex, sll.protocol or po.num)


def packet_bind_spkt(sock: Socket, addr: bytes) -> int:
    po = pkt_sk(sock.sk)
    if len(addr) != SOCKADDR_SIZE:
        return -uapi.EINVAL
    return packet_do_bind(po, spkt_device_name(addr), 0, po.num)


def packet_getname(sock: Socket, peer: int) -> bytes | int:
    if peer:
        return -uapi.EOPNOTSUPP
    po = pkt_sk(sock.sk)
    dev = dev_get_by_index(po.net, po.ifindex) if po.ifindex > 0 else None
    if dev is None:
        return sockaddr_ll(po.ifindex, po.num)[:SLL_ADDR_OFFSET]
    raw = sockaddr_ll(po.ifindex, po.num, dev.type, 0, dev.dev_addr)
    return raw[:SLL_ADDR_OFFSET + len(dev.dev_addr)]


def packet_getname_spkt(sock: Socket, peer: int) -> bytes | int:
    if peer:
        return -uapi.EOPNOTSUPP
    po = pkt_sk(sock.sk)
    dev = dev_get_by_index(po.net, po.ifindex) if po.ifindex > 0 else None
    name = dev.name.encode("latin-1")[: SPKT_DEVICE_LEN - 1] if dev is not None else b""
    return struct.pack("<H", uapi.AF_PACKET) + name.ljust(SPKT_DEVICE_LEN, b"\0")


# --- send -------------------------------------------------------------------------

async def packet_alloc_skb(po: PacketSock, size: int, flags: int) -> SkBuff | int:
    """sock_alloc_send_pskb: wait for sndbuf room (EAGAIN when non-blocking), charge sk_wmem_alloc."""
    timeo = po.sndtimeo(bool(flags & uapi.MSG_DONTWAIT))
    while True:
        err = po.sock_error()
        if err:
            return err
        if po.sk_shutdown & SEND_SHUTDOWN:
            return -uapi.EPIPE
        if po.sk_wmem_alloc < po.sk_sndbuf:
            break
        if not timeo:
            return -uapi.EAGAIN
        timeo = await wait_event(po.sk_wq, po.host.clock, timeo,
                                 lambda: po.sk_wmem_alloc < po.sk_sndbuf or bool(po.sk_err))
    skb = alloc_skb(size, MAX_HEADER)
    po.skb_set_owner_w(skb)
    return skb


def _extra_vlan_len_allowed(dev: NetDevice, frame: bytes) -> bool:
    """packet_extra_vlan_len_allowed: an 802.1Q-tagged Ethernet frame may be 4 bytes longer."""
    return dev.type == ARPHRD_ETHER and len(frame) >= 14 and struct.unpack_from("!H", frame, 12)[0] == ETH_P_8021Q


def packet_xmit(po: PacketSock, skb: SkBuff) -> int:
    """po->xmit: dev_queue_xmit, or the driver directly with PACKET_QDISC_BYPASS."""
    if po.qdisc_bypass:
        skb.mac_header = skb.doff
        return dev_hard_start_xmit(skb, skb.dev)
    return dev_queue_xmit(skb)


async def packet_snd(po: PacketSock, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
    addr: bytes | None = None
    if msg.name is None:
        dev = dev_get_by_index(po.net, po.ifindex) if po.ifindex > 0 else None
        proto = po.num
    else:
        if len(msg.name) < SOCKADDR_LL_SIZE:
            return -uapi.EINVAL
        sll = SockaddrLl.parse(msg.name)
        if len(msg.name) < sll.halen + SLL_ADDR_OFFSET:
            return -uapi.EINVAL
        proto = sll.protocol
        dev = dev_get_by_index(po.net, sll.ifindex)
        if sock.type == uapi.SOCK_DGRAM:
            if dev is not None and len(msg.name) < len(dev.dev_addr) + SLL_ADDR_OFFSET:
                return -uapi.EINVAL
            addr = sll.addr
    if dev is None:
        return -uapi.ENXIO
    if not dev.flags & IFF_UP:
        return -uapi.ENETDOWN
    reserve = dev.hard_header_len if sock.type == uapi.SOCK_RAW else 0
    if size > dev.mtu + reserve + VLAN_HLEN:
        return -uapi.EMSGSIZE
    data = b"".join(msg.iov)
    got = await packet_alloc_skb(po, size, flags)
    if isinstance(got, int):
        return got
    skb = got
    skb.put_data(data)
    skb.dev = dev
    if sock.type == uapi.SOCK_DGRAM:
        skb.network_header = skb.doff
        daddr = addr[: len(dev.dev_addr)] if addr is not None else None
        if dev_hard_header(skb, dev, proto, daddr, None) < 0:
            skb.free()
            return -uapi.EINVAL
    else:
        skb.network_header = skb.doff + min(reserve, size)
        if size < dev.hard_header_len:  # dev_validate_header (min_header_len == hard_header_len)
            skb.free()
            return -uapi.EINVAL
    skb.mac_header = skb.doff
    frame = skb.tobytes()
    if size > dev.mtu + reserve and not _extra_vlan_len_allowed(dev, frame):
        skb.free()
        return -uapi.EMSGSIZE
    skb.protocol = proto
    skb.priority = po.sk_priority
    skb.mark = po.sk_mark
    err = packet_xmit(po, skb)
    if err < 0:
        skb.free()
        return err
    return size


async def packet_sendmsg_spkt(po: PacketSock, msg: MsgHdr, size: int, flags: int) -> int:
    """packet_sendmsg_spkt: the device is named in the address (ENOTCONN without one)."""
    if msg.name is None:
        return -uapi.ENOTCONN
    if len(msg.name) < SOCKADDR_SIZE:
        return -uapi.EINVAL
    proto = struct.unpack_from("!H", msg.name, 16)[0] if len(msg.name) == SOCKADDR_PKT_SIZE else 0
    dev = dev_get_by_name(po.net, spkt_device_name(msg.name))
    if dev is None:
        return -uapi.ENODEV
    if not dev.flags & IFF_UP:
        return -uapi.ENETDOWN
    if size > dev.mtu + dev.hard_header_len + VLAN_HLEN:
        return -uapi.EMSGSIZE
    data = b"".join(msg.iov)
    if size < dev.hard_header_len:
        return -uapi.EINVAL
    if size > dev.mtu + dev.hard_header_len and not _extra_vlan_len_allowed(dev, data):
        return -uapi.EMSGSIZE
    got = await packet_alloc_skb(po, size, flags)
    if isinstance(got, int):
        return got
    skb = got
    skb.put_data(data)
    skb.mac_header = skb.doff
    skb.network_header = skb.doff + dev.hard_header_len
    skb.dev = dev
    skb.protocol = proto
    skb.priority = po.sk_priority
    skb.mark = po.sk_mark
    err = dev_queue_xmit(skb)
    if err < 0:
        skb.free()
        return err
    return size


# --- receive ------------------------------------------------------------------------

async def skb_recv_datagram(po: PacketSock, flags: int) -> SkBuff | int:
    """__skb_recv_datagram: the first queued frame (left there with MSG_PEEK), waiting for one."""
    timeo = po.rcvtimeo(bool(flags & uapi.MSG_DONTWAIT))
    while True:
        err = po.sock_error()
        if err:
            return err
        if po.sk_receive_queue:
            if flags & uapi.MSG_PEEK:
                return po.sk_receive_queue[0]
            return po.sk_receive_queue.popleft()
        if not timeo:
            return -uapi.EAGAIN
        gen = po.gen
        timeo = await wait_event(po.sk_wq, po.host.clock, timeo, lambda: po.gen != gen)


def _sll_name(skb: SkBuff) -> bytes:
    """The sockaddr_ll packet_rcv recorded; at least sizeof(struct sockaddr_ll), zero padded."""
    hatype, pkttype, ifindex, hwaddr = skb.cb["sll"]
    raw = sockaddr_ll(ifindex, skb.protocol, hatype, pkttype, hwaddr)
    n = SLL_ADDR_OFFSET + len(hwaddr)
    return raw[:n].ljust(SOCKADDR_LL_SIZE, b"\0")


async def packet_recvmsg(proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
    po = pkt_sk(sock.sk)
    if flags & ~_RECV_FLAGS:
        return -uapi.EINVAL
    if flags & uapi.MSG_ERRQUEUE:
        return -uapi.EAGAIN  # sock_recv_errqueue: nothing ever queues there (no TX timestamps)
    got = await skb_recv_datagram(po, flags)
    if isinstance(got, int):
        return got
    skb = got
    frame = skb.tobytes()
    copied = len(frame)
    if copied > size:
        copied = size
        msg.flags |= uapi.MSG_TRUNC
    msg.data = frame[:copied]
    w = CmsgWriter(msg.controllen)
    dropcount = skb.cb.get("dropcount", 0)
    if po.sock_flag(SOCK_RXQ_OVFL) and dropcount:
        w.put_cmsg(uapi.SOL_SOCKET, uapi.SO_RXQ_OVFL, struct.pack("<I", dropcount & 0xFFFFFFFF))
    if msg.namelen:
        msg.name = skb.cb["spkt"] if sock.type == uapi.SOCK_PACKET else _sll_name(skb)
    if po.auxdata and sock.type != uapi.SOCK_PACKET:
        net_off = max(skb.network_header - skb.doff, 0)
        aux = TPACKET_AUXDATA.pack(TP_STATUS_USER, skb.cb.get("origlen", len(frame)), len(frame), 0, net_off, 0, 0)
        w.put_cmsg(uapi.SOL_PACKET, uapi.PACKET_AUXDATA, aux)
    msg.control = bytes(w.buf)
    msg.flags |= w.flags
    if not flags & uapi.MSG_PEEK:
        skb.free()
    return len(frame) if flags & uapi.MSG_TRUNC else copied


# --- socket options --------------------------------------------------------------------

def _int_opt(optval: bytes, exact: bool) -> int | None:
    """An int optval: exactly 4 bytes (exact) or at least 4; None for a wrong length (EINVAL)."""
    if (exact and len(optval) != 4) or len(optval) < 4:
        return None
    return int(struct.unpack_from("<i", optval)[0])


def packet_setsockopt(sock: Socket, level: int, optname: int, optval: bytes) -> int:
    po = pkt_sk(sock.sk)
    if level != uapi.SOL_PACKET:
        return -uapi.ENOPROTOOPT
    if optname in (uapi.PACKET_ADD_MEMBERSHIP, uapi.PACKET_DROP_MEMBERSHIP):
        if len(optval) < PACKET_MREQ.size:
            return -uapi.EINVAL
        raw = optval[:PACKET_MREQ.size + 24]  # struct packet_mreq_max (32-byte address room)
        ifindex, type_, alen = struct.unpack_from("<iHH", raw)
        if len(raw) < alen + MR_ADDRESS_OFFSET:
            return -uapi.EINVAL
        address = raw[MR_ADDRESS_OFFSET:MR_ADDRESS_OFFSET + alen]
        if optname == uapi.PACKET_ADD_MEMBERSHIP:
            return packet_mc_add(po, ifindex, type_, alen, address)
        return packet_mc_drop(po, ifindex, type_, alen, address)
    if optname in (uapi.PACKET_RX_RING, PACKET_TX_RING):
        need = 28 if po.tp_version == TPACKET_V3 else 16  # struct tpacket_req3 / tpacket_req
        if len(optval) < need:
            return -uapi.EINVAL
        if any(optval[:need]):
            return -uapi.EOPNOTSUPP  # no mmap in the emulation: rings cannot be set up
        return 0
    if optname in (uapi.PACKET_AUXDATA, uapi.PACKET_ORIGDEV):
        val = _int_opt(optval, exact=False)
        if val is None:
            return -uapi.EINVAL
        if optname == uapi.PACKET_AUXDATA:
            po.auxdata = bool(val)
        else:
            po.origdev = bool(val)
        return 0
    if optname in (PACKET_VNET_HDR, PACKET_VNET_HDR_SZ):
        if sock.type != uapi.SOCK_RAW:
            return -uapi.EINVAL
        val = _int_opt(optval, exact=False)
        if val is None:
            return -uapi.EINVAL
        return -uapi.EOPNOTSUPP if val else 0  # virtio-net headers are not emulated
    if optname == PACKET_FANOUT:
        if len(optval) not in (4, 8):
            return -uapi.EINVAL
        return -uapi.EOPNOTSUPP
    if optname == PACKET_FANOUT_DATA:
        return -uapi.EINVAL  # no fanout group
    exact_int = (uapi.PACKET_VERSION, PACKET_RESERVE, PACKET_LOSS, PACKET_TIMESTAMP, uapi.PACKET_IGNORE_OUTGOING,
                 PACKET_TX_HAS_OFF, PACKET_QDISC_BYPASS, PACKET_COPY_THRESH)
    if optname not in exact_int:
        return -uapi.ENOPROTOOPT
    val = _int_opt(optval, exact=True)
    if val is None:
        return -uapi.EINVAL
    if optname == uapi.PACKET_VERSION:
        if val not in TPACKET_HDRLEN:
            return -uapi.EINVAL
        po.tp_version = val
    elif optname == PACKET_RESERVE:
        if val < 0:  # an unsigned value above INT_MAX
            return -uapi.EINVAL
        po.tp_reserve = val
    elif optname == PACKET_LOSS:
        po.tp_loss = bool(val)
    elif optname == PACKET_TIMESTAMP:
        po.tp_tstamp = val
    elif optname == uapi.PACKET_IGNORE_OUTGOING:
        if val < 0 or val > 1:
            return -uapi.EINVAL
        po.prot_hook.outgoing = not val
    elif optname == PACKET_TX_HAS_OFF:
        po.tp_tx_has_off = bool(val)
    elif optname == PACKET_QDISC_BYPASS:
        po.qdisc_bypass = bool(val)
    else:
        po.copy_thresh = val
    return 0


def packet_getsockopt(sock: Socket, level: int, optname: int, opt: OptBuf) -> int:
    po = pkt_sk(sock.sk)
    if level != uapi.SOL_PACKET:
        return -uapi.ENOPROTOOPT
    size = opt.size
    if size < 0:
        return -uapi.EINVAL
    data: bytes
    if optname == uapi.PACKET_STATISTICS:
        drops, po.tp_drops = po.tp_drops, 0
        packets, po.tp_packets = po.tp_packets + drops, 0
        data = TPACKET_STATS.pack(packets, drops)
        if po.tp_version == TPACKET_V3:
            data += struct.pack("<I", 0)  # tp_freeze_q_cnt
    elif optname == PACKET_HDRLEN:
        size = min(size, 4)
        if size < 4:
            return -uapi.EINVAL
        version = struct.unpack("<i", opt.data[:4])[0] if len(opt.data) >= 4 else TPACKET_V1
        if version not in TPACKET_HDRLEN:
            return -uapi.EINVAL
        data = struct.pack("<i", TPACKET_HDRLEN[version])
    elif optname == PACKET_ROLLOVER_STATS:
        return -uapi.EINVAL  # no rollover without fanout
    else:
        values = {
            uapi.PACKET_AUXDATA: po.auxdata,
            uapi.PACKET_ORIGDEV: po.origdev,
            PACKET_VNET_HDR: 0,
            PACKET_VNET_HDR_SZ: 0,
            uapi.PACKET_VERSION: po.tp_version,
            PACKET_RESERVE: po.tp_reserve,
            PACKET_LOSS: po.tp_loss,
            PACKET_TIMESTAMP: po.tp_tstamp,
            PACKET_FANOUT: 0,
            uapi.PACKET_IGNORE_OUTGOING: not po.prot_hook.outgoing,
            PACKET_TX_HAS_OFF: po.tp_tx_has_off,
            PACKET_QDISC_BYPASS: po.qdisc_bypass,
        }
        if optname not in values:
            return -uapi.ENOPROTOOPT
        data = struct.pack("<i", int(values[optname]))
    n = min(size, len(data))
    opt.data = data[:n]
    opt.size = n
    return 0


# --- memberships (packet_mc_add / packet_mc_drop) ------------------------------------

def _dev_addr_list(table: dict[bytes, int], addr: bytes, inc: int) -> None:
    """dev_mc_add / dev_mc_del (and the unicast list): reference-counted link-layer addresses."""
    n = table.get(addr, 0) + inc
    if n > 0:
        table[addr] = n
    else:
        table.pop(addr, None)


def packet_dev_mc(dev: NetDevice, ml: PacketMclist, what: int) -> int:
    alen = len(dev.dev_addr)
    if ml.type == uapi.PACKET_MR_MULTICAST:
        if ml.alen != alen:
            return -uapi.EINVAL
        _dev_addr_list(dev.mc_list, ml.addr[:alen], what)
    elif ml.type == uapi.PACKET_MR_PROMISC:
        dev_set_promiscuity(dev, what)
    elif ml.type == uapi.PACKET_MR_ALLMULTI:
        dev_set_allmulti(dev, what)
    elif ml.type == uapi.PACKET_MR_UNICAST:
        if ml.alen != alen:
            return -uapi.EINVAL
        pass  # dev_uc_add: no unicast filter is emulated (every NIC hears every frame)
    return 0


def packet_mc_add(po: PacketSock, ifindex: int, type_: int, alen: int, address: bytes) -> int:
    dev = dev_get_by_index(po.net, ifindex)
    if dev is None:
        return -uapi.ENODEV
    if alen > len(dev.dev_addr):
        return -uapi.EINVAL
    for ml in po.mclist:
        if ml.matches(ifindex, type_, alen, address):
            ml.count += 1
            return 0
    entry = PacketMclist(ifindex, type_, alen, address[:alen].ljust(8, b"\0"))
    po.mclist.insert(0, entry)
    err = packet_dev_mc(dev, entry, 1)
    if err:
        po.mclist.remove(entry)
    return err


def packet_mc_drop(po: PacketSock, ifindex: int, type_: int, alen: int, address: bytes) -> int:
    for ml in po.mclist:
        if ml.matches(ifindex, type_, alen, address):
            ml.count -= 1
            if ml.count == 0:
                po.mclist.remove(ml)
                dev = dev_get_by_index(po.net, ml.ifindex)
                if dev is not None:
                    packet_dev_mc(dev, ml, -1)
            break
    return 0  # Linux answers 0 even when nothing matched


def packet_flush_mclist(po: PacketSock) -> None:
    while po.mclist:
        ml = po.mclist.pop(0)
        dev = dev_get_by_index(po.net, ml.ifindex)
        if dev is not None:
            packet_dev_mc(dev, ml, -1)


def packet_dev_mclist_delete(dev: NetDevice, po: PacketSock) -> None:
    keep = []
    for ml in po.mclist:
        if ml.ifindex == dev.ifindex:
            packet_dev_mc(dev, ml, -1)
        else:
            keep.append(ml)
    po.mclist = keep


# --- poll and ioctl ---------------------------------------------------------------------

def packet_poll(sock: Socket) -> int:
    """datagram_poll (no rings): errors, readable, writable while wmem is under half of sndbuf."""
    po = pkt_sk(sock.sk)
    mask = 0
    if po.sk_err or po.sk_error_queue:
        mask |= uapi.POLLERR
    if po.sk_receive_queue:
        mask |= uapi.POLLIN | uapi.POLLRDNORM
    if po.sk_wmem_alloc < (po.sk_sndbuf >> 1):
        mask |= uapi.POLLOUT | uapi.POLLWRNORM | uapi.POLLWRBAND
    return mask


def packet_ioctl(sock: Socket, cmd: int, argp: list[int]) -> int:
    po = pkt_sk(sock.sk)
    if cmd == uapi.SIOCOUTQ:
        argp[0] = max(po.sk_wmem_alloc, 0)
        return 0
    if cmd == uapi.SIOCINQ:
        argp[0] = po.sk_receive_queue[0].len if po.sk_receive_queue else 0
        return 0
    return -uapi.ENOTTY


# --- proto_ops --------------------------------------------------------------------------

class PacketOps(ProtoOps):
    """packet_ops: SOCK_RAW and SOCK_DGRAM (no connect/listen/accept/shutdown: sock_no_*)."""

    family = uapi.AF_PACKET

    def release(self, sock: Socket) -> None:
        packet_release(sock)

    def bind(self, sock: Socket, addr: bytes) -> int:
        return packet_bind(sock, addr)

    def getname(self, sock: Socket, peer: int) -> bytes | int:
        return packet_getname(sock, peer)

    def poll(self, sock: Socket) -> int:
        return packet_poll(sock)

    def ioctl(self, sock: Socket, cmd: int, argp: list[int]) -> int:
        return packet_ioctl(sock, cmd, argp)

    def ifreq_ioctl(self, proc: Process, sock: Socket, cmd: int, ifr: Ifreq) -> int:
        """packet_ioctl hands the IPv4 address ioctls to inet_dgram_ops.ioctl."""
        from kernel.net.ipv4.af_inet import inet_ifreq_ioctl

        return inet_ifreq_ioctl(proc, sock, cmd, ifr)

    def setsockopt(self, sock: Socket, level: int, optname: int, optval: bytes) -> int:
        return packet_setsockopt(sock, level, optname, optval)

    def getsockopt(self, sock: Socket, level: int, optname: int, opt: OptBuf) -> int:
        return packet_getsockopt(sock, level, optname, opt)

    async def sendmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        return await packet_snd(pkt_sk(sock.sk), sock, msg, size, flags)

    async def recvmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        return await packet_recvmsg(proc, sock, msg, size, flags)


class PacketSpktOps(PacketOps):
    """packet_ops_spkt: SOCK_PACKET (no socket options: EOPNOTSUPP)."""

    def bind(self, sock: Socket, addr: bytes) -> int:
        return packet_bind_spkt(sock, addr)

    def getname(self, sock: Socket, peer: int) -> bytes | int:
        return packet_getname_spkt(sock, peer)

    def setsockopt(self, sock: Socket, level: int, optname: int, optval: bytes) -> int:
        return -uapi.EOPNOTSUPP

    def getsockopt(self, sock: Socket, level: int, optname: int, opt: OptBuf) -> int:
        return -uapi.EOPNOTSUPP

    async def sendmsg(self, proc: Process, sock: Socket, msg: MsgHdr, size: int, flags: int) -> int:
        return await packet_sendmsg_spkt(pkt_sk(sock.sk), msg, size, flags)


packet_ops = PacketOps()
packet_ops_spkt = PacketSpktOps()
packet_family_ops = PacketFamily()


def packet_sockets(net: Net) -> list[PacketSock]:
    """The namespace's packet sockets (what /proc/net/packet lists)."""
    return list(packet_net(net).sklist)


def packet_init() -> None:
    """packet_init: PF_PACKET joins the socket families; every namespace gets its list and notifier."""
    register_pernet_subsys(packet_net_init)
    sock_register(packet_family_ops)


packet_init()
