"""The ``%linkis`` line commands: jobs, the catalog, connections. Each is a function of the
magics and the rest of the line; :data:`SUBCOMMANDS` is the table ``%linkis help`` prints."""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from linkis_magic import view
from linkis_magic.config import LOCAL, ConfigError, config_data, profile_names

if TYPE_CHECKING:
    import pandas as pd

    from linkis_magic.job import Job
    from linkis_magic.magic import LinkisMagics
    from linkis_magic.results import ResultSet


@dataclasses.dataclass(frozen=True)
class Subcommand:
    """A ``%linkis`` line command."""

    usage: str
    help: str
    run: Callable[[LinkisMagics, str], Any]


def _task_id(rest: str, usage: str) -> int:
    if not (rest.isascii() and rest.isdigit()):
        raise UsageError(f"usage: %linkis {usage}")
    return int(rest)


#: Job history's list reads ``pageSize`` as a Java Integer and sets no maximum (§7.2).
_MAX_COUNT = 2**31 - 1


def _count(word: str, usage: str) -> int:
    """A count of rows or jobs: a whole number from 1."""
    if not (word.isascii() and word.isdigit()) or not 1 <= int(word) <= _MAX_COUNT:
        raise UsageError(f"usage: %linkis {usage} (N: a whole number from 1)")
    return int(word)


def _attach(magics: LinkisMagics, rest: str, usage: str) -> Job:
    from linkis_magic.job import Job

    task_id = _task_id(rest, usage)
    return Job.attach(magics.client(), task_id)


def _jobs(magics: LinkisMagics, rest: str) -> pd.DataFrame:
    import pandas as pd

    if rest == "--running":
        from linkis_magic.background import running

        columns = ["taskID", "engine", "status", "progress", "elapsed", "output"]
        return pd.DataFrame(running(magics.background_cells), columns=columns)
    count = _count(rest, "jobs [N | --running]") if rest else 20
    tasks, _total = magics.client().list_jobs(pageSize=count)
    columns = ["taskID", "status", "engineType", "runType", "createdTime", "costTime",
               "executionCode"]
    frame = pd.DataFrame([{c: task.get(c) for c in columns} for task in tasks], columns=columns)
    frame["createdTime"] = pd.to_datetime(frame["createdTime"], unit="ms")  # epoch ms (§1)
    return frame


def _status(magics: LinkisMagics, rest: str) -> None:
    job = _attach(magics, rest, "status TASK")
    view.show_text(f"task {job.task_id}: {job.status.value} ({float(job.progress or 0):.0%})")


def _log(magics: LinkisMagics, rest: str) -> None:
    view.show_text(_attach(magics, rest, "log TASK").log_text())


def _kill(magics: LinkisMagics, rest: str) -> None:
    job = _attach(magics, rest, "kill TASK")
    view.show_text(job.kill().message)


def _result(magics: LinkisMagics, rest: str) -> list[ResultSet]:
    if not rest:
        last = magics.shell.user_ns.get("_linkis_last")
        if last is None:
            raise UsageError("no %%linkis job ran yet; usage: %linkis result TASK")
        return last.results
    return _attach(magics, rest, "result [TASK]").results


def _connect(magics: LinkisMagics, rest: str) -> None:
    target = rest.strip()
    if not target or " " in target:
        raise UsageError("usage: %linkis connect URL|PROFILE|local")
    previous = magics.url, magics.profile
    if "://" in target or target == LOCAL:
        magics.url, magics.profile = target, ""
    else:
        try:
            known = profile_names(config_data({"config_file": magics.config_file}, os.environ))
        except ConfigError as e:
            raise UsageError(str(e)) from None
        if target not in known:
            raise UsageError(f"unknown profile {target!r} (known: {', '.join(known)})")
        magics.url, magics.profile = "", target
    try:
        settings = magics.settings()
    except UsageError:
        magics.url, magics.profile = previous  # a refused target leaves the old one in force
        raise
    where = "the embedded local Linkis" if settings.is_local else settings.url
    who = f" as {settings.user}" if settings.user and not settings.is_local else ""
    view.show_text(f"linkis-magic: cells now run on {where}{who}")


def _take_option(words: list[str], flag: str, usage: str) -> str | None:
    """Remove ``flag VALUE`` from ``words`` and return the value; None if the flag is absent."""
    if flag not in words:
        return None
    at = words.index(flag)
    if at + 1 >= len(words):
        raise UsageError(f"usage: %linkis {usage}")
    value = words[at + 1]
    del words[at:at + 2]
    return value


def _attach_live(magics: LinkisMagics, rest: str) -> pd.DataFrame | None:
    """``attach TASK``: the job's live view rebuilt (after a kernel restart, or from another
    notebook), its log from the start, then live, ending as a cell does."""
    from linkis_magic.errors import LinkisRequestError
    from linkis_magic.magic import finish, follow

    task_id = _task_id(rest, "attach TASK")
    try:
        job = _attach(magics, rest, "attach TASK")
    except LinkisRequestError as error:
        raise UsageError(f"cannot attach to task {task_id}: {error}") from None
    magics.shell.user_ns["_linkis_last"] = job
    settings = magics.settings()
    live = view.make_view(view.choose_mode(settings.progress, magics._has_kernel()), log_lines=settings.log_lines)
    follow(job)
    return finish(job, live, timeout=None, limit=settings.limit)


def _wait(magics: LinkisMagics, rest: str) -> pd.DataFrame | None:
    """``wait TASK``: block until a background cell's job ends; its last table, or its error."""
    task_id = _task_id(rest, "wait TASK")
    cell = magics.background_cells.get(task_id)
    if cell is None:
        raise UsageError(f"task {task_id} is not a background cell of this kernel; "
                         f"%linkis attach {task_id} follows any task")
    try:
        table = cell.wait()
    except KeyboardInterrupt:
        raise UsageError(f"stopped waiting; task {task_id} still runs in the background "
                         f"(%linkis kill {task_id} stops it)") from None
    for text in cell.texts:  # as a cell that ran in the foreground prints them
        view.show_text(text)
    return table


def _download(magics: LinkisMagics, rest: str) -> None:
    import shlex

    from linkis_magic.magic import check_download_target, download_to

    usage = "download TASK PATH [--result N|all] [--force]"
    try:
        words = shlex.split(rest)
    except ValueError:
        raise UsageError(f"usage: %linkis {usage}") from None
    force = "--force" in words
    words = [word for word in words if word != "--force"]
    which = _take_option(words, "--result", usage) or "0"
    if len(words) != 2 or not (which == "all" or which.isascii() and which.isdigit()):
        raise UsageError(f"usage: %linkis {usage}")
    task, path = words
    if which == "all":
        check_download_target(path, force, several=True)  # before anything is asked
    job = _attach(magics, task, usage)
    if job.status.value != "Succeed":
        raise UsageError(f"task {job.task_id} is {job.status.value}: only a job that succeeded has results to download")
    results = job.results
    if which == "all":
        chosen = results
    elif int(which) < len(results):
        chosen = [results[int(which)]]
    else:
        raise UsageError(f"task {job.task_id} has {len(results)} result set(s): --result {which} is out of range "
                         f"(0 to {len(results) - 1}, or all)")
    download_to(chosen, path, force=force)


def _upload(magics: LinkisMagics, rest: str) -> None:
    from linkis_magic import upload

    usage = "upload DF [DATABASE.]TABLE [--mode create|overwrite|append] [--partition KEY=VALUE ...]"
    words = rest.split()
    partition = {}
    while (pair := _take_option(words, "--partition", usage)) is not None:
        key, equals, value = pair.partition("=")
        if not (key and equals):
            raise UsageError(f"usage: %linkis {usage}")
        partition[key] = value
    mode = _take_option(words, "--mode", usage) or "create"
    if len(words) != 2:
        raise UsageError(f"usage: %linkis {usage}")
    name, table = words
    if name not in magics.shell.user_ns:
        raise UsageError(f"no variable {name!r} in the notebook; usage: %linkis {usage}")
    frame = magics.shell.user_ns[name]
    try:
        upload.check(frame, table, mode)  # before anything is sent
    except (TypeError, ValueError) as error:
        raise UsageError(str(error)) from None
    progress = view.TransferProgress(table)
    try:
        job = upload.upload_frame(magics.client(), frame, table, mode=mode, partition=partition,
                                  creator=magics.settings().creator, progress=progress.step)
    except ValueError as error:
        raise UsageError(str(error)) from None
    progress.done(f"{table}: {len(frame):,} rows × {len(frame.columns)} columns loaded by task {job.task_id} ({mode})")
    magics.catalog_changed()


def _engines(magics: LinkisMagics, rest: str) -> pd.DataFrame | None:
    """``engines`` lists; ``engines kill ID`` or ``engines kill --idle MINUTES`` stops."""
    import pandas as pd

    usage = "engines [kill ID | kill --idle MINUTES]"
    words = rest.split()
    if words and (words[0] != "kill" or len(words) not in (2, 3) or (len(words) == 3 and words[1] != "--idle")):
        raise UsageError(f"usage: %linkis {usage}")
    if len(words) == 3:  # checked before anything is asked, as it decides what is stopped
        try:
            minutes = float(words[2])
        except ValueError:
            minutes = math.nan
        if not 0 <= minutes < math.inf:
            raise UsageError(f"usage: %linkis {usage} (MINUTES: a number from 0)")
    client = magics.client()
    frame = _engine_frame(client.engines())
    if not words:
        return frame
    if len(words) == 3:
        chosen = frame[(frame["status"] == "Unlock") & (frame["idle_minutes"] >= minutes)]["id"].tolist()
    else:
        if words[1] not in set(frame["id"]):
            known = ", ".join(frame["id"]) or "none"
            raise UsageError(f"no engine {words[1]!r} of yours (your engines: {known})")
        chosen = [words[1]]
    for instance in chosen:
        client.kill_engine(instance)
    view.show_text(f"stopped {len(chosen)} engine(s)" + (f": {', '.join(chosen)}" if chosen else ""))
    return pd.DataFrame(columns=frame.columns) if not chosen else frame[frame["id"].isin(chosen)]


def _engine_frame(nodes: list[dict]) -> pd.DataFrame:
    import time

    import pandas as pd

    now = time.time() * 1000
    rows = []
    for node in nodes:
        labels = {label.get("labelKey"): label.get("stringValue") for label in node.get("labels") or []}
        rows.append({
            "id": (node.get("serviceInstance") or {}).get("instance"),
            "engine": labels.get("engineType"),
            "creator": (labels.get("userCreator") or "-").split("-", 1)[-1],
            "status": node.get("nodeStatus"),
            "idle_minutes": round((now - (node.get("updateTime") or now)) / 60000, 1)
            if node.get("nodeStatus") == "Unlock" else 0.0,
            "started": pd.to_datetime(node.get("startTime"), unit="ms"),
        })
    return pd.DataFrame(rows, columns=["id", "engine", "creator", "status", "idle_minutes", "started"])


# -- the catalog -------------------------------------------------------------------------------

def _catalog_call(ask: Callable[[], Any]) -> Any:
    """A catalog question; an unknown name is a one-line usage error naming it."""
    from linkis_magic.errors import CatalogError

    try:
        return ask()
    except CatalogError as error:
        raise UsageError(str(error)) from None


def _table_name(text: str, usage: str) -> tuple[str, str]:
    from linkis_magic.catalog import split_name

    if not text or len(text.split()) != 1:
        raise UsageError(f"usage: %linkis {usage}")
    try:
        return split_name(text)
    except ValueError as error:
        raise UsageError(f"{error}; usage: %linkis {usage}") from None


def _databases(magics: LinkisMagics, rest: str) -> pd.DataFrame:
    import pandas as pd

    if rest:
        raise UsageError("usage: %linkis databases")
    return pd.DataFrame({"database": magics.catalog().databases(fallback=True)}, dtype="string")


def _tables(magics: LinkisMagics, rest: str) -> pd.DataFrame:
    import pandas as pd

    from linkis_magic.catalog import DEFAULT_DATABASE

    usage = "tables [DATABASE] [--like PATTERN]"
    words = rest.split()
    pattern = None
    if "--like" in words:
        at = words.index("--like")
        if at + 2 != len(words):
            raise UsageError(f"usage: %linkis {usage}")
        pattern, words = words[at + 1], words[:at]
    if len(words) > 1 or (words and words[0].startswith("-")):
        raise UsageError(f"usage: %linkis {usage}")
    database = (words[0] if words else DEFAULT_DATABASE).lower()
    catalog = magics.catalog()

    def ask() -> list:
        found = catalog.tables(database, fallback=True)
        if not found and database not in catalog.databases(fallback=True):
            from linkis_magic.errors import CatalogError

            raise CatalogError(f"no database {database!r} (databases: {', '.join(catalog.databases())})")
        return found

    tables = _catalog_call(ask)
    if pattern is not None:
        matches = re.compile(_like(pattern), re.IGNORECASE).fullmatch
        tables = [table for table in tables if matches(table.name)]
    return pd.DataFrame({"database": [t.database for t in tables], "table": [t.name for t in tables],
                         "is_view": [t.is_view for t in tables]}).astype({"database": "string", "table": "string"})


def _like(pattern: str) -> str:
    """A LIKE pattern (``%``, ``_``; Hive's ``*`` too) as a regular expression."""
    wildcards = {"%": ".*", "*": ".*", "_": "."}
    return "".join(wildcards.get(char, re.escape(char)) for char in pattern)


def _describe(magics: LinkisMagics, rest: str) -> pd.DataFrame:
    import pandas as pd

    database, table = _table_name(rest, "describe [DATABASE.]TABLE")
    columns = _catalog_call(lambda: magics.catalog().columns(database, table, fallback=True))
    return pd.DataFrame({"column": [c.name for c in columns], "type": [c.type for c in columns],
                         "comment": [c.comment for c in columns],
                         "partition_key": [c.partitioned for c in columns]}).astype(
        {"column": "string", "type": "string", "comment": "string"})


def _preview(magics: LinkisMagics, rest: str) -> pd.DataFrame | None:
    usage = "preview [DATABASE.]TABLE [N]"
    words = rest.split()
    if not 1 <= len(words) <= 2:
        raise UsageError(f"usage: %linkis {usage}")
    rows = _count(words[1], usage) if len(words) == 2 else 10
    database, table = _table_name(words[0], usage)
    _catalog_call(lambda: magics.catalog().columns(database, table, fallback=True))  # a clear error first
    return magics.linkis_cell(f"hive --limit {rows}", f"SELECT * FROM {database}.{table} LIMIT {rows}")


def _help(magics: LinkisMagics, rest: str) -> None:
    if rest:
        raise UsageError("usage: %linkis help")
    # The usage on its own line, what it does under it: one column as wide as the longest usage
    # would make every line wrap in a notebook.
    lines = [f"  %linkis {c.usage}\n      {c.help}" for c in SUBCOMMANDS.values()]
    view.show_text("\n".join(["Linkis line commands (%%linkis? for running cells):", *lines]))


SUBCOMMANDS: dict[str, Subcommand] = {
    "jobs": Subcommand("jobs [N | --running]", "recent jobs from the job history, or this kernel's running "
                                              "background cells, as a DataFrame", _jobs),
    "status": Subcommand("status TASK", "state and progress of a task", _status),
    "log": Subcommand("log TASK", "the whole log of a task", _log),
    "kill": Subcommand("kill TASK", "kill a task and wait for it to stop", _kill),
    "result": Subcommand("result [TASK]", "result sets of a task (default: the last cell)",
                         _result),
    "attach": Subcommand("attach TASK", "follow a task live again (after a restart): its log, state, result",
                         _attach_live),
    "wait": Subcommand("wait TASK", "wait for a background cell (%%linkis --bg) to end; its result", _wait),
    "download": Subcommand("download TASK PATH [--result N|all] [--force]",
                           "write a result set, whole, to .csv .tsv .xlsx .parquet or .jsonl", _download),
    "upload": Subcommand("upload DF [DATABASE.]TABLE [--mode create|overwrite|append] [--partition K=V]",
                         "make a Hive table of a DataFrame of the notebook", _upload),
    "engines": Subcommand("engines [kill ID | kill --idle MINUTES]",
                          "your engines on the gateway, as a DataFrame; stop one, or the idle ones", _engines),
    "databases": Subcommand("databases", "the databases of the metastore, as a DataFrame", _databases),
    "tables": Subcommand("tables [DATABASE] [--like PATTERN]", "tables of a database (default: default)",
                         _tables),
    "describe": Subcommand("describe [DATABASE.]TABLE", "a table's columns, types, comments and partition keys",
                           _describe),
    "preview": Subcommand("preview [DATABASE.]TABLE [N]", "the first N rows of a table (default 10)", _preview),
    "connect": Subcommand("connect URL|PROFILE|local", "choose where cells run", _connect),
    "help": Subcommand("help", "this list", _help),
}
