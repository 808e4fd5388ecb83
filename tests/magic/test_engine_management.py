"""The user's engines through Linkis's manager endpoints (§15.4) on the embedded gateway:
``listUserEngines`` and the owner-checked ``killEngineConn``, from the client and ``%linkis``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from linkis_magic.client import LinkisClient
from linkis_magic.errors import LinkisRequestError
from linkis_magic.local.server import LocalLinkis


@pytest.fixture(scope="module")
def engines_linkis(tmp_path_factory) -> Iterator[LocalLinkis]:
    """A gateway of its own (its engines get killed here) with users alice and bob."""
    with LocalLinkis(data_dir=tmp_path_factory.mktemp("engines"), users={"alice": {}, "bob": {}}) as started:
        yield started


def client_of(gateway: LocalLinkis, user: str) -> LinkisClient:
    return LinkisClient(gateway.url, user=user, token=gateway.credentials(user)[1])


def engine_types(nodes: list[dict]) -> set[str]:
    return {label["stringValue"] for node in nodes for label in node["labels"] if label["labelKey"] == "engineType"}


def test_list_and_kill_round_trip(engines_linkis: LocalLinkis):
    with client_of(engines_linkis, "alice") as alice:
        alice.run("x = 41", engine="python")
        alice.run("select 1", engine="hive")
        nodes = alice.engines()
        assert {"python-python2", "hive-3.1.3"} <= engine_types(nodes)
        python = next(n for n in nodes if "python-python2" in engine_types([n]))
        assert python["owner"] == "alice" and python["nodeStatus"] == "Unlock"
        assert python["serviceInstance"]["applicationName"] == "linkis-cg-engineconn"
        answer = alice.kill_engine(python["serviceInstance"]["instance"])
        assert answer == {}
        assert python["serviceInstance"]["instance"] not in {n["serviceInstance"]["instance"] for n in alice.engines()}
        # The next job gets a new engine: the state of the old one is gone.
        job = alice.run("print('x' in globals())", engine="python")
        assert job.results[0].text().strip() == "False"


def test_killing_another_users_engine_is_refused(engines_linkis: LocalLinkis):
    with client_of(engines_linkis, "alice") as alice, client_of(engines_linkis, "bob") as bob:
        alice.run("echo mine", engine="shell")
        mine = next(n["serviceInstance"]["instance"] for n in alice.engines() if "shell-1" in engine_types([n]))
        assert mine not in {n["serviceInstance"]["instance"] for n in bob.engines()}
        with pytest.raises(LinkisRequestError, match="You have no permission to kill EngineConn"):
            bob.kill_engine(mine)
        assert mine in {n["serviceInstance"]["instance"] for n in alice.engines()}


def test_the_magic_lists_and_kills(engines_linkis: LocalLinkis, connect):
    ip = connect(engines_linkis)  # as the gateway's default user, alice
    with capture_output():
        ip.run_cell_magic("linkis", "python --quiet", "y = 1")
        frame = ip.run_line_magic("linkis", "engines")
    assert frame.columns.tolist() == ["id", "engine", "creator", "status", "idle_minutes", "started"]
    python_id = frame[frame["engine"] == "python-python2"]["id"].iloc[0]
    with client_of(engines_linkis, "bob") as bob:
        bob.run("echo his", engine="shell")
        bobs = next(n["serviceInstance"]["instance"] for n in bob.engines() if "shell-1" in engine_types([n]))
        for wrong in ("nope", bobs):  # nobody's, someone else's
            with pytest.raises(UsageError, match=f"^no engine '{wrong}' of yours \\(your engines: .*{python_id}"):
                ip.run_line_magic("linkis", f"engines kill {wrong}")
        with pytest.raises(UsageError, match="usage: %linkis engines"):
            ip.run_line_magic("linkis", "engines stop")
        assert bobs in {n["serviceInstance"]["instance"] for n in bob.engines()}  # nothing stopped
    with capture_output():
        assert set(ip.run_line_magic("linkis", "engines")["id"]) == set(frame["id"])
    with capture_output() as shown:
        ip.run_line_magic("linkis", f"engines kill {python_id}")
    assert f"stopped 1 engine(s): {python_id}" in shown.stdout
    with capture_output():
        stopped = ip.run_line_magic("linkis", "engines kill --idle 0")  # every idle engine left
        remaining = ip.run_line_magic("linkis", "engines")
    assert not stopped.empty and set(stopped["id"]).isdisjoint(set(remaining["id"]))
    assert (remaining["status"] != "Unlock").all()
