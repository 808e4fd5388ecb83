"""Passwords and tokens never show up in what a user or a log file sees.

Every example notebook runs (nbclient, real kernels) against a local Linkis whose password and token
are known; then a scripted session of magics (successes, failures, a timeout, every line command,
a refused password) runs in an in-process shell. Every output, rendered error, repr, log record
and file the gateway wrote is scanned for the secrets used.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from IPython.utils.capture import capture_output
from nbclient import NotebookClient

from linkis_magic.client import LinkisClient
from linkis_magic.local.server import LocalLinkis

PASSWORD = "pw-Zq8-violet-anchor-3141"
TOKEN = "tk-Rv2-amber-lantern-2718"
WRONG_PASSWORD = "pw-wrong-cobalt-harbor-1618"
NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))
#: Appended to each notebook run: names the secrets a notebook made itself (python-api.ipynb
#: starts its own gateway), so they are looked for in the cells before it.
OWN_SECRETS_CELL = ("import json\nprint(json.dumps([getattr(g, name) for g in globals().values()\n"
                    "  if type(g).__name__ == 'LocalLinkis' for name in ('password', 'token')]))")


def leaks(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret and secret in text]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLinkis]:
    with LocalLinkis(data_dir=tmp_path_factory.mktemp("secrets"),
                     users={"alice": {"password": PASSWORD, "token": TOKEN}}) as started:
        yield started


@pytest.fixture
def alice_env(gateway: LocalLinkis, linkis_env) -> None:
    """LINKIS_* for the kernels and shells started by the test: the gateway, user and password."""
    linkis_env(gateway.url, "alice", password=PASSWORD)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_example_notebooks_show_no_secret(notebook: Path, alice_env, tmp_path):
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        cell.outputs = [] if cell.cell_type == "code" else None
        if cell.outputs is None:
            del cell["outputs"]
    nb.cells.append(nbformat.v4.new_code_cell(OWN_SECRETS_CELL))
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    *cells, own = nb.cells
    own_secrets = json.loads(own.outputs[0]["text"])
    produced = json.dumps([cell.get("outputs", []) for cell in cells], ensure_ascii=False)
    assert leaks(produced, [PASSWORD, TOKEN, *own_secrets]) == []


def test_a_session_of_magics_shows_no_secret(gateway: LocalLinkis, alice_env, magic_shell, monkeypatch,
                                             caplog):
    caplog.set_level(logging.DEBUG)
    shell = magic_shell
    monkeypatch.setattr(shell.display_formatter, "active_types", ["text/plain", "text/html"])
    cells = ["%%linkis hive --progress text -o out\nselect 1 as n",
             "%%linkis hive --progress text\nselect * from no_such_table",
             "%%linkis shell --progress text --timeout 1\nsleep 30",
             "%%linkis python --progress text\nimport os\nprint(sorted(k for k in os.environ if 'LINKIS' in k))",
             "%linkis jobs 5", "%linkis status {_linkis_last.task_id}", "%linkis log {_linkis_last.task_id}",
             "%linkis result", "%linkis help", f"%linkis connect {gateway.url}",
             "print(repr(_linkis_last), _linkis_last.results, get_ipython().find_magic('linkis').__self__.settings())",
             "print(repr(get_ipython().find_magic('linkis').__self__.client()))"]
    seen = []
    try:
        with capture_output() as captured:
            for cell in cells:
                seen.append(repr(shell.run_cell(cell).error_in_exec))
            monkeypatch.setenv("LINKIS_PASSWORD", WRONG_PASSWORD)
            refused = shell.run_cell("%%linkis hive --progress text\nselect 1").error_in_exec
    finally:
        shell.user_ns.pop("out", None)
    assert type(refused).__name__ == "LinkisAuthError"
    produced = [captured.stdout, captured.stderr, *seen, caplog.text, repr(refused), str(refused),
                *(json.dumps(output.data, default=str) for output in captured.outputs)]
    assert "LinkisAuthError" in captured.stdout  # the failures were shown, so they were scanned
    assert leaks("\n".join(produced), [PASSWORD, TOKEN, WRONG_PASSWORD]) == []


def test_the_gateway_writes_no_secret_to_disk(gateway: LocalLinkis):
    with LinkisClient(gateway.url, user="alice", password=PASSWORD) as client:
        client.run(f"echo {len(PASSWORD)} characters", engine="shell")
    for path in Path(gateway.data_dir).rglob("*"):
        if path.is_file():
            assert leaks(path.read_bytes().decode("utf-8", "replace"), [PASSWORD, TOKEN]) == [], path
