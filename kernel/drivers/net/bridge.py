"""net/bridge: a learning Ethernet bridge (a switch any host can run), without STP or VLANs.

``bridge_newlink(host, name, *, ageing_time=300.0, mac=None, up=True) ->
NetDevice`` registers the bridge device (an Ethernet NIC the host may give
addresses to, as ``ip link add br0 type bridge``).  ``br_add_if(br, dev)`` /
``br_del_if(br, dev)`` (``ip link set DEV master BR`` / ``nomaster``) return 0
or -errno: EINVAL (not a bridge, loopback, not Ethernet, not a port of it),
ELOOP (a bridge into a bridge), EBUSY (already a port of a bridge).  A port
is made promiscuous and its received frames go to the bridge (its
``rx_handler``: br_handle_frame) instead of its own stack.

Forwarding database (br_fdb.c):

- Local entries (permanent): the bridge's and each port's own MAC; a frame
  to one of them is passed up to the bridge device's stack.
- Learning: the source MAC of every frame received on a port points to that
  port (a station that moves is re-learnt on its new port); an entry not
  refreshed for ``ageing_time`` seconds (300 by default, as Linux's
  BR_DEFAULT_AGEING_TIME; ``br_set_ageing_time``) expires: lookups ignore it
  and a garbage collector (one ``clock.call_at`` timer at the earliest
  expiry) deletes it.  A port that goes down or loses its carrier forgets its
  learnt entries (br_fdb_delete_by_port); so does a removed port.
- Forwarding: a broadcast, multicast or unknown-unicast destination is
  flooded to every forwarding port but the one it came in on (broadcast and
  multicast also go up the bridge's stack); a known destination goes to its
  port only (dropped if that is the ingress port); a frame longer than the
  egress port's MTU is dropped (counted in the bridge's tx_dropped).
  Frames from the bridge device itself (br_dev_xmit) use the same lookup.
  Link-local group frames (01:80:C2:00:00:0X, STP/LLDP...) are never forwarded.
- Carrier: the bridge has carrier while at least one port is up with carrier.

``br_fdb_dump(br)`` lists the entries (mac, port, is_local, age) as
``bridge fdb show`` does.  Frames forwarded out of a port go through
dev_queue_xmit of that port, so its taps and qdisc (netem) apply.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kernel import uapi
from kernel.clock import TimerHandle
from kernel.drivers.net.channel import netif_rx_frame
from kernel.drivers.net.veth import is_skb_forwardable
from kernel.net.core.dev import (
    ARPHRD_ETHER,
    IFF_LOOPBACK,
    IFF_UP,
    NETDEV_CHANGE,
    NETDEV_DOWN,
    NETDEV_TX_OK,
    NETDEV_UNREGISTER,
    NETDEV_UP,
    RX_HANDLER_CONSUMED,
    RX_HANDLER_PASS,
    NetDevice,
    dev_open,
    dev_queue_xmit,
    dev_set_promiscuity,
    netdev_rx_handler_register,
    netdev_rx_handler_unregister,
    netif_carrier_off,
    netif_carrier_on,
    register_netdevice,
    register_netdevice_notifier,
)
from kernel.net.core.net_namespace import Net
from kernel.net.core.skbuff import SkBuff, alloc_skb
from kernel.net.ethernet.eth import eth_header_ops, eth_random_addr

BR_DEFAULT_AGEING_TIME = 300.0
_LINK_LOCAL = b"\x01\x80\xc2\x00\x00"


@dataclass(eq=False)
class BridgePort:
    """struct net_bridge_port."""

    br: NetDevice
    dev: NetDevice
    port_no: int


@dataclass(eq=False)
class FdbEntry:
    """struct net_bridge_fdb_entry: ``port`` None for the bridge's own address."""

    addr: bytes
    port: BridgePort | None
    updated: float
    is_local: bool = False


@dataclass(eq=False)
class BridgePriv:
    """struct net_bridge."""

    ageing_time: float = BR_DEFAULT_AGEING_TIME
    ports: dict[int, BridgePort] = field(default_factory=dict)  # ifindex -> port
    fdb: dict[bytes, FdbEntry] = field(default_factory=dict)
    gc: TimerHandle | None = None
    gc_at: float = 0.0
    next_port_no: int = 1


def _priv(br: NetDevice) -> BridgePriv:
    assert isinstance(br.priv, BridgePriv)
    return br.priv


def is_bridge(dev: NetDevice | None) -> bool:
    return dev is not None and isinstance(dev.priv, BridgePriv)


def _is_multicast(mac: bytes) -> bool:
    return bool(mac[0] & 1)


def _now(br: NetDevice) -> float:
    assert br.net is not None
    return float(br.net.clock.now())


# --- the forwarding database ------------------------------------------------------------


def _has_expired(br: NetDevice, e: FdbEntry) -> bool:
    return not e.is_local and e.updated + _priv(br).ageing_time <= _now(br)


def br_fdb_find(br: NetDevice, addr: bytes) -> FdbEntry | None:
    """__br_fdb_get: the live entry of ``addr`` (expired entries are not used)."""
    e = _priv(br).fdb.get(addr)
    return None if e is None or _has_expired(br, e) else e


def _fdb_gc_arm(br: NetDevice) -> None:
    priv = _priv(br)
    learnt = [e.updated for e in priv.fdb.values() if not e.is_local]
    if not learnt:
        return
    when = min(learnt) + priv.ageing_time
    if priv.gc is not None and priv.gc_at <= when:
        return
    if priv.gc is not None:
        priv.gc.cancel()
    assert br.net is not None
    priv.gc_at = when
    priv.gc = br.net.clock.call_at(when, lambda: _fdb_cleanup(br))


def _fdb_cleanup(br: NetDevice) -> None:
    """br_fdb_cleanup: delete what has aged out, re-arm for the next expiry."""
    priv = _priv(br)
    priv.gc = None
    for addr in [a for a, e in priv.fdb.items() if _has_expired(br, e)]:
        del priv.fdb[addr]
    _fdb_gc_arm(br)


def br_fdb_update(br: NetDevice, port: BridgePort, addr: bytes) -> None:
    """Learn (or refresh) ``addr`` behind ``port``; a local address is never moved."""
    priv = _priv(br)
    e = priv.fdb.get(addr)
    if e is not None and e.is_local:
        return
    now = _now(br)
    if e is None:
        priv.fdb[addr] = FdbEntry(addr, port, now)
    else:
        e.port, e.updated = port, now
    _fdb_gc_arm(br)


def br_fdb_delete_by_port(br: NetDevice, port: BridgePort, *, local: bool = False) -> None:
    priv = _priv(br)
    for addr in [a for a, e in priv.fdb.items() if e.port is port and (local or not e.is_local)]:
        del priv.fdb[addr]


def br_set_ageing_time(br: NetDevice, seconds: float) -> int:
    """ip link set BR type bridge ageing_time: -EINVAL for a negative time."""
    if seconds < 0:
        return -uapi.EINVAL
    priv = _priv(br)
    priv.ageing_time = float(seconds)
    if priv.gc is not None:
        priv.gc.cancel()
        priv.gc = None
    _fdb_cleanup(br)
    return 0


def br_fdb_dump(br: NetDevice) -> list[dict[str, Any]]:
    """bridge fdb show: mac (aa:bb:..), dev (the port, or the bridge), is_local, age (seconds since learnt)."""
    now = _now(br)
    out = []
    for e in _priv(br).fdb.values():
        if _has_expired(br, e):
            continue
        out.append({"mac": ":".join(f"{b:02x}" for b in e.addr), "dev": e.port.dev.name if e.port else br.name,
                    "is_local": e.is_local, "age": 0.0 if e.is_local else now - e.updated})
    return out


# --- forwarding -------------------------------------------------------------------------


def _port_forwarding(p: BridgePort) -> bool:
    return bool(p.dev.flags & IFF_UP) and p.dev.carrier


def _br_forward(br: NetDevice, to: BridgePort, frame: bytes) -> None:
    """br_forward -> br_dev_queue_push_xmit: out of the port (its qdisc and taps apply)."""
    if not is_skb_forwardable(to.dev, len(frame)):
        br.stats.tx_dropped += 1
        return
    skb = alloc_skb(len(frame))
    skb.put_data(frame)
    skb.dev = to.dev
    dev_queue_xmit(skb)


def _br_flood(br: NetDevice, frame: bytes, exclude: BridgePort | None) -> None:
    for p in list(_priv(br).ports.values()):
        if p is not exclude and _port_forwarding(p):
            _br_forward(br, p, frame)


def br_handle_frame(skb: SkBuff) -> int:
    """The rx_handler of every port: learn, then pass up, forward or flood."""
    port = skb.dev.rx_handler_data
    if not isinstance(port, BridgePort):
        return RX_HANDLER_PASS
    br = port.br
    frame = bytes(skb.head[skb.mac_header:skb.tail]) if skb.mac_header >= 0 else skb.tobytes()
    skb.free()
    if len(frame) < 14:
        return RX_HANDLER_CONSUMED
    dst, src = frame[0:6], frame[6:12]
    if dst[:5] == _LINK_LOCAL and dst[5] & 0xF0 == 0:
        return RX_HANDLER_CONSUMED  # 802.1D reserved group addresses are not forwarded (no STP here)
    if not br.flags & IFF_UP or _is_multicast(src) or src == bytes(6):
        br.stats.rx_dropped += 1
        return RX_HANDLER_CONSUMED
    br_fdb_update(br, port, src)
    if _is_multicast(dst):
        _br_flood(br, frame, port)
        netif_rx_frame(br, frame)  # br_pass_frame_up: the bridge's own stack sees broadcast/multicast
        return RX_HANDLER_CONSUMED
    e = br_fdb_find(br, dst)
    if e is None:
        _br_flood(br, frame, port)
    elif e.is_local:
        netif_rx_frame(br, frame)
    elif e.port is not port and e.port is not None and _port_forwarding(e.port):
        _br_forward(br, e.port, frame)
    return RX_HANDLER_CONSUMED


class BridgeOps:
    """br_netdev_ops."""

    def ndo_open(self, dev: NetDevice) -> int:
        _br_carrier_check(dev)
        return 0

    def ndo_stop(self, dev: NetDevice) -> int:
        return 0

    def ndo_start_xmit(self, skb: SkBuff, dev: NetDevice) -> int:
        """br_dev_xmit: the bridge's own frames, by the same fdb lookup (never learnt from)."""
        frame = skb.tobytes()
        skb.free()
        if len(frame) < 14:
            return NETDEV_TX_OK
        dst = frame[0:6]
        e = None if _is_multicast(dst) else br_fdb_find(dev, dst)
        if e is not None and e.port is not None and not e.is_local:
            if _port_forwarding(e.port):
                _br_forward(dev, e.port, frame)
        else:
            _br_flood(dev, frame, None)
        return NETDEV_TX_OK


bridge_ops = BridgeOps()


def _br_carrier_check(br: NetDevice) -> None:
    if any(_port_forwarding(p) for p in _priv(br).ports.values()):
        netif_carrier_on(br)
    else:
        netif_carrier_off(br)


def _br_netdev_event(event: int, dev: NetDevice) -> None:
    """br_device_event: a port going down forgets its stations; the bridge's carrier follows its ports."""
    port = dev.rx_handler_data
    if not isinstance(port, BridgePort):
        return
    if event == NETDEV_UNREGISTER:
        br_del_if(port.br, dev)
        return
    if event in (NETDEV_DOWN, NETDEV_CHANGE, NETDEV_UP):
        if not _port_forwarding(port):
            br_fdb_delete_by_port(port.br, port)
        _br_carrier_check(port.br)


def bridge_newlink(host: Any, name: str, *, ageing_time: float = BR_DEFAULT_AGEING_TIME, mac: bytes | None = None,
                   up: bool = True) -> NetDevice:
    """ip link add NAME type bridge: OSError(errno) on a bad or taken name."""
    net: Net = host.netns
    br = NetDevice(name=name, netdev_ops=bridge_ops, dev_addr=mac or eth_random_addr(net.rng),
                   header_ops=eth_header_ops, carrier=False, priv=BridgePriv(ageing_time=float(ageing_time)))
    rc = register_netdevice(net, br)
    if rc < 0:
        raise OSError(-rc, f"bridge_newlink {name!r}: {uapi.errno_name(-rc)}")
    _priv(br).fdb[br.dev_addr] = FdbEntry(br.dev_addr, None, 0.0, is_local=True)
    if _br_netdev_event not in net.netdev_chain:
        register_netdevice_notifier(net, _br_netdev_event)
    if up:
        dev_open(br)
    return br


def br_add_if(br: NetDevice, dev: NetDevice) -> int:
    """ip link set DEV master BR."""
    if not is_bridge(br) or dev is br or dev.flags & IFF_LOOPBACK or dev.type != ARPHRD_ETHER or dev.net is not br.net:
        return -uapi.EINVAL
    if is_bridge(dev):
        return -uapi.ELOOP
    priv = _priv(br)
    port = BridgePort(br, dev, priv.next_port_no)
    rc = netdev_rx_handler_register(dev, br_handle_frame, port)
    if rc < 0:
        return rc
    priv.next_port_no += 1
    priv.ports[dev.ifindex] = port
    dev_set_promiscuity(dev, 1)
    if dev.dev_addr not in priv.fdb or not priv.fdb[dev.dev_addr].is_local:
        priv.fdb[dev.dev_addr] = FdbEntry(dev.dev_addr, port, 0.0, is_local=True)
    _br_carrier_check(br)
    return 0


def br_del_if(br: NetDevice, dev: NetDevice) -> int:
    """ip link set DEV nomaster: the port's stations (and its local entry) are forgotten."""
    if not is_bridge(br):
        return -uapi.EINVAL
    port = dev.rx_handler_data
    if not isinstance(port, BridgePort) or port.br is not br:
        return -uapi.EINVAL
    priv = _priv(br)
    priv.ports.pop(dev.ifindex, None)
    br_fdb_delete_by_port(br, port, local=True)
    netdev_rx_handler_unregister(dev)
    dev_set_promiscuity(dev, -1)
    _br_carrier_check(br)
    return 0


def br_ports(br: NetDevice) -> list[NetDevice]:
    """The port devices, in the order they joined."""
    return [p.dev for p in sorted(_priv(br).ports.values(), key=lambda p: p.port_no)]
