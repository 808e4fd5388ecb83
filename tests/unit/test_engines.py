"""Engine names -> labels.engineType and runType (docs/protocol.md §4.1, §9)."""

import pytest

from linkis_magic.engines import KNOWN_ENGINES, resolve_engine, user_creator
from linkis_magic.errors import UnknownEngineError


@pytest.mark.parametrize("name, engine_type, run_type", [
    ("hive", "hive-3.1.3", "hql"),
    ("spark", "spark-3.2.1", "sql"),
    ("pyspark", "spark-3.2.1", "py"),
    ("scala", "spark-3.2.1", "scala"),
    ("python", "python-python2", "python"),
    ("shell", "shell-1", "shell"),
    ("jdbc", "jdbc-4", "jdbc"),
    ("trino", "trino-371", "tsql"),
    ("presto", "presto-0.234", "psql"),
])
def test_defaults_are_linkis_1_8(name, engine_type, run_type):
    spec = resolve_engine(name)
    assert (spec.engine_type, spec.run_type, spec.name) == (engine_type, run_type, name)


def test_every_known_engine_resolves():
    assert {resolve_engine(name).name for name in KNOWN_ENGINES} == set(KNOWN_ENGINES)


def test_explicit_version_is_taken_as_given():
    assert resolve_engine("spark-3.4.4").engine_type == "spark-3.4.4"
    assert resolve_engine("pyspark-3.4.4").engine_type == "spark-3.4.4"
    assert resolve_engine("python-python3").engine_type == "python-python3"


def test_configured_versions_apply_to_the_linkis_engine_type():
    versions = {"spark": "3.4.4", "hive": "2.3.3"}
    assert resolve_engine("pyspark", versions).engine_type == "spark-3.4.4"
    assert resolve_engine("hive", versions).engine_type == "hive-2.3.3"
    assert resolve_engine("hive-3.1.3", versions).engine_type == "hive-3.1.3"


def test_names_are_case_and_space_insensitive():
    assert resolve_engine(" Hive ").engine_type == "hive-3.1.3"


def test_unknown_engine_lists_the_known_ones():
    with pytest.raises(UnknownEngineError, match="known engines: hive, spark") as info:
        resolve_engine("flinkk")
    assert isinstance(info.value, ValueError)


def test_user_creator():
    assert user_creator("alice", "LINKISMAGIC") == "alice-LINKISMAGIC"
    for user, creator in [("al-ice", "X"), ("alice", "MY-APP"), ("", "X")]:
        with pytest.raises(ValueError, match="no '-'|without '-'"):
            user_creator(user, creator)


@pytest.mark.parametrize("creator", ["LINKISCLI", "linkiscli", "BdpClient"])
def test_creators_linkis_kills_without_a_heartbeat_are_refused(creator):
    # Linkis kills their jobs after 30 s without an entrance status call (§4.3).
    with pytest.raises(ValueError, match=f"creator {creator} is watched by Linkis's client heartbeat"):
        user_creator("alice", creator)
