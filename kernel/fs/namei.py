"""The host's small virtual filesystem: directories and socket inodes.

AF_UNIX path names live here (net/unix binds create an S_IFSOCK inode with
mknod semantics: EEXIST → the caller's EADDRINUSE; missing parent → ENOENT;
a parent that is a socket → ENOTDIR).  The inode outlives the socket, as on
Linux, until ``unlink``.  Paths resolve against the root (every process's
cwd is "/").
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel import uapi

if TYPE_CHECKING:
    from kernel.process import Process

DEFAULT_DIRS = ("/", "/tmp", "/run", "/var", "/var/run", "/var/tmp", "/dev", "/dev/shm", "/root", "/home")
NAME_MAX = 255
PATH_MAX = 4096


class SocketInode:
    """An S_IFSOCK inode; ``sk`` is the bound sock while it lives, else None."""

    __slots__ = ("sk",)

    def __init__(self, sk: Any) -> None:
        self.sk = sk


class VFS:
    """A tree of directories and socket inodes, keyed by normalised path."""

    def __init__(self) -> None:
        self.dirs: set[str] = set(DEFAULT_DIRS)
        self.inodes: dict[str, SocketInode] = {}

    @staticmethod
    def normalise(path: bytes) -> tuple[str, int]:
        """Absolute, collapsed path, or ('', -errno)."""
        try:
            text = path.decode("utf-8", "surrogateescape")
        except Exception:  # pragma: no cover - surrogateescape never fails
            return "", -uapi.EINVAL
        if not text:
            return "", -uapi.ENOENT
        if len(path) >= PATH_MAX:
            return "", -uapi.ENAMETOOLONG
        parts: list[str] = []
        for part in text.split("/"):
            if part in ("", "."):
                continue
            if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX:
                return "", -uapi.ENAMETOOLONG
            if part == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(part)
        return "/" + "/".join(parts), 0

    def _check_parent(self, path: str) -> int:
        parent = path.rsplit("/", 1)[0] or "/"
        # every ancestor must be a directory
        probe = parent
        while True:
            if probe in self.inodes:
                return -uapi.ENOTDIR
            if probe not in self.dirs:
                if probe == "/":
                    return -uapi.ENOENT
                up = probe.rsplit("/", 1)[0] or "/"
                if up in self.inodes:
                    return -uapi.ENOTDIR
                return -uapi.ENOENT
            return 0

    def mknod_socket(self, path_bytes: bytes, sk: Any) -> tuple[SocketInode | None, str, int]:
        path, err = self.normalise(path_bytes)
        if err:
            return None, "", err
        err = self._check_parent(path)
        if err:
            return None, "", err
        if path in self.inodes or path in self.dirs:
            return None, "", -uapi.EEXIST
        inode = SocketInode(sk)
        self.inodes[path] = inode
        return inode, path, 0

    def lookup(self, path_bytes: bytes) -> tuple[SocketInode | None, int]:
        """The inode at a path: (inode, 0), (None, 0) for a directory, or -errno."""
        path, err = self.normalise(path_bytes)
        if err:
            return None, err
        err = self._check_parent(path)
        if err:
            return None, err
        if path in self.inodes:
            return self.inodes[path], 0
        if path in self.dirs:
            return None, 0
        return None, -uapi.ENOENT

    def unlink(self, path_bytes: bytes) -> int:
        path, err = self.normalise(path_bytes)
        if err:
            return err
        err = self._check_parent(path)
        if err:
            return err
        if path in self.dirs:
            return -uapi.EISDIR
        if self.inodes.pop(path, None) is None:
            return -uapi.ENOENT
        return 0

    def mkdir(self, path_bytes: bytes) -> int:
        path, err = self.normalise(path_bytes)
        if err:
            return err
        err = self._check_parent(path)
        if err:
            return err
        if path in self.dirs or path in self.inodes:
            return -uapi.EEXIST
        self.dirs.add(path)
        return 0


def sys_unlink(proc: Process, path: bytes) -> int:
    return proc.host.vfs.unlink(path)


def sys_mkdir(proc: Process, path: bytes) -> int:
    return proc.host.vfs.mkdir(path)
