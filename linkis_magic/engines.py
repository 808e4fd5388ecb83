"""Engine names as a notebook user types them, mapped to the labels Linkis wants.

Linkis routes a job by ``labels.engineType`` = ``<engine>-<version>`` and runs it by
``executionContent.runType`` (linkis-protocol.md §4.1, §9). Users type ``hive``, ``pyspark`` or
``spark-3.4.4``; :func:`resolve_engine` turns that into an :class:`EngineSpec`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

from .errors import UnknownEngineError
from .protocol import DEFAULT_VERSIONS  # re-exported: the versions a caller may override

#: Our creator. Linkis appends ``limit 5000`` to SQL from creator ``IDE`` (§4.1), so never use it.
DEFAULT_CREATOR = "LINKISMAGIC"

#: User-facing name -> (Linkis engine type, runType) (§9).
KNOWN_ENGINES: Mapping[str, tuple[str, str]] = {
    "hive": ("hive", "hql"),
    "spark": ("spark", "sql"),
    "pyspark": ("spark", "py"),
    "scala": ("spark", "scala"),
    "python": ("python", "python"),
    "shell": ("shell", "shell"),
    "jdbc": ("jdbc", "jdbc"),
    "trino": ("trino", "tsql"),
    "presto": ("presto", "psql"),
}

@dataclass(frozen=True)
class EngineSpec:
    """What a job needs to know about its engine."""

    name: str  # as the user typed it, without version: "pyspark"
    version: str  # "3.2.1"
    engine_type: str  # labels.engineType: "spark-3.2.1"
    run_type: str  # executionContent.runType: "py"


def resolve_engine(name: str, versions: Optional[Mapping[str, str]] = None) -> EngineSpec:
    """Resolve ``hive``, ``pyspark``, ``spark-3.4.4``, ... to labels.

    ``versions`` maps a Linkis engine type (``spark``, not ``pyspark``) to its version and
    overrides :data:`DEFAULT_VERSIONS`; a version in the name itself (``spark-3.4.4``) wins.

    >>> resolve_engine("pyspark").engine_type
    'spark-3.2.1'
    """
    base, _, explicit = name.strip().lower().partition("-")
    if base not in KNOWN_ENGINES:
        known = ", ".join(KNOWN_ENGINES)
        raise UnknownEngineError(f"unknown engine {name!r}; known engines: {known}")
    engine_type, run_type = KNOWN_ENGINES[base]
    version = explicit or {**DEFAULT_VERSIONS, **(versions or {})}[engine_type]
    return EngineSpec(base, version, f"{engine_type}-{version}", run_type)


def user_creator(user: str, creator: str) -> str:
    """The ``labels.userCreator`` value ``<user>-<creator>``.

    Linkis splits it on ``-`` into exactly two parts (§4.1), so neither part may contain one.
    """
    for what, value in (("user", user), ("creator", creator)):
        if not value or "-" in value:
            raise ValueError(f"Linkis {what} must be non-empty and contain no '-': {value!r}")
    return f"{user}-{creator}"
