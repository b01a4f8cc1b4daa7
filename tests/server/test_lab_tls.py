"""A lab served over mutual TLS from its topology's ``tls:`` block.

A two-host lab (a dials b) whose topology names a CA and one certificate/key
pair (CN socketlab-lab, SAN 127.0.0.1 and localhost, signed by the CA):
``socketlab lab up`` starts both daemons, each serves mTLS on its API/Link
port (its ready line says ``tls=mtls``), the link between them comes up over
mTLS, and ``lab up``/``lab status`` poll over TLS with the same files.

Allowed: ``client.connect`` with ``lab_tls_config(topo)`` (the lab's CA and
certificate) and a ping across the link.  Refused: plaintext (lab status
without the TLS files sees nothing), no client certificate, a client
certificate of another CA, a daemon certificate checked against another CA,
and a link whose acceptor trusts another CA (the dialer never comes up).
Certificates are made here with ``cryptography``, as tests/server/test_security.py does.
"""
from __future__ import annotations

import datetime
import io
import ipaddress
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import client
from client import lab as labtools
from client._grpc import TlsConfig
from server.topology import load_topology, parse_topology
from tests.conftest import REPO, free_ports

TOPOLOGY = """\
name: {name}
tls: {{ca: ca.pem, cert: lab.pem, key: lab.key}}
hosts:
  a:
    api: {{port: {p0}}}
    nics: [{{name: eth0}}]
    addresses: [{{dev: eth0, address: 10.9.0.1/24}}]
  b:
    api: {{port: {p1}}}
    nics: [{{name: eth0}}]
    addresses: [{{dev: eth0, address: 10.9.0.2/24}}]
links:
  - endpoints: [a:eth0, b:eth0]
"""


def _cert(subject: str, key: Any, issuer: str, issuer_key: Any, *, ca: bool = False) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate | None = None, key: Any = None) -> str:
    if cert is not None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(path)


def make_pki(d: Path) -> dict[str, str]:
    """ca.pem, lab.pem/lab.key (signed by it), rogue-ca.pem and rogue.pem/rogue.key (signed by the rogue CA)."""
    ca_key, rogue_key, lab_key, bad_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(4))
    return {
        "ca": _write(d / "ca.pem", _cert("socketlab lab CA", ca_key, "socketlab lab CA", ca_key, ca=True)),
        "cert": _write(d / "lab.pem", _cert("socketlab-lab", lab_key, "socketlab lab CA", ca_key)),
        "key": _write(d / "lab.key", key=lab_key),
        "rogue_ca": _write(d / "rogue-ca.pem", _cert("rogue CA", rogue_key, "rogue CA", rogue_key, ca=True)),
        "rogue_cert": _write(d / "rogue.pem", _cert("mallory", bad_key, "rogue CA", rogue_key)),
        "rogue_key": _write(d / "rogue.key", key=bad_key),
    }




@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    d = tmp_path_factory.mktemp("tlslab")
    mp = pytest.MonkeyPatch()
    mp.setenv("SOCKETLAB_STATE_DIR", str(d / "state"))
    pki = make_pki(d)
    p0, p1 = free_ports(2)
    path = d / "lab.yml"  # the tls paths are relative: resolved against the file's directory
    path.write_text(TOPOLOGY.format(name="tlslab", p0=p0, p1=p1))
    err = io.StringIO()
    rc = labtools.lab_up(str(path), io.StringIO(), err, timeout=60)
    try:
        assert rc == 0, err.getvalue()
        yield {"a": f"127.0.0.1:{p0}", "b": f"127.0.0.1:{p1}", "pki": pki, "path": str(path), "dir": d}
    finally:
        labtools.lab_down("tlslab", io.StringIO(), io.StringIO())
        mp.undo()


def _gets_in(target: str, tls: TlsConfig | None, timeout: float = 3.0) -> str:
    """'ok' when a process opens and a socketpair works, else the exception class name."""
    try:
        net = client.connect(target, connect_timeout=timeout, **({"tls": tls} if tls is not None else {}))
    except (ConnectionError, PermissionError) as exc:
        return type(exc).__name__
    try:
        a, b = net.socketpair()
        a.sendall(b"x")
        assert b.recv(1) == b"x"
        return "ok"
    finally:
        net.close()


def test_topology_tls_block() -> None:
    topo = parse_topology(TOPOLOGY.format(name="t", p0=1, p1=2))
    assert topo.tls is not None and (topo.tls.ca, topo.tls.cert, topo.tls.key) == ("ca.pem", "lab.pem", "lab.key")
    no_ca = parse_topology(TOPOLOGY.format(name="t", p0=1, p1=2).replace("ca: ca.pem, ", ""))
    assert no_ca.tls is not None and no_ca.tls.ca is None  # TLS without client certificates


def test_daemons_serve_mtls_and_the_link_is_up(lab: dict[str, Any]) -> None:
    state = labtools.find_state("tlslab")
    for h in state["hosts"].values():
        assert "tls=mtls" in Path(h["log"]).read_text()
    out = io.StringIO()
    assert labtools.lab_status("tlslab", out, io.StringIO()) == 0, out.getvalue()
    assert out.getvalue().count("running (1/1 links up)") == 2, out.getvalue()
    topo = load_topology(lab["path"])
    net = client.connect(lab["a"], tls=labtools.lab_tls_config(topo), connect_timeout=20.0)
    try:
        got, rtts = labtools.ping(net, "10.9.0.2", io.StringIO(), count=1, timeout=10.0)
    finally:
        net.close()
    assert got == 1 and rtts


def test_plaintext_is_refused(lab: dict[str, Any]) -> None:
    state = labtools.find_state("tlslab")
    states = labtools.host_states(state, labtools.LabAuth())  # no TLS files: nothing answers
    assert set(states.values()) == {"starting"}, states
    assert _gets_in(lab["a"], None) == "ConnectionError"


def test_client_without_certificate_is_refused(lab: dict[str, Any]) -> None:
    pki = lab["pki"]
    assert _gets_in(lab["a"], TlsConfig(ca=pki["ca"])) == "ConnectionError"
    assert _gets_in(lab["b"], TlsConfig(ca=pki["ca"], cert=pki["cert"], key=pki["key"])) == "ok"


def test_wrong_ca_is_refused(lab: dict[str, Any]) -> None:
    pki = lab["pki"]
    rogue_client = TlsConfig(ca=pki["ca"], cert=pki["rogue_cert"], key=pki["rogue_key"])
    assert _gets_in(lab["a"], rogue_client) == "ConnectionError"  # a client certificate of another CA
    rogue_server_check = TlsConfig(ca=pki["rogue_ca"], cert=pki["cert"], key=pki["key"])
    assert _gets_in(lab["a"], rogue_server_check) == "ConnectionError"  # the daemon's certificate: not that CA's


def test_link_to_a_daemon_trusting_another_ca_stays_down(lab: dict[str, Any]) -> None:
    d: Path = lab["dir"]
    pki = lab["pki"]
    p0, p1 = free_ports(2)
    path = d / "lab2.yml"
    path.write_text(TOPOLOGY.format(name="tlslab2", p0=p0, p1=p1))
    procs = [
        subprocess.Popen([sys.executable, "-m", "server", "--topology", str(path), "--host", "a"],
                         cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        # b serves the lab's certificate but trusts only the rogue CA's clients: a's dialer is refused
        subprocess.Popen([sys.executable, "-m", "server", "--topology", str(path), "--host", "b",
                          "--tls-cert", pki["cert"], "--tls-key", pki["key"], "--tls-client-ca", pki["rogue_ca"]],
                         cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    auth = labtools.LabAuth(load_topology(path))
    try:
        seen: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(seen) < 10:  # a serves; watch its dialer a while
            try:
                reply = labtools._lab_links(f"127.0.0.1:{p0}", channel=auth.channel(f"127.0.0.1:{p0}"))
            except Exception:  # noqa: BLE001  (a not serving yet)
                time.sleep(0.2)
                continue
            seen.append(reply.links[0].state)
            time.sleep(0.3)
        assert len(seen) == 10, "daemon a never answered over mTLS"
        assert "up" not in seen, seen
    finally:
        auth.close()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=15)


def test_cli_reaches_a_tls_lab_with_its_files(lab: dict[str, Any]) -> None:
    """`socketlab` admin commands, tools and `link set HOST:NIC` find a running lab's TLS files (and
    tokens) from its state, as `lab status` does."""
    from client import cli

    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["--target", lab["a"], "ip", "addr"], out=out, err=err) == 0, err.getvalue()
    assert "10.9.0.1/24" in out.getvalue()
    out = io.StringIO()
    assert cli.main(["--target", lab["a"], "ping", "-c", "1", "-W", "10", "10.9.0.2"], out=out, err=err) == 0, \
        err.getvalue()
    assert "1 received" in out.getvalue() or "1 packets received" in out.getvalue(), out.getvalue()
    out = io.StringIO()
    assert cli.main(["link", "set", "a:eth0", "delay", "1ms"], out=out, err=err) == 0, err.getvalue()
    assert cli.main(["link", "set", "a:eth0", "delay", "0ms"], out=io.StringIO(), err=err) == 0, err.getvalue()
