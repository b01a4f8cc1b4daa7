"""CI wiring of the clients of other languages (issue #6): .ci/run calls
.ci/clients.sh before the README's test command, and the script does what the
issue asks (buf lint, grpcurl, the five examples, a daemon it stops)."""
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
    assert 'kill -TERM "$DAEMON_PID"' in script  # the daemon is stopped
