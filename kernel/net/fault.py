"""Fault injection for test harnesses: syscall fault rules and packet filter rules, per host.

A host's :class:`FaultTable` (``fault_table(net)``, created on first use and
kept as ``net.fault``) holds numbered rules; every rule is listed with its
hit count and removable by id.

- **Syscall rules** (``add_syscall``): the next ``count`` calls of syscall
  ``op`` (a do_syscall op name: connect, sendto, bind, ...; a ``socketcall``
  by number counts as the call it names), optionally only for one ``pid``
  and/or one destination ``addr`` (an IPv4 address, optionally with a port:
  matched against the call's sockaddr argument -- bind/connect/sendto/sendmsg
  ...), fail with ``-errno`` before the kernel runs them (no side effect, as
  fail_function error injection).  ``count`` 0 means every call.  Hooked in
  ``kernel.syscalls.do_syscall``.
- **Packet rules** (``add_packet``): at ``ip_rcv_finish`` after the input
  route is known ("input", netfilter's PRE_ROUTING/LOCAL_IN spot) and at
  ``ip_local_out`` ("output", LOCAL_OUT), an IPv4 packet that matches
  protocol, source/destination prefixes, ports and TCP flags (``flags`` set
  among ``flags_mask``, as iptables ``--tcp-flags MASK COMP``) is

  * ``drop``-ped,
  * ``delay``-ed by ``delay`` seconds (the host clock; then it goes on from
    the hook, not matched again),
  * answered with a TCP RST (``rst``: iptables ``REJECT --reject-with
    tcp-reset``, RFC 9293 3.10.7.1: seq = the segment's ACK if it has one, else
    0 with ACK = seq + SYN + FIN + payload) and dropped, or
  * answered with an ICMP error (``icmp``: type/code, default destination
    unreachable / port unreachable) and dropped.

  ``count`` limits how many packets the rule takes (0: no limit).

Nothing raises out of the hooks; a malformed packet is not matched (the
stack's own checks drop it).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel import uapi
from kernel.net.core.skbuff import SkBuff, alloc_skb
from kernel.net.wire.tcp import tcp_checksum

if TYPE_CHECKING:
    from kernel.net.core.net_namespace import Net

ACTIONS = ("drop", "delay", "rst", "icmp")
HOOKS = ("input", "output", "both")
PROTOCOLS = {"icmp": uapi.IPPROTO_ICMP, "tcp": uapi.IPPROTO_TCP, "udp": uapi.IPPROTO_UDP}
TCP_FLAGS = {"fin": 0x01, "syn": 0x02, "rst": 0x04, "psh": 0x08, "ack": 0x10, "urg": 0x20, "ece": 0x40, "cwr": 0x80}
ICMP_DEST_UNREACH = 3
ICMP_PORT_UNREACH = 3
_SKIP = "fault_seen"  # skb.cb key: a delayed packet is not matched again


def parse_tcp_flags(text: str) -> int:
    """"syn,ack" -> bitmask; ValueError on an unknown name."""
    mask = 0
    for word in filter(None, (w.strip().lower() for w in text.replace("|", ",").split(","))):
        if word not in TCP_FLAGS:
            raise ValueError(f"unknown TCP flag {word!r} (one of {', '.join(TCP_FLAGS)})")
        mask |= TCP_FLAGS[word]
    return mask


def _net(text: str | None) -> ipaddress.IPv4Network | None:
    return ipaddress.IPv4Network(text, strict=False) if text else None


@dataclass
class SyscallRule:
    id: int
    op: str
    err: int  # positive errno
    count: int = 1  # calls left to fail; 0: every call
    pid: int = 0  # 0: any process
    addr: str = ""  # "10.0.0.2" or "10.0.0.2:80"; "": any
    hits: int = 0

    def describe(self) -> str:
        parts = [f"syscall {self.op}", f"errno {uapi.errno_name(self.err)}"]
        if self.pid:
            parts.append(f"pid {self.pid}")
        if self.addr:
            parts.append(f"addr {self.addr}")
        parts.append(f"count {self.count}" if self.count else "count always")
        return " ".join(parts)


@dataclass
class PacketRule:
    id: int
    action: str = "drop"
    hook: str = "both"
    proto: int = 0  # 0: any
    src: ipaddress.IPv4Network | None = None
    dst: ipaddress.IPv4Network | None = None
    sport: int = 0
    dport: int = 0
    flags: int = 0
    flags_mask: int = 0
    delay: float = 0.0
    icmp_type: int = ICMP_DEST_UNREACH
    icmp_code: int = ICMP_PORT_UNREACH
    count: int = 0  # packets left to take; 0: no limit
    hits: int = 0
    expired: bool = field(default=False, repr=False)

    def describe(self) -> str:
        parts = [self.action, self.hook]
        names = {v: k for k, v in PROTOCOLS.items()}
        if self.proto:
            parts.append(f"proto {names.get(self.proto, self.proto)}")
        for word, value in (("src", self.src), ("dst", self.dst)):
            if value is not None:
                parts.append(f"{word} {value}")
        if self.sport:
            parts.append(f"sport {self.sport}")
        if self.dport:
            parts.append(f"dport {self.dport}")
        if self.flags_mask:
            flag_text = ",".join(k for k, v in TCP_FLAGS.items() if self.flags & v) or "none"
            mask_text = ",".join(k for k, v in TCP_FLAGS.items() if self.flags_mask & v)
            parts.append(f"tcp-flags {mask_text} {flag_text}")
        if self.action == "delay":
            parts.append(f"delay {self.delay * 1000:g}ms")
        if self.action == "icmp":
            parts.append(f"type {self.icmp_type} code {self.icmp_code}")
        if self.count:
            parts.append(f"count {self.count}")
        return " ".join(parts)

    def matches(self, hdr: bytes | bytearray | memoryview, hook: str) -> bool:
        if self.expired or self.hook not in (hook, "both") or len(hdr) < 20:
            return False
        ihl = (hdr[0] & 0xF) * 4
        proto = hdr[9]
        if self.proto and proto != self.proto:
            return False
        if self.src is not None and ipaddress.IPv4Address(bytes(hdr[12:16])) not in self.src:
            return False
        if self.dst is not None and ipaddress.IPv4Address(bytes(hdr[16:20])) not in self.dst:
            return False
        if self.sport or self.dport or self.flags_mask:
            if proto not in (uapi.IPPROTO_TCP, uapi.IPPROTO_UDP) or len(hdr) < ihl + 4:
                return False
            if int.from_bytes(hdr[6:8], "big") & 0x1FFF:
                return False  # a later fragment has no ports
            if self.sport and int.from_bytes(hdr[ihl:ihl + 2], "big") != self.sport:
                return False
            if self.dport and int.from_bytes(hdr[ihl + 2:ihl + 4], "big") != self.dport:
                return False
            if self.flags_mask:
                if proto != uapi.IPPROTO_TCP or len(hdr) < ihl + 14:
                    return False
                if hdr[ihl + 13] & self.flags_mask != self.flags:
                    return False
        return True


class FaultTable:
    """The rules of one host."""

    def __init__(self) -> None:
        self.syscall_rules: list[SyscallRule] = []
        self.packet_rules: list[PacketRule] = []
        self._next_id = 1

    def _id(self) -> int:
        n = self._next_id
        self._next_id += 1
        return n

    @property
    def empty(self) -> bool:
        return not self.syscall_rules and not self.packet_rules

    def add_syscall(self, op: str, err: int, *, count: int = 1, pid: int = 0, addr: str = "") -> SyscallRule:
        """A syscall rule (ValueError on a bad errno, count or address)."""
        if not 0 < err < 4096 or not uapi.errno_name(err):
            raise ValueError(f"bad errno {err}")
        if count < 0:
            raise ValueError("count must be >= 0")
        if addr:
            host, _, port = addr.rpartition(":") if addr.count(":") == 1 else (addr, "", "")
            ipaddress.IPv4Address(host)
            if port and not 0 < int(port) < 65536:
                raise ValueError(f"bad port in {addr!r}")
        rule = SyscallRule(self._id(), op, err, count, pid, addr)
        self.syscall_rules.append(rule)
        return rule

    def add_packet(self, action: str = "drop", *, hook: str = "both", proto: str | int = 0, src: str = "",
                   dst: str = "", sport: int = 0, dport: int = 0, tcp_flags: str = "", tcp_flags_mask: str = "",
                   delay: float = 0.0, icmp_type: int = ICMP_DEST_UNREACH, icmp_code: int = ICMP_PORT_UNREACH,
                   count: int = 0) -> PacketRule:
        """A packet rule (ValueError on bad fields)."""
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
        if hook not in HOOKS:
            raise ValueError(f"hook must be one of {', '.join(HOOKS)}")
        if isinstance(proto, str):
            if proto and proto.lower() not in PROTOCOLS and not proto.isdigit():
                raise ValueError(f"unknown protocol {proto!r}")
            proto = PROTOCOLS.get(proto.lower(), int(proto) if proto.isdigit() else 0)
        if not 0 <= proto <= 255 or not 0 <= sport <= 65535 or not 0 <= dport <= 65535 or count < 0 or delay < 0:
            raise ValueError("protocol, ports, count and delay out of range")
        flags = parse_tcp_flags(tcp_flags) if tcp_flags else 0
        mask = parse_tcp_flags(tcp_flags_mask) if tcp_flags_mask else flags
        if tcp_flags and not proto:
            proto = uapi.IPPROTO_TCP
        if action == "rst" and proto not in (0, uapi.IPPROTO_TCP):
            raise ValueError("rst answers TCP segments only")
        if action == "rst":
            proto = uapi.IPPROTO_TCP
        if not 0 <= icmp_type <= 255 or not 0 <= icmp_code <= 255:
            raise ValueError("ICMP type and code are 0..255")
        rule = PacketRule(self._id(), action, hook, proto, _net(src), _net(dst), sport, dport, flags & mask, mask,
                          delay, icmp_type, icmp_code, count)
        self.packet_rules.append(rule)
        return rule

    def remove(self, rule_id: int) -> bool:
        for rules in (self.syscall_rules, self.packet_rules):
            for r in rules:
                if r.id == rule_id:
                    rules.remove(r)  # type: ignore[arg-type]
                    return True
        return False

    def clear(self) -> int:
        n = len(self.syscall_rules) + len(self.packet_rules)
        self.syscall_rules.clear()
        self.packet_rules.clear()
        return n

    def rules(self) -> list[SyscallRule | PacketRule]:
        return sorted([*self.syscall_rules, *self.packet_rules], key=lambda r: r.id)


def fault_table(net: Net) -> FaultTable:
    """The host's table, created on first use."""
    table = getattr(net, "fault", None)
    if table is None:
        table = FaultTable()
        net.fault = table  # type: ignore[attr-defined]
    return table


# --- syscall hook -------------------------------------------------------------------

def _sockaddr_match(raw: Any, want: str) -> bool:
    if not isinstance(raw, bytes | bytearray | memoryview) or len(raw) < 8:
        return False
    raw = bytes(raw)
    if int.from_bytes(raw[0:2], "little") != uapi.AF_INET:
        return False
    port = int.from_bytes(raw[2:4], "big")
    addr = str(ipaddress.IPv4Address(raw[4:8]))
    host, _, wport = want.rpartition(":") if want.count(":") == 1 else (want, "", "")
    return addr == host and (not wport or int(wport) == port)


def _call_addrs(args: dict[str, Any]) -> list[Any]:
    out = [args.get("addr")]
    for msg in args.get("msgs") or ():
        if isinstance(msg, dict):
            out.append(msg.get("addr"))
    return out


def syscall_fault(proc: Any, op: str, args: dict[str, Any]) -> int:
    """-errno when a rule fails this call (its count goes down), else 0."""
    table: FaultTable | None = getattr(proc.host.netns, "fault", None)
    if table is None or not table.syscall_rules:
        return 0
    if op == "socketcall":
        from kernel.syscalls import SOCKETCALL_TABLE

        entry = SOCKETCALL_TABLE.get(args.get("call", 0))
        argv = args.get("args")
        if entry is None or not isinstance(argv, list):
            return 0
        op, args = entry[0], dict(zip(entry[1], argv, strict=False))
    for rule in table.syscall_rules:
        if rule.op != op or (rule.pid and rule.pid != getattr(proc, "pid", 0)):
            continue
        if rule.addr and not any(_sockaddr_match(a, rule.addr) for a in _call_addrs(args)):
            continue
        rule.hits += 1
        if rule.count:
            rule.count -= 1
            if rule.count == 0:
                table.syscall_rules.remove(rule)
        return -rule.err
    return 0


# --- packet hooks ---------------------------------------------------------------------

def _take(table: FaultTable, skb: SkBuff, hook: str) -> PacketRule | None:
    if _SKIP in skb.cb:
        return None
    nh = skb.network_header if skb.network_header >= 0 else skb.doff
    hdr = memoryview(skb.head)[nh:skb.tail]
    for rule in table.packet_rules:
        if rule.matches(hdr, hook):
            rule.hits += 1
            if rule.count:
                rule.count -= 1
                if rule.count == 0:
                    rule.expired = True
                    table.packet_rules.remove(rule)
            return rule
    return None


def _send_rst(net: Net, skb: SkBuff) -> None:
    """nf_send_reset: a RST answering the segment in ``skb`` (to its source, from its destination)."""
    from kernel.net.ipv4.ip_output import ip_output_hdrincl
    from kernel.net.ipv4.route import Flowi4, ip_route_output_key

    nh = skb.network_header if skb.network_header >= 0 else skb.doff
    head = bytes(skb.head[nh:skb.tail])
    ihl = (head[0] & 0xF) * 4
    if len(head) < ihl + 20:
        return
    tot = int.from_bytes(head[2:4], "big")
    th = head[ihl:]
    flags = th[13]
    if flags & TCP_FLAGS["rst"]:
        return  # never answer a RST
    saddr = int.from_bytes(head[12:16], "big")
    daddr = int.from_bytes(head[16:20], "big")
    doff = (th[12] >> 4) * 4
    payload = max(0, tot - ihl - doff)
    if flags & TCP_FLAGS["ack"]:
        seq, ack, out_flags = int.from_bytes(th[8:12], "big"), 0, TCP_FLAGS["rst"]
    else:
        seq = 0
        ack = (int.from_bytes(th[4:8], "big") + payload + (flags & 1) + ((flags >> 1) & 1)) & 0xFFFFFFFF
        out_flags = TCP_FLAGS["rst"] | TCP_FLAGS["ack"]
    tcp = bytearray(20)
    tcp[0:2], tcp[2:4] = th[2:4], th[0:2]
    tcp[4:8], tcp[8:12] = seq.to_bytes(4, "big"), ack.to_bytes(4, "big")
    tcp[12], tcp[13] = 5 << 4, out_flags
    tcp[16:18] = tcp_checksum(tcp, daddr, saddr).to_bytes(2, "big")
    ip = bytearray(20)
    ip[0], ip[2:4], ip[6], ip[8], ip[9] = 0x45, (40).to_bytes(2, "big"), 0x40, 64, uapi.IPPROTO_TCP
    ip[12:16], ip[16:20] = daddr.to_bytes(4, "big"), saddr.to_bytes(4, "big")
    rt = ip_route_output_key(net, Flowi4(daddr=saddr, proto=uapi.IPPROTO_TCP))
    if isinstance(rt, int):
        return
    out = alloc_skb(40)
    out.put_data(bytes(ip) + bytes(tcp))
    out.cb[_SKIP] = True
    ip_output_hdrincl(net, out, rt)


def _act(net: Net, skb: SkBuff, rule: PacketRule, resume: Any) -> None:
    if rule.action == "delay":
        skb.cb[_SKIP] = True
        net.clock.call_at(net.clock.now() + rule.delay, lambda: resume(net, skb))
        return
    if rule.action == "rst":
        _send_rst(net, skb)
    elif rule.action == "icmp":
        from kernel.net.ipv4.icmp import icmp_send

        icmp_send(skb, rule.icmp_type, rule.icmp_code)
    skb.free()


def fault_ip_input(net: Net, skb: SkBuff, resume: Any) -> bool:
    """The input hook (routed skb): True when a rule took the packet; ``resume(net, skb)`` goes on after a delay."""
    table: FaultTable | None = getattr(net, "fault", None)
    if table is None or not table.packet_rules:
        return False
    rule = _take(table, skb, "input")
    if rule is None:
        return False
    _act(net, skb, rule, resume)
    return True


def fault_ip_output(net: Net, skb: SkBuff, resume: Any) -> bool:
    """The ip_local_out hook: as fault_ip_input."""
    table: FaultTable | None = getattr(net, "fault", None)
    if table is None or not table.packet_rules:
        return False
    rule = _take(table, skb, "output")
    if rule is None:
        return False
    _act(net, skb, rule, resume)
    return True
