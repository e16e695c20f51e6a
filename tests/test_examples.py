"""The examples in examples/ run as documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_demo_runs_and_leaves_a_clean_git_repository(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "demo.py"), str(tmp_path / "memory")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "git fsck --full: clean" in result.stdout
    assert "before the coder's change it read: 'The staging database runs Postgres 15" in result.stdout
    assert "introduced by planner (run run-1, trace conv-17)" in result.stdout
    assert "'which database does staging use?' -> 'The staging database runs Postgres 16" in result.stdout
    assert "'when does ACME get its invoice?' -> 'Customer ACME is billed" in result.stdout
    assert "Loading weights" not in result.stderr
