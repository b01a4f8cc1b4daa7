"""Lab links authenticate: a host with tokens accepts a peer's link only with its ``link_token``.

`socketlab lab up` of a two-host topology whose acceptor requires tokens: the
dialer presents the acceptor's link_token, the link comes up, ping crosses it.
Refused: a dialer with no token (UNAUTHENTICATED), a wrong token
(UNAUTHENTICATED), a user's token without CAP_NET_ADMIN (PERMISSION_DENIED):
the dialer's state is "failed" with the reason.  The topology check asks for a
link_token when a host with tokens accepts links.
"""
from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from typing import Any

import pytest

import client
from client import lab as labtools
from kernel.host import Host
from server.topology import TopologyError, parse_topology
from tests.conftest import free_ports

LINK_TOKEN = "link-0123456789abcdef"
ADMIN_TOKEN = "admin-0123456789abcdef"
USER_TOKEN = "user-0123456789abcdefg"

TOPOLOGY = """\
name: authlab
hosts:
  a:
    api: {{port: {p0}}}
    nics: [{{name: eth0}}]
    addresses: [{{dev: eth0, address: 10.9.0.1/24}}]
  b:
    api: {{port: {p1}}}
    nics: [{{name: eth0}}]
    addresses: [{{dev: eth0, address: 10.9.0.2/24}}]
    tokens:
      - {{token: {admin}, name: admin, uid: 0}}
      - {{token: {user}, name: alice, uid: 1000, caps: [CAP_NET_RAW]}}
    link_token: {link}
links:
  - endpoints: [a:eth0, b:eth0]
"""




@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    d = tmp_path_factory.mktemp("authlab")
    mp = pytest.MonkeyPatch()
    mp.setenv("SOCKETLAB_STATE_DIR", str(d))
    p0, p1 = free_ports(2)
    path = d / "lab.yml"
    path.write_text(TOPOLOGY.format(p0=p0, p1=p1, admin=ADMIN_TOKEN, user=USER_TOKEN, link=LINK_TOKEN))
    err = io.StringIO()
    rc = labtools.lab_up(str(path), io.StringIO(), err, timeout=60)
    try:
        assert rc == 0, err.getvalue()
        yield {"a": f"127.0.0.1:{p0}", "b": f"127.0.0.1:{p1}"}
    finally:
        labtools.lab_down("authlab", io.StringIO(), io.StringIO())
        mp.undo()


def test_link_with_the_link_token_comes_up_and_carries_traffic(lab: dict[str, Any]) -> None:
    out = io.StringIO()
    assert labtools.lab_status("authlab", out, io.StringIO()) == 0, out.getvalue()
    net = client.connect(lab["a"])
    try:
        got, _ = labtools.ping(net, "10.9.0.2", io.StringIO(), count=2, interval=0.05, timeout=3.0)
    finally:
        net.close()
    assert got == 2


def test_the_link_token_is_no_user_token(lab: dict[str, Any]) -> None:
    """The link principal gets nobody's credentials: no CAP_NET_RAW for a raw socket."""
    net = client.connect(lab["b"], token=LINK_TOKEN)
    try:
        with pytest.raises(PermissionError):
            net.socket(net.AF_INET, net.SOCK_RAW, 1)
    finally:
        net.close()


def _dial(target: str, token: str | None) -> tuple[str, str]:
    """An in-process dialer posing as a:eth0: its final state and last error."""
    from kernel.drivers.net.peerlink import peerlink_newlink
    from server.link_service import LinkDialer

    async def run() -> tuple[str, str]:
        host = Host(name="a")
        peerlink_newlink(host, "eth0", peer=("b", "eth0"))
        dialer = LinkDialer(host, "eth0", target, "b", "eth0", "authlab", token=token, backoff=(0.05, 0.2))
        dialer.start()
        try:
            for _ in range(200):
                if dialer.state in ("failed", "up"):
                    break
                await asyncio.sleep(0.02)
            return dialer.state, dialer.last_error
        finally:
            await dialer.stop()

    return asyncio.run(run())


@pytest.mark.parametrize(("token", "code"), [
    (None, "UNAUTHENTICATED"),
    ("wrong-0123456789abcdef", "UNAUTHENTICATED"),
    (USER_TOKEN, "PERMISSION_DENIED"),
])
def test_links_without_the_link_token_are_refused(lab: dict[str, Any], token: str | None, code: str) -> None:
    state, why = _dial(lab["b"], token)
    assert state == "failed"
    assert why.startswith(code), why


def test_an_admin_token_may_link(lab: dict[str, Any]) -> None:
    """CAP_NET_ADMIN may wire a link (it could add the NIC anyway); the hello then replaces a's stream."""
    state, why = _dial(lab["b"], ADMIN_TOKEN)
    assert state == "up", why


def test_topology_asks_for_a_link_token() -> None:
    text = TOPOLOGY.format(p0=1, p1=2, admin=ADMIN_TOKEN, user=USER_TOKEN, link=LINK_TOKEN)
    text = text.replace(f"    link_token: {LINK_TOKEN}\n", "")
    with pytest.raises(TopologyError) as exc:
        parse_topology(text, "lab.yml")
    assert any("hosts.b.tokens" in p and "link_token" in p for p in exc.value.problems), exc.value.problems
    bad = TOPOLOGY.format(p0=1, p1=2, admin=ADMIN_TOKEN, user=USER_TOKEN, link="short")
    with pytest.raises(TopologyError) as exc:
        parse_topology(bad, "lab.yml")
    assert any("hosts.b.link_token" in p and "16 characters" in p for p in exc.value.problems)
