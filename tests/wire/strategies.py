"""Hypothesis strategies for the wire codecs' Reprs (every value they draw can be emitted)."""
from __future__ import annotations

from hypothesis import strategies as st

from kernel.net.wire.arp import ArpRepr
from kernel.net.wire.ethernet import EthernetRepr
from kernel.net.wire.icmp import (
    ICMP_DEST_UNREACH,
    ICMP_ECHO,
    ICMP_ECHOREPLY,
    ICMP_FRAG_NEEDED,
    ICMP_PARAMETERPROB,
    ICMP_REDIRECT,
    ICMP_SOURCE_QUENCH,
    ICMP_TIME_EXCEEDED,
    IcmpRepr,
)
from kernel.net.wire.ipv4 import (
    IPOPT_TS_PRESPEC,
    IPOPT_TS_TSANDADDR,
    IPOPT_TS_TSONLY,
    Ipv4Option,
    Ipv4OptNop,
    Ipv4OptRecordRoute,
    Ipv4OptRouterAlert,
    Ipv4OptSourceRoute,
    Ipv4OptTimestamp,
    Ipv4OptUnknown,
    Ipv4Repr,
    ipv4_options_len,
)
from kernel.net.wire.tcp import (
    TcpOption,
    TcpOptMss,
    TcpOptNop,
    TcpOptSack,
    TcpOptSackPermitted,
    TcpOptTimestamp,
    TcpOptUnknown,
    TcpOptWindowScale,
    TcpRepr,
    tcp_options_len,
)
from kernel.net.wire.udp import UdpRepr

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
addr = u32
mac = st.binary(min_size=6, max_size=6)
payloads = st.binary(max_size=64)


def ethernet_reprs() -> st.SearchStrategy[EthernetRepr]:
    return st.builds(EthernetRepr, mac, mac, st.integers(0x0600, 0xFFFF))


def arp_reprs() -> st.SearchStrategy[ArpRepr]:
    return st.builds(ArpRepr, st.sampled_from([1, 2]), mac, addr, mac, addr)


@st.composite
def _route(draw: st.DrawFn, strict: bool | None) -> Ipv4Option:
    n = draw(st.integers(1, 9))
    # pointer: the start of a slot (4, 8, ...) or past the end (full)
    pointer = draw(st.sampled_from([4 + 4 * k for k in range(n + 1)]))
    addrs = tuple(draw(st.lists(addr, min_size=n, max_size=n)))
    if strict is None:
        return Ipv4OptRecordRoute(pointer, addrs)
    return Ipv4OptSourceRoute(strict, pointer, addrs)


@st.composite
def _timestamp(draw: st.DrawFn) -> Ipv4Option:
    flag = draw(st.sampled_from([IPOPT_TS_TSONLY, IPOPT_TS_TSANDADDR, IPOPT_TS_PRESPEC]))
    entry = 4 if flag == IPOPT_TS_TSONLY else 8
    n = draw(st.integers(1, 36 // entry))
    pointer = draw(st.sampled_from([5 + entry * k for k in range(n + 1)]))
    data = draw(st.binary(min_size=n * entry, max_size=n * entry))
    full = pointer > 4 + len(data)
    return Ipv4OptTimestamp(pointer, draw(st.integers(0, 14 if full else 15)), flag, data)


ipv4_option = st.one_of(
    st.just(Ipv4OptNop()),
    _route(None),
    st.booleans().flatmap(_route),
    _timestamp(),
    st.builds(Ipv4OptRouterAlert, u16),
    # opaque types whose option number scapy has no class for either (RFC 4727 experiments among them)
    st.builds(Ipv4OptUnknown, st.sampled_from([5, 25, 30, 94, 133, 158, 222]), st.binary(max_size=6)),
)


@st.composite
def ipv4_options(draw: st.DrawFn) -> tuple[Ipv4Option, ...]:
    opts: list[Ipv4Option] = []
    for o in draw(st.lists(ipv4_option, max_size=5)):
        if ipv4_options_len((*opts, o)) <= 40:
            opts.append(o)
    return tuple(opts)


@st.composite
def ipv4_reprs(draw: st.DrawFn, protocol: int | None = None, payload_len: int | None = None) -> Ipv4Repr:
    return Ipv4Repr(
        src=draw(addr), dst=draw(addr),
        protocol=draw(u8) if protocol is None else protocol,
        payload_len=draw(st.integers(0, 64)) if payload_len is None else payload_len,
        ttl=draw(u8), tos=draw(u8), ident=draw(u16),
        dont_frag=draw(st.booleans()), more_frags=draw(st.booleans()),
        frag_offset=8 * draw(st.integers(0, 0x1FFF)),
        options=draw(ipv4_options()),
    )


@st.composite
def quoted_datagrams(draw: st.DrawFn) -> bytes:
    """An IPv4 header (any options) + 8 bytes, as an ICMP error quotes it."""
    r = draw(ipv4_reprs(payload_len=8))
    return r.to_bytes(draw(st.binary(min_size=8, max_size=8)))


@st.composite
def icmp_reprs(draw: st.DrawFn) -> IcmpRepr:
    kind = draw(st.sampled_from(["echo", "reply", "unreach", "frag", "quench", "redirect", "exceeded", "param"]))
    if kind in ("echo", "reply"):
        make = IcmpRepr.echo_request if kind == "echo" else IcmpRepr.echo_reply
        return make(draw(u16), draw(u16), draw(payloads))
    q = draw(quoted_datagrams())
    if kind == "unreach":
        return IcmpRepr.dest_unreachable(draw(st.integers(0, 15).filter(lambda c: c != ICMP_FRAG_NEEDED)), q)
    if kind == "frag":
        return IcmpRepr.dest_unreachable(ICMP_FRAG_NEEDED, q, draw(st.integers(68, 0xFFFF)))
    if kind == "quench":
        return IcmpRepr.source_quench(q)
    if kind == "redirect":
        return IcmpRepr.redirect(draw(st.integers(0, 3)), draw(addr), q)
    if kind == "exceeded":
        return IcmpRepr.time_exceeded(draw(st.integers(0, 1)), q)
    return IcmpRepr.parameter_problem(draw(u8), q)


ICMP_TYPES = (ICMP_ECHO, ICMP_ECHOREPLY, ICMP_DEST_UNREACH, ICMP_SOURCE_QUENCH, ICMP_REDIRECT,
              ICMP_TIME_EXCEEDED, ICMP_PARAMETERPROB)


def udp_reprs() -> st.SearchStrategy[UdpRepr]:
    return st.builds(UdpRepr, u16, u16)


tcp_option = st.one_of(
    st.just(TcpOptNop()),
    st.builds(TcpOptMss, u16),
    st.builds(TcpOptWindowScale, st.integers(0, 14)),
    st.just(TcpOptSackPermitted()),
    st.builds(TcpOptSack, st.lists(st.tuples(u32, u32), min_size=1, max_size=4).map(tuple)),
    st.builds(TcpOptTimestamp, u32, u32),
    # opaque kinds that scapy has no codec for either (so it reports (kind, bytes) too)
    st.builds(TcpOptUnknown, st.sampled_from([6, 7, 30, 253, 254]), st.binary(max_size=8)),
)


@st.composite
def tcp_options(draw: st.DrawFn) -> tuple[TcpOption, ...]:
    opts: list[TcpOption] = []
    for o in draw(st.lists(tcp_option, max_size=6)):
        if tcp_options_len((*opts, o)) <= 40:
            opts.append(o)
    return tuple(opts)


def tcp_reprs() -> st.SearchStrategy[TcpRepr]:
    return st.builds(TcpRepr, u16, u16, u32, u32, st.integers(0, 0x1FF), u16, u16, tcp_options())
