"""The `make_store` fixture: every contract test runs once per backend (memory, sqlite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from store_records import StoreFactory

from clawtown.store import MemoryStore, Store, open_store


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    opened: list[Store] = []

    def make(**options: Any) -> Store:
        if request.param == "memory":
            store: Store = MemoryStore(**options)
        else:
            store = open_store(tmp_path / f"data{len(opened)}", **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()

