"""The README's client example runs as written against a live daemon."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_example_runs_against_the_daemon(daemon: str) -> None:
    code = re.search(r"```python\n(import client.*?)```", README.read_text(), re.S)
    assert code is not None
    source = code.group(1).replace('"127.0.0.1:50051"', repr(daemon))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "README.md", "exec"), {})
    assert out.getvalue().split() == ["b'ping'", "b''", "2"]


def test_readme_has_the_two_commands() -> None:
    text = README.read_text()
    assert ".venv/bin/socketlabd" in text
    assert ".venv/bin/python -m pytest" in text
    ci = (README.parent / ".ci" / "run").read_text()
    test_cmd = re.search(r"^(python3 -m venv .*pytest)$", text, re.M)
    assert test_cmd is not None and test_cmd.group(1) in ci
