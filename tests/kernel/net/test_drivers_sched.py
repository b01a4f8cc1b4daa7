"""The qdisc hook: pass-through pfifo_fast and the clock-driven DelayQdisc on a veth link."""
from __future__ import annotations

from typing import Any

from kernel.clock import ManualClock
from kernel.drivers.net.veth import veth_pair
from kernel.host import Host
from kernel.net.core.capture import CapturedFrame, tap_attach
from kernel.net.core.dev import dev_close
from kernel.net.sched import NET_XMIT_DROP, DelayQdisc, PfifoFast, qdisc_attach, qdisc_detach


def test_pfifo_fast_passes_frames_through(hosts: tuple[Host, Host], frames: Any, xmit: Any, receiver: Any) -> None:
    a, b = hosts
    ea, eb = veth_pair(a.netns, "eth0", b.netns, "eth0")
    q = PfifoFast()
    qdisc_attach(ea, q)
    assert q.kind == "pfifo_fast" and DelayQdisc(a.clock, 0).kind == "netem"
    rx = receiver(eb)
    f = frames.raw(ea.dev_addr, eb.dev_addr, b"\x00" * 46)
    assert xmit(ea, f) == 0
    assert rx.frames() == [f]
    assert (q.stats.packets, q.stats.bytes, q.stats.drops) == (1, len(f), 0)
    assert ea.stats.tx_packets == 1


def test_delay_qdisc_releases_frames_in_order_after_the_delay(clock: ManualClock, hosts: tuple[Host, Host],
                                                              frames: Any, xmit: Any, receiver: Any) -> None:
    a, b = hosts
    ea, eb = veth_pair(a.netns, "eth0", b.netns, "eth0")
    q = DelayQdisc(clock, 0.050)
    qdisc_attach(ea, q)
    rx = receiver(eb)
    seen: list[CapturedFrame] = []
    tap_attach(ea, seen.append)
    t0 = clock.now()
    sent = [frames.raw(ea.dev_addr, eb.dev_addr, bytes([i]) * 46) for i in range(3)]
    xmit(ea, sent[0])
    clock.advance(0.020)
    xmit(ea, sent[1])
    xmit(ea, sent[2])
    assert rx.got == [] and len(q) == 3 and q.stats.qlen == 3 and q.stats.backlog == 3 * len(sent[0])
    assert ea.stats.tx_packets == 0 and seen == []  # a tap sees a frame when it leaves the qdisc
    clock.advance(0.030)
    assert rx.frames() == sent[:1]
    assert seen[0].ts == t0 + 0.050 and seen[0].outgoing
    assert rx.got[0].tstamp == t0 + 0.050
    clock.advance(0.019)
    assert len(rx.got) == 1
    clock.advance(0.001)
    assert rx.frames() == sent
    assert (q.stats.packets, q.stats.qlen, q.stats.backlog) == (3, 0, 0)
    assert ea.stats.tx_packets == 3 and eb.stats.rx_packets == 3 and clock.pending() == 0


def test_delay_qdisc_limit_and_reset(clock: ManualClock, hosts: tuple[Host, Host], frames: Any, xmit: Any,
                                     receiver: Any) -> None:
    a, b = hosts
    ea, eb = veth_pair(a.netns, "eth0", b.netns, "eth0")
    q = DelayQdisc(clock, 1.0, limit=2)
    qdisc_attach(ea, q)
    rx = receiver(eb)
    f = frames.raw(ea.dev_addr, eb.dev_addr, b"\x00" * 46)
    xmit(ea, f)
    xmit(ea, f)
    assert q.enqueue(_skb(ea, f), ea) == NET_XMIT_DROP
    xmit(ea, f)  # over the limit: dropped, the sender is not told
    assert q.stats.drops == 2 and len(q) == 2
    dev_close(ea)  # dev_deactivate: queued frames are purged
    assert len(q) == 0 and q.stats.backlog == 0
    clock.advance(2.0)
    assert rx.got == [] and ea.stats.tx_packets == 0


def test_delay_qdisc_detach_and_changed_delay(clock: ManualClock, hosts: tuple[Host, Host], frames: Any,
                                              xmit: Any, receiver: Any) -> None:
    a, b = hosts
    ea, eb = veth_pair(a.netns, "eth0", b.netns, "eth0")
    q = DelayQdisc(clock, 1.0)
    qdisc_attach(ea, q)
    rx = receiver(eb)
    f = frames.raw(ea.dev_addr, eb.dev_addr, b"\x00" * 46)
    xmit(ea, f)
    q.delay = 0.1  # a later frame gets the new delay and leaves first
    g = frames.raw(ea.dev_addr, eb.dev_addr, b"\x01" * 46)
    xmit(ea, g)
    clock.advance(0.1)
    assert rx.frames() == [g]
    clock.advance(0.9)
    assert rx.frames() == [g, f]
    xmit(ea, f)
    qdisc_detach(ea)
    assert len(q) == 0 and ea.qdisc is None
    xmit(ea, g)  # straight to the driver again
    assert rx.frames()[-1] == g and len(rx.got) == 3
    clock.advance(5)
    assert len(rx.got) == 3


def _skb(dev: Any, frame: bytes) -> Any:
    from kernel.net.core.skbuff import alloc_skb
    skb = alloc_skb(len(frame))
    skb.put_data(frame)
    skb.dev = dev
    return skb
