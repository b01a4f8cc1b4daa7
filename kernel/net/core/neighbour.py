"""The neighbour layer (net/core/neighbour.c): NUD state machine, queue, timers.

A ``NeighTable`` (arp_tbl for IPv4) keeps one ``Neighbour`` per (device,
protocol address).  The family plugs in three functions: ``constructor``
(arp_constructor: NOARP entries for loopback/multicast/broadcast),
``solicit(neigh, skb)`` (send a probe) and ``error_report(neigh, skb)`` (a
queued packet could not be delivered).

States (include/net/neighbour.h NUD_*): an unresolved entry becomes
INCOMPLETE on its first packet (probes start at ucast_solicit, one probe at
once, then one every retrans_time until ucast_solicit + mcast_solicit:
``neigh_max_probes``; then FAILED and every queued packet is reported).  An
answer makes it REACHABLE (a broadcast reply or a request only STALE) and
flushes the queue.  REACHABLE decays to STALE after reachable_time (a random
value in [base/2, 3*base/2), from ``net.rng``) -- or to DELAY when it was used
within delay_first_probe_time; a STALE entry that is used goes DELAY, then
PROBE (unicast probes up to ucast_solicit) unless confirmed meanwhile.
PERMANENT and NOARP entries never change by protocol traffic.  Packets wait
in ``arp_queue`` while INCOMPLETE, bounded by unres_qlen_bytes (the oldest
are dropped).  Timers run on ``net.clock.call_at``.

Parameters come from sysctls "net.ipv4.neigh.<dev>.<name>" falling back to
"net.ipv4.neigh.default.<name>" (base_reachable_time_ms, retrans_time_ms,
delay_first_probe_time, ucast_solicit, mcast_solicit, unres_qlen_bytes ...).
Admin: ``neigh_add`` (PERMANENT by default), ``neigh_del``, ``neigh_dump``.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.core.skbuff import SkBuff

if TYPE_CHECKING:
    from kernel.net.core.dev import NetDevice
    from kernel.net.core.net_namespace import Net

NUD_NONE = 0x00
NUD_INCOMPLETE = 0x01
NUD_REACHABLE = 0x02
NUD_STALE = 0x04
NUD_DELAY = 0x08
NUD_PROBE = 0x10
NUD_FAILED = 0x20
NUD_NOARP = 0x40
NUD_PERMANENT = 0x80
NUD_IN_TIMER = NUD_INCOMPLETE | NUD_REACHABLE | NUD_DELAY | NUD_PROBE
NUD_VALID = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY
NUD_CONNECTED = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE
NUD_NAMES = {NUD_NONE: "NONE", NUD_INCOMPLETE: "INCOMPLETE", NUD_REACHABLE: "REACHABLE", NUD_STALE: "STALE",
             NUD_DELAY: "DELAY", NUD_PROBE: "PROBE", NUD_FAILED: "FAILED", NUD_NOARP: "NOARP",
             NUD_PERMANENT: "PERMANENT"}

NEIGH_UPDATE_F_OVERRIDE = 0x1
NEIGH_UPDATE_F_WEAK_OVERRIDE = 0x2
NEIGH_UPDATE_F_ADMIN = 0x80000000

# include/uapi/linux/neighbour.h flags for /proc/net/arp
ATF_COM = 0x02
ATF_PERM = 0x04

_PARM_DEFAULTS: dict[str, float] = {
    "base_reachable_time_ms": 30000, "retrans_time_ms": 1000, "delay_first_probe_time": 5,
    "gc_stale_time": 60, "ucast_solicit": 3, "mcast_solicit": 3, "mcast_resolicit": 0, "app_solicit": 0,
    "unres_qlen_bytes": 212992, "locktime": 1.0,
}


def neigh_parm(net: Net, dev: NetDevice, name: str) -> float:
    v = net.sysctl.get(f"net.ipv4.neigh.{dev.name}.{name}")
    if v is None:
        v = net.sysctl.get(f"net.ipv4.neigh.default.{name}", _PARM_DEFAULTS[name])
    return float(v)


@dataclass(eq=False)
class Neighbour:
    """struct neighbour."""

    tbl: NeighTable
    dev: NetDevice
    primary_key: int
    ha: bytes = bytes(6)
    nud_state: int = NUD_NONE
    type: int = 0
    probes: int = 0
    confirmed: float = 0.0
    updated: float = 0.0
    used: float = 0.0
    reachable_time: float = 30.0
    arp_queue: deque[SkBuff] = field(default_factory=deque)
    arp_queue_len_bytes: int = 0
    timer: Any = None
    dead: bool = False
    flags: int = 0

    @property
    def net(self) -> Net:
        return self.tbl.net

    def parm(self, name: str) -> float:
        return neigh_parm(self.tbl.net, self.dev, name)


class NeighTable:
    """struct neigh_table (arp_tbl)."""

    def __init__(self, net: Net, constructor: Callable[[Neighbour], int],
                 solicit: Callable[[Neighbour, SkBuff | None], None],
                 error_report: Callable[[Neighbour, SkBuff], None],
                 output: Callable[[Neighbour, SkBuff], int]) -> None:
        self.net = net
        self.hash: dict[tuple[int, int], Neighbour] = {}
        self.constructor = constructor
        self.solicit = solicit
        self.error_report = error_report
        self.connected_output = output  # sends an skb with the neighbour's hardware address
        self.unres_discards = 0

    def lookup(self, dev: NetDevice, key: int) -> Neighbour | None:
        return self.hash.get((dev.ifindex, key))

    def create(self, dev: NetDevice, key: int) -> Neighbour:
        """__neigh_create: a new NONE entry run through the family constructor (or the existing one)."""
        n = self.hash.get((dev.ifindex, key))
        if n is not None:
            return n
        now = self.net.clock.now()
        n = Neighbour(self, dev, key, updated=now, used=now)
        n.reachable_time = neigh_rand_reach_time(self.net, n.parm("base_reachable_time_ms") / 1000.0)
        n.confirmed = now - 2 * n.reachable_time
        self.constructor(n)
        self.hash[(dev.ifindex, key)] = n
        return n

    def lookup_or_create(self, dev: NetDevice, key: int) -> Neighbour:
        return self.lookup(dev, key) or self.create(dev, key)


def neigh_rand_reach_time(net: Net, base: float) -> float:
    """neigh_rand_reach_time: uniform in [base/2, 3*base/2)."""
    return float(base / 2 + net.rng.random() * base) if base else 0.0


def _del_timer(n: Neighbour) -> None:
    if n.timer is not None:
        n.timer.cancel()
        n.timer = None


def _add_timer(n: Neighbour, when: float) -> None:
    _del_timer(n)
    n.timer = n.net.clock.call_at(when, lambda: neigh_timer_handler(n))


def neigh_max_probes(n: Neighbour) -> int:
    base = int(n.parm("ucast_solicit")) + int(n.parm("app_solicit"))
    if n.nud_state & NUD_PROBE:
        return base + int(n.parm("mcast_resolicit"))
    return base + int(n.parm("mcast_solicit"))


def neigh_probe(n: Neighbour) -> None:
    skb = n.arp_queue[-1] if n.arp_queue else None
    n.tbl.solicit(n, skb)
    n.probes += 1


def neigh_invalidate(n: Neighbour) -> None:
    """A resolution failed: report every queued packet (arp_error_report), then drop them."""
    while n.arp_queue and n.nud_state == NUD_FAILED:
        skb = n.arp_queue.popleft()
        n.arp_queue_len_bytes -= skb.truesize
        n.tbl.error_report(n, skb)
        skb.free()
    _purge_queue(n)


def _purge_queue(n: Neighbour) -> None:
    while n.arp_queue:
        n.arp_queue.popleft().free()
    n.arp_queue_len_bytes = 0


def neigh_timer_handler(n: Neighbour) -> None:
    n.timer = None
    if n.dead:
        return
    state = n.nud_state
    if not state & NUD_IN_TIMER:
        return
    now = n.net.clock.now()
    retrans = max(n.parm("retrans_time_ms") / 1000.0, 0.01)
    delay = n.parm("delay_first_probe_time")
    nxt = now + retrans
    if state & NUD_REACHABLE:
        if now <= n.confirmed + n.reachable_time:
            nxt = n.confirmed + n.reachable_time
        elif now <= n.used + delay:
            n.nud_state = NUD_DELAY
            n.updated = now
            nxt = now + delay
        else:
            n.nud_state = NUD_STALE
            n.updated = now
    elif state & NUD_DELAY:
        if now <= n.confirmed + delay:
            n.nud_state = NUD_REACHABLE
            n.updated = now
            nxt = n.confirmed + n.reachable_time
        else:
            n.nud_state = NUD_PROBE
            n.updated = now
            n.probes = 0
            nxt = now + retrans
    if n.nud_state & (NUD_INCOMPLETE | NUD_PROBE) and n.probes >= neigh_max_probes(n):
        n.nud_state = NUD_FAILED
        n.updated = now
        neigh_invalidate(n)
        return
    if n.nud_state & NUD_IN_TIMER:
        _add_timer(n, max(nxt, now + 0.002))
    if n.nud_state & (NUD_INCOMPLETE | NUD_PROBE):
        neigh_probe(n)


def neigh_event_send(n: Neighbour, skb: SkBuff | None) -> bool:
    """__neigh_event_send: False when skb can go now, True when it was queued (or dropped)."""
    now = n.net.clock.now()
    n.used = now
    if n.nud_state & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE):
        return False
    if n.dead:
        if skb is not None:
            skb.free()
        return True
    immediate_probe = False
    if not n.nud_state & (NUD_STALE | NUD_INCOMPLETE):
        if n.parm("mcast_solicit") + n.parm("app_solicit"):
            n.probes = int(n.parm("ucast_solicit"))
            n.nud_state = NUD_INCOMPLETE
            n.updated = now
            _add_timer(n, now + max(n.parm("retrans_time_ms") / 1000.0, 0.01))
            immediate_probe = True
        else:
            n.nud_state = NUD_FAILED
            n.updated = now
            if skb is not None:
                skb.free()
            return True
    elif n.nud_state & NUD_STALE:
        n.nud_state = NUD_DELAY
        n.updated = now
        _add_timer(n, now + n.parm("delay_first_probe_time"))
    rc = False
    if n.nud_state == NUD_INCOMPLETE:
        if skb is not None:
            limit = int(n.parm("unres_qlen_bytes"))
            while n.arp_queue and n.arp_queue_len_bytes + skb.truesize > limit:
                old = n.arp_queue.popleft()
                n.arp_queue_len_bytes -= old.truesize
                n.tbl.unres_discards += 1
                old.free()
            n.arp_queue.append(skb)
            n.arp_queue_len_bytes += skb.truesize
        rc = True
    if immediate_probe:
        neigh_probe(n)
    return rc


def neigh_resolve_output(n: Neighbour, skb: SkBuff) -> int:
    """neigh_resolve_output: send at once when resolved, else queue and probe."""
    if not neigh_event_send(n, skb):
        return n.tbl.connected_output(n, skb)
    return 0


def neigh_update(n: Neighbour, lladdr: bytes | None, new: int, flags: int) -> int:
    """neigh_update: apply a state (and link address) learned from the protocol or the admin."""
    old = n.nud_state
    now = n.net.clock.now()
    if not flags & NEIGH_UPDATE_F_ADMIN and old & (NUD_NOARP | NUD_PERMANENT):
        return -uapi.EPERM
    if n.dead:
        return -uapi.ENOENT
    if not new & NUD_VALID:
        _del_timer(n)
        n.nud_state = new
        if old & (NUD_INCOMPLETE | NUD_PROBE) and new & NUD_FAILED:
            neigh_invalidate(n)
        return 0
    if lladdr is None:
        if not old & NUD_VALID:
            return -uapi.EINVAL
        lladdr = n.ha
    if old & NUD_VALID:
        if lladdr != n.ha:
            if not flags & NEIGH_UPDATE_F_OVERRIDE:
                if flags & NEIGH_UPDATE_F_WEAK_OVERRIDE and old & NUD_CONNECTED:
                    lladdr = n.ha
                    new = NUD_STALE
                else:
                    return 0
        elif new == NUD_STALE and (flags & NEIGH_UPDATE_F_WEAK_OVERRIDE or old & NUD_CONNECTED):
            new = old
    if new & NUD_CONNECTED:
        n.confirmed = now
    if new != old:
        _del_timer(n)
        if new & NUD_PROBE:
            n.probes = 0
        if new & NUD_IN_TIMER:
            _add_timer(n, now + (n.reachable_time if new & NUD_REACHABLE else 0.002))
        n.nud_state = new
    if lladdr != n.ha:
        n.ha = bytes(lladdr)
        n.updated = now
        if not new & NUD_CONNECTED:
            n.confirmed = now - 2 * n.reachable_time
    if new == old:
        return 0
    if not old & NUD_VALID:
        while n.arp_queue and n.nud_state & NUD_VALID:
            skb = n.arp_queue.popleft()
            n.arp_queue_len_bytes -= skb.truesize
            n.tbl.connected_output(n, skb)
        _purge_queue(n)
    return 0


def neigh_event_ns(tbl: NeighTable, lladdr: bytes, key: int, dev: NetDevice) -> Neighbour:
    """neigh_event_ns: someone asked us: learn their address as STALE."""
    n = tbl.lookup_or_create(dev, key)
    neigh_update(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_OVERRIDE)
    return n


def neigh_destroy(n: Neighbour) -> None:
    n.dead = True
    _del_timer(n)
    _purge_queue(n)
    n.tbl.hash.pop((n.dev.ifindex, n.primary_key), None)


def neigh_ifdown(tbl: NeighTable, dev: NetDevice) -> None:
    """neigh_ifdown: forget every entry of the device (queued packets are dropped)."""
    for n in [n for n in tbl.hash.values() if n.dev is dev]:
        neigh_destroy(n)


def neigh_add(tbl: NeighTable, dev: NetDevice, key: int, lladdr: bytes, state: int = NUD_PERMANENT) -> int:
    """`ip neigh add/replace`: set an entry (PERMANENT by default)."""
    if len(lladdr) != len(dev.dev_addr):
        return -uapi.EINVAL
    if state not in NUD_NAMES or state == NUD_NONE:
        return -uapi.EINVAL
    n = tbl.lookup_or_create(dev, key)
    return neigh_update(n, lladdr, state, NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_ADMIN)


def neigh_del(tbl: NeighTable, dev: NetDevice, key: int) -> int:
    n = tbl.lookup(dev, key)
    if n is None:
        return -uapi.ENOENT
    neigh_update(n, None, NUD_FAILED, NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_ADMIN)
    neigh_destroy(n)
    return 0


def neigh_dump(tbl: NeighTable) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for (ifindex, key), n in sorted(tbl.hash.items()):
        flags = (ATF_COM if n.nud_state & NUD_VALID else 0) | (ATF_PERM if n.nud_state & NUD_PERMANENT else 0)
        out.append({"ifindex": ifindex, "dev": n.dev.name, "addr": key, "lladdr": n.ha, "state": n.nud_state,
                    "state_name": NUD_NAMES.get(n.nud_state, hex(n.nud_state)), "flags": flags,
                    "hw_type": n.dev.type, "probes": n.probes})
    return out
