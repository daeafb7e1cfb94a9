"""Run the real `clawtown` CLI as a subprocess, and check its one-red-line failures (e2e helpers)."""

from __future__ import annotations

import os
import subprocess
import sys

CLI = [sys.executable, "-c", "from clawtown.cli import main; main()"]


def clawtown(*args: str, env: dict | None = None, timeout: float = 80) -> subprocess.CompletedProcess:
    """`clawtown ARGS` without CT_URL/CT_DATA_DIR from the test environment, 120 columns, no colour."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("CT_DATA_DIR", "CT_URL")}
    full_env.update({"COLUMNS": "120", "NO_COLOR": "1", **(env or {})})
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env=full_env, check=False)


def one_red_line(result: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 1, nothing on stdout, exactly one `error:` line on stderr holding every needle."""
    assert result.returncode == 1, result
    assert result.stdout == "", result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]
