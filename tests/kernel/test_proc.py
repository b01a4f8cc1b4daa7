"""kernel/net/proc.py: /proc/net renderers in Linux's exact formats, on a ManualClock host.

The expected texts are what Linux 6.x prints in a fresh network namespace
(`ip netns add x; ip netns exec x cat /proc/net/...` after `ip link set lo up`).
"""
from __future__ import annotations

import re
from typing import Any

from kernel import uapi
from kernel.net import proc

FRESH_SNMP = (
    "Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards "
    "InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails "
    "FragCreates OutTransmits\n"
    "Ip: 2 64 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    "Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos "
    "InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal "
    "OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps "
    "OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps\n"
    "Icmp: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs "
    "OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
    "Tcp: 1 200 120000 -1 0 0 0 0 0 0 0 0 0 0 0\n"
    "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n"
    "Udp: 0 0 0 0 0 0 0 0 0\n"
    "UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti "
    "MemErrors\n"
    "UdpLite: 0 0 0 0 0 0 0 0 0\n"
)
DEV_HEADER = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier "
    "compressed\n"
)
ROUTE_HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT" + " " * 55 + "\n"
UDP_HEADER = ("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref "
              "pointer drops" + " " * 12 + "\n")
RAW_HEADER = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref "
              "pointer drops\n")


def test_snmp_of_a_fresh_namespace_is_linuxs(rig: Any) -> None:
    assert proc.proc_read(rig.host, "net/snmp") == FRESH_SNMP
    assert proc.proc_read(rig.host, "/proc/net/snmp") == FRESH_SNMP
    assert proc.proc_read(rig.host, "/proc/self/net/snmp") == FRESH_SNMP


def test_snmp_forwarding_ttl_and_counters(rig: Any) -> None:
    net = rig.host.netns
    rig.host.sysctl["net.ipv4.ip_forward"] = 1
    rig.host.sysctl["net.ipv4.ip_default_ttl"] = 99
    net.snmp_inc("Ip", "InReceives", 5)
    net.snmp_inc("Udp", "NoPorts")
    net.snmp_inc("Tcp", "CurrEstab", 2)
    lines = proc.proc_net_snmp(net).splitlines()
    assert lines[1] == "Ip: 1 99 5 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"
    assert lines[-3] == "Udp: 0 1 0 0 0 0 0 0 0"
    assert lines[5] == "Tcp: 1 200 120000 -1 0 0 0 0 2 0 0 0 0 0 0"


def test_icmp_type_columns_come_from_icmpmsg(rig: Any) -> None:
    net = rig.host.netns
    net.mib["Icmp"]["InMsgs"] = 3
    net.mib["Icmp"]["OutMsgs"] = 2
    net.mib["IcmpMsg"].update({"InType3": 2, "InType8": 1, "OutType0": 1, "OutType3": 1})
    lines = proc.proc_net_snmp(net).splitlines()
    icmp = dict(zip(lines[2].split()[1:], map(int, lines[3].split()[1:])))
    assert icmp["InDestUnreachs"] == 2 and icmp["InEchos"] == 1 and icmp["OutEchoReps"] == 1
    assert icmp["OutDestUnreachs"] == 1 and icmp["InMsgs"] == 3
    assert lines[4] == "IcmpMsg: InType3 InType8 OutType0 OutType3"
    assert lines[5] == "IcmpMsg: 2 1 1 1"
    assert lines[6].startswith("Tcp: RtoAlgorithm")


def test_icmpmsg_wraps_at_sixteen_types(rig: Any) -> None:
    net = rig.host.netns
    net.mib["IcmpMsg"].update({f"InType{t}": 1 for t in range(20)})
    lines = proc.proc_net_snmp(net).splitlines()
    msg = [line for line in lines if line.startswith("IcmpMsg:")]
    assert len(msg) == 4
    assert msg[0].split()[1:] == [f"InType{t}" for t in range(16)]
    assert msg[2].split()[1:] == [f"InType{t}" for t in range(16, 20)]


def test_dev_lists_lo_with_its_counters(rig: Any) -> None:
    lo = rig.host.netns.dev_name_head["lo"]
    lo.stats.rx_packets, lo.stats.rx_bytes, lo.stats.tx_packets, lo.stats.tx_bytes = 3, 300, 4, 1234567890
    text = proc.proc_read(rig.host, "net/dev")
    assert isinstance(text, str) and text.startswith(DEV_HEADER)
    assert text[len(DEV_HEADER):] == (
        "    lo:     300       3    0    0    0     0          0         0 1234567890       4    0    0    0     0"
        "       0          0\n"
    )


def test_route_and_arp_headers(rig: Any) -> None:
    route = proc.proc_read(rig.host, "net/route")
    assert isinstance(route, str) and route.startswith(ROUTE_HEADER)
    assert all(len(line) == 127 for line in route.splitlines())
    arp = proc.proc_read(rig.host, "net/arp")
    assert isinstance(arp, str)
    assert arp.splitlines()[0] == "IP address       HW type     Flags       HW address            Mask     Device"


def test_udp_raw_icmp_headers(rig: Any) -> None:
    assert proc.proc_read(rig.host, "net/udp") == UDP_HEADER
    assert proc.proc_read(rig.host, "net/raw") == RAW_HEADER
    assert proc.proc_read(rig.host, "net/icmp") == "  " + UDP_HEADER[3:-1] + " \n"


def test_route_flags_and_hex() -> None:
    assert proc.fib_flag_trans(proc.RTN_UNICAST, 24, 0) == proc.RTF_UP
    assert proc.fib_flag_trans(proc.RTN_UNICAST, 0, 0x0A0000FE) == proc.RTF_UP | proc.RTF_GATEWAY
    assert proc.fib_flag_trans(proc.RTN_UNICAST, 32, 0) == proc.RTF_UP | proc.RTF_HOST
    assert proc.fib_flag_trans(proc.RTN_UNREACHABLE, 8, 0) == proc.RTF_UP | proc.RTF_REJECT
    assert proc._hex_be32(0xC0000200) == "000200C0"  # 192.0.2.0 as /proc/net/route prints it
    assert proc._hex_be32(0x7F000001) == "0100007F"


async def test_unix_sockets(rig: Any) -> None:
    await rig.listener("/tmp/admx.sock", backlog=5)
    d = await rig.socket(uapi.SOCK_DGRAM)
    await rig.ok("bind", fd=d, addr=rig.sun(b"\0ab\0c"))
    await rig.pair()
    text = proc.proc_read(rig.host, "net/unix")
    assert isinstance(text, str)
    lines = text.splitlines()
    assert lines[0] == "Num       RefCount Protocol Flags    Type St Inode Path"
    row = re.compile(r"^[0-9a-f]{16}: ([0-9A-F]{8}) 00000000 ([0-9A-F]{8}) ([0-9A-F]{4}) ([0-9A-F]{2}) +(\d+)(?: (.*))?$")
    rows = [row.match(line) for line in lines[1:]]
    assert all(rows), lines
    got = [(m.group(1), m.group(2), m.group(3), m.group(4), m.group(6)) for m in rows if m]
    assert got == [
        ("00000002", "00010000", "0001", "01", "/tmp/admx.sock"),
        ("00000002", "00000000", "0002", "01", "@ab@c"),
        ("00000003", "00000000", "0001", "03", None),
        ("00000003", "00000000", "0001", "03", None),
    ]
    inodes = [int(m.group(5)) for m in rows if m]
    assert len(set(inodes)) == 4 and all(inodes)
    assert proc.proc_read(rig.host, "net/unix") == text  # stable inode numbers and pointers
    sockstat = proc.proc_read(rig.host, "net/sockstat")
    assert isinstance(sockstat, str) and sockstat.startswith("sockets: used 4\n")


def test_sysctl_paths_and_errors(rig: Any) -> None:
    assert proc.proc_read(rig.host, "sys/net/ipv4/ip_local_port_range") == "32768\t60999\n"
    assert proc.proc_read(rig.host, "/proc/sys/net/ipv4/ip_default_ttl") == "64\n"
    assert proc.proc_read(rig.host, "sys/net/ipv4") == -uapi.EISDIR
    assert proc.proc_read(rig.host, "net") == -uapi.EISDIR
    assert proc.proc_read(rig.host, "net/nope") == -uapi.ENOENT
    assert proc.proc_read(rig.host, "sys/net/nope") == -uapi.ENOENT
    assert "net/snmp" in proc.proc_list(rig.host)
