"""docker-compose.yml and examples/lab.yml agree, and the compose file is valid.

No Docker engine runs here, so: the compose file is parsed with PyYAML and
validated against the Compose Specification's JSON schema (compose-spec.json
as the check-jsonschema package vendors it, with its licence: a test extra in
pyproject.toml, so a fresh ``pip install -e .[test]`` runs this, no skip) with
jsonschema, and with check-jsonschema's own CLI;
every topology host has a service running ``socketlabd --topology /lab.yml
--host NAME`` on the host's API port, published on the same port, with the
topology file mounted at /lab.yml; and the Dockerfile's entry point is socketlabd.
"""
from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from server.__main__ import parse_args
from server.topology import load_topology

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"
TOPOLOGY = REPO / "examples" / "lab.yml"


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text()))


def _compose_spec_schema() -> dict[str, Any]:
    """The Compose Specification's schema as check-jsonschema vendors it (the test extra)."""
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return dict(json.loads(schema_file.read_text()))


def test_compose_file_validates_against_the_compose_spec_schema() -> None:
    schema = _compose_spec_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    cls(schema, format_checker=cls.FORMAT_CHECKER).validate(_compose())


def test_the_schema_refuses_a_broken_compose_file() -> None:
    """The validator is real: a misspelt service key and a malformed port list are refused."""
    schema = _compose_spec_schema()
    cls = jsonschema.validators.validator_for(schema)
    broken = _compose()
    first = next(iter(broken["services"].values()))
    first["comand"] = first.pop("command")
    first["ports"] = {"50061": 50061}
    errors = list(cls(schema).iter_errors(broken))
    assert errors
    assert any("comand" in e.message for e in errors)


def test_check_jsonschema_cli_accepts_the_compose_file() -> None:
    """`check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml`: its own YAML parser
    (ruamel.yaml) and schema, as a CI step or a developer would run it."""
    run = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
                          str(COMPOSE)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok" in run.stdout


def test_a_service_per_host_with_the_same_command_and_port() -> None:
    topo = load_topology(TOPOLOGY)
    services = _compose()["services"]
    assert set(services) == set(topo.hosts)
    assert len(topo.hosts) >= 3 and any(h.sysctls.get("net.ipv4.ip_forward") for h in topo.hosts.values())
    for name, spec in topo.hosts.items():
        svc = services[name]
        cmd = svc["command"]
        ns = parse_args(cmd)  # socketlabd's own parser accepts it
        assert ns.topology == "/lab.yml" and ns.host_name == name
        assert ns.listen == f"0.0.0.0:{spec.api_port}"
        assert ns.peers_by_name  # peers are dialed at SERVICE:PORT
        assert f"127.0.0.1:{spec.api_port}:{spec.api_port}" in svc["ports"]
        mounts = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"]}
        assert (REPO / mounts["/lab.yml"]).resolve() == TOPOLOGY.resolve()
        assert svc["build"]["dockerfile"] == "server/Dockerfile"
    dialers = {lk.a.host for lk in topo.links}
    for name in dialers:  # a dialing host starts after the host it dials
        for lk in topo.dialed_by(name):
            assert lk.b.host in services[name].get("depends_on", []), (name, lk.b.host)


def test_dockerfile_runs_socketlabd() -> None:
    text = (REPO / "server" / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["socketlabd"]' in text
    assert "COPY examples/lab.yml /lab.yml" in text
