"""/proc/net views of one network namespace, in Linux's exact text formats.

Each renderer takes a ``Net`` (struct net) and returns the file's text, byte
for byte in the layout the Linux file has (net/ipv4/proc.c, net/core/net-procfs.c,
net/ipv4/fib_trie.c, net/ipv4/arp.c, net/ipv4/udp.c, net/ipv4/raw.c,
net/ipv4/ping.c, net/unix/af_unix.c):

- ``snmp``: the Ip, Icmp, IcmpMsg, Tcp, Udp and UdpLite lines (RFC 4293 IP-MIB,
  RFC 4022 TCP-MIB, RFC 4113 UDP-MIB names) from ``net.mib``; Ip Forwarding is 1
  when net.ipv4.ip_forward is on else 2, DefaultTTL the sysctl; the Icmp
  per-type columns come from the IcmpMsg per-type counters as Linux does;
  IcmpMsg lists only the types seen, 16 a line.
- ``netstat``: the TcpExt, IpExt and MPTcpExt lines (Linux 6.18's fields).
- ``dev``: one line per device in registration order (struct rtnl_link_stats64).
- ``route``: the main table's unicast routes (addresses in network byte order
  printed as a native little-endian u32, RTF_UP/GATEWAY/HOST/REJECT flags),
  lines padded to 127 columns.
- ``arp``: the ARP neighbour entries (not NOARP ones), ATF_COM/ATF_PERM flags.
- ``udp``, ``raw``, ``icmp`` (ping sockets): hashed sockets, ``sl`` the hash
  bucket, local/remote address:port, st, tx_queue:rx_queue, uid, inode, ref,
  pointer, drops; udp and icmp lines padded to 127 columns.
- ``unix``: every AF_UNIX socket (Num, RefCount, Protocol, Flags, Type, St,
  Inode, Path with '@' for an abstract name's NUL bytes).
- ``sockstat``: sockets in use per protocol.

``proc_read(host, path)`` serves "net/<name>" (or "/proc/net/<name>",
"self/net/<name>") and "sys/<dotted/sysctl/path>"; an unknown path is -ENOENT.

Sockets are found by walking the host's fd tables (an AF_INET socket is
listed when it is on its port table: ``hashed``), so a socket only held in
flight by SCM_RIGHTS is not listed; AF_UNIX sockets come from the family's
registry of every live sock.  Socket inode numbers: ``Socket.ino`` when the
socket layer sets one, else a number given here on first sight (a shim until
sock_alloc assigns inode numbers).  Kernel pointers (%pK) are a stable hash of
the object, 16 hex digits like a hashed pointer.
"""
from __future__ import annotations

import importlib
import itertools
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.core.neighbour import (
    ATF_COM,
    ATF_PERM,
    NUD_NOARP,
    NUD_PERMANENT,
    NUD_VALID,
)
from kernel.net.core.net_namespace import SNMP_FIELDS
from kernel.net.ipv4.fib import (
    RT_TABLE_MAIN,
    RTN_BROADCAST,
    RTN_MULTICAST,
    RTN_PROHIBIT,
    RTN_UNICAST,
    RTN_UNREACHABLE,
)
from kernel.net.sock import SS_CONNECTED, SS_CONNECTING, SS_DISCONNECTING, SS_UNCONNECTED, TCP_ESTABLISHED, TCP_LISTEN

if TYPE_CHECKING:
    from kernel.host import Host
    from kernel.net.core.net_namespace import Net

# include/uapi/linux/route.h
RTF_UP = 0x0001
RTF_GATEWAY = 0x0002
RTF_HOST = 0x0004
RTF_REJECT = 0x0200

__SO_ACCEPTCON = 1 << 16  # include/linux/net.h

RAW_HTABLE_SIZE = 256  # include/net/raw.h (RAW_HTABLE_LOG 8)
UDP_HTABLE_MASK = 16383  # udp_table.mask when the UDP part exposes none
PING_HTABLE_MASK = 63  # PING_HTABLE_SIZE 64
SEQ_WIDTH = 127  # seq_setwidth(seq, TMPSZ - 1) then seq_pad(seq, '\n')

# The Tcp line's constants (tcp_mib_init): RFC 2012's rtoAlgorithm "other"(1), RtoMin/Max in ms, MaxConn -1.
_TCP_CONSTANTS = {"RtoAlgorithm": 1, "RtoMin": 200, "RtoMax": 120000, "MaxConn": -1}

# net/ipv4/proc.c icmpmibmap: the Icmp columns that are per-type counters of IcmpMsg.
_ICMP_MIB_MAP: tuple[tuple[str, int], ...] = (
    ("DestUnreachs", 3), ("TimeExcds", 11), ("ParmProbs", 12), ("SrcQuenchs", 4), ("Redirects", 5),
    ("Echos", 8), ("EchoReps", 0), ("Timestamps", 13), ("TimestampReps", 14), ("AddrMasks", 17),
    ("AddrMaskReps", 18),
)
_ICMPMSG_PERLINE = 16

# /proc/net/netstat field order of Linux 6.18 (include/uapi/linux/snmp.h, net/ipv4/proc.c snmp4_net_list,
# snmp4_ipextstats_list, net/mptcp/mib.c): the TcpExt, IpExt and MPTcpExt lines
NETSTAT_FIELDS: dict[str, tuple[str, ...]] = {
    "TcpExt": (
        "SyncookiesSent", "SyncookiesRecv", "SyncookiesFailed", "EmbryonicRsts", "PruneCalled", "RcvPruned",
        "OfoPruned", "OutOfWindowIcmps", "LockDroppedIcmps", "ArpFilter", "TW", "TWRecycled", "TWKilled",
        "PAWSActive", "PAWSEstab", "BeyondWindow", "TSEcrRejected", "PAWSOldAck", "PAWSTimewait",
        "DelayedACKs", "DelayedACKLocked", "DelayedACKLost", "ListenOverflows", "ListenDrops", "TCPHPHits",
        "TCPPureAcks", "TCPHPAcks", "TCPRenoRecovery", "TCPSackRecovery", "TCPSACKReneging",
        "TCPSACKReorder", "TCPRenoReorder", "TCPTSReorder", "TCPFullUndo", "TCPPartialUndo", "TCPDSACKUndo",
        "TCPLossUndo", "TCPLostRetransmit", "TCPRenoFailures", "TCPSackFailures", "TCPLossFailures",
        "TCPFastRetrans", "TCPSlowStartRetrans", "TCPTimeouts", "TCPLossProbes", "TCPLossProbeRecovery",
        "TCPRenoRecoveryFail", "TCPSackRecoveryFail", "TCPRcvCollapsed", "TCPBacklogCoalesce",
        "TCPDSACKOldSent", "TCPDSACKOfoSent", "TCPDSACKRecv", "TCPDSACKOfoRecv", "TCPAbortOnData",
        "TCPAbortOnClose", "TCPAbortOnMemory", "TCPAbortOnTimeout", "TCPAbortOnLinger", "TCPAbortFailed",
        "TCPMemoryPressures", "TCPMemoryPressuresChrono", "TCPSACKDiscard", "TCPDSACKIgnoredOld",
        "TCPDSACKIgnoredNoUndo", "TCPSpuriousRTOs", "TCPMD5NotFound", "TCPMD5Unexpected", "TCPMD5Failure",
        "TCPSackShifted", "TCPSackMerged", "TCPSackShiftFallback", "TCPBacklogDrop", "PFMemallocDrop",
        "TCPMinTTLDrop", "TCPDeferAcceptDrop", "IPReversePathFilter", "TCPTimeWaitOverflow",
        "TCPReqQFullDoCookies", "TCPReqQFullDrop", "TCPRetransFail", "TCPRcvCoalesce", "TCPOFOQueue",
        "TCPOFODrop", "TCPOFOMerge", "TCPChallengeACK", "TCPSYNChallenge", "TCPFastOpenActive",
        "TCPFastOpenActiveFail", "TCPFastOpenPassive", "TCPFastOpenPassiveFail",
        "TCPFastOpenListenOverflow", "TCPFastOpenCookieReqd", "TCPFastOpenBlackhole",
        "TCPSpuriousRtxHostQueues", "BusyPollRxPackets", "TCPAutoCorking", "TCPFromZeroWindowAdv",
        "TCPToZeroWindowAdv", "TCPWantZeroWindowAdv", "TCPSynRetrans", "TCPOrigDataSent",
        "TCPHystartTrainDetect", "TCPHystartTrainCwnd", "TCPHystartDelayDetect", "TCPHystartDelayCwnd",
        "TCPACKSkippedSynRecv", "TCPACKSkippedPAWS", "TCPACKSkippedSeq", "TCPACKSkippedFinWait2",
        "TCPACKSkippedTimeWait", "TCPACKSkippedChallenge", "TCPWinProbe", "TCPKeepAlive", "TCPMTUPFail",
        "TCPMTUPSuccess", "TCPDelivered", "TCPDeliveredCE", "TCPAckCompressed", "TCPZeroWindowDrop",
        "TCPRcvQDrop", "TCPWqueueTooBig", "TCPFastOpenPassiveAltKey", "TcpTimeoutRehash",
        "TcpDuplicateDataRehash", "TCPDSACKRecvSegs", "TCPDSACKIgnoredDubious", "TCPMigrateReqSuccess",
        "TCPMigrateReqFailure", "TCPPLBRehash", "TCPAORequired", "TCPAOBad", "TCPAOKeyNotFound",
        "TCPAOGood", "TCPAODroppedIcmps",
    ),
    "IpExt": (
        "InNoRoutes", "InTruncatedPkts", "InMcastPkts", "OutMcastPkts", "InBcastPkts", "OutBcastPkts",
        "InOctets", "OutOctets", "InMcastOctets", "OutMcastOctets", "InBcastOctets", "OutBcastOctets",
        "InCsumErrors", "InNoECTPkts", "InECT1Pkts", "InECT0Pkts", "InCEPkts", "ReasmOverlaps",
    ),
    "MPTcpExt": (
        "MPCapableSYNRX", "MPCapableSYNTX", "MPCapableSYNACKRX", "MPCapableACKRX", "MPCapableFallbackACK",
        "MPCapableFallbackSYNACK", "MPCapableSYNTXDrop", "MPCapableSYNTXDisabled", "MPCapableEndpAttempt",
        "MPFallbackTokenInit", "MPTCPRetrans", "MPJoinNoTokenFound", "MPJoinSynRx", "MPJoinSynBackupRx",
        "MPJoinSynAckRx", "MPJoinSynAckBackupRx", "MPJoinSynAckHMacFailure", "MPJoinAckRx",
        "MPJoinAckHMacFailure", "MPJoinRejected", "MPJoinSynTx", "MPJoinSynTxCreatSkErr",
        "MPJoinSynTxBindErr", "MPJoinSynTxConnectErr", "DSSNotMatching", "DSSCorruptionFallback",
        "DSSCorruptionReset", "InfiniteMapTx", "InfiniteMapRx", "DSSNoMatchTCP", "DataCsumErr",
        "OFOQueueTail", "OFOQueue", "OFOMerge", "NoDSSInWindow", "DuplicateData", "AddAddr", "AddAddrTx",
        "AddAddrTxDrop", "EchoAdd", "EchoAddTx", "EchoAddTxDrop", "PortAdd", "AddAddrDrop",
        "MPJoinPortSynRx", "MPJoinPortSynAckRx", "MPJoinPortAckRx", "MismatchPortSynRx",
        "MismatchPortAckRx", "RmAddr", "RmAddrDrop", "RmAddrTx", "RmAddrTxDrop", "RmSubflow", "MPPrioTx",
        "MPPrioRx", "MPFailTx", "MPFailRx", "MPFastcloseTx", "MPFastcloseRx", "MPRstTx", "MPRstRx",
        "SubflowStale", "SubflowRecover", "SndWndShared", "RcvWndShared", "RcvWndConflictUpdate",
        "RcvWndConflict", "MPCurrEstab", "Blackhole", "MPCapableDataFallback", "MD5SigFallback",
        "DssFallback", "SimultConnectFallback", "FallbackFailed", "WinProbe",
    ),
}


# --- helpers ---------------------------------------------------------------------

def _hex_be32(addr: int) -> str:
    """A host-order IPv4 address as Linux prints a __be32 with %08X on little-endian x86_64."""
    return f"{int.from_bytes((addr & 0xFFFFFFFF).to_bytes(4, 'big'), 'little'):08X}"


def _dotted(addr: int) -> str:
    return ".".join(str(b) for b in (addr & 0xFFFFFFFF).to_bytes(4, "big"))


def _mask(prefixlen: int) -> int:
    return (0xFFFFFFFF << (32 - prefixlen)) & 0xFFFFFFFF if prefixlen else 0


def _pad(line: str) -> str:
    """seq_pad: fill the line to SEQ_WIDTH columns, then a newline."""
    return line.ljust(SEQ_WIDTH) + "\n"


def kernel_pointer(obj: object) -> str:
    """%pK of a kernel object: a hashed pointer (32 significant bits, 16 hex digits), stable per object."""
    return f"{(id(obj) * 0x9E3779B97F4A7C15 >> 17) & 0xFFFFFFFF:016x}"


def _attr(obj: Any, *names: str, default: Any = None) -> Any:
    """The first attribute (or mapping key) of ``names`` that ``obj`` has."""
    for name in names:
        if isinstance(obj, dict):
            if name in obj:
                return obj[name]
        elif hasattr(obj, name):
            return getattr(obj, name)
    return default


def _optional(module: str, name: str) -> Any:
    """``module.name`` of a part that may not exist yet (None then)."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


class _Inodes:
    """Per-host socket inode numbers (shim: sock_i_ino) for sockets whose layer gives none."""

    def __init__(self) -> None:
        self.numbers: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self.counter = itertools.count(10000)


def sock_i_ino(host: Any, sock: Any) -> int:
    """sock_i_ino: the inode number of a struct socket (0 when there is none)."""
    if sock is None:
        return 0
    ino = getattr(sock, "ino", None)
    if isinstance(ino, int) and ino:
        return ino
    table: _Inodes = host.net.setdefault("proc_inodes", _Inodes())
    number = table.numbers.get(sock)
    if number is None:
        number = table.numbers[sock] = next(table.counter)
    return number


def _sock_uid(sk: Any, default: int) -> int:
    """sock_i_uid: the socket's owner uid (an ``sk_uid`` attribute or method of the family), else ``default``."""
    uid = getattr(sk, "sk_uid", None)
    if callable(uid):
        uid = uid()
    return uid if isinstance(uid, int) else default


def _host_socks(host: Any) -> Iterator[tuple[Any, int]]:
    """Every sock reachable from a process's fd table, once, with its owner's uid (sock_i_uid).

    Walking in (pid, fd) order also gives sockets first seen here inode numbers in about the
    order they were created."""
    seen: set[int] = set()
    for proc in sorted(host.processes.values(), key=lambda p: p.pid):
        for fd in sorted(proc.fdtable):
            sock = getattr(proc.fdtable[fd], "private_data", None)
            sk = getattr(sock, "sk", None)
            if sk is None or id(sk) in seen:
                continue
            seen.add(id(sk))
            sock_i_ino(host, sock)
            yield sk, _sock_uid(sk, proc.uid)


# --- /proc/net/snmp --------------------------------------------------------------

def proc_net_snmp(net: Net) -> str:
    """snmp_seq_show: Ip, Icmp, IcmpMsg, Tcp, Udp, UdpLite."""
    mib = net.mib
    out: list[str] = []
    ip = mib["Ip"]
    names = SNMP_FIELDS["Ip"]
    forwarding = 1 if net.sysctl.get("net.ipv4.ip_forward", 0) else 2
    ttl = int(net.sysctl.get("net.ipv4.ip_default_ttl", 64))
    out.append("Ip: " + " ".join(names))
    out.append("Ip: " + " ".join([str(forwarding), str(ttl)] + [str(ip.get(n, 0)) for n in names[2:]]))

    icmp = mib["Icmp"]
    msg = mib.get("IcmpMsg", {})

    def per_type(direction: str, name: str, type_: int) -> int:
        # Linux reads these from the IcmpMsg counters; a part that bumps the Icmp field instead is honoured too
        return max(int(msg.get(f"{direction}Type{type_}", 0)), int(icmp.get(f"{direction}{name}", 0)))

    head = ["InMsgs", "InErrors", "InCsumErrors"] + [f"In{n}" for n, _ in _ICMP_MIB_MAP]
    head += ["OutMsgs", "OutErrors", "OutRateLimitGlobal", "OutRateLimitHost"] + [f"Out{n}" for n, _ in _ICMP_MIB_MAP]
    values = [icmp.get("InMsgs", 0), icmp.get("InErrors", 0), icmp.get("InCsumErrors", 0)]
    values += [per_type("In", n, t) for n, t in _ICMP_MIB_MAP]
    values += [icmp.get(n, 0) for n in ("OutMsgs", "OutErrors", "OutRateLimitGlobal", "OutRateLimitHost")]
    values += [per_type("Out", n, t) for n, t in _ICMP_MIB_MAP]
    out.append("Icmp: " + " ".join(head))
    out.append("Icmp: " + " ".join(str(v) for v in values))

    seen: list[tuple[str, int]] = []
    for index in range(512):  # ICMPMSG_MIB_MAX: in types 0..255, then out types (0x100 | type)
        name = f"{'Out' if index & 0x100 else 'In'}Type{index & 0xFF}"
        value = int(msg.get(name, 0))
        if value:
            seen.append((name, value))
    for start in range(0, len(seen), _ICMPMSG_PERLINE):
        chunk = seen[start:start + _ICMPMSG_PERLINE]
        out.append("IcmpMsg: " + " ".join(n for n, _ in chunk))
        out.append("IcmpMsg: " + " ".join(str(v) for _, v in chunk))

    tcp = dict(mib["Tcp"])
    tcp.update(_TCP_CONSTANTS)
    if getattr(net, "_tcp_hashinfo", None) is not None:  # a gauge: counted from the TCP tables once TCP ran
        tcp["CurrEstab"] = _tcp_curr_estab(net)
    names = SNMP_FIELDS["Tcp"]
    out.append("Tcp: " + " ".join(names))
    out.append("Tcp: " + " ".join(str(tcp.get(n, 0)) for n in names))
    for table in ("Udp", "UdpLite"):
        names = SNMP_FIELDS[table]
        out.append(f"{table}: " + " ".join(names))
        out.append(f"{table}: " + " ".join(str(mib[table].get(n, 0)) for n in names))
    return "\n".join(out) + "\n"


# --- /proc/net/netstat -----------------------------------------------------------

def proc_net_netstat(net: Net) -> str:
    """netstat_seq_show: TcpExt, IpExt (and MPTcpExt) from ``net.mib`` (zeros for a table no part keeps)."""
    out: list[str] = []
    for table, names in NETSTAT_FIELDS.items():
        values = net.mib.get(table, {})
        out.append(f"{table}: " + " ".join(names))
        out.append(f"{table}: " + " ".join(str(int(values.get(n, 0))) for n in names))
    return "\n".join(out) + "\n"


# --- /proc/net/dev ---------------------------------------------------------------

_DEV_HEADER = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
)


def proc_net_dev(net: Net) -> str:
    """dev_seq_show: one line of rtnl_link_stats64 per device."""
    lines = [_DEV_HEADER]
    for dev in list(net.dev_index_head.values()):
        s = dev.stats
        g = lambda n: int(getattr(s, n, 0))  # noqa: E731
        lines.append(
            f"{dev.name:>6}: {g('rx_bytes'):7} {g('rx_packets'):7} {g('rx_errors'):4} "
            f"{g('rx_dropped') + g('rx_missed_errors'):4} {g('rx_fifo_errors'):4} "
            f"{g('rx_length_errors') + g('rx_over_errors') + g('rx_crc_errors') + g('rx_frame_errors'):5} "
            f"{g('rx_compressed'):10} {g('multicast'):9} {g('tx_bytes'):8} {g('tx_packets'):7} "
            f"{g('tx_errors'):4} {g('tx_dropped'):4} {g('tx_fifo_errors'):4} {g('collisions'):5} "
            f"{g('tx_carrier_errors') + g('tx_aborted_errors') + g('tx_window_errors') + g('tx_heartbeat_errors'):7} "
            f"{g('tx_compressed'):10}\n"
        )
    return "".join(lines)


# --- /proc/net/route -------------------------------------------------------------

def fib_entries(net: Net) -> list[dict[str, Any]]:
    """The FIB's routes as plain dicts (dst, prefixlen, gateway, dev, metric, type, table, scope, protocol,
    prefsrc, mtu, window, rtt), in the order ``fib_dump`` gives them; [] while IPv4 has no FIB."""
    dump = _optional("kernel.net.ipv4.route", "fib_dump") or _optional("kernel.net.ipv4.fib", "fib_dump")
    if dump is None or getattr(net, "ipv4", None) is None:
        return []
    entries = []
    for e in dump(net):
        dev = _attr(e, "dev", "fib_dev", "oif")
        if isinstance(dev, int):
            dev = net.dev_index_head.get(dev)
        entries.append({
            "dst": int(_attr(e, "dst", "fa_dst", "prefix", default=0) or 0),
            "prefixlen": int(_attr(e, "prefixlen", "dst_len", "plen", default=0) or 0),
            "gateway": int(_attr(e, "gw", "gateway", "nh_gw", default=0) or 0),
            "dev": dev,
            "metric": int(_attr(e, "metric", "priority", "fib_priority", default=0) or 0),
            "type": int(_attr(e, "type", "rt_type", "fa_type", default=RTN_UNICAST) or RTN_UNICAST),
            "table": int(_attr(e, "table", "tb_id", default=RT_TABLE_MAIN) or RT_TABLE_MAIN),
            "scope": int(_attr(e, "scope", "fa_scope", default=0) or 0),
            "protocol": int(_attr(e, "protocol", "fib_protocol", default=0) or 0),
            "prefsrc": int(_attr(e, "prefsrc", "fib_prefsrc", default=0) or 0),
            "mtu": int(_attr(e, "mtu", default=0) or 0),
            "advmss": int(_attr(e, "advmss", default=0) or 0),
            "window": int(_attr(e, "window", default=0) or 0),
            "rtt": int(_attr(e, "rtt", default=0) or 0),
        })
    return entries


_ROUTE_HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT"


def fib_flag_trans(type_: int, prefixlen: int, gateway: int) -> int:
    """fib_flag_trans: RTF_* of a route (REJECT for unreachable/prohibit, GATEWAY, HOST, always UP)."""
    flags = RTF_REJECT if type_ in (RTN_UNREACHABLE, RTN_PROHIBIT) else 0
    if gateway:
        flags |= RTF_GATEWAY
    if prefixlen == 32:
        flags |= RTF_HOST
    return flags | RTF_UP


def proc_net_route(net: Net) -> str:
    """fib_route_seq_show: the main table, leaves in key order, longer prefixes first within a key."""
    lines = [_pad(_ROUTE_HEADER)]
    routes = [r for r in fib_entries(net)
              if r["table"] == RT_TABLE_MAIN and r["type"] not in (RTN_BROADCAST, RTN_MULTICAST)]
    routes.sort(key=lambda r: (r["dst"] & _mask(r["prefixlen"]), -r["prefixlen"], r["metric"]))
    for r in routes:
        dev = r["dev"]
        name = (dev.name if hasattr(dev, "name") else dev if isinstance(dev, str) else "") or "*"
        mask = _mask(r["prefixlen"])
        mtu = r["advmss"] + 40 if r["advmss"] else 0
        lines.append(_pad(
            f"{name}\t{_hex_be32(r['dst'] & mask)}\t{_hex_be32(r['gateway'])}\t"
            f"{fib_flag_trans(r['type'], r['prefixlen'], r['gateway']):04X}\t0\t0\t{r['metric']}\t"
            f"{_hex_be32(mask)}\t{mtu}\t{r['window']}\t{r['rtt'] >> 3}"
        ))
    return "".join(lines)


# --- /proc/net/arp ---------------------------------------------------------------

def arp_table(net: Net) -> Any:
    """The namespace's ARP neighbour table (None while IPv4 has none)."""
    return getattr(getattr(net, "ipv4", None), "arp_tbl", None)


def neigh_entries(net: Net) -> list[dict[str, Any]]:
    """The ARP table's entries as dicts (addr, lladdr, state, dev, flags (NTF_*)), [] while there is no table."""
    dump = _optional("kernel.net.core.neighbour", "neigh_dump")
    tbl = arp_table(net)
    if dump is None or tbl is None:
        return []
    entries = []
    for n in dump(tbl):
        dev = _attr(n, "ifindex", "dev")
        if isinstance(dev, int):
            dev = net.dev_index_head.get(dev)
        elif isinstance(dev, str):
            dev = net.dev_name_head.get(dev)
        key = _attr(n, "primary_key", "addr", "address", "ip", default=0)
        entries.append({
            "addr": int(key) if not isinstance(key, bytes | bytearray) else int.from_bytes(key, "big"),
            "lladdr": bytes(_attr(n, "ha", "lladdr", default=b"") or b""),
            "state": int(_attr(n, "nud_state", "state", default=0) or 0),
            "dev": dev,
            "flags": int(_attr(n, "ntf_flags", default=0) or 0),
        })
    return entries


_ARP_HEADER = "IP address       HW type     Flags       HW address            Mask     Device\n"


def arp_state_to_flags(state: int) -> int:
    if state & NUD_PERMANENT:
        return ATF_PERM | ATF_COM
    if state & NUD_VALID:
        return ATF_COM
    return 0


def proc_net_arp(net: Net) -> str:
    """arp_seq_show: entries other than NOARP (neigh_seq_start with NEIGH_SEQ_SKIP_NOARP)."""
    lines = [_ARP_HEADER]
    for n in neigh_entries(net):
        if n["state"] == NUD_NOARP:
            continue
        dev = n["dev"]
        addr_len = len(getattr(dev, "dev_addr", b"") or b"") or 6
        ha = (n["lladdr"] or bytes(addr_len)).ljust(addr_len, b"\0")[:addr_len]
        hw = ":".join(f"{b:02x}" for b in ha)
        hatype = int(getattr(dev, "type", 1))
        lines.append(
            f"{_dotted(n['addr']):<16} 0x{hatype:<10x}0x{arp_state_to_flags(n['state']):<10x}{hw:<17}"
            f"     {'*':<8} {getattr(dev, 'name', '*')}\n"
        )
    return "".join(lines)


# --- /proc/net/udp, raw, icmp ------------------------------------------------------

_INET_HEADER = ("sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
                "inode ref pointer drops")


def _inet_socks(net: Net, sk_type: int, protocol: int | None) -> list[tuple[Any, int]]:
    """AF_INET socks of one type (and protocol) with their owner's uid, in fd-walk order."""
    host = net.host
    result = []
    for sk, uid in _host_socks(host):
        if getattr(sk, "sk_family", None) != uapi.AF_INET or getattr(sk, "sk_type", None) != sk_type:
            continue
        proto = getattr(sk, "sk_protocol", None)
        if protocol is not None and proto != protocol and not (protocol == uapi.IPPROTO_UDP and proto == 0):
            continue
        result.append((sk, uid))
    return result


def _inet_line(bucket: int, sk: Any, uid: int, width: int, local_port: int) -> str:
    src = int(getattr(sk, "inet_rcv_saddr", 0) or 0)
    dst = int(getattr(sk, "inet_daddr", 0) or 0)
    dport = int(getattr(sk, "inet_dport", 0) or 0)
    tx = int(getattr(sk, "sk_wmem_alloc", 0) or 0)
    rx = int(getattr(sk, "sk_rmem_alloc", 0) or 0)
    state = int(getattr(sk, "sk_state", 7))
    ino = sock_i_ino(sk.host, getattr(sk, "sk_socket", None))
    ref = 2 if getattr(sk, "sk_socket", None) is not None else 1
    return (
        f"{bucket:{width}}: {_hex_be32(src)}:{local_port:04X} {_hex_be32(dst)}:{dport:04X} "
        f"{state:02X} {tx:08X}:{rx:08X} 00:00000000 00000000 {uid:5} {0:8} {ino} {ref} "
        f"{kernel_pointer(sk)} {int(getattr(sk, 'sk_drops', 0))}"
    )


def _hashed(sk: Any) -> bool:
    """On its protocol's port table (the ``hashed`` flag when the family keeps one, else a bound port)."""
    hashed = getattr(sk, "hashed", None)
    if isinstance(hashed, bool):
        return hashed
    return bool(int(getattr(sk, "inet_num", 0) or 0))


def _udp_mask() -> int:
    table = _optional("kernel.net.ipv4.udp", "udp_table")
    return int(getattr(table, "mask", UDP_HTABLE_MASK))


def proc_net_udp(net: Net) -> str:
    """udp4_seq_show: bound UDP sockets by hash slot (port & mask), newest first within a slot."""
    mask = _udp_mask()
    socks = [(sk, uid) for sk, uid in _inet_socks(net, uapi.SOCK_DGRAM, uapi.IPPROTO_UDP) if _hashed(sk)]
    order = {id(sk): i for i, (sk, _) in enumerate(socks)}
    socks.sort(key=lambda p: (int(p[0].inet_num) & mask, -order[id(p[0])]))
    lines = [_pad("   " + _INET_HEADER)]
    for sk, uid in socks:
        num = int(sk.inet_num)
        lines.append(_pad(_inet_line(num & mask, sk, uid, 5, int(getattr(sk, "inet_sport", num) or num))))
    return "".join(lines)


def proc_net_icmp(net: Net) -> str:
    """ping_v4_seq_show: ping sockets (SOCK_DGRAM, IPPROTO_ICMP) with their identifier as the local port."""
    socks = [(sk, uid) for sk, uid in _inet_socks(net, uapi.SOCK_DGRAM, uapi.IPPROTO_ICMP) if _hashed(sk)]
    lines = [_pad("  " + _INET_HEADER)]
    for sk, uid in sorted(socks, key=lambda p: int(p[0].inet_num) & PING_HTABLE_MASK):
        num = int(sk.inet_num)
        lines.append(_pad(_inet_line(num & PING_HTABLE_MASK, sk, uid, 5, num)))
    return "".join(lines)


def proc_net_raw(net: Net) -> str:
    """raw_seq_show: hashed raw sockets by hash slot (protocol & 255); the local port column is the protocol.

    (An AF_UNSPEC disconnect unhashes a raw socket: Linux stops listing it.)"""
    socks = [(sk, uid) for sk, uid in _inet_socks(net, uapi.SOCK_RAW, None) if _hashed(sk)]
    order = {id(sk): i for i, (sk, _) in enumerate(socks)}

    def proto(sk: Any) -> int:
        return int(getattr(sk, "inet_num", 0) or getattr(sk, "sk_protocol", 0) or 0)

    socks.sort(key=lambda p: (proto(p[0]) & (RAW_HTABLE_SIZE - 1), -order[id(p[0])]))
    lines = ["  " + _INET_HEADER + "\n"]
    for sk, uid in socks:
        lines.append(_inet_line(proto(sk) & (RAW_HTABLE_SIZE - 1), sk, uid, 4, proto(sk)) + "\n")
    return "".join(lines)


# --- /proc/net/packet ------------------------------------------------------------

_PACKET_HEADER = f"{'sk':<17}RefCnt Type Proto  Iface R Rmem   User   Inode\n"


def proc_net_packet(net: Net) -> str:
    """packet_seq_show: every AF_PACKET socket of the namespace (the per-namespace sklist)."""
    host = net.host
    for _ in _host_socks(host):  # number the sockets in fd order first
        pass
    socks = list(getattr(getattr(net, "packet", None), "sklist", None) or ())
    lines = [_PACKET_HEADER]
    for sk in socks:
        running = bool(getattr(sk, "running", False))
        sock = getattr(sk, "sk_socket", None)
        ref = (2 if sock is not None else 1) + running  # the file, and the hook while it runs
        owner = getattr(sk, "owner", None)
        uid = _sock_uid(sk, int(getattr(owner, "uid", 0)))
        lines.append(
            f"{kernel_pointer(sk)} {ref:<6} {sk.sk_type:<4} {int(getattr(sk, 'num', 0)) & 0xFFFF:04x}   "
            f"{int(getattr(sk, 'ifindex', 0)):<5} {int(running):1} {int(getattr(sk, 'sk_rmem_alloc', 0)):<6} "
            f"{uid:<6} {sock_i_ino(host, sock):<6}\n"
        )
    return "".join(lines)


# --- /proc/net/unix --------------------------------------------------------------

_UNIX_HEADER = "Num       RefCount Protocol Flags    Type St Inode Path\n"


def _unix_path(addr: bytes | None) -> str:
    if not addr or len(addr) <= 2:
        return ""
    name = addr[2:]
    if name[0] == 0:
        return " @" + name[1:].replace(b"\0", b"@").decode("utf-8", "surrogateescape")
    return " " + name.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def proc_net_unix(net: Net) -> str:
    """unix_seq_show: every AF_UNIX sock of the host."""
    host = net.host
    for _ in _host_socks(host):  # number the sockets in fd order first
        pass
    socks = list(host.net.get("unix_socks", ()))
    holds: dict[int, int] = {}
    for sk in socks:
        peer = getattr(sk, "peer", None)
        if peer is not None:
            holds[id(peer)] = holds.get(id(peer), 0) + 1
    rows = []
    for sk in socks:
        sock = getattr(sk, "sk_socket", None)
        ino = sock_i_ino(host, sock)
        established = sk.sk_state == TCP_ESTABLISHED
        if sock is not None:
            st = SS_CONNECTED if established else SS_UNCONNECTED
        else:
            st = SS_CONNECTING if established else SS_DISCONNECTING
        ref = (2 if sock is not None else 1) + holds.get(id(sk), 0)
        flags = __SO_ACCEPTCON if sk.sk_state == TCP_LISTEN else 0
        rows.append((ino, f"{kernel_pointer(sk)}: {ref:08X} {0:08X} {flags:08X} {sk.sk_type:04X} {st:02X} "
                          f"{ino:5}{_unix_path(getattr(sk, 'addr', None))}\n"))
    rows.sort(key=lambda r: r[0])
    return _UNIX_HEADER + "".join(line for _, line in rows)


# --- /proc/net/tcp ---------------------------------------------------------------

TCP_SEQ_WIDTH = 149  # tcp4_seq_show: seq_setwidth(seq, TMPSZ - 1), TMPSZ 150
_TCP_HEADER = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
               "inode")
_USER_HZ = 100


def _clock_t(seconds: float) -> int:
    """jiffies_to_clock_t at HZ=1000, USER_HZ=100 (negative deltas print 0: jiffies_delta_to_clock_t)."""
    return max(0, int(seconds * 1000) // (1000 // _USER_HZ))


def _tcp_socks(net: Net) -> list[Any]:
    """What tcp4_seq walks: listeners, then the established table (SYN-RECV children, TIME-WAIT minisocks)."""
    info_fn = _optional("kernel.net.ipv4.tcp.tcp_sock", "tcp_hashinfo")
    if info_fn is None:
        return []
    return list(info_fn(net).all_socks())


def _tcp_curr_estab(net: Net) -> int:
    """CurrEstab: connections in ESTABLISHED or CLOSE-WAIT (a gauge Linux keeps in tcp_set_state)."""
    return sum(1 for sk in _tcp_socks(net) if not _is_tw(sk) and getattr(sk, "sk_state", 0) in (1, 8))


def _is_tw(sk: Any) -> bool:
    """A TIME-WAIT minisock (tcp_minisocks.TcpTimewaitSock) rather than a socket."""
    return hasattr(sk, "tw_entry_stamp")


def _tcp_timer(tp: Any, now: float) -> tuple[int, float]:
    """(tr, expires): 1 retransmit/loss-probe/reordering, 4 zero-window probe, 2 keepalive, 0 none."""
    pending = int(getattr(tp, "icsk_pending", 0) or 0)
    when = getattr(tp, "icsk_timeout", None)
    if pending in (1, 5, 6) and when is not None:
        return 1, when
    if pending == 3 and when is not None:
        return 4, when
    ka = getattr(tp, "keepalive_timeout", None)
    if ka is not None:
        return 2, ka
    return 0, now


def _tcp_line(i: int, sk: Any, net: Net) -> str:
    now = net.host.clock.now()
    if _is_tw(sk):  # get_timewait4_sock
        src, sport = int(getattr(sk, "inet_rcv_saddr", 0)), int(getattr(sk, "inet_num", 0))
        dst, dport = int(getattr(sk, "inet_daddr", 0)), int(getattr(sk, "inet_dport", 0))
        expires = float(getattr(sk, "expires", now) or now)
        substate = int(getattr(getattr(sk, "tp", None), "state", 6))
        return (f"{i:4}: {_hex_be32(src)}:{sport:04X} {_hex_be32(dst)}:{dport:04X} "
                f"{substate:02X} {0:08X}:{0:08X} 03:{_clock_t(expires - now):08X} "
                f"{0:08X} {0:5} {0:8} 0 1 {kernel_pointer(sk)}")
    tp = getattr(sk, "tp", None)
    state = int(getattr(sk, "sk_state", 7))
    src = int(getattr(sk, "inet_rcv_saddr", 0) or 0)
    sport = int(getattr(sk, "inet_num", 0) or 0)
    dst = int(getattr(sk, "inet_daddr", 0) or 0)
    dport = int(getattr(sk, "inet_dport", 0) or 0)
    uid = _sock_uid(sk, 0)
    if state == 3 and getattr(sk, "listener", None) is not None and tp is not None:  # get_openreq4
        tr, when = _tcp_timer(tp, now)
        return (f"{i:4}: {_hex_be32(src)}:{sport:04X} {_hex_be32(dst)}:{dport:04X} 03 {0:08X}:{0:08X} "
                f"01:{_clock_t((when or now) - now):08X} {int(getattr(tp, 'icsk_retransmits', 0)):08X} "
                f"{uid:5} {0:8} 0 0 {kernel_pointer(sk)}")
    ino = sock_i_ino(sk.host, getattr(sk, "sk_socket", None))
    if tp is None:
        tx = rx = retrans = probes = 0
        tr, when = 0, now
        rto, ato, quick, cwnd, ssthresh = 1.0, 0.0, 0, 10, -1
    else:
        tx = max(0, (int(tp.write_seq) - int(tp.snd_una)) & 0xFFFFFFFF)
        rx = max(0, ((int(tp.rcv_nxt) - int(tp.copied_seq) + 2**31) & 0xFFFFFFFF) - 2**31)
        retrans, probes = int(tp.icsk_retransmits), int(tp.icsk_probes_out)
        tr, when = _tcp_timer(tp, now)
        rto = float(tp.rto)
        ato = float(tp.ack_ato) if int(getattr(tp, "data_segs_in", 0)) else 0.0
        quick = (int(tp.ack_quick) << 1) | int(int(tp.ack_pingpong) >= 1)
        cwnd = int(tp.snd_cwnd)
        ssthresh = -1 if int(tp.snd_ssthresh) >= 0x7FFFFFFF else int(tp.snd_ssthresh)
    if state == 10:
        rx = int(getattr(sk, "sk_ack_backlog", 0))
        ssthresh = int(getattr(sk, "tcp_fastopen_qlen", 0))
    return (f"{i:4}: {_hex_be32(src)}:{sport:04X} {_hex_be32(dst)}:{dport:04X} {state:02X} "
            f"{tx:08X}:{rx:08X} {tr:02X}:{_clock_t(when - now):08X} {retrans:08X} {uid:5} {probes:8} {ino} 1 "
            f"{kernel_pointer(sk)} {_clock_t(rto)} {_clock_t(ato)} {quick} {cwnd} {ssthresh}")


def proc_net_tcp(net: Net) -> str:
    """tcp4_seq_show: listeners, then connections (request socks and TIME-WAIT in their own formats)."""
    lines = [_TCP_HEADER.ljust(TCP_SEQ_WIDTH) + "\n"]
    for i, sk in enumerate(_tcp_socks(net)):
        lines.append(_tcp_line(i, sk, net).ljust(TCP_SEQ_WIDTH) + "\n")
    return "".join(lines)


# --- /proc/net/sockstat ----------------------------------------------------------

def proc_net_sockstat(net: Net) -> str:
    """sockstat_seq_show: sockets in use, per protocol."""
    host = net.host
    all_socks = [sk for sk, _ in _host_socks(host)]
    unix = set(map(id, host.net.get("unix_socks", ())))
    used = len({id(s) for s in all_socks} | unix)
    udp = [sk for sk, _ in _inet_socks(net, uapi.SOCK_DGRAM, uapi.IPPROTO_UDP) if _hashed(sk)]
    raw = _inet_socks(net, uapi.SOCK_RAW, None)
    udp_mem = sum(int(getattr(sk, "sk_rmem_alloc", 0)) + int(getattr(sk, "sk_wmem_alloc", 0)) for sk in udp)
    frag: Any = getattr(getattr(net, "ipv4", None), "frag_queues", None)
    frag_n = len(frag) if hasattr(frag, "__len__") else 0
    frag_mem = int(getattr(getattr(net, "ipv4", None), "frag_mem", 0) or 0)
    return (
        f"sockets: used {used}\n"
        "TCP: inuse 0 orphan 0 tw 0 alloc 0 mem 0\n"
        f"UDP: inuse {len(udp)} mem {(udp_mem + 4095) // 4096}\n"
        "UDPLITE: inuse 0\n"
        f"RAW: inuse {len(raw)}\n"
        f"FRAG: inuse {frag_n} memory {frag_mem}\n"
    )


# --- the table and the reader -------------------------------------------------------

PROC_NET: dict[str, Callable[[Net], str]] = {
    "snmp": proc_net_snmp,
    "netstat": proc_net_netstat,
    "dev": proc_net_dev,
    "route": proc_net_route,
    "arp": proc_net_arp,
    "udp": proc_net_udp,
    "tcp": proc_net_tcp,
    "raw": proc_net_raw,
    "icmp": proc_net_icmp,
    "unix": proc_net_unix,
    "packet": proc_net_packet,
    "sockstat": proc_net_sockstat,
}


def sysctl_format(value: Any) -> str:
    """A sysctl's value as /proc/sys prints it (vectors tab-separated), with the newline."""
    if isinstance(value, tuple | list):
        return "\t".join(str(v) for v in value) + "\n"
    if isinstance(value, bool):
        return f"{int(value)}\n"
    return f"{value}\n"


def normalize_path(path: str) -> str:
    """'/proc/net/snmp', 'proc/net/snmp', '/proc/self/net/snmp' -> 'net/snmp'."""
    parts = [p for p in path.strip().split("/") if p and p != "."]
    if parts and parts[0] == "proc":
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in ("self", "thread-self"):
        parts = parts[1:]
    return "/".join(parts)


def proc_read(host: Host, path: str) -> str | int:
    """The text of /proc/<path> on ``host``, or -ENOENT (-EISDIR for a directory)."""
    rel = normalize_path(path)
    if rel in ("", "net", "sys"):
        return -uapi.EISDIR
    head, _, rest = rel.partition("/")
    if head == "net" and rest in PROC_NET:
        return PROC_NET[rest](host.netns)
    if head == "sys" and rest:
        name = rest.replace("/", ".")
        if name in host.sysctl:
            return sysctl_format(host.sysctl[name])
        if any(k.startswith(name + ".") for k in host.sysctl):
            return -uapi.EISDIR
    return -uapi.ENOENT


# /proc/sys write handlers' ranges (proc_dointvec_minmax extra1/extra2), by sysctl
_INT_MAX = 2**31 - 1
SYSCTL_RANGES: dict[str, tuple[int, int]] = {
    "net.ipv4.ip_default_ttl": (1, 255),
    "net.ipv4.icmp_echo_ignore_all": (0, 1),
    "net.ipv4.icmp_echo_ignore_broadcasts": (0, 1),
    "net.ipv4.icmp_ratelimit": (0, _INT_MAX),
    "net.ipv4.icmp_msgs_per_sec": (0, _INT_MAX),
    "net.ipv4.icmp_msgs_burst": (0, _INT_MAX),
    "net.ipv4.ip_unprivileged_port_start": (0, 65535),
    "net.core.somaxconn": (0, _INT_MAX),
    "net.core.rmem_max": (2304, _INT_MAX),  # SOCK_MIN_RCVBUF
    "net.core.rmem_default": (2304, _INT_MAX),
    "net.core.wmem_max": (4608, _INT_MAX),  # SOCK_MIN_SNDBUF
    "net.core.wmem_default": (4608, _INT_MAX),
    "net.ipv4.udp_rmem_min": (4096, _INT_MAX),  # PAGE_SIZE
    "net.ipv4.udp_wmem_min": (4096, _INT_MAX),
    "net.unix.max_dgram_qlen": (-2**31, _INT_MAX),
}


def sysctl_name(name: str) -> str:
    """'net/ipv4/ip_forward', '/proc/sys/net/ipv4/ip_forward' or 'net.ipv4.ip_forward' -> the dotted name."""
    rel = normalize_path(name)
    if rel.startswith("sys/"):
        rel = rel[4:]
    return rel.replace("/", ".")


def proc_sys_write(host: Host, name: str, text: str) -> int:
    """A write of ``text`` to /proc/sys/<name>: 0 or -errno, as the sysctl's handler checks it.

    Integers as proc_dointvec parses them (blanks around, a sign; anything else -EINVAL); a
    vector takes as many values as given (the rest stay); ranges of proc_dointvec_minmax;
    ip_local_port_range must be ordered and not below ip_unprivileged_port_start (and that
    one not above the range's start); an inverted ping_group_range becomes "1 0"
    (nobody), as ipv4_ping_group_range does."""
    key = sysctl_name(name)
    if key not in host.sysctl:
        return -uapi.ENOENT
    old = host.sysctl[key]
    words = text.split()
    if not words:
        return 0  # an empty write changes nothing
    try:
        values = [int(w, 10) for w in words]
    except ValueError:
        return -uapi.EINVAL
    if any(not -2**31 <= v <= 2**31 - 1 for v in values):
        return -uapi.EINVAL
    if isinstance(old, tuple | list):
        new = list(old)
        for i, v in enumerate(values[:len(new)]):
            new[i] = v
        if key == "net.ipv4.ip_local_port_range":
            if any(not 1 <= v <= 65535 for v in new) or new[1] < new[0] \
                    or new[0] < int(host.sysctl.get("net.ipv4.ip_unprivileged_port_start", 1024)):
                return -uapi.EINVAL
        elif key == "net.ipv4.ping_group_range":
            if any(v < 0 for v in new):
                return -uapi.EINVAL
            if new[1] < new[0]:
                new = [1, 0]
        host.sysctl[key] = type(old)(new)
        return 0
    if isinstance(old, str):
        host.sysctl[key] = text.strip()
        return 0
    value = values[0]
    low, high = SYSCTL_RANGES.get(key, (-2**31, 2**31 - 1))
    if not low <= value <= high:
        return -uapi.EINVAL
    if key == "net.ipv4.ip_unprivileged_port_start":
        port_range = host.sysctl.get("net.ipv4.ip_local_port_range", (32768, 60999))
        if value > port_range[0]:
            return -uapi.EINVAL
    host.sysctl[key] = value
    return 0


def proc_list(host: Host) -> list[str]:
    """The readable paths (net/* files and sys/* sysctls)."""
    return [f"net/{n}" for n in PROC_NET] + ["sys/" + k.replace(".", "/") for k in sorted(host.sysctl)]
