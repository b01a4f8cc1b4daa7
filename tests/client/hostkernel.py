"""A transport whose kernel is the host's Linux: the client's test oracle.

``HostTransport`` implements the transport contract (op names, args,
SysReply outputs and the ``timeout`` policy of kernel/syscalls.py) with raw
libc calls through ctypes.  A ``client.Net`` on it drives real Linux sockets
through every layer of the client (argument checks, sockaddr and cmsg
encoding, the blocking policy), so running one scenario through it and
through the stdlib ``socket`` module must give the same result: any
difference is the client's bug.
"""
from __future__ import annotations

import ctypes
import errno
import os
import threading
import time
from typing import Any

from kernel.syscalls import SysReply

libc = ctypes.CDLL(None, use_errno=True)

POLLIN = 0x001
POLLOUT = 0x004
_WAIT_EVENTS = {
    "accept": POLLIN, "accept4": POLLIN, "recv": POLLIN, "recvfrom": POLLIN, "recvmsg": POLLIN,
    "send": POLLOUT, "sendto": POLLOUT, "sendmsg": POLLOUT,
}


class iovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class msghdr(ctypes.Structure):
    _fields_ = [
        ("msg_name", ctypes.c_void_p),
        ("msg_namelen", ctypes.c_uint32),
        ("msg_iov", ctypes.POINTER(iovec)),
        ("msg_iovlen", ctypes.c_size_t),
        ("msg_control", ctypes.c_void_p),
        ("msg_controllen", ctypes.c_size_t),
        ("msg_flags", ctypes.c_int),
    ]


class pollfd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


for _name, _res in [("send", ctypes.c_ssize_t), ("recv", ctypes.c_ssize_t), ("sendto", ctypes.c_ssize_t),
                    ("recvfrom", ctypes.c_ssize_t), ("sendmsg", ctypes.c_ssize_t), ("recvmsg", ctypes.c_ssize_t)]:
    getattr(libc, _name).restype = _res


def _err() -> int:
    return -ctypes.get_errno()


def _buf(data: bytes) -> Any:
    return ctypes.create_string_buffer(bytes(data), max(len(data), 1))


class HostTransport:
    """Syscalls of this test process on the host kernel (fds are real fds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fds: set[int] = set()
        self.closed = False

    def _track(self, fd: int) -> int:
        if fd >= 0:
            self.fds.add(fd)
        return fd

    def close(self) -> None:
        self.closed = True
        for fd in list(self.fds):
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds.clear()

    def call(self, op: str, args: dict[str, Any], timeout: float | None = None) -> SysReply:
        handler = getattr(self, "op_" + op)
        if timeout is None or op not in _WAIT_EVENTS:
            reply: SysReply = handler(**args)
            return reply
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            reply = handler(**args)
            if reply.ret != -errno.EAGAIN:
                return reply
            left = deadline - time.monotonic()
            if left <= 0:
                return SysReply(-errno.EAGAIN, timed_out=True)
            pfd = pollfd(args["fd"], _WAIT_EVENTS[op], 0)
            n = libc.poll(ctypes.byref(pfd), 1, max(1, int(left * 1000)))
            if n == 0:
                return SysReply(-errno.EAGAIN, timed_out=True)
            if n < 0:
                return SysReply(_err())

    # --- ops -------------------------------------------------------------------------
    def op_socket(self, family: int, type: int, protocol: int = 0) -> SysReply:
        fd = libc.socket(family, type, protocol)
        return SysReply(self._track(fd) if fd >= 0 else _err())

    def op_socketpair(self, family: int, type: int, protocol: int = 0) -> SysReply:
        sv = (ctypes.c_int * 2)()
        if libc.socketpair(family, type, protocol, sv) < 0:
            return SysReply(_err())
        return SysReply(0, fds=[self._track(sv[0]), self._track(sv[1])])

    def op_bind(self, fd: int, addr: bytes) -> SysReply:
        r = libc.bind(fd, _buf(addr), len(addr))
        return SysReply(r if r >= 0 else _err())

    def op_connect(self, fd: int, addr: bytes) -> SysReply:
        r = libc.connect(fd, _buf(addr), len(addr))
        return SysReply(r if r >= 0 else _err())

    def op_listen(self, fd: int, backlog: int) -> SysReply:
        r = libc.listen(fd, backlog)
        return SysReply(r if r >= 0 else _err())

    def op_accept4(self, fd: int, flags: int = 0, want_addr: bool = True, addrlen: int = 128) -> SysReply:
        buf = ctypes.create_string_buffer(max(addrlen, 1))
        ln = ctypes.c_uint32(addrlen)
        r = libc.accept4(fd, buf if want_addr else None, ctypes.byref(ln) if want_addr else None, flags)
        if r < 0:
            return SysReply(_err())
        self._track(r)
        return SysReply(r, addr=buf.raw[: min(ln.value, addrlen)], addrlen=ln.value)

    def op_accept(self, fd: int, want_addr: bool = True, addrlen: int = 128) -> SysReply:
        return self.op_accept4(fd, 0, want_addr, addrlen)

    def _name(self, fn: Any, fd: int, addrlen: int) -> SysReply:
        buf = ctypes.create_string_buffer(max(addrlen, 1))
        ln = ctypes.c_uint32(addrlen)
        if fn(fd, buf, ctypes.byref(ln)) < 0:
            return SysReply(_err())
        return SysReply(0, addr=buf.raw[: min(ln.value, addrlen)], addrlen=ln.value)

    def op_getsockname(self, fd: int, addrlen: int = 128) -> SysReply:
        return self._name(libc.getsockname, fd, addrlen)

    def op_getpeername(self, fd: int, addrlen: int = 128) -> SysReply:
        return self._name(libc.getpeername, fd, addrlen)

    def op_send(self, fd: int, data: bytes, flags: int = 0) -> SysReply:
        r = libc.send(fd, _buf(data), len(data), flags)
        return SysReply(r if r >= 0 else _err())

    def op_sendto(self, fd: int, data: bytes, flags: int = 0, addr: bytes | None = None) -> SysReply:
        if addr is None:
            r = libc.sendto(fd, _buf(data), len(data), flags, None, 0)
        else:
            r = libc.sendto(fd, _buf(data), len(data), flags, _buf(addr), len(addr))
        return SysReply(r if r >= 0 else _err())

    def op_recv(self, fd: int, size: int, flags: int = 0) -> SysReply:
        buf = ctypes.create_string_buffer(max(size, 1))
        r = libc.recv(fd, buf, size, flags)
        return SysReply(r, data=buf.raw[: min(r, size)]) if r >= 0 else SysReply(_err())

    def op_recvfrom(self, fd: int, size: int, flags: int = 0, addrlen: int = 128) -> SysReply:
        buf = ctypes.create_string_buffer(max(size, 1))
        abuf = ctypes.create_string_buffer(max(addrlen, 1))
        ln = ctypes.c_uint32(addrlen)
        r = libc.recvfrom(fd, buf, size, flags, abuf, ctypes.byref(ln))
        if r < 0:
            return SysReply(_err())
        return SysReply(r, data=buf.raw[: min(r, size)], addr=abuf.raw[: min(ln.value, addrlen)], addrlen=ln.value)

    def op_shutdown(self, fd: int, how: int) -> SysReply:
        r = libc.shutdown(fd, how)
        return SysReply(r if r >= 0 else _err())

    def op_setsockopt(self, fd: int, level: int, optname: int, optval: bytes) -> SysReply:
        r = libc.setsockopt(fd, level, optname, _buf(optval), len(optval))
        return SysReply(r if r >= 0 else _err())

    def op_getsockopt(self, fd: int, level: int, optname: int, optlen: int) -> SysReply:
        buf = ctypes.create_string_buffer(max(optlen, 1))
        ln = ctypes.c_uint32(optlen)
        if libc.getsockopt(fd, level, optname, buf, ctypes.byref(ln)) < 0:
            return SysReply(_err())
        return SysReply(0, data=buf.raw[: ln.value])

    def op_sendmsg(self, fd: int, flags: int = 0, iov: list[bytes] | None = None, addr: bytes | None = None,
                   control: bytes = b"") -> SysReply:
        iov = iov or []
        keep = [_buf(b) for b in iov]
        iovs = (iovec * max(len(iov), 1))(*[iovec(ctypes.cast(k, ctypes.c_void_p), len(b)) for k, b in zip(keep, iov)])
        m = msghdr()
        if addr is not None:
            abuf = _buf(addr)
            m.msg_name, m.msg_namelen = ctypes.cast(abuf, ctypes.c_void_p), len(addr)
        m.msg_iov, m.msg_iovlen = iovs, len(iov)
        if control:
            cbuf = _buf(control)
            m.msg_control, m.msg_controllen = ctypes.cast(cbuf, ctypes.c_void_p), len(control)
        r = libc.sendmsg(fd, ctypes.byref(m), flags)
        return SysReply(r if r >= 0 else _err())

    def op_recvmsg(self, fd: int, flags: int, size: int, addrlen: int = 128, controllen: int = 0) -> SysReply:
        buf = ctypes.create_string_buffer(max(size, 1))
        abuf = ctypes.create_string_buffer(max(addrlen, 1))
        cbuf = ctypes.create_string_buffer(max(controllen, 1))
        io1 = iovec(ctypes.cast(buf, ctypes.c_void_p), size)
        m = msghdr()
        m.msg_name, m.msg_namelen = ctypes.cast(abuf, ctypes.c_void_p), addrlen
        m.msg_iov, m.msg_iovlen = ctypes.pointer(io1), 1
        if controllen:
            m.msg_control, m.msg_controllen = ctypes.cast(cbuf, ctypes.c_void_p), controllen
        r = libc.recvmsg(fd, ctypes.byref(m), flags)
        if r < 0:
            return SysReply(_err())
        control = cbuf.raw[: m.msg_controllen] if controllen else b""
        # fds that arrive with SCM_RIGHTS belong to this test process now.
        off = 0
        while off + 16 <= len(control):
            ln, lvl, typ = int.from_bytes(control[off:off + 8], "little"), *(
                int.from_bytes(control[off + 8 + 4 * i: off + 12 + 4 * i], "little", signed=True) for i in range(2))
            if ln < 16:
                break
            if lvl == 1 and typ == 1:
                for i in range(16, min(ln, len(control) - off) - 3, 4):
                    self._track(int.from_bytes(control[off + i: off + i + 4], "little", signed=True))
            off += (ln + 7) & ~7
        return SysReply(r, data=buf.raw[: min(r, size)], addr=abuf.raw[: min(m.msg_namelen, addrlen)],
                        addrlen=m.msg_namelen, control=control, msg_flags=m.msg_flags)

    def op_close(self, fd: int) -> SysReply:
        r = libc.close(fd)
        self.fds.discard(fd)
        return SysReply(r if r >= 0 else _err())

    def op_dup(self, fd: int) -> SysReply:
        r = libc.dup(fd)
        return SysReply(self._track(r) if r >= 0 else _err())

    def op_fcntl(self, fd: int, cmd: int, arg: int = 0) -> SysReply:
        r = libc.fcntl(fd, cmd, ctypes.c_long(arg))
        if r >= 0 and cmd in (0, 1030):  # F_DUPFD, F_DUPFD_CLOEXEC
            self._track(r)
        return SysReply(r if r >= 0 else _err())

    def op_ioctl(self, fd: int, cmd: int, arg: int = 0, buf: bytes | None = None) -> SysReply:
        if buf is not None:  # argp points to a buffer (struct ifreq ...), copied back in data
            mem = ctypes.create_string_buffer(bytes(buf), len(buf))
            r = libc.ioctl(fd, ctypes.c_ulong(cmd), mem)
            return SysReply(r if r >= 0 else _err(), data=mem.raw)
        v = ctypes.c_int(arg)
        r = libc.ioctl(fd, ctypes.c_ulong(cmd), ctypes.byref(v))
        return SysReply(r, value=v.value) if r >= 0 else SysReply(_err())

    def op_poll(self, fds: list[tuple[int, int]], timeout_ms: int) -> SysReply:
        arr = (pollfd * max(len(fds), 1))(*[pollfd(fd, ev, 0) for fd, ev in fds])
        r = libc.poll(arr, len(fds), timeout_ms)
        if r < 0:
            return SysReply(_err())
        return SysReply(r, revents=[arr[i].revents & 0xFFFF for i in range(len(fds))])

    def op_unlink(self, path: bytes | str) -> SysReply:
        r = libc.unlink(os.fsencode(path))
        return SysReply(r if r >= 0 else _err())
