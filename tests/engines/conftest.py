"""Fixtures for the engine tests: an engine pool and job contexts in a temporary data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linkis_magic.local.engines import EnginePool
from tests.engines.harness import RecordingContext


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[EnginePool]:
    engine_pool = EnginePool(tmp_path)
    yield engine_pool
    engine_pool.close()


@pytest.fixture
def make_ctx(tmp_path: Path):
    """``make_ctx(engine, code, run_type=None, **fields)`` -> a RecordingContext in alice's dir."""

    def make(engine: str, code: str, run_type: str | None = None, **fields: Any) -> RecordingContext:
        user = fields.pop("user", "alice")
        return RecordingContext(engine=engine, run_type=run_type or engine, code=code,
                                user_dir=tmp_path / "users" / user, user=user, **fields)

    return make
