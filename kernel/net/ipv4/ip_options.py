"""IPv4 options: compile, build, echo, fragment (net/ipv4/ip_options.c; RFC 791 3.1, RFC 2113).

``IpOptions`` is struct ip_options: ``optlen``, the raw option bytes
(``data``) and the offsets *from the start of the IP header* of the options
that matter (``srr``, ``rr``, ``ts``, ``router_alert``; 0 = absent) with the
flags output needs (``rr_needaddr``, ``ts_needtime``, ``ts_needaddr``).

``ip_options_compile(net, opt, buf, base, ...)`` walks the option bytes at
``buf[base:base+optlen]`` the way Linux does.  On a received packet
(``skb`` given, after routing) it fills Record Route and Timestamp slots with
the receiving address and the time (milliseconds since midnight UT, RFC 791)
and advances their pointers; a malformed option sends ICMP parameter problem
with the pointer to the offending octet and returns -EINVAL.  From a socket
(IP_OPTIONS; ``skb`` None) it only checks, advances pointers so that output
fills the slots, and refuses options it does not know without CAP_NET_RAW.
Source routes from a socket become ``faddr`` (the first hop) as Linux does.

``ip_options_build`` writes a socket's options into an outgoing header
(filling the RR slot with the source address, the timestamp with the time);
``ip_options_fragment`` turns the non-copied options of a non-first fragment
into NOPs; ``ip_options_echo`` builds the options of a reply from a received
packet's (IP_RETOPTS / ICMP replies).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kernel import uapi
from kernel.net.core.skbuff import SkBuff

if TYPE_CHECKING:
    from kernel.net.core.net_namespace import Net
    from kernel.net.ipv4.route import Rtable

IPOPT_END = 0
IPOPT_NOOP = 1
IPOPT_RR = 7
IPOPT_TIMESTAMP = 68
IPOPT_SEC = 130
IPOPT_LSRR = 131
IPOPT_CIPSO = 134
IPOPT_SID = 136
IPOPT_SSRR = 137
IPOPT_RA = 148
IPOPT_TS_TSONLY = 0
IPOPT_TS_TSANDADDR = 1
IPOPT_TS_PRESPEC = 3
MAX_IPOPTLEN = 40


def ipopt_copied(t: int) -> bool:
    return bool(t & 0x80)


@dataclass
class IpOptions:
    """struct ip_options (offsets count from the IP header's first byte)."""

    optlen: int = 0
    data: bytearray = field(default_factory=bytearray)
    faddr: int = 0
    nexthop: int = 0
    srr: int = 0
    rr: int = 0
    ts: int = 0
    is_strictroute: bool = False
    srr_is_hit: bool = False
    is_changed: bool = False
    rr_needaddr: bool = False
    ts_needtime: bool = False
    ts_needaddr: bool = False
    router_alert: int = 0
    cipso: int = 0


def iptime_ms(net: Net) -> int:
    """inet_current_timestamp: milliseconds since midnight UT (from the host clock)."""
    return int((net.clock.now() % 86400.0) * 1000) & 0xFFFFFFFF


def ip_options_compile(net: Net, opt: IpOptions, buf: bytearray, base: int, *, skb: SkBuff | None = None,
                       rt: Rtable | None = None, cap_net_raw: bool = True) -> int:
    """Check (and, for a received packet, fill) the options at buf[base:base+opt.optlen]; 0 or -EINVAL."""
    from kernel.net.ipv4.route import RTN_UNICAST, inet_addr_type
    iph = base - 20  # offsets are relative to the IP header
    end = base + opt.optlen
    p = base
    pp_ptr = -1
    spec_dst = rt.rt_spec_dst if rt is not None else 0
    while p < end:
        t = buf[p]
        if t == IPOPT_END:
            for q in range(p + 1, end):
                if buf[q] != IPOPT_END:
                    buf[q] = IPOPT_END
                    opt.is_changed = True
            break
        if t == IPOPT_NOOP:
            p += 1
            continue
        left = end - p
        if left < 2:
            pp_ptr = p
            break
        optlen = buf[p + 1]
        if optlen < 2 or optlen > left:
            pp_ptr = p
            break
        if t in (IPOPT_SSRR, IPOPT_LSRR):
            if optlen < 3:
                pp_ptr = p + 1
                break
            if buf[p + 2] < 4:
                pp_ptr = p + 2
                break
            if opt.srr:
                pp_ptr = p
                break
            if skb is None:
                if buf[p + 2] != 4 or optlen < 7 or (optlen - 3) & 3:
                    pp_ptr = p + 1
                    break
                opt.faddr = int.from_bytes(buf[p + 3:p + 7], "big")
                if optlen > 7:
                    buf[p + 3:p + optlen - 4] = buf[p + 7:p + optlen]
            opt.is_strictroute = t == IPOPT_SSRR
            opt.srr = p - iph
        elif t == IPOPT_RR:
            if opt.rr:
                pp_ptr = p
                break
            if optlen < 3:
                pp_ptr = p + 1
                break
            ptr = buf[p + 2]
            if ptr < 4:
                pp_ptr = p + 2
                break
            if ptr <= optlen:
                if ptr + 3 > optlen:
                    pp_ptr = p + 2
                    break
                if rt is not None:
                    buf[p + ptr - 1:p + ptr + 3] = spec_dst.to_bytes(4, "big")
                    opt.is_changed = True
                buf[p + 2] = ptr + 4
                opt.rr_needaddr = True
            opt.rr = p - iph
        elif t == IPOPT_TIMESTAMP:
            if opt.ts:
                pp_ptr = p
                break
            if optlen < 4:
                pp_ptr = p + 1
                break
            ptr = buf[p + 2]
            if ptr < 5:
                pp_ptr = p + 2
                break
            if ptr <= optlen:
                timeptr = -1
                if ptr + 3 > optlen:
                    pp_ptr = p + 2
                    break
                flag = buf[p + 3] & 0xF
                if flag == IPOPT_TS_TSONLY:
                    if skb is not None:
                        timeptr = p + ptr - 1
                    opt.ts_needtime = True
                    buf[p + 2] = ptr + 4
                elif flag == IPOPT_TS_TSANDADDR:
                    if ptr + 7 > optlen:
                        pp_ptr = p + 2
                        break
                    if rt is not None:
                        buf[p + ptr - 1:p + ptr + 3] = spec_dst.to_bytes(4, "big")
                        timeptr = p + ptr + 3
                    opt.ts_needaddr = opt.ts_needtime = True
                    buf[p + 2] = ptr + 8
                elif flag == IPOPT_TS_PRESPEC:
                    if ptr + 7 > optlen:
                        pp_ptr = p + 2
                        break
                    addr = int.from_bytes(buf[p + ptr - 1:p + ptr + 3], "big")
                    if inet_addr_type(net, addr) != RTN_UNICAST:
                        if skb is not None:
                            timeptr = p + ptr + 3
                        opt.ts_needtime = True
                        buf[p + 2] = ptr + 8
                else:
                    if skb is None and not cap_net_raw:
                        pp_ptr = p + 3
                        break
                if timeptr >= 0:
                    buf[timeptr:timeptr + 4] = iptime_ms(net).to_bytes(4, "big")
                    opt.is_changed = True
            elif buf[p + 3] & 0xF != IPOPT_TS_PRESPEC:
                overflow = buf[p + 3] >> 4
                if overflow == 15:
                    pp_ptr = p + 3
                    break
                if skb is not None:
                    buf[p + 3] = (buf[p + 3] & 0xF) | ((overflow + 1) << 4)
                    opt.is_changed = True
            opt.ts = p - iph
        elif t == IPOPT_RA:
            if optlen < 4:
                pp_ptr = p + 1
                break
            if buf[p + 2] == 0 and buf[p + 3] == 0:
                opt.router_alert = p - iph
        elif skb is None and not cap_net_raw:
            pp_ptr = p
            break
        p += optlen
    if pp_ptr < 0:
        opt.data = bytearray(buf[base:end])
        return 0
    if skb is not None:
        from kernel.net.ipv4.icmp import icmp_send
        icmp_send(skb, uapi.ICMP_PARAMETERPROB, 0, ((pp_ptr - iph) & 0xFF) << 24)
    return -uapi.EINVAL


def ip_options_get(net: Net, data: bytes, *, cap_net_raw: bool = True) -> IpOptions | int:
    """ip_options_get (IP_OPTIONS setsockopt): options padded to 4 with EOL, compiled; -EINVAL."""
    if len(data) > MAX_IPOPTLEN:
        return -uapi.EINVAL
    buf = bytearray(data)
    while len(buf) & 3:
        buf.append(IPOPT_END)
    opt = IpOptions(optlen=len(buf))
    base = 20
    work = bytearray(20) + buf
    err = ip_options_compile(net, opt, work, base, cap_net_raw=cap_net_raw)
    if err:
        return err
    opt.data = bytearray(work[base:base + opt.optlen])
    return opt


def ip_options_build(net: Net, hdr: bytearray, off: int, opt: IpOptions, daddr: int, saddr: int,
                     is_frag: bool = False) -> None:
    """Write opt's bytes after the 20-byte header at hdr[off:], filling RR/TS slots (ip_options_build)."""
    hdr[off + 20:off + 20 + opt.optlen] = opt.data
    if opt.srr:
        slot = off + opt.srr + hdr[off + opt.srr + 1] - 4
        hdr[slot:slot + 4] = daddr.to_bytes(4, "big")
    if not is_frag:
        if opt.rr_needaddr and opt.rr:
            slot = off + opt.rr + hdr[off + opt.rr + 2] - 5
            hdr[slot:slot + 4] = saddr.to_bytes(4, "big")
        if opt.ts_needaddr and opt.ts:
            slot = off + opt.ts + hdr[off + opt.ts + 2] - 9
            hdr[slot:slot + 4] = saddr.to_bytes(4, "big")
        if opt.ts_needtime and opt.ts:
            slot = off + opt.ts + hdr[off + opt.ts + 2] - 5
            hdr[slot:slot + 4] = iptime_ms(net).to_bytes(4, "big")
        return
    for which in ("rr", "ts"):
        o = getattr(opt, which)
        if o:
            n = hdr[off + o + 1]
            hdr[off + o:off + o + n] = bytes([IPOPT_NOOP]) * n


def ip_options_fragment(opts: bytearray | memoryview) -> None:
    """ip_options_fragment: options without the copied flag become NOPs (for fragments after the first)."""
    i, n = 0, len(opts)
    while i < n:
        t = opts[i]
        if t == IPOPT_END:
            return
        if t == IPOPT_NOOP:
            i += 1
            continue
        if i + 1 >= n:
            return
        length = opts[i + 1]
        if length < 2 or i + length > n:
            return
        if not ipopt_copied(t):
            opts[i:i + length] = bytes([IPOPT_NOOP]) * length
        i += length


def ip_options_echo(net: Net, skb: SkBuff) -> IpOptions | int:
    """__ip_options_echo: the options a reply to skb carries (RR and TS continued; SRR not echoed)."""
    from kernel.net.ipv4.route import RTN_UNICAST, inet_addr_type
    cb = skb.cb.get("ip")
    sopt: IpOptions | None = getattr(cb, "opt", None)
    dopt = IpOptions()
    if sopt is None or not sopt.optlen:
        return dopt
    sptr = skb.head
    nh = skb.network_header
    out = bytearray()
    if sopt.rr:
        optlen = sptr[nh + sopt.rr + 1]
        soffset = sptr[nh + sopt.rr + 2]
        dopt.rr = len(out) + 20
        seg = bytearray(sptr[nh + sopt.rr:nh + sopt.rr + optlen])
        if sopt.rr_needaddr and soffset <= optlen:
            if soffset + 3 > optlen:
                return -uapi.EINVAL
            seg[2] = soffset + 4
            dopt.rr_needaddr = True
        out += seg
    if sopt.ts:
        optlen = sptr[nh + sopt.ts + 1]
        soffset = sptr[nh + sopt.ts + 2]
        dopt.ts = len(out) + 20
        seg = bytearray(sptr[nh + sopt.ts:nh + sopt.ts + optlen])
        if soffset <= optlen:
            if sopt.ts_needaddr:
                if soffset + 3 > optlen:
                    return -uapi.EINVAL
                dopt.ts_needaddr = True
                soffset += 4
            if sopt.ts_needtime:
                if soffset + 3 > optlen:
                    return -uapi.EINVAL
                if seg[3] & 0xF != IPOPT_TS_PRESPEC:
                    dopt.ts_needtime = True
                    soffset += 4
                elif soffset + 7 <= optlen:
                    addr = int.from_bytes(seg[soffset - 1:soffset + 3], "big")
                    if inet_addr_type(net, addr) != RTN_UNICAST:
                        dopt.ts_needtime = True
                        soffset += 8
            seg[2] = soffset & 0xFF
        out += seg
    while len(out) & 3:
        out.append(IPOPT_END)
    dopt.data = out
    dopt.optlen = len(out)
    return dopt


# skb->cb for IPv4 (struct inet_skb_parm): IPCB(skb)
IPSKB_FORWARDED = 0x01
IPSKB_XFRM_TUNNEL_SIZE = 0x02
IPSKB_FRAG_COMPLETE = 0x08
IPSKB_REROUTED = 0x10
IPSKB_DOREDIRECT = 0x20
IPSKB_FRAG_PMTU = 0x40
IPSKB_L3SLAVE = 0x80


@dataclass
class IpCb:
    """struct inet_skb_parm (skb.cb["ip"]): receiving interface, options, flags, largest fragment seen."""

    iif: int = 0
    opt: IpOptions | None = None
    flags: int = 0
    frag_max_size: int = 0
