"""Ancillary data (net/core/scm.c): parse cmsgs on send, put them on receive.

Control buffers are raw ``struct cmsghdr`` bytes in the x86_64 layout
(8-byte cmsg_len, int level, int type, data aligned to 8).  ``scm_send``
validates them as __scm_send does (CMSG_OK → EINVAL, SCM_RIGHTS fds → EBADF,
more than SCM_MAX_FD → EINVAL, SCM_CREDENTIALS checked → EPERM, unknown
SOL_SOCKET types → EINVAL, other levels ignored).  ``CmsgWriter`` is
put_cmsg / scm_detach_fds: it fills the caller's room and sets MSG_CTRUNC
when it runs out, closing passed files that did not fit.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kernel import uapi

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.process import Process

CMSGHDR = struct.Struct("<Qii")
CMSG_HDR_LEN = CMSGHDR.size  # 16
CAP_SETUID = 7
CAP_SETGID = 6


def cmsg_align(n: int) -> int:
    return (n + 7) & ~7


def cmsg_len(n: int) -> int:
    return CMSG_HDR_LEN + n


def cmsg_space(n: int) -> int:
    return CMSG_HDR_LEN + cmsg_align(n)


@dataclass
class ScmCookie:
    """What a send carries besides data: passed files and credentials."""

    fp: list[File] = field(default_factory=list)
    cred: tuple[int, int, int] | None = None  # (pid, uid, gid)

    def destroy(self) -> None:
        files, self.fp = self.fp, []
        for f in files:
            f.fput()


def scm_send(proc: Process, family: int, control: bytes) -> tuple[ScmCookie, int]:
    scm = ScmCookie()  # no credentials unless SCM_CREDENTIALS says (scm_send's forcecreds is false for AF_UNIX)
    off = 0
    end = len(control)
    while off + CMSG_HDR_LEN <= end:
        clen, level, ctype = CMSGHDR.unpack_from(control, off)
        if clen < CMSG_HDR_LEN or clen > end - off:
            scm.destroy()
            return scm, -uapi.EINVAL
        if level == uapi.SOL_SOCKET:
            data = control[off + CMSG_HDR_LEN: off + clen]
            err = _one(proc, family, scm, ctype, data, clen)
            if err:
                scm.destroy()
                return scm, err
        off += cmsg_align(clen)
    return scm, 0


def _one(proc: Process, family: int, scm: ScmCookie, ctype: int, data: bytes, clen: int) -> int:
    if ctype == uapi.SCM_RIGHTS:
        if family != uapi.AF_UNIX:
            return -uapi.EINVAL
        num = len(data) // 4
        if num <= 0:
            return 0
        if num > uapi.SCM_MAX_FD or len(scm.fp) + num > uapi.SCM_MAX_FD:
            return -uapi.EINVAL
        for (fd,) in struct.iter_unpack("<i", data[: num * 4]):
            f = proc.fget(fd)
            if f is None:
                return -uapi.EBADF
            scm.fp.append(f.get())
        return 0
    if ctype == uapi.SCM_CREDENTIALS:
        if clen != cmsg_len(12):
            return -uapi.EINVAL
        pid, uid, gid = struct.unpack("<iII", data[:12])
        if pid != proc.pid and not proc.capable(uapi.CAP_SYS_ADMIN):
            return -uapi.EPERM
        if uid != proc.uid and not proc.capable(CAP_SETUID):
            return -uapi.EPERM
        if gid != proc.gid and not proc.capable(CAP_SETGID):
            return -uapi.EPERM
        if pid not in proc.host.processes:
            return -uapi.ESRCH
        scm.cred = (pid, uid, gid)
        return 0
    return -uapi.EINVAL


class CmsgWriter:
    """The caller's control buffer during recvmsg (msg_control / msg_controllen)."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.buf = bytearray()
        self.flags = 0

    def put_cmsg(self, level: int, ctype: int, data: bytes) -> None:
        if self.room < CMSG_HDR_LEN:
            self.flags |= uapi.MSG_CTRUNC
            return
        clen = cmsg_len(len(data))
        if self.room < clen:
            self.flags |= uapi.MSG_CTRUNC
            clen = self.room
        self.buf += CMSGHDR.pack(clen, level, ctype) + data[: clen - CMSG_HDR_LEN]
        space = min(cmsg_space(len(data)), self.room)
        self.buf += bytes(space - clen)
        self.room -= space

    def detach_fds(self, proc: Process, files: list[File], cloexec: bool) -> None:
        """scm_detach_fds: install what fits as new fds, drop the rest."""
        fdmax = (self.room - CMSG_HDR_LEN) // 4 if self.room > CMSG_HDR_LEN else 0
        fdmax = min(fdmax, len(files))
        fds: list[int] = []
        for f in files[:fdmax]:
            fd = proc.install_file(f, cloexec)
            if fd < 0:
                break
            fds.append(fd)
        if fds:
            data = struct.pack(f"<{len(fds)}i", *fds)
            clen = cmsg_len(len(data))
            self.buf += CMSGHDR.pack(clen, uapi.SOL_SOCKET, uapi.SCM_RIGHTS) + data
            space = min(cmsg_space(len(data)), self.room)
            self.buf += bytes(max(space - clen, 0))
            self.room -= space
        if len(fds) < len(files) or (files and fdmax <= 0):
            self.flags |= uapi.MSG_CTRUNC
        for f in files[len(fds):]:
            f.fput()
