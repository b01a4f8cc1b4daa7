"""kernel/net/proc.py: /proc/net renderers in Linux's exact formats, on a ManualClock host.

The expected texts are what Linux 6.x prints in a fresh network namespace
(`ip netns add x; ip netns exec x cat /proc/net/...` after `ip link set lo up`).
"""
from __future__ import annotations

import re
import struct
from typing import Any

import pytest

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


# --- with the IPv4 stack: packets move the counters, sockets and routes show -------------------

def sin(addr: str, port: int) -> bytes:
    """struct sockaddr_in."""
    return struct.pack("<H", uapi.AF_INET) + struct.pack("!H", port) + bytes(int(b) for b in addr.split(".")) + bytes(8)


async def test_udp_traffic_moves_snmp_dev_and_udp_lines(rig: Any) -> None:
    srv = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=0)
    await rig.ok("bind", fd=srv, addr=sin("127.0.0.1", 5353))
    cli = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=0)
    await rig.ok("connect", fd=cli, addr=sin("127.0.0.1", 5353))
    assert await rig.ok("sendto", fd=cli, data=b"x" * 10, flags=0, addr=b"") == 10
    net = rig.host.netns
    udp = proc.proc_read(rig.host, "net/udp")
    assert isinstance(udp, str) and udp.startswith(UDP_HEADER)
    lines = udp.splitlines()[1:]
    assert all(len(line) == 127 for line in lines)
    line = re.compile(r"^ *(\d+): ([0-9A-F]{8}):([0-9A-F]{4}) ([0-9A-F]{8}):([0-9A-F]{4}) ([0-9A-F]{2}) "
                      r"([0-9A-F]{8}):([0-9A-F]{8}) 00:00000000 00000000 +(\d+) +0 (\d+) 2 [0-9a-f]{16} (\d+) *$")
    rows = [line.match(text) for text in lines]
    assert all(rows), lines
    by_port = {int(m.group(3), 16): m for m in rows if m}
    bound = by_port[5353]
    assert (bound.group(1), bound.group(2), bound.group(4), bound.group(5), bound.group(6)) == (
        "5353", "0100007F", "00000000", "0000", "07")
    assert int(bound.group(8), 16) > 0  # the datagram is charged to its receive queue
    sport = [p for p in by_port if p != 5353][0]
    conn = by_port[sport]
    assert (conn.group(4), conn.group(5), conn.group(6)) == ("0100007F", "14E9", "01")
    snmp = proc.proc_net_snmp(net).splitlines()
    ip = dict(zip(snmp[0].split()[1:], map(int, snmp[1].split()[1:])))
    assert (ip["InReceives"], ip["InDelivers"], ip["OutRequests"]) == (1, 1, 1)
    udp_mib = dict(zip(snmp[-4].split()[1:], map(int, snmp[-3].split()[1:])))
    assert udp_mib["OutDatagrams"] == 1
    assert await rig.ok("recvfrom", fd=srv, size=100, flags=0) == 10
    snmp = proc.proc_net_snmp(net).splitlines()
    assert dict(zip(snmp[-4].split()[1:], map(int, snmp[-3].split()[1:])))["InDatagrams"] == 1
    dev = proc.proc_read(rig.host, "net/dev")
    assert isinstance(dev, str)
    assert dev.splitlines()[2].split()[:3] == ["lo:", "52", "1"]  # 14 + 20 + 8 + 10 bytes
    assert proc.proc_read(rig.host, "net/sockstat") == (
        "sockets: used 2\nTCP: inuse 0 orphan 0 tw 0 alloc 0 mem 0\nUDP: inuse 2 mem 0\nUDPLITE: inuse 0\n"
        "RAW: inuse 0\nFRAG: inuse 0 memory 0\n")


async def test_port_unreachable_counts_icmp(rig: Any) -> None:
    cli = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_DGRAM, protocol=0)
    await rig.ok("sendto", fd=cli, data=b"x", flags=0, addr=sin("127.0.0.1", 9))
    lines = proc.proc_net_snmp(rig.host.netns).splitlines()
    icmp = dict(zip(lines[2].split()[1:], map(int, lines[3].split()[1:])))
    assert (icmp["InMsgs"], icmp["InDestUnreachs"], icmp["OutMsgs"], icmp["OutDestUnreachs"]) == (1, 1, 1, 1)
    assert lines[4:6] == ["IcmpMsg: InType3 OutType3", "IcmpMsg: 1 1"]
    udp = dict(zip(lines[-4].split()[1:], map(int, lines[-3].split()[1:])))
    assert udp["NoPorts"] == 1


def test_route_and_arp_of_a_veth(rig: Any) -> None:
    from kernel.drivers.net.veth import veth_pair
    from kernel.net.core.neighbour import neigh_add
    from kernel.net.ipv4.devinet import inet_insert_ifa
    from kernel.net.ipv4.fib import fib_add_route

    net = rig.host.netns
    a, _ = veth_pair(net, "v0", net, "v1")
    assert inet_insert_ifa(net, a, 0x0A000001, 24) == 0
    assert fib_add_route(net, 0, 0, 0x0A0000FE, None, 100) == 0
    assert fib_add_route(net, 0xC0A80000, 16, 0x0A000002, None, 0) == 0
    assert fib_add_route(net, 0x0A090909, 32, 0, a, 0) == 0
    route = proc.proc_read(rig.host, "net/route")
    assert isinstance(route, str)
    rows = [line.rstrip(" ") for line in route.splitlines()[1:]]
    assert rows == [  # as Linux prints them (`ip route add default via 10.0.0.254 metric 100` ...)
        "v0\t00000000\tFE00000A\t0003\t0\t0\t100\t00000000\t0\t0\t0",
        "v0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
        "v0\t0909090A\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0",
        "v0\t0000A8C0\t0200000A\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0",
    ]
    assert neigh_add(net.ipv4.arp_tbl, a, 0x0A000007, bytes.fromhex("020000000007")) == 0
    arp = proc.proc_read(rig.host, "net/arp")
    assert arp == ("IP address       HW type     Flags       HW address            Mask     Device\n"
                   "10.0.0.7         0x1         0x6         02:00:00:00:00:07     *        v0\n")


def test_netstat_of_a_fresh_namespace(rig: Any) -> None:
    text = proc.proc_read(rig.host, "net/netstat")
    assert isinstance(text, str)
    lines = text.splitlines()
    assert [line.split(":")[0] for line in lines] == ["TcpExt", "TcpExt", "IpExt", "IpExt", "MPTcpExt", "MPTcpExt"]
    assert [len(line.split()) for line in lines] == [136, 136, 19, 19, 77, 77]
    assert lines[2].startswith("IpExt: InNoRoutes InTruncatedPkts InMcastPkts")


async def test_packet_sockets(rig: Any) -> None:
    fd = (await rig.call("socket", family=uapi.AF_PACKET, type=uapi.SOCK_RAW, protocol=0x0300)).ret  # htons(ETH_P_ALL)
    if fd < 0:
        pytest.skip("AF_PACKET is not registered yet")
    dgram = await rig.ok("socket", family=uapi.AF_PACKET, type=uapi.SOCK_DGRAM, protocol=0)  # not running
    text = proc.proc_read(rig.host, "net/packet")
    assert isinstance(text, str)
    lines = text.splitlines()
    assert lines[0] == "sk               RefCnt Type Proto  Iface R Rmem   User   Inode"
    row = re.compile(r"^[0-9a-f]{16} (\d) +(\d) +([0-9a-f]{4})   (\d+) +([01]) (\d+) +(\d+) +(\d+) *$")
    rows = [row.match(line) for line in lines[1:]]
    assert all(rows), lines
    got = [(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)) for m in rows if m]
    assert got == [("3", "3", "0003", "0", "1"), ("2", "2", "0000", "0", "0")]  # as Linux 6.18 shows them
    assert dgram > fd


async def test_raw_sockets_listed_while_hashed(rig: Any) -> None:
    """/proc/net/raw lists a raw socket by protocol; an AF_UNSPEC disconnect unhashes it (Linux stops listing it)."""
    fd = await rig.ok("socket", family=uapi.AF_INET, type=uapi.SOCK_RAW, protocol=253)
    rows = proc.proc_read(rig.host, "net/raw").splitlines()[1:]
    assert len(rows) == 1 and rows[0].split()[1] == "00000000:00FD"
    assert await rig.ok("connect", fd=fd, addr=struct.pack("=H", uapi.AF_UNSPEC) + bytes(14)) == 0
    assert proc.proc_read(rig.host, "net/raw") == RAW_HEADER
