"""CI wiring of the clients of other languages (issue #6): .ci/run calls
.ci/clients.sh before the README's test command, and the script does what the
issue asks (buf lint, grpcurl, the five examples run against two hosts of a
lab it starts with `socketlab lab up` and takes down)."""
from __future__ import annotations

import os
import re
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(*parts: str) -> str:
    with open(os.path.join(REPO, *parts), encoding="utf-8") as f:
        return f.read()


def test_ci_run_calls_clients_sh() -> None:
    lines = [line.strip() for line in _read(".ci", "run").splitlines()]
    calls = [i for i, line in enumerate(lines)
             if not line.startswith("#") and re.search(r"(^|\s|/)\.ci/clients\.sh\b", line)]
    assert calls, ".ci/run does not call .ci/clients.sh"
    readme = [i for i, line in enumerate(lines) if "pytest" in line and not line.startswith("#")]
    assert readme and calls[0] < readme[-1], ".ci/clients.sh must run before the README test command"


def test_clients_sh_is_an_executable_bash_script() -> None:
    path = os.path.join(REPO, ".ci", "clients.sh")
    assert os.access(path, os.X_OK)
    subprocess.run(["bash", "-n", path], check=True)


def test_clients_sh_covers_the_issue() -> None:
    script = _read(".ci", "clients.sh")
    assert "buf\" lint proto" in script or "buf lint proto" in script
    assert "grpcurl -plaintext \"$TARGET\" list" in script
    assert "socketlab.v1.SocketCall/Socket" in script and "socketlab.v1.SocketCall/Bind" in script
    for lang in ("go", "node", "java", "rust", "cpp"):
        assert re.search(rf"^run_example {lang} ", script, re.M), f"the {lang} example is not run"
        assert os.path.isdir(os.path.join(REPO, "client", lang)), f"client/{lang} is missing"
    # two hosts: the examples get A's and B's API addresses and B's IPv4 address
    assert '"$TARGET" "$TARGET_B" 10.0.0.2' in script
    assert "client/examples/lab2.yml" in script
    assert re.search(r"^\"\$\{SOCKETLAB\[@\]\}\" lab up ", script, re.M)
    assert re.search(r"^\"\$\{SOCKETLAB\[@\]\}\" lab down clients2$", script, re.M)  # the lab is taken down


def test_lab2_topology_is_two_linked_hosts() -> None:
    """client/examples/lab2.yml: A 10.0.0.1/24 and B 10.0.0.2/24, eth0 <-> eth0, on the ports the script rewrites."""
    from server.topology import load_topology

    topo = load_topology(os.path.join(REPO, "client", "examples", "lab2.yml"))
    assert topo.name == "clients2"
    assert sorted(topo.hosts) == ["A", "B"]
    assert {h.api for h in topo.hosts.values()} == {"127.0.0.1:50071", "127.0.0.1:50072"}
    script = _read(".ci", "clients.sh")
    assert "s/port: 50071}/" in script and "s/port: 50072}/" in script
    text = _read("client", "examples", "lab2.yml")
    assert "10.0.0.1/24" in text and "10.0.0.2/24" in text
    assert len(topo.links) == 1
