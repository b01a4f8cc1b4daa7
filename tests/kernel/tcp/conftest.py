"""Packetdrill-like helpers for driving one sans-IO ``TcpConn`` with hand-built segments.

``tcprig`` (fixture) gives:
- ``params(**kw)``: TcpParams with overrides;
- ``active(params=None, now=0.0)``: a conn (local port 40000, iss 1000) that sent its SYN;
- ``establish(params=None, *, ts=True, wscale=7, sack=True, mss=1460, win=1000)``: the handshake
  done against a scripted ``Remote`` (port 80, iss 5000); returns (tp, remote);
- ``passive(params=None, *, ts=True, ...)``: a conn made by ``from_syn`` from the remote's SYN,
  its SYN-ACK answered; returns (tp, remote);
- ``drain(tp)``: the outbox, emptied;
- ``one(tp, flags=None, **fields)``: exactly one segment out, checked field by field.

``Remote`` plays the peer: ``remote.send(tp, now, flags, payload, ...)`` builds a segment from
its own sequence state (seq advances, ack = what it last heard), delivers it, returns what tp sent.
Time is whatever ``now`` the test passes (seconds).  Tests never sleep.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from kernel.net.ipv4.tcp.conn import TcpConn, TcpParams
from kernel.net.ipv4.tcp.segment import ACK, FIN, RST, SYN, TcpSegment, seq_add

LPORT = 40000
RPORT = 80
L_ISS = 1000
R_ISS = 5000


@dataclass
class Remote:
    """The scripted peer."""

    seq: int = R_ISS
    ack: int = 0
    win: int = 65535  # raw window field
    ts: bool = True
    tsval: int = 700000
    port: int = RPORT
    lport: int = LPORT
    heard: list[TcpSegment] = field(default_factory=list)

    def seg(self, flags: int = ACK, payload: bytes = b"", *, seq: int | None = None, ack: int | None = None,
            win: int | None = None, urg_ptr: int = 0, tsecr: int | None = None, tsval: int | None = None,
            **opts: Any) -> TcpSegment:
        s = TcpSegment(self.port, self.lport, self.seq if seq is None else seq,
                       self.ack if ack is None else ack, flags, self.win if win is None else win, payload,
                       urg_ptr, **opts)
        if self.ts and "ts" not in opts:
            echo = tsecr if tsecr is not None else (self.heard[-1].ts[0] if self.heard and self.heard[-1].ts
                                                      else 0)
            s.ts = (self.tsval if tsval is None else tsval, echo)
        return s

    def send(self, tp: TcpConn, now: float, flags: int = ACK, payload: bytes = b"", *, advance: bool = True,
             **kw: Any) -> list[TcpSegment]:
        s = self.seg(flags, payload, **kw)
        if advance and "seq" not in kw:
            self.seq = seq_add(self.seq, s.seg_len)
        self.tsval += 1
        tp.segment_arrived(s, now)
        return self.hear(tp)

    def hear(self, tp: TcpConn) -> list[TcpSegment]:
        out = list(tp.outbox)
        tp.outbox.clear()
        for s in out:
            self.heard.append(s)
            if s.flags & ACK and not s.flags & RST:
                pass
            end = s.end_seq
            if (end - self.ack) & 0x80000000 == 0 and s.seg_len:
                self.ack = end
        return out


class TcpRig:
    Remote = Remote

    def params(self, **kw: Any) -> TcpParams:
        p = TcpParams()
        for k, v in kw.items():
            setattr(p, k, v)
        return p

    def drain(self, tp: TcpConn) -> list[TcpSegment]:
        out = list(tp.outbox)
        tp.outbox.clear()
        return out

    def one(self, out: list[TcpSegment] | TcpConn, flags: int | None = None, **fields: Any) -> TcpSegment:
        segs = self.drain(out) if isinstance(out, TcpConn) else out
        assert len(segs) == 1, [s.describe() for s in segs]
        s = segs[0]
        if flags is not None:
            assert s.flags & 0x3F == flags, s.describe()
        for k, v in fields.items():
            assert getattr(s, k) == v, f"{k}: {getattr(s, k)!r} != {v!r} in {s.describe()}"
        return s

    def active(self, params: TcpParams | None = None, now: float = 0.0) -> TcpConn:
        tp = TcpConn(params or self.params(), LPORT, RPORT, L_ISS, now)
        assert tp.connect(now) == 0
        return tp

    def establish(self, params: TcpParams | None = None, *, now: float = 0.0, ts: bool = True,
                  wscale: int | None = 7, sack: bool = True, mss: int = 1460, win: int = 65535
                  ) -> tuple[TcpConn, Remote]:
        tp = self.active(params, now)
        syn = self.one(tp, SYN)
        r = Remote(ts=ts, win=win)
        r.heard.append(syn)
        r.ack = seq_add(syn.seq, 1)
        opts: dict[str, Any] = {"mss": mss, "wscale": wscale, "sack_perm": sack}
        if ts:
            opts["ts"] = (r.tsval, syn.ts[0] if syn.ts else 0)
        out = r.send(tp, now + 0.01, SYN | ACK, **opts)
        self.one(out, ACK)
        tp.events.clear()
        tp.mib.clear()
        return tp, r

    def passive(self, params: TcpParams | None = None, *, now: float = 0.0, ts: bool = True,
                wscale: int | None = 7, sack: bool = True, mss: int = 1460, win: int = 65535
                ) -> tuple[TcpConn, Remote]:
        r = Remote(ts=ts, win=win, seq=R_ISS)
        opts: dict[str, Any] = {"mss": mss, "wscale": wscale, "sack_perm": sack}
        if ts:
            opts["ts"] = (r.tsval, 0)
        syn = r.seg(SYN, ack=0, **opts)
        r.seq = seq_add(r.seq, 1)
        tp = TcpConn.from_syn(params or self.params(), syn, L_ISS, now)
        synack = self.one(tp, SYN | ACK, ack=seq_add(R_ISS, 1))
        r.heard.append(synack)
        r.ack = seq_add(synack.seq, 1)
        out = r.send(tp, now + 0.01, ACK)
        assert out == []
        tp.events.clear()
        tp.mib.clear()
        return tp, r


@pytest.fixture
def tcprig() -> TcpRig:
    return TcpRig()


__all__ = ["ACK", "FIN", "RST", "SYN", "Remote", "TcpRig"]
