"""RFC 5961: RST exact match vs challenge ACK, SYN in window, the rate limits; PAWS (RFC 7323 5)."""
from __future__ import annotations

import errno

from kernel.net.ipv4.tcp.segment import ACK, RST, SYN
from kernel.net.ipv4.tcp.states import TCP_CLOSE, TCP_CLOSE_WAIT, TCP_ESTABLISHED


def test_rst_exact_match_resets(tcprig):
    tp, r = tcprig.establish()
    assert r.send(tp, 1.0, RST) == []
    assert tp.state == TCP_CLOSE
    assert tp.sk_err == errno.ECONNRESET
    assert tp.mib.get("EstabResets") == 1
    assert [e.kind for e in tp.events][-1] == "closed"


def test_rst_in_window_not_exact_gets_challenge_ack(tcprig):
    tp, r = tcprig.establish()
    out = r.send(tp, 1.0, RST, seq=r.seq + 100, advance=False)
    tcprig.one(out, ACK, seq=1001, ack=5001)
    assert tp.state == TCP_ESTABLISHED
    assert tp.mib.get("TCPChallengeACK") == 1


def test_rst_out_of_window_dropped_silently(tcprig):
    tp, r = tcprig.establish()
    assert r.send(tp, 1.0, RST, seq=r.seq + 10_000_000, advance=False) == []
    assert tp.state == TCP_ESTABLISHED


def test_rst_in_close_wait_gives_epipe(tcprig):
    tp, r = tcprig.establish()
    r.send(tp, 1.0, ACK | 1)  # FIN
    assert tp.state == TCP_CLOSE_WAIT
    r.send(tp, 1.1, RST)
    assert tp.state == TCP_CLOSE and tp.sk_err == errno.EPIPE


def test_syn_in_window_gets_challenge_ack(tcprig):
    tp, r = tcprig.establish()
    out = r.send(tp, 1.0, SYN, seq=r.seq + 5, advance=False, ack=0)
    tcprig.one(out, ACK, ack=5001)
    assert tp.state == TCP_ESTABLISHED
    assert tp.mib.get("TCPSYNChallenge") == 1


def test_challenge_ack_rate_limited_per_socket(tcprig):
    tp, r = tcprig.establish()
    first = r.send(tp, 1.0, RST, seq=r.seq + 100, advance=False)
    second = r.send(tp, 1.1, RST, seq=r.seq + 100, advance=False)
    third = r.send(tp, 1.6, RST, seq=r.seq + 100, advance=False)
    assert len(first) == 1 and second == [] and len(third) == 1
    assert tp.mib.get("TCPACKSkippedChallenge") == 1


def test_challenge_ack_global_budget(tcprig):
    tp, r = tcprig.establish(tcprig.params(challenge_ack_limit=2, invalid_ratelimit=0.0))
    sent = sum(len(r.send(tp, 5.0 + i * 0.01, RST, seq=r.seq + 100, advance=False)) for i in range(5))
    assert sent == 2
    assert len(r.send(tp, 6.5, RST, seq=r.seq + 100, advance=False)) == 1


def test_ack_for_unsent_data_challenged(tcprig):
    tp, r = tcprig.establish()
    out = r.send(tp, 1.0, ACK, ack=999999)
    assert len(out) == 1 and out[0].flags == ACK


def test_out_of_window_data_dupack(tcprig):
    tp, r = tcprig.establish()
    out = r.send(tp, 1.0, ACK, b"old", seq=r.seq - 10, advance=False)
    s = tcprig.one(out, ACK, ack=5001)
    assert s.sack == ((r.seq - 10, r.seq - 7),)  # D-SACK of the duplicate


def test_paws_rejects_old_timestamp(tcprig):
    tp, r = tcprig.establish()
    r.send(tp, 1.0, ACK, b"a")
    out = r.send(tp, 1.1, ACK, b"b", tsval=5)
    tcprig.one(out, ACK, ack=5002)
    assert tp.mib.get("PAWSEstabRejected") == 1
    assert tp.recv(10, 2.0) == b"a"


def test_rst_accepted_despite_paws(tcprig):
    tp, r = tcprig.establish()
    r.send(tp, 1.0, RST, tsval=1)
    assert tp.state == TCP_CLOSE
