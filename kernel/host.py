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
    # TCP (net/ipv4/sysctl_net_ipv4.c, Linux 6.x defaults; tcp_mem / max_syn_backlog / max_tw_buckets and
    # max_orphans scale with memory on Linux: the values of a small 6.18 machine)
    "net.ipv4.tcp_syn_retries": 6,
    "net.ipv4.tcp_synack_retries": 5,
    "net.ipv4.tcp_syn_linear_timeouts": 4,
    "net.ipv4.tcp_retries1": 3,
    "net.ipv4.tcp_retries2": 15,
    "net.ipv4.tcp_orphan_retries": 0,
    "net.ipv4.tcp_fin_timeout": 60,
    "net.ipv4.tcp_keepalive_time": 7200,
    "net.ipv4.tcp_keepalive_intvl": 75,
    "net.ipv4.tcp_keepalive_probes": 9,
    "net.ipv4.tcp_timestamps": 1,
    "net.ipv4.tcp_window_scaling": 1,
    "net.ipv4.tcp_sack": 1,
    "net.ipv4.tcp_dsack": 1,
    "net.ipv4.tcp_fack": 0,
    "net.ipv4.tcp_ecn": 2,
    "net.ipv4.tcp_ecn_fallback": 1,
    "net.ipv4.tcp_rmem": (4096, 131072, 33554432),
    "net.ipv4.tcp_wmem": (4096, 16384, 4194304),
    "net.ipv4.tcp_mem": (287901, 383868, 575802),
    "net.ipv4.tcp_moderate_rcvbuf": 1,
    "net.ipv4.tcp_adv_win_scale": 1,
    "net.ipv4.tcp_app_win": 31,
    "net.ipv4.tcp_rfc1337": 0,
    "net.ipv4.tcp_abort_on_overflow": 0,
    "net.ipv4.tcp_base_mss": 1024,
    "net.ipv4.tcp_mtu_probing": 0,
    "net.ipv4.tcp_mtu_probe_floor": 48,
    "net.ipv4.tcp_probe_interval": 600,
    "net.ipv4.tcp_probe_threshold": 8,
    "net.ipv4.tcp_min_snd_mss": 48,
    "net.ipv4.tcp_reordering": 3,
    "net.ipv4.tcp_max_reordering": 300,
    "net.ipv4.tcp_recovery": 1,
    "net.ipv4.tcp_early_retrans": 3,
    "net.ipv4.tcp_frto": 2,
    "net.ipv4.tcp_slow_start_after_idle": 1,
    "net.ipv4.tcp_no_metrics_save": 0,
    "net.ipv4.tcp_no_ssthresh_metrics_save": 1,
    "net.ipv4.tcp_tw_reuse": 2,
    "net.ipv4.tcp_tw_reuse_delay": 1000,
    "net.ipv4.tcp_max_tw_buckets": 131072,
    "net.ipv4.tcp_max_orphans": 131072,
    "net.ipv4.tcp_max_syn_backlog": 2048,
    "net.ipv4.tcp_syncookies": 1,
    "net.ipv4.tcp_fastopen": 1,
    "net.ipv4.tcp_challenge_ack_limit": 2147483647,
    "net.ipv4.tcp_invalid_ratelimit": 500,
    "net.ipv4.tcp_congestion_control": "cubic",
    "net.ipv4.tcp_allowed_congestion_control": "reno cubic",
    "net.ipv4.tcp_available_congestion_control": "reno cubic",
    "net.ipv4.tcp_notsent_lowat": 4294967295,
    "net.ipv4.tcp_limit_output_bytes": 4194304,
    "net.ipv4.tcp_autocorking": 1,
    "net.ipv4.tcp_retrans_collapse": 1,
    "net.ipv4.tcp_thin_linear_timeouts": 0,
    "net.ipv4.tcp_workaround_signed_windows": 0,
    "net.ipv4.tcp_stdurg": 0,
    "net.ipv4.tcp_min_rtt_wlen": 300,
    "net.ipv4.tcp_rto_min_us": 200000,
    "net.ipv4.tcp_rto_max_ms": 120000,
    "net.ipv4.tcp_fwmark_accept": 0,
    "net.ipv4.tcp_l3mdev_accept": 0,
    "net.ipv4.tcp_reflect_tos": 0,
    "net.ipv4.tcp_shrink_window": 0,
    "net.ipv4.tcp_backlog_ack_defer": 1,
    "net.ipv4.tcp_pingpong_thresh": 1,
    "net.ipv4.tcp_comp_sack_nr": 44,
    "net.ipv4.tcp_comp_sack_delay_ns": 1000000,
    "net.ipv4.tcp_pacing_ss_ratio": 200,
    "net.ipv4.tcp_pacing_ca_ratio": 120,
    "net.ipv4.tcp_tso_win_divisor": 3,
    "net.ipv4.tcp_min_tso_segs": 2,
    "net.ipv4.tcp_low_latency": 0,
    "net.ipv4.tcp_migrate_req": 0,
    "net.ipv4.tcp_early_demux": 1,
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
