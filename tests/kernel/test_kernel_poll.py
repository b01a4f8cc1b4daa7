"""poll(2) (fs/select.py) and epoll (fs/eventpoll.py) on the manual clock."""
from __future__ import annotations

from typing import Any

from kernel import uapi as U

EPS = 1 / 256
IN, OUT = U.POLLIN | U.POLLRDNORM, U.POLLOUT | U.POLLWRNORM | U.POLLWRBAND


# --- poll ------------------------------------------------------------------------------

async def test_poll_timeout_runs_on_the_manual_clock(rig: Any) -> None:
    _, b = await rig.pair()
    task = await rig.start("poll", fds=[(b, U.POLLIN)], timeout_ms=1000)
    await rig.advance(1.0 - EPS)
    assert not task.done()
    await rig.advance(EPS)
    reply = task.result()
    assert (reply.ret, reply.revents) == (0, [0])
    assert rig.clock.pending() == 0 and len(rig.sk(b).sk_wq) == 0


async def test_poll_zero_timeout_and_immediate_readiness(rig: Any) -> None:
    a, b = await rig.pair()
    reply = await rig.call("poll", fds=[(b, U.POLLIN)], timeout_ms=0)
    assert (reply.ret, reply.revents) == (0, [0])
    reply = await rig.call("poll", fds=[(a, U.POLLOUT), (b, U.POLLIN | U.POLLOUT)], timeout_ms=-1)
    assert reply.ret == 2 and reply.revents == [U.POLLOUT, U.POLLOUT]


async def test_poll_wakes_when_data_arrives(rig: Any) -> None:
    a, b = await rig.pair()
    task = await rig.start("poll", fds=[(b, U.POLLIN), (a, U.POLLIN)], timeout_ms=-1)
    assert not task.done()
    await rig.ok("send", fd=a, data=b"wake", flags=0)
    await rig.settle()
    reply = task.result()
    assert (reply.ret, reply.revents) == (1, [U.POLLIN, 0])
    assert len(rig.sk(a).sk_wq) == 0 and len(rig.sk(b).sk_wq) == 0


async def test_poll_pollnval_negative_fd_and_always_reported_bits(rig: Any) -> None:
    a, b = await rig.pair()
    await rig.ok("close", fd=a)  # b: peer gone → POLLHUP even if not asked for
    closed = await rig.socket()
    await rig.ok("close", fd=closed)
    reply = await rig.call("poll", fds=[(closed, U.POLLIN), (-1, U.POLLIN), (b, 0)], timeout_ms=-1)
    assert reply.ret == 2
    assert reply.revents[0] == U.POLLNVAL
    assert reply.revents[1] == 0
    assert reply.revents[2] & U.POLLHUP and not reply.revents[2] & U.POLLIN


async def test_poll_listener_readable_with_a_pending_connection(rig: Any) -> None:
    lfd = await rig.listener()
    task = await rig.start("poll", fds=[(lfd, U.POLLIN | U.POLLOUT)], timeout_ms=-1)
    assert not task.done()  # a listener is never writable
    await rig.ok("connect", fd=await rig.socket(), addr=rig.sun("/tmp/srv"))
    await rig.settle()
    assert task.result().revents == [U.POLLIN]


async def test_poll_more_fds_than_rlimit_is_einval(rig: Any) -> None:
    rig.proc.rlimit_nofile = 4
    assert await rig.err("poll", fds=[(0, U.POLLIN)] * 5, timeout_ms=0) == "EINVAL"


# --- epoll ------------------------------------------------------------------------------

async def _ep(rig: Any) -> int:
    return await rig.ok("epoll_create1", flags=0)


async def _ctl(rig: Any, ep: int, op: int, fd: int, events: int = U.EPOLLIN, data: int = 0) -> str:
    return await rig.err("epoll_ctl", epfd=ep, op=op, fd=fd, events=events, data=data)


async def _wait(rig: Any, ep: int, maxevents: int = 8, timeout_ms: int = 0) -> list[tuple[int, int]]:
    reply = await rig.call("epoll_wait", epfd=ep, maxevents=maxevents, timeout_ms=timeout_ms)
    assert reply.ret == len(reply.events), reply.error_name
    return reply.events  # type: ignore[no-any-return]


async def test_epoll_ctl_errnos(rig: Any) -> None:
    ep = await _ep(rig)
    a, b = await rig.pair()
    closed = await rig.socket()
    await rig.ok("close", fd=closed)
    assert await _ctl(rig, ep, U.EPOLL_CTL_ADD, a) == ""
    assert await _ctl(rig, ep, U.EPOLL_CTL_ADD, a) == "EEXIST"
    assert await _ctl(rig, ep, U.EPOLL_CTL_MOD, b) == "ENOENT"
    assert await _ctl(rig, ep, U.EPOLL_CTL_DEL, b) == "ENOENT"
    assert await _ctl(rig, ep, U.EPOLL_CTL_ADD, ep) == "EINVAL"  # epfd == fd
    assert await _ctl(rig, a, U.EPOLL_CTL_ADD, b) == "EINVAL"  # epfd is not an epoll instance
    assert await _ctl(rig, ep, U.EPOLL_CTL_ADD, closed) == "EBADF"
    assert await _ctl(rig, closed, U.EPOLL_CTL_ADD, a) == "EBADF"
    assert await _ctl(rig, ep, 99, b) == "EINVAL"  # unknown op
    assert await _ctl(rig, ep, U.EPOLL_CTL_MOD, a, U.EPOLLIN | U.EPOLLEXCLUSIVE) == "EINVAL"
    assert await _ctl(rig, ep, U.EPOLL_CTL_ADD, b, U.EPOLLIN | U.EPOLLEXCLUSIVE | U.EPOLLONESHOT) == "EINVAL"
    assert await _ctl(rig, ep, U.EPOLL_CTL_DEL, a) == ""
    assert await _ctl(rig, ep, U.EPOLL_CTL_DEL, a) == "ENOENT"
    assert await rig.err("epoll_create1", flags=U.O_NONBLOCK) == "EINVAL"
    assert await rig.err("epoll_wait", epfd=ep, maxevents=0, timeout_ms=0) == "EINVAL"
    assert await rig.err("epoll_wait", epfd=a, maxevents=1, timeout_ms=0) == "EINVAL"


async def test_epoll_nesting_and_eloop(rig: Any) -> None:
    outer, inner = await _ep(rig), await _ep(rig)
    a, b = await rig.pair()
    assert await _ctl(rig, inner, U.EPOLL_CTL_ADD, b, data=7) == ""
    assert await _ctl(rig, outer, U.EPOLL_CTL_ADD, inner, data=1) == ""
    assert await _ctl(rig, inner, U.EPOLL_CTL_ADD, outer) == "ELOOP"
    third = await _ep(rig)
    assert await _ctl(rig, third, U.EPOLL_CTL_ADD, outer) == ""
    assert await _ctl(rig, inner, U.EPOLL_CTL_ADD, third) == "ELOOP"  # inner → third → outer → inner
    task = await rig.start("epoll_wait", epfd=outer, maxevents=4, timeout_ms=-1)
    assert not task.done()
    await rig.ok("send", fd=a, data=b"x", flags=0)
    await rig.settle()
    assert task.result().events == [(U.EPOLLIN, 1)]  # the inner epoll fd became readable
    assert await _wait(rig, inner) == [(U.EPOLLIN, 7)]


async def test_epoll_level_triggered_reports_until_drained(rig: Any) -> None:
    ep = await _ep(rig)
    a, b = await rig.pair()
    await _ctl(rig, ep, U.EPOLL_CTL_ADD, b, U.EPOLLIN, data=0xDEADBEEF_00000001)
    assert await _wait(rig, ep) == []
    await rig.ok("send", fd=a, data=b"12345", flags=0)
    assert await _wait(rig, ep) == [(U.EPOLLIN, 0xDEADBEEF_00000001)]
    await rig.ok("recv", fd=b, size=2, flags=0)
    assert await _wait(rig, ep) == [(U.EPOLLIN, 0xDEADBEEF_00000001)]  # still data → again
    await rig.ok("recv", fd=b, size=10, flags=0)
    assert await _wait(rig, ep) == []


async def test_epoll_edge_triggered_reports_once_per_arrival(rig: Any) -> None:
    ep = await _ep(rig)
    a, b = await rig.pair()
    await _ctl(rig, ep, U.EPOLL_CTL_ADD, b, U.EPOLLIN | U.EPOLLET, data=2)
    await rig.ok("send", fd=a, data=b"one", flags=0)
    assert await _wait(rig, ep) == [(U.EPOLLIN, 2)]
    assert await _wait(rig, ep) == []  # unread data, but no new edge
    await rig.ok("send", fd=a, data=b"two", flags=0)
    assert await _wait(rig, ep) == [(U.EPOLLIN, 2)]
    # a blocked wait is woken by the next edge
    task = await rig.start("epoll_wait", epfd=ep, maxevents=8, timeout_ms=-1)
    assert not task.done()
    await rig.ok("send", fd=a, data=b"three", flags=0)
    await rig.settle()
    assert task.result().events == [(U.EPOLLIN, 2)]


async def test_epoll_oneshot_until_rearmed_with_mod(rig: Any) -> None:
    ep = await _ep(rig)
    a, b = await rig.pair()
    await _ctl(rig, ep, U.EPOLL_CTL_ADD, b, U.EPOLLIN | U.EPOLLONESHOT, data=3)
    await rig.ok("send", fd=a, data=b"x", flags=0)
    assert await _wait(rig, ep) == [(U.EPOLLIN, 3)]
    await rig.ok("send", fd=a, data=b"y", flags=0)
    assert await _wait(rig, ep) == []  # disabled, though still registered
    assert await _ctl(rig, ep, U.EPOLL_CTL_ADD, b) == "EEXIST"
    assert await _ctl(rig, ep, U.EPOLL_CTL_MOD, b, U.EPOLLIN | U.EPOLLONESHOT, data=4) == ""
    assert await _wait(rig, ep) == [(U.EPOLLIN, 4)]
    assert await _wait(rig, ep) == []


async def test_epoll_maxevents_and_several_ready_items(rig: Any) -> None:
    ep = await _ep(rig)
    socks = [await rig.pair() for _ in range(3)]
    for i, (_, b) in enumerate(socks):
        await _ctl(rig, ep, U.EPOLL_CTL_ADD, b, U.EPOLLIN | U.EPOLLOUT, data=i)
    events = await _wait(rig, ep, maxevents=2)
    assert len(events) == 2 and all(ev == U.EPOLLOUT for ev, _ in events)
    assert len(await _wait(rig, ep, maxevents=8)) == 3


async def test_epoll_item_lives_until_the_files_last_reference_closes(rig: Any) -> None:
    ep = await _ep(rig)
    a, b = await rig.pair()
    d = await rig.ok("dup", fd=b)
    await _ctl(rig, ep, U.EPOLL_CTL_ADD, b, U.EPOLLIN, data=5)
    await rig.ok("close", fd=b)  # the file is still open through d: the item stays (as on Linux)
    await rig.ok("send", fd=a, data=b"x", flags=0)
    assert await _wait(rig, ep) == [(U.EPOLLIN, 5)]
    assert await _ctl(rig, ep, U.EPOLL_CTL_DEL, d) == "ENOENT"  # the item is keyed by (file, fd=b)
    epoll = rig.proc.fget(ep).private_data
    assert len(epoll.items) == 1
    await rig.ok("close", fd=d)  # last reference: the item goes
    assert len(epoll.items) == 0
    assert await _wait(rig, ep) == []
    n = await rig.socket()  # the same fd number, a new file: no EEXIST
    assert n == b and await _ctl(rig, ep, U.EPOLL_CTL_ADD, n) == ""


async def test_epoll_wait_timeout_runs_on_the_manual_clock(rig: Any) -> None:
    ep = await _ep(rig)
    a, b = await rig.pair()
    await _ctl(rig, ep, U.EPOLL_CTL_ADD, b)
    task = await rig.start("epoll_wait", epfd=ep, maxevents=1, timeout_ms=250)
    await rig.advance(0.25 - EPS)
    assert not task.done()
    await rig.advance(EPS)
    assert task.result().ret == 0 and task.result().events == []
    task = await rig.start("epoll_wait", epfd=ep, maxevents=1, timeout_ms=250)
    await rig.advance(0.125)
    await rig.ok("send", fd=a, data=b"x", flags=0)
    await rig.settle()
    assert task.result().events == [(U.EPOLLIN, 0)]
    assert rig.clock.pending() == 0


async def test_epoll_reports_hup_when_the_peer_closes(rig: Any) -> None:
    ep = await _ep(rig)
    a, b = await rig.pair()
    await _ctl(rig, ep, U.EPOLL_CTL_ADD, b, U.EPOLLOUT | U.EPOLLRDHUP, data=9)
    assert await _wait(rig, ep) == [(U.EPOLLOUT, 9)]
    await rig.ok("close", fd=a)
    [(events, data)] = await _wait(rig, ep)
    assert data == 9 and events & U.EPOLLHUP and events & U.EPOLLRDHUP and not events & U.EPOLLIN


async def test_epoll_item_with_no_events_still_reports_hup(rig: Any) -> None:
    ep = await _ep(rig)
    a, b = await rig.pair()
    await _ctl(rig, ep, U.EPOLL_CTL_ADD, b, 0, data=1)
    await rig.ok("close", fd=a)
    assert await _wait(rig, ep) == [(U.EPOLLHUP, 1)]
