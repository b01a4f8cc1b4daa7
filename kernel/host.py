"""One emulated machine: its processes, files, filesystem, sysctls and clock.

``Host.spawn()`` creates a process (pid, credentials, capabilities);
``Process.exit()`` ends it.  Per-host state that Linux keeps in ``struct net``
(the AF_UNIX abstract namespace, sysctls) hangs off the host; the protocol
families themselves are registered once, globally, like ``net_families``.
"""
from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from typing import Any

import kernel.drivers.net.loopback  # noqa: F401  (registers lo for every namespace)
import kernel.net.ipv4  # noqa: F401  (IPv4 pernet state, ICMP, AF_INET)
import kernel.net.ipv4.raw  # noqa: F401  (raw and ping sockets: their inetsw entries and raw_hooks)
import kernel.net.packet  # noqa: F401  (packet_init: registers AF_PACKET)
import kernel.net.unix  # noqa: F401,E402  (af_unix_init: registers AF_UNIX at boot)
from kernel import uapi
from kernel.clock import Clock, RealClock
from kernel.fs.file import File
from kernel.fs.namei import VFS
from kernel.fs.null import null_fops
from kernel.net.core.net_namespace import Net
from kernel.process import ALL_CAPS, Process

DEFAULT_SYSCTLS: dict[str, Any] = {
    "net.core.rmem_default": 212992,
    "net.core.rmem_max": 212992,
    "net.core.wmem_default": 212992,
    "net.core.wmem_max": 212992,
    "net.core.somaxconn": 4096,
    "net.unix.max_dgram_qlen": 10,
    "fs.file-max": 1 << 20,
    "net.core.netdev_max_backlog": 1000,
    "net.core.optmem_max": 131072,
    "net.ipv4.ip_forward": 0,
    "net.ipv4.ip_nonlocal_bind": 0,
    "net.ipv4.ip_default_ttl": 64,
    "net.ipv4.ip_local_port_range": (32768, 60999),
    "net.ipv4.ip_unprivileged_port_start": 1024,
    "net.ipv4.ip_no_pmtu_disc": 0,
    "net.ipv4.ipfrag_time": 30,
    "net.ipv4.ipfrag_high_thresh": 4 * 1024 * 1024,
    "net.ipv4.ipfrag_low_thresh": 3 * 1024 * 1024,
    "net.ipv4.icmp_echo_ignore_all": 0,
    "net.ipv4.icmp_echo_ignore_broadcasts": 1,
    "net.ipv4.icmp_ratelimit": 1000,
    "net.ipv4.icmp_ratemask": 6168,
    "net.ipv4.icmp_msgs_per_sec": 1000,
    "net.ipv4.icmp_msgs_burst": 50,
    "net.ipv4.ping_group_range": (1, 0),
    "net.ipv4.udp_rmem_min": 4096,
    "net.ipv4.udp_wmem_min": 4096,
    "net.ipv4.raw_l3mdev_accept": 1,
    "net.ipv4.neigh.default.base_reachable_time_ms": 30000,
    "net.ipv4.neigh.default.retrans_time_ms": 1000,
    "net.ipv4.neigh.default.delay_first_probe_time": 5,
    "net.ipv4.neigh.default.gc_stale_time": 60,
    "net.ipv4.neigh.default.ucast_solicit": 3,
    "net.ipv4.neigh.default.mcast_solicit": 3,
    "net.ipv4.neigh.default.unres_qlen": 101,
    "net.ipv4.neigh.default.unres_qlen_bytes": 212992,
}


class Host:
    """An emulated host (one daemon)."""

    def __init__(
        self, clock: Clock | None = None, name: str = "default", max_processes: int = 100_000,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.rng = rng or random.Random()
        self.clock: Clock = clock or RealClock()
        self.processes: dict[int, Process] = {}
        self._pids = itertools.count(1000)
        self.max_processes = max_processes
        self.nr_files = 0
        self.vfs = VFS()
        self.sysctl: dict[str, Any] = dict(DEFAULT_SYSCTLS)
        self.net: dict[str, Any] = {}  # per-family namespaces (e.g. "unix": UnixNamespace)
        self.netns = Net(self)  # struct net: devices, routes, protocol state
        self.fd_close_hooks: list[Any] = []

    def spawn(self, uid: int = 0, gid: int = 0, caps: Iterable[int] | None = None) -> Process:
        """fork+exec of a client process; root gets every capability by default."""
        if caps is None:
            caps = ALL_CAPS if uid == 0 else ()
        proc = Process(self, next(self._pids), uid, gid, caps)
        self.processes[proc.pid] = proc
        for fd in (0, 1, 2):  # stdin, stdout, stderr on /dev/null
            f = self.alloc_file(null_fops, None, 0)
            if isinstance(f, File):
                proc.fd_install(fd, f)
        return proc

    def reap(self, proc: Process) -> None:
        self.processes.pop(proc.pid, None)

    def alloc_file(self, f_op: Any, private_data: Any, flags: int, proc: Process | None = None) -> File | int:
        """alloc_empty_file: a new open file, or -ENFILE at fs.file-max (CAP_SYS_ADMIN may exceed it)."""
        if self.nr_files >= self.sysctl["fs.file-max"] and not (proc is not None and proc.capable(uapi.CAP_SYS_ADMIN)):
            return -uapi.ENFILE
        self.nr_files += 1
        return File(self, f_op, private_data, flags)

    def fd_closed(self, proc: Process, fd: int, file: File) -> None:
        """Called for every close of an fd (epoll drops items keyed by it)."""
        for hook in self.fd_close_hooks:
            hook(proc, fd, file)
