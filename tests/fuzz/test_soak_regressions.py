"""Minimised findings of the soak fuzzer (tests/fuzz/soak.py), one test each.

Each was an INTERNAL reply (a Python exception inside the daemon) or a hang;
the expectations are Linux's, checked on the host kernel where it matters.
"""
from __future__ import annotations

import asyncio
import random
import struct
from typing import Any

import pytest

import client
from kernel import uapi as U
from kernel.clock import ManualClock
from kernel.host import Host
from kernel.syscalls import do_syscall


def test_raw_socket_protocol_above_255_sends() -> None:
    """socket(AF_INET, SOCK_RAW, 258) is valid (protocol < IPPROTO_MAX = 263) and its datagrams
    carry iph->protocol = 258 & 0xFF = 2, as Linux 6.x (where sk_protocol is truncated into the
    u8 header field).  Soak seed 2: struct.error in ip_build_xmit -> INTERNAL."""
    net = client.local()
    try:
        sender = net.socket(net.AF_INET, net.SOCK_RAW, 258)
        igmp = net.socket(net.AF_INET, net.SOCK_RAW, 2)
        igmp.settimeout(1.0)
        assert sender.sendto(b"hello", ("127.0.0.1", 0)) == 5
        packet = igmp.recv(100)
        assert packet[9] == 2
        assert packet[20:] == b"hello"
        assert struct.unpack_from(">H", packet, 2)[0] == 25  # tot_len
    finally:
        net.close()


async def _settle() -> None:
    for _ in range(8):
        await asyncio.sleep(0)


def _host() -> tuple[Any, Any]:
    host = Host(clock=ManualClock(), rng=random.Random(1))
    return host, host.spawn()


async def test_recvmmsg_waitall_interrupted_returns_instead_of_sleeping_again() -> None:
    """recvmmsg(MSG_WAITALL) whose first message is cut short by the signal (cancel) must not sleep
    on the next one: the signal is still pending (Linux: -EINTR there, so the call returns 1).
    Soak seed 1: the cancel was swallowed by the partial first message and the call hung."""
    _, proc = _host()
    a, b = (await do_syscall(proc, "socketpair", {"family": U.AF_UNIX, "type": U.SOCK_STREAM, "protocol": 0})).fds
    await do_syscall(proc, "send", {"fd": a, "data": b"abc", "flags": 0})
    task = asyncio.ensure_future(do_syscall(proc, "recvmmsg", {
        "fd": b, "flags": U.MSG_WAITALL, "msgs": [{"size": 10}, {"size": 10}]}))
    await _settle()
    assert not task.done()
    task.cancel()
    await _settle()
    assert task.done() and not task.cancelled()
    reply = task.result()
    assert reply.ret == 1 and reply.msgs[0].data == b"abc"


@pytest.mark.parametrize("type_", [U.SOCK_STREAM, U.SOCK_DGRAM], ids=["stream", "dgram"])
async def test_recvmmsg_interrupted_after_a_message_returns_the_count(type_: int) -> None:
    """A signal after some messages: recvmmsg returns their count (the data is consumed, so EINTR
    would lose it), the error kept for the next call as do_recvmmsg does."""
    _, proc = _host()
    a, b = (await do_syscall(proc, "socketpair", {"family": U.AF_UNIX, "type": type_, "protocol": 0})).fds
    task = asyncio.ensure_future(do_syscall(proc, "recvmmsg", {
        "fd": b, "flags": 0, "msgs": [{"size": 10}, {"size": 10}]}))
    await _settle()
    await do_syscall(proc, "send", {"fd": a, "data": b"x", "flags": 0})
    await _settle()
    assert not task.done()
    task.cancel()
    await _settle()
    reply = task.result()
    assert reply.ret == 1 and reply.msgs[0].data == b"x"


async def test_sendmmsg_interrupted_after_a_message_returns_the_count() -> None:
    """sendmmsg blocked on a full stream after sending some messages: the signal gives the count
    of messages sent (the last one in part, which ends the call: msg_data_left), not EINTR."""
    _, proc = _host()
    a, b = (await do_syscall(proc, "socketpair", {"family": U.AF_UNIX, "type": U.SOCK_STREAM, "protocol": 0})).fds
    task = asyncio.ensure_future(do_syscall(proc, "sendmmsg", {
        "fd": a, "flags": 0, "msgs": [{"iov": [b"y" * 100_000]} for _ in range(4)]}))
    await _settle()
    assert not task.done()
    task.cancel()
    await _settle()
    reply = task.result()
    queued = (await do_syscall(proc, "ioctl", {"fd": b, "cmd": U.FIONREAD})).value
    assert 0 < reply.ret < 4
    assert sum(m.msg_len for m in reply.msgs) == queued
