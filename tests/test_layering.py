"""clawtown.sim is pure game rules: no I/O, no clock, no global randomness, no other clawtown layer.

Walks the AST of every module in clawtown/sim (so lazy imports inside functions count too).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM_DIR = Path(__file__).resolve().parents[1] / "clawtown" / "sim"
SIM_PACKAGE = "clawtown.sim"

FORBIDDEN_MODULES = {
    # from the layering rule
    "twisted", "autobahn", "klein", "sqlite3", "sqlite_utils", "socket", "time", "datetime", "threading",
    "asyncio", "os", "secrets", "treq",
    # the same spirit: processes, dynamic imports, files, entropy
    "subprocess", "multiprocessing", "importlib", "pathlib", "shutil", "tempfile", "uuid", "concurrent",
}
FORBIDDEN_BUILTINS = {"open", "__import__", "eval", "exec", "input"}


def module_files() -> list[Path]:
    return sorted(SIM_DIR.rglob("*.py"))


def _package_of(path: Path) -> list[str]:
    """The package a module's relative imports start from (for __init__.py: its own directory)."""
    return list(path.relative_to(SIM_DIR.parent.parent).with_suffix("").parts[:-1])


def _check_absolute(name: str, lineno: int, problems: list[str]) -> None:
    top = name.split(".")[0]
    if top in FORBIDDEN_MODULES:
        problems.append(f"line {lineno}: imports {name}")
    if top == "clawtown" and not (name == SIM_PACKAGE or name.startswith(SIM_PACKAGE + ".")):
        problems.append(f"line {lineno}: imports {name} (outside {SIM_PACKAGE})")


def problems_in(source: str, package: list[str]) -> list[str]:
    """Everything in one module's source that breaks the layering rule."""
    tree = ast.parse(source)
    problems: list[str] = []
    random_aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "clawtown":
                    problems.append(f"line {node.lineno}: imports the whole clawtown package")
                _check_absolute(alias.name, node.lineno, problems)
                if alias.name == "random":
                    random_aliases.add(alias.asname or "random")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level > len(package):
                    problems.append(f"line {node.lineno}: relative import beyond the top package")
                    continue
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [mod] if node.module else [f"{mod}.{a.name}" for a in node.names]
            if mod == "clawtown":
                targets = [f"clawtown.{a.name}" for a in node.names]
            for target in targets:
                _check_absolute(target, node.lineno, problems)
            if mod == "random":
                for alias in node.names:
                    if alias.name != "Random":
                        problems.append(f"line {node.lineno}: from random import {alias.name} (global random)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_BUILTINS:
            problems.append(f"line {node.lineno}: calls {node.func.id}()")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in random_aliases and node.attr != "Random"):
            problems.append(f"line {node.lineno}: uses the global random.{node.attr} (use a seeded random.Random)")
    return problems


def test_the_sim_package_has_modules():
    names = {p.stem for p in module_files()}
    assert {"world", "combat", "movement", "party", "social", "autopilot", "monsters", "items"} <= names


@pytest.mark.parametrize("path", module_files(), ids=lambda p: str(p.relative_to(SIM_DIR)))
def test_sim_module_is_pure(path):
    problems = problems_in(path.read_text(encoding="utf-8"), _package_of(path))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


# ---- the checker itself --------------------------------------------------------------------

PKG = ["clawtown", "sim"]


@pytest.mark.parametrize("source", [
    "import time",
    "import os.path",
    "from datetime import datetime",
    "import twisted.internet.reactor",
    "from twisted.internet import reactor",
    "import sqlite_utils as su",
    "def f():\n    import socket\n",
    "from secrets import token_hex",
    "import clawtown.engine",
    "from clawtown import config",
    "from clawtown.store import sqlite",
    "from .. import config",
    "from ..engine.loop import Engine",
    "from ...x import y",
    "import random\nx = random.random()",
    "import random\ndef f():\n    return random.choice([1, 2])",
    "import random as r\nr.shuffle([])",
    "import random\nrandom.seed(1)",
    "from random import randint",
    "import random\npick = random.choice",
    "open('x')",
    "__import__('os')",
])
def test_checker_catches(source):
    assert problems_in(source, PKG)


@pytest.mark.parametrize("source", [
    "import random\nrng = random.Random(1)\nrng.random()",
    "import random\ndef f(rng: random.Random) -> int:\n    return rng.randint(1, 2)",
    "from random import Random",
    "from . import combat\nfrom .items import CATALOG",
    "from clawtown.sim import world\nimport clawtown.sim.items",
    "from clawtown import sim",
    "import math, hashlib, json, zlib, re",
    "from dataclasses import dataclass",
    "class X:\n    def random(self):\n        return self.rng.random()",
])
def test_checker_allows(source):
    assert problems_in(source, PKG) == []
