"""examples/incident.py runs and its claims (it asserts them itself) hold."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import agentmem

EXAMPLE = Path(__file__).parent.parent / "examples" / "incident.py"


def test_incident_example(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), str(tmp_path / "memory")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "introduced in" in out and "by researcher" in out
    assert "Forgot 3 facts" in out and "git fsck --full: clean" in out
    evaluations = int(out.split(" evaluations over ")[0].rsplit(" ", 1)[1])
    assert evaluations <= 9  # ceil(log2(200)) + 1
    # agents as identities: trace, quarantine, receipts, cascade (the example asserts the sets)
    assert "read by ['billing (billing-run-7)', 'planner (planner-run-3)']" in out
    assert "4 facts hidden from every agent" in out
    assert out.count("  receipt: ") == 3 and "removed exactly 4 facts" in out
    # The command the example ends with (a short commit id) works as printed.
    line = next(x for x in out.splitlines() if "holds the wrong fact for the record" in x)
    command = line.rsplit(": ", 1)[1].split()
    assert command[0] == "agentmem" and len(command[-1]) == 12
    env = {**os.environ, "PYTHONPATH": str(Path(agentmem.__file__).parent.parent)}
    shown = subprocess.run([sys.executable, "-m", *command], cwd=tmp_path / "memory", env=env,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert command[2] in shown.stdout
