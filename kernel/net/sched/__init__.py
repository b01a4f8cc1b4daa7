"""net/sched: the egress queueing disciplines a device's ``qdisc`` hook takes.

``dev_queue_xmit`` hands a frame to ``dev.qdisc.enqueue(skb, dev)`` when a
qdisc is attached; the qdisc releases it to ``dev_hard_start_xmit`` (taps,
then the driver) now or later.  Attach with ``qdisc_attach(dev, q)``, detach
(dropping what is queued, as qdisc_reset does) with ``qdisc_detach(dev)``.

- ``sch_generic.PfifoFast``: pass-through (the default qdisc of a NIC whose
  driver transmits synchronously: its queue never builds up).
- ``sch_delay.DelayQdisc``: a clock-driven FIFO that releases each frame at
  enqueue time + delay (``net.clock.call_at``) -- the small core issue #5's
  netem builds on.
- ``sch_netem.NetemQdisc``: netem (delay/jitter/loss/Gilbert-Elliott/duplicate/
  reorder/corrupt/rate/limit), seeded by an injected ``rng``.
"""
from kernel.net.sched.sch_delay import DelayQdisc
from kernel.net.sched.sch_generic import (
    NET_XMIT_CN,
    NET_XMIT_DROP,
    NET_XMIT_SUCCESS,
    PfifoFast,
    QdiscStats,
    qdisc_attach,
    qdisc_detach,
)
from kernel.net.sched.sch_netem import NetemParams, NetemQdisc, parse_netem_args

__all__ = ["DelayQdisc", "NET_XMIT_CN", "NET_XMIT_DROP", "NET_XMIT_SUCCESS", "NetemParams", "NetemQdisc", "PfifoFast",
           "QdiscStats", "parse_netem_args", "qdisc_attach", "qdisc_detach"]
