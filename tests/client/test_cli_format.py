"""client/cli.py's formatting, against texts captured from Linux's own tools (iproute2 6.x, ss, procps).

No daemon: the renderers get hand-built Host service messages.
"""
from __future__ import annotations

from client import cli
from client._gen.socketlab.v1 import host_pb2 as hp

UP, BROADCAST, LOOPBACK, RUNNING, NOARP, MULTICAST, LOWER_UP = 0x1, 0x2, 0x8, 0x40, 0x80, 0x1000, 0x10000


def _link(**kw: object) -> hp.Link:
    base: dict[str, object] = dict(link_type=1, tx_queue_len=1000, qdisc="noqueue", address=bytes.fromhex(
        "6a75517bdfbe"), broadcast=b"\xff" * 6, mtu=1500)
    base.update(kw)
    return hp.Link(**base)  # type: ignore[arg-type]


def test_link_lines_like_ip_link() -> None:
    lo = _link(ifindex=1, name="lo", link_type=772, flags=UP | LOOPBACK | RUNNING | LOWER_UP, mtu=65536,
               operstate="UNKNOWN", address=bytes(6), broadcast=bytes(6), carrier=True)
    assert cli.link_header(lo, {}, True) == (
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000")
    assert cli.link_layer(lo) == "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"
    v1 = _link(ifindex=2, name="v1", peer_name="v0", flags=BROADCAST | MULTICAST, operstate="DOWN", qdisc="noop")
    v0 = _link(ifindex=3, name="v0", peer_name="v1", flags=BROADCAST | MULTICAST | UP, operstate="LOWERLAYERDOWN",
               address=bytes.fromhex("166f38278428"))
    links = {"v0": v0, "v1": v1}
    assert cli.link_header(v1, links, True) == (
        "2: v1@v0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000")
    assert cli.link_header(v0, links, False) == (
        "3: v0@v1: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state LOWERLAYERDOWN "
        "group default qlen 1000")
    assert cli.link_layer(v0) == "    link/ether 16:6f:38:27:84:28 brd ff:ff:ff:ff:ff:ff"
    dummy = _link(flags=BROADCAST | NOARP | UP | RUNNING | LOWER_UP)
    assert cli.link_flags(dummy) == "<BROADCAST,NOARP,UP,LOWER_UP>"


def test_link_stats_like_ip_s_link() -> None:
    lo = _link(name="lo")
    assert cli.link_stats(lo) == [
        "    RX:  bytes packets errors dropped  missed   mcast           ",
        "             0       0      0       0       0       0 ",
        "    TX:  bytes packets errors dropped carrier collsns           ",
        "             0       0      0       0       0       0 ",
    ]
    busy = _link(stats=hp.LinkStats(rx_bytes=10795193102, rx_packets=16302393, tx_bytes=10795193102,
                                    tx_packets=16302393))
    assert cli.link_stats(busy) == [
        "    RX:   bytes  packets errors dropped  missed   mcast           ",
        "    10795193102 16302393      0       0       0       0 ",
        "    TX:   bytes  packets errors dropped carrier collsns           ",
        "    10795193102 16302393      0       0       0       0 ",
    ]


def test_address_lines_like_ip_addr() -> None:
    a = hp.Address(link="v0", local="10.1.0.1", prefix_length=24, scope=0, label="v0")
    assert cli.addr_line(a) == ["    inet 10.1.0.1/24 scope global v0",
                                "       valid_lft forever preferred_lft forever"]
    b = hp.Address(link="v0", local="10.1.1.1", prefix_length=24, broadcast="10.1.1.255", label="v0")
    assert cli.addr_line(b)[0] == "    inet 10.1.1.1/24 brd 10.1.1.255 scope global v0"
    c = hp.Address(link="v0", local="10.1.0.5", prefix_length=24, flags=1, label="v0:1")
    assert cli.addr_line(c)[0] == "    inet 10.1.0.5/24 scope global secondary v0:1"
    lo = hp.Address(link="lo", local="127.0.0.1", prefix_length=8, scope=254, label="lo")
    assert cli.addr_line(lo)[0] == "    inet 127.0.0.1/8 scope host lo"
    p2p = hp.Address(link="d0", local="10.0.0.1", peer="10.0.0.2", prefix_length=32, label="d0")
    assert cli.addr_line(p2p)[0] == "    inet 10.0.0.1 peer 10.0.0.2/32 scope global d0"


def test_route_lines_like_ip_route() -> None:
    up = _link(name="v0", flags=UP | RUNNING, carrier=True)
    down = _link(name="v1", flags=UP, carrier=False)
    links = {"v0": up, "v1": down}
    r = hp.Route
    assert cli.route_line(r(destination="0.0.0.0", prefix_length=0, gateway="10.0.0.254", link="v0", metric=100,
                            table=254, type=1, protocol=3), links) == "default via 10.0.0.254 dev v0 metric 100 "
    assert cli.route_line(r(destination="10.0.0.0", prefix_length=24, link="v0", table=254, type=1, protocol=2,
                            scope=253, preferred_source="10.0.0.1"), links) == \
        "10.0.0.0/24 dev v0 proto kernel scope link src 10.0.0.1 "
    assert cli.route_line(r(destination="10.1.0.0", prefix_length=24, link="v1", table=254, type=1, protocol=2,
                            scope=253, preferred_source="10.1.0.1"), links) == \
        "10.1.0.0/24 dev v1 proto kernel scope link src 10.1.0.1 linkdown "
    assert cli.route_line(r(destination="10.1.0.1", prefix_length=32, link="v1", table=255, type=2, protocol=2,
                            scope=254, preferred_source="10.1.0.1"), links) == \
        "local 10.1.0.1 dev v1 table local proto kernel scope host src 10.1.0.1 "
    assert cli.route_line(r(destination="192.168.0.0", prefix_length=16, gateway="10.0.0.2", link="v0", table=254,
                            type=1, protocol=3), links) == "192.168.0.0/16 via 10.0.0.2 dev v0 "
    assert cli.route_line(r(destination="10.5.0.0", prefix_length=16, table=254, type=7, protocol=3), links) == \
        "unreachable 10.5.0.0/16 "
    assert cli.route_line(r(destination="10.6.0.0", prefix_length=16, table=254, type=6, protocol=3, metric=5),
                          links) == "blackhole 10.6.0.0/16 metric 5 "
    assert cli.route_line(r(destination="10.7.0.1", prefix_length=32, link="v0", table=254, type=1, protocol=3,
                            scope=253), links) == "10.7.0.1 dev v0 scope link "


def test_neighbour_lines_like_ip_neigh() -> None:
    mac = bytes.fromhex("020000000007")
    n = hp.Neighbour
    assert cli.neigh_line(n(address="10.0.0.7", link="v0", lladdr=mac, state=0x80)) == \
        "10.0.0.7 dev v0 lladdr 02:00:00:00:00:07 PERMANENT "
    assert cli.neigh_line(n(address="10.0.0.99", link="v0", state=0x20)) == "10.0.0.99 dev v0 FAILED "
    assert cli.neigh_line(n(address="10.0.0.98", link="v0", lladdr=bytes(6), state=0x01)) == \
        "10.0.0.98 dev v0 INCOMPLETE "
    assert cli.neigh_line(n(address="10.0.0.2", link="v0", lladdr=mac, state=0x02, flags=0x80)) == \
        "10.0.0.2 dev v0 lladdr 02:00:00:00:00:07 router REACHABLE "


def test_ss_columns_like_ss() -> None:
    udp = [cli.SockRow("udp", "ESTAB", 0, 0, "10.0.0.2", "46602", "10.0.0.2", "53"),
           cli.SockRow("udp", "UNCONN", 0, 0, "0.0.0.0", "48111", "0.0.0.0", "*"),
           cli.SockRow("udp", "UNCONN", 832, 0, "10.0.0.1", "5353", "0.0.0.0", "*")]
    assert cli.ss_table(udp, False) == [
        "State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess",
        "ESTAB  0      0           10.0.0.2:46602     10.0.0.2:53         ",
        "UNCONN 0      0            0.0.0.0:48111      0.0.0.0:*          ",
        "UNCONN 832    0           10.0.0.1:5353       0.0.0.0:*          ",
    ]
    unix = [cli.SockRow("u_str", "ESTAB", 0, 0, "*", "1111129", "*", "1111128"),
            cli.SockRow("u_str", "LISTEN", 0, 128, "/tmp/admx.sock", "1111126", "*", "0"),
            cli.SockRow("u_dgr", "UNCONN", 0, 0, "@abs", "1111127", "*", "0")]
    assert cli.ss_table(unix, True) == [
        "Netid State  Recv-Q Send-Q  Local Address:Port    Peer Address:Port   Process",
        "u_str ESTAB  0      0                   * 1111129            * 1111128       ",
        "u_str LISTEN 0      128    /tmp/admx.sock 1111126            * 0             ",
        "u_dgr UNCONN 0      0                @abs 1111127            * 0             ",
    ]
    assert cli.ss_table([], False) == ["State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess"]


def test_ss_parses_proc_files() -> None:
    udp = (
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref "
        "pointer drops            \n"
        " 7998: 0200000A:B60A 0200000A:0035 01 00000000:00000000 00:00000000 00000000     0        0 1111123 2 "
        "00000000c506a831 0       \n"
        "15901: 0100000A:14E9 00000000:0000 07 00000000:00000340 00:00000000 00000000     0        0 1111122 2 "
        "0000000038ea569e 0       \n")
    rows = list(cli.inet_rows(udp, "udp", "udp", True))
    assert [(r.state, r.recv_q, r.local, r.local_port, r.peer, r.peer_port) for r in rows] == [
        ("ESTAB", 0, "10.0.0.2", "46602", "10.0.0.2", "53"), ("UNCONN", 832, "10.0.0.1", "5353", "0.0.0.0", "*")]
    unix = ("Num       RefCount Protocol Flags    Type St Inode Path\n"
            "000000006fecea15: 00000002 00000000 00010000 0001 01 1111126 /tmp/admx.sock\n"
            "00000000e649c5ae: 00000003 00000000 00000000 0001 03 1111129\n"
            "00000000e90b922e: 00000002 00000000 00000000 0002 01 1111127 @abs\n")
    assert [(r.netid, r.state, r.local, r.local_port) for r in cli.unix_rows(unix)] == [
        ("u_str", "LISTEN", "/tmp/admx.sock", "1111126"), ("u_str", "ESTAB", "*", "1111129"),
        ("u_dgr", "UNCONN", "@abs", "1111127")]
