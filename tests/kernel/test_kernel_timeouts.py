"""SO_RCVTIMEO / SO_SNDTIMEO on blocking calls, and do_syscall's ``timeout`` policy, on virtual time."""
from __future__ import annotations

import struct
from typing import Any

from kernel import uapi as U
from kernel.clock import HZ

# Timeouts here are whole jiffies (multiples of 4 ms at HZ=250) and binary fractions,
# so virtual deadlines are exact floats; EPS is the smallest step the tests take.
EPS = 1 / 256


async def test_recv_so_rcvtimeo_expires_only_after_the_timeout(rig: Any) -> None:
    a, b = await rig.pair()
    await rig.set_timeo(b, U.SO_RCVTIMEO, 1.0)
    task = await rig.start("recv", fd=b, size=10, flags=0)
    await rig.settle()
    assert not task.done() and rig.clock.pending() == 1
    await rig.advance(1.0 - EPS)
    assert not task.done()
    await rig.advance(EPS)
    assert task.result().error_name == "EAGAIN"
    assert rig.clock.pending() == 0
    # nothing was lost: the socket still works
    await rig.ok("send", fd=a, data=b"late", flags=0)
    assert (await rig.call("recv", fd=b, size=10, flags=0)).data == b"late"


async def test_recv_so_rcvtimeo_data_before_the_deadline_cancels_the_timer(rig: Any) -> None:
    a, b = await rig.pair(U.SOCK_DGRAM)
    await rig.set_timeo(b, U.SO_RCVTIMEO, 2.0)
    task = await rig.start("recv", fd=b, size=10, flags=0)
    await rig.advance(1.5)
    await rig.ok("send", fd=a, data=b"in time", flags=0)
    await rig.settle()
    assert task.result().data == b"in time"
    assert rig.clock.pending() == 0
    await rig.advance(5)  # the old deadline passing does nothing


async def test_recv_msg_waitall_with_so_rcvtimeo_returns_the_partial_count(rig: Any) -> None:
    a, b = await rig.pair()
    await rig.set_timeo(b, U.SO_RCVTIMEO, 0.5)
    task = await rig.start("recv", fd=b, size=10, flags=U.MSG_WAITALL)
    await rig.settle()
    await rig.ok("send", fd=a, data=b"abcd", flags=0)
    await rig.advance(0.5 - EPS)
    assert not task.done()  # 4 of 10: still waiting for the rest
    await rig.advance(EPS)
    reply = task.result()
    assert (reply.ret, reply.data) == (4, b"abcd")


async def test_accept_so_rcvtimeo(rig: Any) -> None:
    lfd = await rig.listener()
    await rig.set_timeo(lfd, U.SO_RCVTIMEO, 0.5)
    task = await rig.start("accept", fd=lfd)
    await rig.advance(0.5 - EPS)
    assert not task.done()
    await rig.advance(EPS)
    assert task.result().error_name == "EAGAIN"
    # and within the timeout, a connection completes it
    task = await rig.start("accept", fd=lfd)
    await rig.advance(0.1)
    c = await rig.socket()
    await rig.ok("connect", fd=c, addr=rig.sun("/tmp/srv"))
    await rig.settle()
    assert task.result().ret == c - 1  # accept reserved its fd before sleeping


async def test_connect_on_a_full_backlog_with_so_sndtimeo(rig: Any) -> None:
    lfd = await rig.listener(backlog=0)  # AF_UNIX takes backlog + 1 connections
    first = await rig.socket()
    await rig.ok("connect", fd=first, addr=rig.sun("/tmp/srv"))
    c = await rig.socket()
    await rig.set_timeo(c, U.SO_SNDTIMEO, 0.5)
    task = await rig.start("connect", fd=c, addr=rig.sun("/tmp/srv"))
    await rig.advance(0.5 - EPS)
    assert not task.done()
    await rig.advance(EPS)
    assert task.result().error_name == "EAGAIN"
    # retry: room appears (accept) before the timeout → connected
    task = await rig.start("connect", fd=c, addr=rig.sun("/tmp/srv"))
    await rig.advance(0.2)
    assert not task.done()
    await rig.ok("accept", fd=lfd)
    await rig.settle()
    assert task.result().ret == 0
    assert rig.clock.pending() == 0


async def test_send_on_a_full_stream_buffer_with_so_sndtimeo(rig: Any) -> None:
    a, b = await rig.pair()
    await rig.set_int(a, U.SO_SNDBUF, 4096)
    assert await rig.fill(a) > 0
    await rig.set_timeo(a, U.SO_SNDTIMEO, 0.5)
    task = await rig.start("send", fd=a, data=b"more", flags=0)
    await rig.advance(0.5 - EPS)
    assert not task.done()
    await rig.advance(EPS)
    assert task.result().error_name == "EAGAIN"


async def test_send_so_sndtimeo_after_a_partial_send_returns_the_count(rig: Any) -> None:
    a, b = await rig.pair()
    await rig.set_int(a, U.SO_SNDBUF, 4096)  # sk_sndbuf 8192
    await rig.set_timeo(a, U.SO_SNDTIMEO, 0.5)
    task = await rig.start("send", fd=a, data=b"x" * 100_000, flags=0)
    await rig.settle()
    assert not task.done()
    await rig.advance(0.5)
    # two 4032-byte chunks fit in 8192 bytes of truesize, as on Linux (x86_64)
    assert task.result().ret == 8064
    assert (await rig.call("ioctl", fd=b, cmd=U.FIONREAD)).value == 8064


async def test_blocking_call_without_timeout_never_expires(rig: Any) -> None:
    _, b = await rig.pair()
    task = await rig.start("recv", fd=b, size=1, flags=0)
    await rig.advance(10**6)
    assert not task.done() and rig.clock.pending() == 0


async def test_so_rcvtimeo_is_kept_in_jiffies(rig: Any) -> None:
    s = await rig.socket()
    await rig.ok("setsockopt", fd=s, level=U.SOL_SOCKET, optname=U.SO_RCVTIMEO, optval=struct.pack("<qq", 0, 5000))
    reply = await rig.call("getsockopt", fd=s, level=U.SOL_SOCKET, optname=U.SO_RCVTIMEO, optlen=16)
    tick = 1_000_000 // HZ
    assert struct.unpack("<qq", reply.data) == (0, -(-5000 // tick) * tick)  # rounded up to whole jiffies
    bad = struct.pack("<qq", 1, 1_000_000)
    assert await rig.err("setsockopt", fd=s, level=U.SOL_SOCKET, optname=U.SO_RCVTIMEO, optval=bad) == "EDOM"
    assert await rig.err("setsockopt", fd=s, level=U.SOL_SOCKET, optname=U.SO_SNDTIMEO, optval=b"\0" * 8) == "EINVAL"


async def test_do_syscall_timeout_policy_times_out(rig: Any) -> None:
    a, b = await rig.pair(U.SOCK_STREAM | U.SOCK_NONBLOCK)
    task = await rig.start("recv", timeout=0.5, fd=b, size=8, flags=0)
    await rig.advance(0.5 - EPS)
    assert not task.done()
    await rig.advance(EPS)
    reply = task.result()
    assert reply.timed_out and reply.error_name == "EAGAIN"
    assert rig.clock.pending() == 0


async def test_do_syscall_timeout_policy_retries_when_ready(rig: Any) -> None:
    a, b = await rig.pair(U.SOCK_STREAM | U.SOCK_NONBLOCK)
    task = await rig.start("recv", timeout=0.5, fd=b, size=8, flags=0)
    await rig.advance(0.3)
    await rig.ok("send", fd=a, data=b"ready", flags=0)
    await rig.settle()
    reply = task.result()
    assert not reply.timed_out and reply.data == b"ready"
    # timeout 0: one try, then timed out at once
    reply = await rig.call("recv", timeout=0.0, fd=b, size=8, flags=0)
    assert reply.timed_out and reply.error_name == "EAGAIN"
    # accept under the policy: a connection arriving in time completes it
    lfd = await rig.listener()
    await rig.ok("fcntl", fd=lfd, cmd=U.F_SETFL, arg=U.O_NONBLOCK)
    task = await rig.start("accept", timeout=1.0, fd=lfd)
    await rig.advance(0.5)
    c = await rig.socket()
    await rig.ok("connect", fd=c, addr=rig.sun("/tmp/srv"))
    await rig.settle()
    assert task.result().ret >= 0 and not task.result().timed_out


async def test_do_syscall_timeout_policy_connect_does_not_wait(rig: Any) -> None:
    lfd = await rig.listener(backlog=0)
    await rig.ok("connect", fd=await rig.socket(), addr=rig.sun("/tmp/srv"))
    c = await rig.ok("socket", family=U.AF_UNIX, type=U.SOCK_STREAM | U.SOCK_NONBLOCK, protocol=0)
    reply = await rig.call("connect", timeout=5.0, fd=c, addr=rig.sun("/tmp/srv"))
    assert reply.error_name == "EAGAIN" and not reply.timed_out
    assert lfd >= 0
