"""net/sched/sch_generic.c: qdisc statistics, attach/detach, and the pass-through qdisc.

A qdisc implements ``enqueue(skb, dev) -> NET_XMIT_*`` (the ``Qdisc``
protocol of kernel.net.core.dev) and, optionally, ``reset(dev)`` (drop every
queued frame: called when it is detached or its device goes down) and
``kind`` (its `tc` name) and ``stats`` (a ``QdiscStats``: what ``tc -s qdisc`` shows: sent bytes/packets,
drops, backlog).  A frame leaves through ``qdisc_xmit`` (dev_hard_start_xmit:
the taps see it then, the driver sends it, the device counters move).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kernel.net.core.dev import IFF_UP, NETDEV_DOWN, NetDevice, dev_hard_start_xmit, register_netdevice_notifier
from kernel.net.core.skbuff import SkBuff

# include/linux/netdevice.h: qdisc enqueue verdicts
NET_XMIT_SUCCESS = 0x00
NET_XMIT_DROP = 0x01  # the frame was dropped
NET_XMIT_CN = 0x02  # congestion notification


@dataclass(slots=True)
class QdiscStats:
    """struct gnet_stats_basic + gnet_stats_queue: tc -s qdisc."""

    bytes: int = 0
    packets: int = 0
    drops: int = 0
    overlimits: int = 0
    requeues: int = 0
    backlog: int = 0  # bytes queued
    qlen: int = 0  # frames queued


def qdisc_xmit(q: Any, skb: SkBuff, dev: NetDevice) -> int:
    """A frame leaves the qdisc: count it as sent and hand it to the driver (dev_hard_start_xmit).

    A frame released after its device went down is dropped (counted as a qdisc drop)."""
    stats: QdiscStats | None = getattr(q, "stats", None)
    if not dev.flags & IFF_UP:
        if stats is not None:
            stats.drops += 1
        dev.stats.tx_dropped += 1
        skb.free()
        return NET_XMIT_DROP
    if stats is not None:
        stats.packets += 1
        stats.bytes += skb.len
    return dev_hard_start_xmit(skb, dev)


class PfifoFast:
    """pfifo_fast as a pass-through: enqueue transmits at once (the driver never pushes back here)."""

    kind = "pfifo_fast"  # what `tc qdisc show` names it

    def __init__(self) -> None:
        self.stats = QdiscStats()

    def enqueue(self, skb: SkBuff, dev: NetDevice) -> int:
        qdisc_xmit(self, skb, dev)
        return NET_XMIT_SUCCESS

    def reset(self, dev: NetDevice) -> None:
        return None


def _qdisc_netdev_event(event: int, dev: NetDevice) -> None:
    """dev_deactivate: a device going down drops what its qdisc holds."""
    if event == NETDEV_DOWN and dev.qdisc is not None and hasattr(dev.qdisc, "reset"):
        dev.qdisc.reset(dev)


def qdisc_attach(dev: NetDevice, q: Any) -> None:
    """tc qdisc replace dev DEV root Q: the old qdisc (if any) is reset, ``q`` takes its place."""
    old = dev.qdisc
    if old is not None and old is not q and hasattr(old, "reset"):
        old.reset(dev)
    dev.qdisc = q
    net = dev.net
    if net is not None and _qdisc_netdev_event not in net.netdev_chain:
        register_netdevice_notifier(net, _qdisc_netdev_event)


def qdisc_detach(dev: NetDevice) -> None:
    """tc qdisc del dev DEV root: queued frames are dropped, the device transmits directly again."""
    old = dev.qdisc
    dev.qdisc = None
    if old is not None and hasattr(old, "reset"):
        old.reset(dev)
