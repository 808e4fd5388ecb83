"""Engine names as a notebook user types them, mapped to the labels Linkis wants.

Linkis routes a job by ``labels.engineType`` = ``<engine>-<version>`` and runs it by
``executionContent.runType`` (docs/protocol.md §4.1, §9). Users type ``hive``, ``pyspark`` or
``spark-3.4.4``; :func:`resolve_engine` turns that into an :class:`EngineSpec`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import UnknownEngineError
from .protocol import DEFAULT_VERSIONS, HEARTBEAT_CREATORS  # DEFAULT_VERSIONS: re-exported

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


def resolve_engine(name: str, versions: Mapping[str, str] | None = None) -> EngineSpec:
    """Resolve ``hive``, ``pyspark``, ``spark-3.4.4``, ... to labels.

    ``versions`` maps a Linkis engine type (``spark``, not ``pyspark``) to its version and
    overrides :data:`DEFAULT_VERSIONS`; a version in the name itself (``spark-3.4.4``) wins.

    >>> resolve_engine("pyspark").engine_type
    'spark-3.2.1'
    """
    if not isinstance(name, str):
        raise TypeError(f"the engine must be a str such as 'hive', not {type(name).__name__}")
    base, _, explicit = name.strip().lower().partition("-")
    if base not in KNOWN_ENGINES:
        known = ", ".join(KNOWN_ENGINES)
        raise UnknownEngineError(f"unknown engine {name!r}; known engines: {known}")
    engine_type, run_type = KNOWN_ENGINES[base]
    version = explicit or {**DEFAULT_VERSIONS, **(versions or {})}[engine_type]
    return EngineSpec(base, version, f"{engine_type}-{version}", run_type)


def check_creator(creator: str) -> str:
    """``creator`` if jobs may use it; else a ``ValueError`` that says why.

    It must be one word without ``-`` (§4.1), and not a creator whose jobs Linkis kills when
    nobody asks the entrance for their status every 30 s (§4.3): linkis-magic does not send that
    heartbeat (it reads job history), so such a job would die in the middle of a long wait.
    """
    if not creator or "-" in creator:
        raise ValueError(f"a Linkis creator is one word without '-': {creator!r}")
    if creator.lower() in {watched.lower() for watched in HEARTBEAT_CREATORS}:
        raise ValueError(f"creator {creator} is watched by Linkis's client heartbeat "
                         "(wds.linkis.entrance.client.monitor.creator): its jobs are killed after 30 s "
                         f"without a status call, which linkis-magic does not send; use another creator "
                         f"(the default is {DEFAULT_CREATOR})")
    return creator


def user_creator(user: str, creator: str) -> str:
    """The ``labels.userCreator`` value ``<user>-<creator>``.

    Linkis splits it on ``-`` into exactly two parts (§4.1), so neither part may contain one;
    see :func:`check_creator` for the creators refused.
    """
    if not user or "-" in user:
        raise ValueError(f"Linkis user must be non-empty and contain no '-': {user!r}")
    return f"{user}-{check_creator(creator)}"
