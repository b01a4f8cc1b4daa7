"""Reports how many sequences and steps the stateful fuzzers ran (and, with
SOCKETLAB_FUZZ_STATS=FILE, writes them there as JSON)."""

from __future__ import annotations

import json
import os
from typing import Any

from .machine import KNOWN_BUGS, STATS
from .udp_machine import UDP_KNOWN_BUGS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not STATS:
        return
    tr = terminalreporter
    tr.section("socketlab fuzz")
    for label, counts in sorted(STATS.items()):
        tr.write_line(f"{label}: {counts['sequences']} sequences, {counts['steps']} steps")
        rules = sorted((k[5:], v) for k, v in counts.items() if k.startswith("rule:"))
        tr.write_line("    steps per rule: " + ", ".join(f"{name} {n}" for name, n in rules))
        guarded = sorted((k[8:], v) for k, v in counts.items() if k.startswith("guarded:"))
        if guarded:
            tr.write_line("    sequences dropped by a guard: " + ", ".join(f"{name} {n}" for name, n in guarded))
        if os.environ.get("SOCKETLAB_FUZZ_OUTCOMES"):
            outcomes: dict[str, list[str]] = {}
            for key, n in sorted(counts.items()):
                if key.startswith("outcome:"):
                    _, rule, what = key.split(":", 2)
                    outcomes.setdefault(rule, []).append(f"{what} {n}")
            for rule, parts in outcomes.items():
                tr.write_line(f"    {rule}: " + ", ".join(parts))
    if KNOWN_BUGS:
        tr.write_line("stepped around (known kernel bugs): " + ", ".join(sorted(KNOWN_BUGS)))
    if UDP_KNOWN_BUGS and any(label.startswith("udp-") for label in STATS):
        tr.write_line("UDP machine stepped around: " + ", ".join(sorted(UDP_KNOWN_BUGS)))
    out = os.environ.get("SOCKETLAB_FUZZ_STATS")
    if out:
        with open(out, "w") as f:
            json.dump({label: dict(c) for label, c in STATS.items()}, f, indent=2, sort_keys=True)
