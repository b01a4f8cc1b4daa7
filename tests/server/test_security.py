"""Transport security and authorisation (issue #7): TLS, mutual TLS, bearer tokens.

The matrix: each daemon mode against clients that should and should not get
in; tokens mapping to uids and capability sets; one principal never reaching
another's process handle; the loopback-only rule without security.
Certificates are made here with ``cryptography`` (a CA, the daemon's
certificate for 127.0.0.1, a client certificate, and a rogue CA's client
certificate).
"""
from __future__ import annotations

import datetime
import ipaddress
import socket as _std
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import client
from client._gen.socketlab.v1 import socketcall_pb2 as sc
from client._gen.socketlab.v1 import socketcall_pb2_grpc as sc_grpc
from client._grpc import TlsConfig
from tests.conftest import REPO

TOKEN_ALICE = "alice-0123456789abcdef"
TOKEN_BOB = "bob-0123456789abcdef00"
TOKEN_ROOT = "root-0123456789abcdef0"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key: Any, issuer: str, issuer_key: Any, *, ca: bool = False, server: bool = False) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate | None = None, key: Any = None) -> str:
    if cert is not None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(path)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("pki")
    ca_key, rogue_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _cert("socketlab test CA", ca_key, "socketlab test CA", ca_key, ca=True)
    rogue = _cert("rogue CA", rogue_key, "rogue CA", rogue_key, ca=True)
    srv_key, cli_key, bad_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    tokens = d / "tokens"
    tokens.write_text(
        "# test tokens\n"
        f"{TOKEN_ALICE} name=alice uid=1000 gid=1000 caps=CAP_NET_BIND_SERVICE\n"
        f"{TOKEN_BOB}   name=bob uid=1001\n"
        f"{TOKEN_ROOT}  name=admin uid=0   # all capabilities\n"
    )
    return {
        "ca": _write(d / "ca.pem", ca),
        "server_cert": _write(d / "server.pem", _cert("socketlabd", srv_key, "socketlab test CA", ca_key, server=True)),
        "server_key": _write(d / "server.key", key=srv_key),
        "client_cert": _write(d / "client.pem", _cert("client", cli_key, "socketlab test CA", ca_key)),
        "client_key": _write(d / "client.key", key=cli_key),
        "rogue_cert": _write(d / "rogue.pem", _cert("mallory", bad_key, "rogue CA", rogue_key)),
        "rogue_key": _write(d / "rogue.key", key=bad_key),
        "rogue_ca": _write(d / "rogue-ca.pem", rogue),
        "tokens": str(tokens),
    }


def _gets_in(target: str, timeout: float = 20.0, **kwargs: Any) -> str:
    """'ok' if a process opens and a socketpair works, else the exception class name.

    A handshake that cannot succeed (plaintext to TLS, an unknown CA) shows as
    a channel that never becomes ready: those cases pass a short ``timeout``."""
    try:
        net = client.connect(target, connect_timeout=timeout, **kwargs)
    except (ConnectionError, PermissionError) as exc:
        print(f"_gets_in({target}, {kwargs}): {exc!r}")  # shown when an assertion fails
        return type(exc).__name__
    try:
        a, b = net.socketpair()
        a.sendall(b"x")
        assert b.recv(1) == b"x"
        return "ok"
    finally:
        net.close()


def _peer_ids(net: Any) -> tuple[int, int]:
    """(uid, gid) of the process, read back with SO_PEERCRED on its own socketpair."""
    a, b = net.socketpair()
    try:
        _pid, uid, gid = struct.unpack("3i", a.getsockopt(net.SOL_SOCKET, net.SO_PEERCRED, 12))
        return uid, gid
    finally:
        a.close()
        b.close()


def test_tls_only(spawn_daemon: Callable[..., Any], pki: dict[str, str]) -> None:
    d = spawn_daemon("--tls-cert", pki["server_cert"], "--tls-key", pki["server_key"])
    assert "tls=on" in "".join(d.log)
    assert _gets_in(d.target, tls=TlsConfig(ca=pki["ca"])) == "ok"
    assert _gets_in(d.target, timeout=3.0) == "ConnectionError"  # plaintext to a TLS port
    assert _gets_in(d.target, tls=TlsConfig(ca=pki["rogue_ca"]), timeout=3.0) == "ConnectionError"  # unknown server CA


def test_mutual_tls(spawn_daemon: Callable[..., Any], pki: dict[str, str]) -> None:
    d = spawn_daemon("--tls-cert", pki["server_cert"], "--tls-key", pki["server_key"], "--tls-client-ca", pki["ca"])
    assert "tls=mtls" in "".join(d.log)
    good = TlsConfig(ca=pki["ca"], cert=pki["client_cert"], key=pki["client_key"])
    assert _gets_in(d.target, tls=good) == "ok"
    assert _gets_in(d.target, tls=TlsConfig(ca=pki["ca"]), timeout=3.0) == "ConnectionError"  # no client certificate
    rogue = TlsConfig(ca=pki["ca"], cert=pki["rogue_cert"], key=pki["rogue_key"])
    assert _gets_in(d.target, tls=rogue, timeout=3.0) == "ConnectionError"  # a certificate the daemon's CA did not sign


def test_tokens(spawn_daemon: Callable[..., Any], pki: dict[str, str]) -> None:
    d = spawn_daemon("--token-file", pki["tokens"])
    assert "auth=token" in "".join(d.log)
    assert _gets_in(d.target) == "PermissionError"  # no token
    assert _gets_in(d.target, token="alice-0123456789abcdeX") == "PermissionError"  # one character off
    assert _gets_in(d.target, token=TOKEN_ALICE) == "ok"
    # health probes need no token
    with grpc.insecure_channel(d.target) as channel:
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        # every other service refuses a call without a token
        with pytest.raises(grpc.RpcError) as info:
            sc_grpc.SocketCallStub(channel).Socket(sc.SocketRequest(process="x", family=1, type=1), timeout=5)
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_token_sets_credentials(spawn_daemon: Callable[..., Any], pki: dict[str, str]) -> None:
    d = spawn_daemon("--token-file", pki["tokens"])
    alice = client.connect(d.target, token=TOKEN_ALICE, uid=0, gid=0)  # asking for root does not make it root
    try:
        assert _peer_ids(alice) == (1000, 1000)
    finally:
        alice.close()
    admin = client.connect(d.target, token=TOKEN_ROOT, uid=42, gid=43)  # a root token may pick its ids
    try:
        assert _peer_ids(admin) == (42, 43)
    finally:
        admin.close()


def test_tls_and_tokens(spawn_daemon: Callable[..., Any], pki: dict[str, str]) -> None:
    d = spawn_daemon("--tls-cert", pki["server_cert"], "--tls-key", pki["server_key"], "--token-file", pki["tokens"])
    tls = TlsConfig(ca=pki["ca"])
    assert _gets_in(d.target, tls=tls, token=TOKEN_BOB) == "ok"
    assert _gets_in(d.target, tls=tls) == "PermissionError"
    assert _gets_in(d.target, token=TOKEN_BOB, timeout=3.0) == "ConnectionError"  # the token alone, in plaintext, does not connect


def test_process_handles_are_per_principal(spawn_daemon: Callable[..., Any], pki: dict[str, str]) -> None:
    """Bob holding Alice's process handle still cannot act in her process."""
    d = spawn_daemon("--token-file", pki["tokens"])
    alice = client.connect(d.target, token=TOKEN_ALICE)
    try:
        handle = alice._transport.handle
        with grpc.insecure_channel(d.target) as channel:
            stub = sc_grpc.SocketCallStub(channel)
            req = sc.SocketRequest(process=handle, family=_std.AF_UNIX, type=_std.SOCK_STREAM)
            with pytest.raises(grpc.RpcError) as info:
                stub.Socket(req, metadata=(("authorization", f"Bearer {TOKEN_BOB}"),), timeout=5)
            assert info.value.code() == grpc.StatusCode.NOT_FOUND
            reply = stub.Socket(req, metadata=(("authorization", f"Bearer {TOKEN_ALICE}"),), timeout=5)
            assert reply.result.ret >= 3  # a new fd in her process
    finally:
        alice.close()


def _run_daemon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=REPO, capture_output=True, text=True, timeout=30)


def test_remote_listen_needs_security_or_insecure(spawn_daemon: Callable[..., Any]) -> None:
    refused = _run_daemon("--listen", "0.0.0.0:0")
    assert refused.returncode == 2
    assert "refusing to listen on 0.0.0.0:0 without TLS or tokens" in refused.stderr
    d = spawn_daemon("--listen", "0.0.0.0:0", "--insecure")
    assert "--insecure" in "".join(d.log) and "WARNING" in "".join(d.log)


def test_bad_security_settings_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "tokens"
    empty.write_text("# nothing\n")
    short = tmp_path / "short"
    short.write_text("abc uid=5\n")
    bad_cap = tmp_path / "badcap"
    bad_cap.write_text("0123456789abcdef0123 caps=CAP_FLY\n")
    cases = {
        ("--token-file", str(empty)): "holds no token",
        ("--token-file", str(short)): "at least 16 characters",
        ("--token-file", str(bad_cap)): "unknown capability",
        ("--token-file", str(tmp_path / "missing")): "cannot read token file",
        ("--tls-cert", "x.pem"): "--tls-cert and --tls-key go together",
    }
    for args, message in cases.items():
        done = _run_daemon("--listen", "127.0.0.1:0", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr, (args, done.stderr)
