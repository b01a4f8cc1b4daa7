"""Minimal reproductions of what the stateful fuzzer (machine.py) found.

Each repro is ``def repro_NAME(net) -> list``, run on the host's Linux kernel
(the stdlib ``socket`` module) and on ``client.local()``:

- test_linux_outcome pins what Linux does (it must pass: if it fails, the
  host kernel changed and the repro needs another look);
- test_emulated_matches_linux asserts the emulated kernel does the same.  A
  kernel bug not fixed yet is a strict xfail naming the bug: when the kernel
  is fixed, the xfail turns into a failure and the mark must go (and its
  entry in machine.KNOWN_BUGS with it).
"""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import uuid
from collections.abc import Callable
from typing import Any

import pytest

import client

from .machine import KNOWN_BUGS

Repro = Callable[[Any], list]


def _bug(name: str) -> Any:
    return pytest.mark.xfail(strict=True, reason=f"kernel bug: {KNOWN_BUGS[name]}")


# ------------------------------------------------------------------- repros


def repro_recvmsg_cmsg_cloexec_in_msg_flags(net: Any) -> list:
    """recvmsg(MSG_CMSG_CLOEXEC) reports MSG_CMSG_CLOEXEC back in msg_flags (Linux's
    ____sys_recvmsg seeds msg_flags with flags & MSG_CMSG_CLOEXEC)."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    a.send(b"")
    flags = b.recvmsg(0, 0, net.MSG_CMSG_CLOEXEC)[2]
    a.close()
    b.close()
    return [hex(flags)]


def _try(fn: Callable[..., Any], *args: Any) -> Any:
    """fn's result, or the errno name it raised."""
    try:
        return fn(*args)
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, str(exc.errno))


def _errname(fn: Callable[..., Any], *args: Any) -> str:
    try:
        fn(*args)
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, str(exc.errno))


def repro_dgram_send_after_shutdown_bad_address(net: Any) -> list:
    """shutdown(SHUT_WR) then sendto('') on a DGRAM socket: Linux validates
    the address first (EINVAL); SEND_SHUTDOWN shows only at the skb allocation."""
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.shutdown(net.SHUT_WR)
    trace = [_errname(s.sendto, b"x", "")]
    s.close()
    return trace


def repro_dgram_send_after_shutdown_emsgsize(net: Any) -> list:
    """shutdown(SHUT_WR) then a datagram larger than SO_SNDBUF - 32: EMSGSIZE
    on Linux (checked before the skb allocation that meets SEND_SHUTDOWN)."""
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.setsockopt(net.SOL_SOCKET, net.SO_SNDBUF, 4096)  # 8192 after the kernel doubles it
    s.shutdown(net.SHUT_WR)
    trace = [_errname(s.sendto, b"x" * 10000, "/tmp/slfz-nonexistent")]
    s.close()
    return trace


def repro_dgram_send_unconnected_autobinds(net: Any) -> list:
    """SO_PASSCRED, not connected, send(): ENOTCONN, but Linux autobinds the
    socket first (the peer is looked up after the skb is allocated)."""
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    trace: list = [_errname(s.send, b"x")]
    name = s.getsockname()
    trace.append("autobound" if isinstance(name, bytes) and len(name) == 6 else name)
    s.close()
    return trace


def repro_dgram_send_unconnected_emsgsize(net: Any) -> list:
    """Not connected, a datagram larger than SO_SNDBUF - 32: EMSGSIZE on Linux, not ENOTCONN."""
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.setsockopt(net.SOL_SOCKET, net.SO_SNDBUF, 4096)
    trace = [_errname(s.send, b"x" * 10000)]
    s.close()
    return trace


def repro_seqpacket_send_to_closed_peer_autobinds(net: Any) -> list:
    """SO_PASSCRED, the peer closed, send(): EPIPE, but Linux autobinds the
    sender first (unix_dgram_sendmsg autobinds before the allocation fails)."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    a.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    b.close()
    trace: list = [_errname(a.send, b"x")]
    name = a.getsockname()
    trace.append("autobound" if isinstance(name, bytes) and len(name) == 6 else name)
    a.close()
    return trace


def repro_stream_recvmsg_zero_size_empty(net: Any) -> list:
    """recvfrom(0)/recvmsg(0) on an empty non-blocking STREAM socket: EAGAIN
    (the target of unix_stream_read_generic is at least 1 byte).  recv(0) is
    not a probe: CPython returns b'' for it without a syscall."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.setblocking(False)
    trace = [_errname(b.recvfrom, 0), _errname(b.recvmsg, 0)]
    a.close()
    b.close()
    return trace


def repro_stream_recvmsg_zero_size_takes_fds(net: Any) -> list:
    """recvmsg(0, room for an fd) on a STREAM socket whose first skb carries an
    fd: Linux delivers the fd with 0 bytes; the data stays for the next read."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.sendmsg([b"abc"], [(net.SOL_SOCKET, net.SCM_RIGHTS, struct.pack("i", x.fileno()))])
    trace: list = []
    for size in (0, 10):
        data, anc, flags, addr = b.recvmsg(size, net.CMSG_SPACE(4))
        trace.append((data, [(level, kind, len(raw)) for level, kind, raw in anc]))
        for level, kind, raw in anc:
            if level == net.SOL_SOCKET and kind == net.SCM_RIGHTS:
                for (fd,) in struct.iter_unpack("i", raw):
                    net.socket(fileno=fd).close()
    for s in (a, b, x, y):
        s.close()
    return trace


def _readable(net: Any, s: Any) -> bool:
    do_select = select.select if net is socket else net.select
    return bool(do_select([s], [], [], 0)[0])


def repro_stream_sendmsg_zero_length_rights(net: Any) -> list:
    """A zero-length sendmsg with SCM_RIGHTS on a STREAM socket sends nothing
    on Linux: the peer does not become readable."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.setblocking(False)
    trace: list = [a.sendmsg([b""], [(net.SOL_SOCKET, net.SCM_RIGHTS, struct.pack("i", a.fileno()))])]
    trace += [_readable(net, b), _errname(b.recvmsg, 10, 64)]
    a.close()
    b.close()
    return trace


def _unlink(net: Any, path: str) -> None:
    try:
        (os.unlink if net is socket else net.unlink)(path)
    except OSError:
        pass


def repro_recv_sender_address_at_receive_time(net: Any) -> list:
    """A datagram sent by an unnamed socket that binds before the receiver
    reads it: Linux's recvfrom reports the name the sender has now."""
    path = f"/tmp/slfz-{uuid.uuid4().hex[:12]}"
    r = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    r.bind(path)
    s = net.socket(net.AF_UNIX, net.SOCK_DGRAM)
    s.sendto(b"sent while unnamed", path)
    s.bind(path + "-sender")
    data, addr = r.recvfrom(100)
    trace = [data, addr == path + "-sender"]
    r.close()
    s.close()
    _unlink(net, path)
    _unlink(net, path + "-sender")
    return trace


def repro_seqpacket_close_with_lone_empty_message(net: Any) -> list:
    """The peer closes with one unread zero-length SEQPACKET message: Linux
    gives EOF, not ECONNRESET (a lone zero-length skb looks like a consumed
    OOB skb to unix_release_sock)."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_SEQPACKET)
    a.setblocking(False)
    a.send(b"")
    b.close()
    trace = [a.getsockopt(net.SOL_SOCKET, net.SO_ERROR), _try(a.recv, 1)]
    a.close()
    return trace


def repro_stream_close_after_oob_read(net: Any) -> list:
    """The peer read the OOB byte and closes (only the consumed OOB skb left
    in its queue): EOF on Linux, not ECONNRESET."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.setblocking(False)
    b.send(b"!", net.MSG_OOB)
    trace: list = [a.recv(1, net.MSG_OOB)]
    a.close()
    trace += [b.getsockopt(net.SOL_SOCKET, net.SO_ERROR), _try(b.recv, 1)]
    b.close()
    return trace


def repro_dead_cycle_survives_close(net: Any) -> list:
    """b's own fd in flight in b's queue, then close(b): the file is still
    referenced (by the skb) so b is not released and a sees no EOF; nothing
    released an AF_UNIX socket, so Linux's GC has not run."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.setblocking(False)
    a.sendmsg([b"x"], [(net.SOL_SOCKET, net.SCM_RIGHTS, struct.pack("i", b.fileno()))])
    b.close()
    trace = [_readable(net, a), _errname(a.recv, 1)]
    a.close()
    return trace


def repro_dgram_peek_off_walks_the_queue(net: Any) -> list:
    """SO_PEEK_OFF 0 on a DGRAM socket holding "abc" and "defg": the second
    MSG_PEEK reads "defg" (the offset has passed "abc"), the third EAGAIN."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    b.setblocking(False)
    a.send(b"abc")
    a.send(b"defg")
    b.setsockopt(net.SOL_SOCKET, 42, 0)  # SO_PEEK_OFF
    trace = [_try(b.recv, 10, net.MSG_PEEK) for _ in range(3)]
    trace += [b.getsockopt(net.SOL_SOCKET, 42), _try(b.recv, 10), b.getsockopt(net.SOL_SOCKET, 42)]
    a.close()
    b.close()
    return trace


def repro_dgram_peek_off_skips_peeked_empty(net: Any) -> list:
    """SO_PEEK_OFF 0 and one zero-length datagram: the first MSG_PEEK returns
    it (and marks it peeked), the second skips it: EAGAIN."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    b.setblocking(False)
    a.send(b"")
    b.setsockopt(net.SOL_SOCKET, 42, 0)
    trace = [_try(b.recv, 10, net.MSG_PEEK), _try(b.recv, 10, net.MSG_PEEK), _try(b.recv, 10)]
    a.close()
    b.close()
    return trace


def repro_accept_nonblocking_after_shut_rd(net: Any) -> list:
    """shutdown(SHUT_RD), listen(), then a non-blocking accept(): EAGAIN on Linux."""
    s = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    s.setblocking(False)
    s.bind(b"\0slfz-" + uuid.uuid4().hex.encode())
    s.shutdown(net.SHUT_RD)
    s.listen(1)
    trace = [_errname(s.accept)]
    s.close()
    return trace


def repro_creds_of_message_sent_before_passcred(net: Any) -> list:
    """A DGRAM message sent while neither end had SO_PASSCRED, read after the
    receiver enabled it: SCM_CREDENTIALS {pid 0, uid 65534, gid 65534}."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_DGRAM)
    b.send(b"x")
    a.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    data, anc, flags, addr = a.recvmsg(10, net.CMSG_SPACE(12))
    trace = [data, [struct.unpack("iii", raw) for level, kind, raw in anc]]
    a.close()
    b.close()
    return trace


def repro_stream_no_glue_across_creds(net: Any) -> list:
    """STREAM: "before" sent without credentials, SO_PASSCRED on, "after"
    sent with them: one read returns only "before"."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.setblocking(False)
    b.send(b"before")
    a.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    b.send(b"after")
    trace = [a.recvmsg(100, net.CMSG_SPACE(12))[0], _try(a.recv, 100)]
    a.close()
    b.close()
    return trace


def repro_passcred_enabled_after_connect(net: Any) -> list:
    """The listener enables SO_PASSCRED after a client connected: the accepted
    socket does not have it (Linux copies the flags at connect())."""
    name = b"\0slfz-" + uuid.uuid4().hex.encode()
    listener = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    listener.bind(name)
    listener.listen(1)
    client_sock = net.socket(net.AF_UNIX, net.SOCK_STREAM)
    client_sock.connect(name)
    listener.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    conn, _ = listener.accept()
    trace = [conn.getsockopt(net.SOL_SOCKET, net.SO_PASSCRED)]
    for s in (listener, client_sock, conn):
        s.close()
    return trace


def repro_stream_peek_reports_fds_of_next_skb(net: Any) -> list:
    """STREAM: "a", "b", then "c" with an fd; a 1-byte MSG_PEEK recvmsg returns
    "a" and the fd of "c" (Linux's peek walks on to the first skb with fds)."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    x, y = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    a.send(b"a")
    a.send(b"b")
    a.sendmsg([b"c"], [(net.SOL_SOCKET, net.SCM_RIGHTS, struct.pack("i", x.fileno()))])
    trace: list = []
    for anc in (net.CMSG_SPACE(4), 0):
        data, ancdata, flags, addr = b.recvmsg(1, anc, net.MSG_PEEK)
        trace.append((data, [(level, kind, len(raw)) for level, kind, raw in ancdata], flags & net.MSG_CTRUNC))
        for _level, _kind, raw in ancdata:
            for (fd,) in struct.iter_unpack("i", raw):
                net.socket(fileno=fd).close()
    for s in (a, b, x, y):
        s.close()
    return trace


def repro_stream_eof_read_zeroed_creds(net: Any) -> list:
    """SO_PASSCRED, the peer gone, a STREAM read at EOF: SCM_CREDENTIALS from
    Linux's zeroed scm_cookie, {pid 0, uid 0, gid 0} (not the "no credentials"
    {0, 65534, 65534} of a message sent without them)."""
    a, b = net.socketpair(net.AF_UNIX, net.SOCK_STREAM)
    b.setsockopt(net.SOL_SOCKET, net.SO_PASSCRED, 1)
    a.close()
    data, anc, flags, addr = b.recvmsg(0, net.CMSG_SPACE(12))
    trace = [data, [struct.unpack("iii", raw) for level, kind, raw in anc]]
    b.close()
    return trace


#: name -> (repro, what Linux returns, the KNOWN_BUGS entry if the emulated kernel is known to differ)
REPROS: dict[str, tuple[Repro, list, str | None]] = {
    "recvmsg_cmsg_cloexec_in_msg_flags": (
        repro_recvmsg_cmsg_cloexec_in_msg_flags, ["0x40000000"], None),  # fixed: 97f7602
    "dgram_send_after_shutdown_bad_address": (
        repro_dgram_send_after_shutdown_bad_address, ["EINVAL"], None),  # fixed: 97f7602
    "dgram_send_after_shutdown_emsgsize": (
        repro_dgram_send_after_shutdown_emsgsize, ["EMSGSIZE"], None),  # fixed: 97f7602
    "dgram_send_unconnected_autobinds": (
        repro_dgram_send_unconnected_autobinds, ["ENOTCONN", "autobound"], None),  # fixed: 97f7602
    "dgram_send_unconnected_emsgsize": (
        repro_dgram_send_unconnected_emsgsize, ["EMSGSIZE"], None),  # fixed: 97f7602
    "seqpacket_send_to_closed_peer_autobinds": (
        repro_seqpacket_send_to_closed_peer_autobinds, ["EPIPE", "autobound"], None),  # fixed: 97f7602
    "recv_sender_address_at_receive_time": (
        repro_recv_sender_address_at_receive_time, [b"sent while unnamed", True], None),  # fixed: 97f7602
    "seqpacket_close_with_lone_empty_message": (
        repro_seqpacket_close_with_lone_empty_message, [0, b""], None),  # fixed: 97f7602
    "stream_close_after_oob_read": (
        repro_stream_close_after_oob_read, [b"!", 0, b""], None),  # fixed: 97f7602
    "dead_cycle_survives_close": (
        repro_dead_cycle_survives_close, [False, "EAGAIN"], None),  # fixed: UnixOps.put runs no GC
    "dgram_peek_off_walks_the_queue": (
        repro_dgram_peek_off_walks_the_queue, [b"abc", b"defg", "EAGAIN", 7, b"abc", 4], None),  # fixed: 97f7602
    "dgram_peek_off_skips_peeked_empty": (
        repro_dgram_peek_off_skips_peeked_empty, [b"", "EAGAIN", b""], None),  # fixed: 97f7602
    "accept_nonblocking_after_shut_rd": (
        repro_accept_nonblocking_after_shut_rd, ["EAGAIN"], None),  # fixed: 97f7602
    "creds_of_message_sent_before_passcred": (
        repro_creds_of_message_sent_before_passcred, [b"x", [(0, 65534, 65534)]], None),  # fixed: 4b8d907
    "stream_no_glue_across_creds": (
        repro_stream_no_glue_across_creds, [b"before", b"after"], None),  # fixed: 4b8d907
    "passcred_enabled_after_connect": (
        repro_passcred_enabled_after_connect, [0], None),  # fixed: 4b8d907
    "stream_peek_reports_fds_of_next_skb": (
        repro_stream_peek_reports_fds_of_next_skb, [(b"a", [(1, 1, 4)], 0), (b"a", [], 8)],
        None),  # fixed: 4b8d907
    "stream_eof_read_zeroed_creds": (
        repro_stream_eof_read_zeroed_creds, [b"", [(0, 0, 0)]], None),  # fixed: 4b8d907
    "stream_recvmsg_zero_size_empty": (
        repro_stream_recvmsg_zero_size_empty, ["EAGAIN", "EAGAIN"], None),  # fixed: 97f7602
    "stream_recvmsg_zero_size_takes_fds": (
        repro_stream_recvmsg_zero_size_takes_fds, [(b"", [(1, 1, 4)]), (b"abc", [])], None),  # fixed: 97f7602
    "stream_sendmsg_zero_length_rights": (
        repro_stream_sendmsg_zero_length_rights, [0, False, "EAGAIN"], None),  # fixed: 97f7602
}


# -------------------------------------------------------------------- tests


def _run_emulated(repro: Repro) -> list:
    net = client.local()
    try:
        return repro(net)
    finally:
        net.close()


@pytest.mark.parametrize("name", sorted(REPROS))
def test_linux_outcome(name: str) -> None:
    repro, linux, _ = REPROS[name]
    assert repro(socket) == linux


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, marks=[_bug(bug)] if bug else []) for name, (_, _, bug) in sorted(REPROS.items())],
)
def test_emulated_matches_linux(name: str) -> None:
    repro, linux, _ = REPROS[name]
    assert _run_emulated(repro) == linux


def test_every_known_bug_has_a_repro() -> None:
    assert sorted(KNOWN_BUGS) == sorted({bug for _, _, bug in REPROS.values() if bug})
