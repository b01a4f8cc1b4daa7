"""AF_UNIX garbage collection of in-flight sockets (net/unix/garbage.c).

Files passed with SCM_RIGHTS and not yet received are "in flight": held only
by an skb on some socket's receive queue.  Two sockets that each hold the
other in flight (or one that holds itself) form a cycle no close() can
break.  ``unix_gc`` finds them: a candidate is an AF_UNIX socket file whose
every reference is an in-flight one; candidates reachable from a file with an
outside reference (an fd, a non-candidate's queue) stay; the rest are
garbage, and purging their queues drops the last references.  The host keeps
a count of files in flight so the collector runs only when there can be
something to find.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kernel.net.core.skbuff import SkBuff

if TYPE_CHECKING:
    from kernel.fs.file import File


def _net(host: Any) -> dict[str, Any]:
    net: dict[str, Any] = host.net
    if "unix_socks" not in net:
        net["unix_socks"] = set()
        net["unix_inflight"] = 0
    return net


def unix_register(sk: Any) -> None:
    _net(sk.host)["unix_socks"].add(sk)


def unix_unregister(sk: Any) -> None:
    _net(sk.host)["unix_socks"].discard(sk)


def unix_inflight(host: Any, skb: SkBuff) -> None:
    """Files attached to a queued skb are now in flight."""
    if skb.fp:
        net = _net(host)
        net["unix_inflight"] += len(skb.fp)
        skb.fp_release = lambda files: unix_notinflight(host, len(files))


def unix_notinflight(host: Any, count: int) -> None:
    _net(host)["unix_inflight"] -= count


def unix_take_fp(host: Any, skb: SkBuff) -> list[File]:
    """Detach an skb's files for a receiver (they leave flight)."""
    files, skb.fp = skb.fp or [], None
    if files:
        unix_notinflight(host, len(files))
    return files


def _unix_sock_of(f: File) -> Any:
    sock = getattr(f.private_data, "sk", None)
    return sock if sock is not None and getattr(sock, "sk_family", None) == 1 else None


def _queued_files(sk: Any) -> Iterator[File]:
    for skb in sk.sk_receive_queue:
        yield from skb.fp or ()
        if skb.embryo is not None:  # scan_children: a listener's queued connections
            for child in skb.embryo.sk_receive_queue:
                yield from child.fp or ()


def unix_gc(host: Any) -> int:
    """Collect unreachable in-flight sockets; returns how many were purged."""
    net = _net(host)
    if net["unix_inflight"] <= 0:
        return 0
    refs: Counter[File] = Counter()
    for sk in list(net["unix_socks"]):
        for f in _queued_files(sk):
            refs[f] += 1
    candidates = {f for f, n in refs.items() if f.f_count == n and _unix_sock_of(f) is not None}
    if not candidates:
        return 0
    internal: Counter[File] = Counter()
    for c in candidates:
        for g in _queued_files(_unix_sock_of(c)):
            if g in candidates:
                internal[g] += 1
    stack = [c for c in candidates if c.f_count > internal[c]]
    alive = set(stack)
    while stack:
        for g in _queued_files(_unix_sock_of(stack.pop())):
            if g in candidates and g not in alive:
                alive.add(g)
                stack.append(g)
    garbage = candidates - alive
    hitlist: list[SkBuff] = []
    for f in garbage:
        sk = _unix_sock_of(f)
        while sk.sk_receive_queue:
            hitlist.append(sk.sk_receive_queue.popleft())
    for skb in hitlist:
        skb.free()
    return len(garbage)
