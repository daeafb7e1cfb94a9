"""A plain `pip install .` into a fresh virtualenv gives a twistd that finds the clawtown plugin.

Slow (a real venv and a real install), so marked `slow`. It builds from a copy of the tree
without .venv, build/ and other leftovers: a stale in-tree build/ once hid a packaging bug.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

REPO_ROOT = Path(__file__).resolve().parent.parent
LEFTOVERS_AT_TOP = {".venv", "venv", "build", "dist", ".git", ".data", "artifacts", ".pytest_cache", ".hypothesis"}
LEFTOVERS_ANYWHERE = {"__pycache__", "dropin.cache", "_trial_temp"}


def copy_clean_tree(destination: Path) -> Path:
    def ignore(directory, names):
        top = Path(directory) == REPO_ROOT
        return [
            name
            for name in names
            if name in LEFTOVERS_ANYWHERE or name.endswith(".egg-info") or (top and name in LEFTOVERS_AT_TOP)
        ]

    shutil.copytree(REPO_ROOT, destination, ignore=ignore)
    return destination


def run(argv, cwd):
    env = {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(arg) for arg in argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """bin/ of a fresh venv (no system site-packages) into which the project was pip-installed."""
    work = tmp_path_factory.mktemp("packaging")
    source = copy_clean_tree(work / "src")
    venv = work / "venv"
    created = run([sys.executable, "-m", "venv", venv], work)
    assert created.returncode == 0, created.stderr
    bin_dir = venv / "bin"
    install = run([bin_dir / "python", "-m", "pip", "install", "-q", source], work)
    assert install.returncode == 0, install.stdout + install.stderr
    return bin_dir


def test_twistd_discovers_the_clawtown_plugin(installed, tmp_path):
    listed = run([installed / "twistd", "--help"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[:1] == ["clawtown"] for line in listed.stdout.splitlines()), listed.stdout

    tap_help = run([installed / "twistd", "clawtown", "--help"], tmp_path)
    assert tap_help.returncode == 0, tap_help.stdout + tap_help.stderr
    assert "--listen" in tap_help.stdout


def test_clawtown_console_script_runs(installed, tmp_path):
    if not (REPO_ROOT / "clawtown" / "cli" / "__init__.py").exists():
        pytest.skip("clawtown/cli is not written yet: the console script clawtown = clawtown.cli:main has no target")
    done = run([installed / "clawtown", "--help"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
