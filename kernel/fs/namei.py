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

    def resolve(self, path: bytes) -> tuple[str, bool, int]:
        """path_lookupat: walk every component; (path, wants_dir, 0) or ('', False, -errno).

        Intermediate components must be directories (a socket → ENOTDIR, a
        missing one → ENOENT); ``..`` climbs, ``.`` stays.  ``wants_dir`` is
        true when the name ends in ``/``, ``.`` or ``..`` (the target must be a
        directory).  Every process's cwd is "/".
        """
        if not path:
            return "", False, -uapi.ENOENT
        if len(path) >= PATH_MAX:
            return "", False, -uapi.ENAMETOOLONG
        text = path.decode("utf-8", "surrogateescape")
        comps = text.split("/")
        wants_dir = comps[-1] in ("", ".", "..")
        comps = [c for c in comps if c]
        parts: list[str] = []
        for i, comp in enumerate(comps):
            if len(comp.encode("utf-8", "surrogateescape")) > NAME_MAX:
                return "", False, -uapi.ENAMETOOLONG
            if comp == ".":
                continue
            if comp == "..":
                if parts:
                    parts.pop()
                continue
            here = "/" + "/".join(parts + [comp])
            if i < len(comps) - 1:
                if here in self.inodes:
                    return "", False, -uapi.ENOTDIR
                if here not in self.dirs:
                    return "", False, -uapi.ENOENT
            parts.append(comp)
        return "/" + "/".join(parts), wants_dir, 0

    def mknod_socket(self, path_bytes: bytes, sk: Any) -> tuple[SocketInode | None, str, int]:
        path, wants_dir, err = self.resolve(path_bytes)
        if err:
            return None, "", err
        if path in self.inodes or path in self.dirs:
            return None, "", -uapi.EEXIST
        if wants_dir:
            return None, "", -uapi.ENOENT
        inode = SocketInode(sk)
        self.inodes[path] = inode
        return inode, path, 0

    def lookup(self, path_bytes: bytes) -> tuple[SocketInode | None, int]:
        """The inode at a path: (inode, 0), (None, 0) for a directory, or -errno."""
        path, wants_dir, err = self.resolve(path_bytes)
        if err:
            return None, err
        if path in self.inodes:
            return (None, -uapi.ENOTDIR) if wants_dir else (self.inodes[path], 0)
        if path in self.dirs:
            return None, 0
        return None, -uapi.ENOENT

    def unlink(self, path_bytes: bytes) -> int:
        path, wants_dir, err = self.resolve(path_bytes)
        if err:
            return err
        if path in self.dirs:
            return -uapi.EISDIR
        if path not in self.inodes:
            return -uapi.ENOENT
        if wants_dir:
            return -uapi.ENOTDIR
        del self.inodes[path]
        return 0

    def mkdir(self, path_bytes: bytes) -> int:
        path, _, err = self.resolve(path_bytes)
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
