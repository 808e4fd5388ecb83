"""IPython magics for Apache Linkis: ``%%linkis`` runs a cell, ``%linkis`` manages jobs.

Load them with ``%load_ext linkis_magic``. A cell names its engine (``hive``, ``spark``,
``spark-3.4.4``, ``pyspark``, ``python``, ``shell``, ``jdbc``, ``trino``, ``presto``) and holds
the code::

    In [1]: %load_ext linkis_magic

    In [2]: %%linkis hive -o top
       ...: select city, count(*) as n from visits group by city order by n desc

The live panel shows the job's state, task id, elapsed time, progress, stages and the last log
lines; when the job ends it gives way to a one-line summary and the log tail. The last table
result is the cell's value, a typed pandas DataFrame; text results are printed. The job itself
is ``_linkis_last`` (``_linkis_last.results`` holds every result set).

Where jobs run comes from, highest first: magic flags, ``%config LinkisMagics.<setting>``, the
environment (``LINKIS_URL``, ``LINKIS_USER``, ``LINKIS_PASSWORD``, ``LINKIS_TOKEN``,
``LINKIS_PROFILE``, ``LINKIS_CONFIG``), the config file ``~/.config/linkis-magic/config.toml``
(named profiles, see :mod:`linkis_magic.config`), then defaults. When nothing names a gateway
the magics start the embedded local Linkis on first use. A missing password is asked for.

``%%linkis ENGINE --bg`` returns at once and follows the job in the background
(:mod:`linkis_magic.background`); ``%linkis wait TASK`` waits for it.

``%linkis`` alone lists the line commands (``%linkis help``): jobs, their logs and results,
background cells, engines, the catalog, files and connections.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import getpass
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, Enum, Float, Int, Unicode, observe

from linkis_magic import view
from linkis_magic.config import (
    PROGRESS_MODES,
    ConfigError,
    Settings,
    load_settings,
)
from linkis_magic.engines import resolve_engine
from linkis_magic.errors import LinkisAuthError, UnknownEngineError

if TYPE_CHECKING:  # for annotations only: loading the extension must stay light
    import pandas as pd

    from linkis_magic.catalog import Catalog
    from linkis_magic.client import LinkisClient
    from linkis_magic.completion import CellCompleter
    from linkis_magic.job import Job
    from linkis_magic.local.server import LocalLinkis
    from linkis_magic.results import ResultSet

#: Statements that change what the metastore holds.
_DDL = re.compile(r"\b(create|drop|alter|rename|truncate|msck)\b", re.IGNORECASE)
#: Jobs submitted from this process and not yet seen in a terminal state: killed at exit.
_RUNNING: set[Job] = set()
#: Embedded local gateways started by the magics: stopped at exit.
_LOCAL_SERVERS: list[LocalLinkis] = []
#: Whether leaving the kernel kills the jobs in ``_RUNNING`` (``LinkisMagics.kill_on_exit``).
_EXIT = {"kill": True}


@dataclasses.dataclass(frozen=True)
class CellRequest:
    """One ``%%linkis`` cell, parsed and checked: nothing here needs the network."""

    engine: str
    code: str
    output: str | None = None
    limit: int | None = None
    variables: dict[str, str] = dataclasses.field(default_factory=dict)
    startup: dict[str, str] = dataclasses.field(default_factory=dict)
    runtime: dict[str, str] = dataclasses.field(default_factory=dict)
    timeout: float | None = None
    run_type: str | None = None
    progress: str | None = None
    quiet: bool = False
    creator: str | None = None
    to: str | None = None
    force: bool = False
    vars_name: str | None = None
    background: bool = False

    def flags(self) -> dict[str, Any]:
        """The settings this cell overrides (the highest settings layer)."""
        return {"progress": self.progress, "creator": self.creator, "timeout": self.timeout,
                "limit": self.limit}


@magics_class
class LinkisMagics(Magics):
    """``%%linkis ENGINE`` runs a cell on Linkis; ``%linkis COMMAND`` manages jobs.

    Every trait below can be set with ``%config LinkisMagics.<name> = value`` or in
    ``ipython_config.py``; an empty value means "not set here", so the environment and the
    config file decide.
    """

    url = Unicode("", help="Gateway URL, e.g. http://linkis:9001, or 'local'.").tag(config=True)
    user = Unicode("", help="Linkis user.").tag(config=True)
    profile = Unicode("", help="Profile of the config file to use.").tag(config=True)
    config_file = Unicode("", help="Config file (TOML) to read instead of the default.").tag(
        config=True)
    creator = Unicode("", help="Linkis creator label (one word, no '-').").tag(config=True)
    progress = Enum(PROGRESS_MODES, default_value=None, allow_none=True,
                    help="Live view: auto, widget, text or none.").tag(config=True)
    timeout = Float(None, allow_none=True, help="Kill jobs running longer (seconds).").tag(
        config=True)
    limit = Int(None, allow_none=True, help="Fetch at most this many result rows.").tag(
        config=True)
    log_lines = Int(None, allow_none=True, help="Log lines kept in the live view.").tag(
        config=True)
    local_data_dir = Unicode("", help="Data directory of the embedded local Linkis.").tag(
        config=True)
    kill_on_exit = Bool(True, help="Kill this kernel's running jobs, background cells' too, when it "
                                   "shuts down or restarts; False leaves them to %linkis attach.").tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        _EXIT["kill"] = self.kill_on_exit
        self._client: LinkisClient | None = None
        self._client_key: tuple[Any, ...] | None = None
        self._passwords: dict[tuple[str, str], str] = {}
        self._catalog: Catalog | None = None
        self._completer: CellCompleter | None = None
        if shell is not None and getattr(shell, "Completer", None) is not None:
            from linkis_magic.completion import CellCompleter

            options = [o for a in self.linkis_cell.parser._actions for o in a.option_strings if o.startswith("--")]
            self._completer = CellCompleter(self._completion_catalog, options)
            self._completer.install(shell)

    @observe("kill_on_exit")
    def _kill_on_exit_set(self, change: dict[str, Any]) -> None:
        _EXIT["kill"] = change["new"]

    @magic_arguments(name="%linkis")
    @argument("engine", help="hive, spark, spark-3.4.4, pyspark, python, shell, jdbc, trino, ...")
    @argument("-o", "--output", metavar="VAR", help="Store the result DataFrame in VAR.")
    @argument("--limit", type=int, metavar="N", help="Fetch at most N rows of the result.")
    @argument("--var", action="append", default=[], metavar="NAME=VALUE",
              help="Linkis variable ${NAME} (repeatable).")
    @argument("--vars", metavar="NAME", help="A dict in the notebook whose items are Linkis variables "
                                             "(str, int, float, date or datetime values).")
    @argument("--conf", action="append", default=[], metavar="KEY=VALUE",
              help="Engine startup configuration (repeatable).")
    @argument("--runtime-conf", action="append", default=[], metavar="KEY=VALUE",
              help="Runtime configuration (repeatable).")
    @argument("--timeout", type=float, metavar="SECONDS",
              help="Kill the job when it runs longer than this.")
    @argument("--run-type", metavar="TYPE", help="Linkis runType, e.g. sql, hql, py, scala.")
    @argument("--progress", choices=["widget", "text", "none"], help="Live view to show.")
    @argument("--quiet", action="store_true", help="Show no progress, summary or log.")
    @argument("--creator", metavar="NAME", help="Linkis creator label for this job.")
    @argument("--to", metavar="PATH", help="Also write the result, whole, to PATH (.csv, .tsv, .xlsx, .parquet, "
                                           ".jsonl).")
    @argument("--force", action="store_true", help="Let --to replace an existing file.")
    @argument("--bg", action="store_true", help="Return at once and follow the job in the background; "
                                                "%%linkis wait TASK waits for it, _linkis_jobs[TASK] holds it.")
    @cell_magic("linkis")
    def linkis_cell(self, line: str, cell: str) -> pd.DataFrame | None:
        """Run the cell on a Linkis engine and return its last table as a DataFrame.

        Examples::

            In [1]: %%linkis hive --limit 1000 -o df
               ...: select * from sales where day = '${day}'

            In [2]: %%linkis spark-3.4.4 --var day=20240101 --conf spark.executor.instances=4
               ...: select count(*) from sales where day = '${day}'

            In [3]: %%linkis shell --timeout 60 --progress text
               ...: hdfs dfs -ls /data

        The job is ``_linkis_last`` afterwards; ``_linkis_last.results`` holds every result
        set. Interrupting the cell (Ctrl-C, the stop button) kills the job on the server.
        A failed job ends the cell in error; ``%linkis log TASK`` shows its whole log.
        With ``--bg`` the cell returns at once and the stop button leaves the job running;
        ``%linkis wait TASK`` returns its table, ``%linkis kill TASK`` stops it.
        """
        from linkis_magic.job import Job  # lazily: loading the extension must stay light

        request = parse_cell(line, cell)
        if request.vars_name is not None:
            request = dataclasses.replace(request, variables={
                **variables_from(self.shell.user_ns, request.vars_name), **request.variables})
        if request.to is not None:
            check_download_target(request.to, request.force)  # before anything is sent
        settings = self._settings(request.flags())
        _check_engine(request.engine, settings)
        client = self._client_for(settings)
        mode = "quiet" if request.quiet else view.choose_mode(settings.progress, self._has_kernel())
        live = view.make_view(mode, log_lines=settings.log_lines, background=request.background)
        try:
            job = submit(Job, client, request, live, creator=settings.creator)
        except LinkisAuthError:
            self.forget_password(settings.url, settings.user)
            raise
        self.shell.user_ns["_linkis_last"] = job  # set before waiting: failed jobs too
        if request.background:
            self._in_background(job, live, request, settings)
            return None
        try:
            frame = finish(job, live, timeout=settings.timeout, limit=settings.limit)
        finally:
            if _DDL.search(cell):
                self.catalog_changed()  # the tables completion knows may have changed
        if request.output:
            self.shell.user_ns[request.output] = frame
        if request.to is not None and job.results:
            download_to(job.results[-1:], request.to, force=request.force)
        return frame

    def _in_background(self, job: Job, live: view.JobView, request: CellRequest, settings: Settings) -> None:
        """Follow ``job`` on a thread; at its end the result goes to ``-o`` and the job leaves
        ``_RUNNING`` (see :mod:`linkis_magic.background`)."""
        from linkis_magic.background import BackgroundCell

        def on_end(cell: BackgroundCell) -> None:
            if job.status.is_terminal:
                _RUNNING.discard(job)
            if request.output and cell.error is None:
                self.shell.user_ns[request.output] = cell.result
            if _DDL.search(request.code):
                self.catalog_changed()

        cell = BackgroundCell(job, live, output=request.output, timeout=settings.timeout, limit=settings.limit,
                              on_end=on_end)
        self.background_cells[job.task_id] = cell
        cell.start()

    @property
    def background_cells(self) -> dict[int, Any]:
        """This kernel's background cells by task id: ``_linkis_jobs`` in the notebook."""
        return self.shell.user_ns.setdefault("_linkis_jobs", {})

    @line_magic("linkis")
    def linkis_line(self, line: str) -> Any:
        """Manage Linkis jobs, engines, the catalog and connections; ``%linkis help`` lists all.

        Examples::

            In [1]: %linkis connect prod          # a profile of the config file
            In [2]: %linkis jobs 10               # the last 10 jobs, as a DataFrame
            In [3]: %linkis log 42                # the whole log of task 42
            In [4]: %linkis kill 42
            In [5]: rs = %linkis result 42        # its result sets, e.g. after a restart
        """
        from linkis_magic.commands import SUBCOMMANDS

        name, _, rest = line.strip().partition(" ")
        command = SUBCOMMANDS.get(name or "help")
        if command is None:
            raise UsageError(f"unknown command {name!r}; try %linkis help")
        return command.run(self, rest.strip())

    def settings(self, flags: dict[str, Any] | None = None) -> Settings:
        """The settings a cell with these flags would use (secrets hidden in the repr)."""
        return self._settings(flags or {})

    def client(self) -> LinkisClient:
        """The ``LinkisClient`` cells would use now."""
        return self._client_for(self.settings())

    def catalog(self) -> Catalog:
        """The metastore of the connection cells use now, kept with its client."""
        self.client()
        return self._completion_catalog()

    def catalog_changed(self) -> None:
        """Tables were made or dropped: what the catalog knows is asked again."""
        if self._catalog is not None:
            self._catalog.forget()

    def _completion_catalog(self) -> Catalog | None:
        """The catalog of the connection a cell or command already made (kept with its client),
        or None: completion never starts a gateway or asks for a password."""
        client = self._client
        if client is None:
            return None
        if self._catalog is None or self._catalog.client is not client:
            from linkis_magic.catalog import Catalog

            self._catalog = Catalog(client, run_sql=self._hive_rows)
        return self._catalog

    def _hive_rows(self, code: str) -> list[list]:
        """The rows of the last table a quiet Hive job returns (the catalog's fallback)."""
        settings = self.settings()
        job = self.client().run(code, engine="hive", creator=settings.creator)
        return job.results[-1].to_pandas().values.tolist() if job.results else []

    def _settings(self, flags: dict[str, Any]) -> Settings:
        traits = {name: getattr(self, name) for name in self.trait_names(config=True)}
        try:
            return load_settings(flags, traits, os.environ)
        except ConfigError as e:
            raise UsageError(str(e)) from None

    def _client_for(self, settings: Settings) -> LinkisClient:
        """One client per connection, kept across cells so its session is reused."""
        options = self._connection(settings)
        # A digest, so the password is not kept a second time in readable form.
        key = hashlib.sha256(repr(sorted(options.items())).encode()).hexdigest()
        if key != self._client_key:
            from linkis_magic.client import LinkisClient  # lazily: loading must stay light

            self.close()
            self._client, self._client_key = LinkisClient(**options), key
        return self._client

    def _connection(self, settings: Settings) -> dict[str, Any]:
        options = settings.client_options()
        if settings.is_local:
            server = start_local(settings.local_data_dir)
            options.update(url=server.url, user=server.user, password=None, token=server.token)
        elif settings.needs_password:
            options["password"] = self._ask_password(settings.url, settings.user)
        return options

    def _ask_password(self, url: str, user: str) -> str:
        key = (url, user)
        if key not in self._passwords:
            try:
                self._passwords[key] = getpass.getpass(f"Linkis password for {user} at {url}: ")
            except NotImplementedError:  # a kernel whose frontend allows no input (nbclient)
                raise UsageError(f"no password for {user} at {url}: set LINKIS_PASSWORD or "
                                 "LINKIS_TOKEN") from None
        return self._passwords[key]

    def forget_password(self, url: str | None, user: str | None) -> None:
        """Drop a password that the gateway refused, so the next cell asks again."""
        self._passwords.pop((url or "", user or ""), None)
        self._client_key = None

    def close(self) -> None:
        """Close the HTTP session of the cached client (and stop completing from it)."""
        if self._client is not None:
            self._client.close()
        self._client, self._client_key, self._catalog = None, None, None

    def _has_kernel(self) -> bool:
        return getattr(self.shell, "kernel", None) is not None


def parse_cell(line: str, cell: str) -> CellRequest:
    """Parse ``%%linkis`` options and check them; raise a one-line ``UsageError`` if wrong."""
    try:
        args = parse_argstring(LinkisMagics.linkis_cell, line)
    except ValueError as e:  # shlex: an unclosed quote in the line
        raise UsageError(f"cannot parse the options: {e}") from None
    if not cell.strip():
        raise UsageError(f"the cell is empty: put the {args.engine} code below %%linkis")
    if args.output is not None and not args.output.isidentifier():
        raise UsageError(f"-o needs a Python variable name, not {args.output!r}")
    if args.limit is not None and args.limit <= 0:
        raise UsageError("--limit must be a positive number of rows")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    if args.bg and args.to is not None:
        raise UsageError("--to cannot follow a background cell; %linkis download TASK PATH once it ended")
    return CellRequest(
        engine=args.engine, code=cell, output=args.output, limit=args.limit,
        variables=parse_pairs(args.var, "--var"), startup=parse_pairs(args.conf, "--conf"),
        runtime=parse_pairs(args.runtime_conf, "--runtime-conf"), timeout=args.timeout,
        run_type=args.run_type, progress=args.progress, quiet=args.quiet, creator=args.creator,
        to=args.to, force=args.force, vars_name=args.vars, background=args.bg,
    )


def variables_from(namespace: dict, name: str) -> dict[str, str]:
    """``--vars NAME``: the dict ``NAME`` of the notebook as Linkis variables, each value as the
    text Linkis substitutes for ``${key}``; anything else is a one-line usage error."""
    import datetime
    import numbers

    if name not in namespace:
        raise UsageError(f"--vars {name}: no variable {name!r} in the notebook")
    values = namespace[name]
    if not isinstance(values, dict):
        raise UsageError(f"--vars {name}: needs a dict of variables, not a {type(values).__name__}")
    found = {}
    for key, value in values.items():
        if not (isinstance(key, str) and key.isidentifier()):
            raise UsageError(f"--vars {name}: the key {key!r} is not a variable name")
        if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral, numbers.Real, datetime.date)):
            raise UsageError(f"--vars {name}: {key} is a {type(value).__name__}; values must be str, int, float, "
                             "date or datetime")
        found[key] = value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else (
            value.isoformat() if isinstance(value, datetime.date) else str(value))
    return found


def check_download_target(path: str, force: bool, several: bool = False) -> None:
    """A target ``download_to`` cannot write, as a one-line usage error (before anything is sent)."""
    from linkis_magic.download import check_target

    try:
        check_target(path, force=force, several=several)
    except (ValueError, OSError) as error:
        raise UsageError(str(error)) from None


def download_to(result_sets: Sequence[ResultSet], path: str, *, force: bool) -> None:
    """Write result sets to ``path`` with a progress line in the cell; a target that cannot be
    written is a one-line usage error, and nothing half-written stays behind."""
    from linkis_magic.download import write

    progress = view.TransferProgress(path)
    try:
        written = write(result_sets, path, force=force, progress=progress.update)
    except (ValueError, OSError) as error:
        raise UsageError(str(error)) from None
    progress.done(str(written))


def parse_pairs(items: Sequence[str], option: str) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}``; a pair without a name is an error."""
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{option} needs NAME=VALUE, not {item!r}")
        pairs[name.strip()] = value
    return pairs


def follow(job: Job) -> None:
    """A job this kernel did not submit but now waits for: killed, like its own, if the kernel
    leaves while it runs."""
    if not job.status.is_terminal:
        _RUNNING.add(job)


def finish(job: Job, live: view.JobView, *, timeout: float | None, limit: int | None) -> pd.DataFrame | None:
    """Wait with the live view and fetch the last table; the view ends in a summary whatever
    happens, and failures propagate (the cell must end in error so Run All stops)."""
    from linkis_magic.results import last_table

    frame = None
    try:
        job.wait(timeout=timeout, listener=live, list_results=True)
        frame = last_table(job.results, limit)
    finally:
        if job.status.is_terminal:  # else keep it, so that leaving the kernel kills it
            _RUNNING.discard(job)
        live.finish(job, frame=frame)
    for result in job.results:
        if result.kind == "text":
            view.show_text(result.text())
    return frame


def submit(job_class: type[Job], client: LinkisClient, request: CellRequest, live: view.JobView, *,
           creator: str) -> Job:
    """Submit the cell; close the live view if the gateway refuses it."""
    job = None
    try:
        job = job_class.submit(
            client, request.code, engine=request.engine, run_type=request.run_type,
            variables=request.variables or None, startup=request.startup or None,
            runtime=request.runtime or None, creator=creator,
        )
    finally:
        if job is None:
            live.close_live()
    _RUNNING.add(job)
    return job


def start_local(data_dir: str) -> LocalLinkis:
    """The embedded local Linkis, started on first use and announced once."""
    if not _LOCAL_SERVERS:
        try:
            from linkis_magic.local.server import (
                GatewayStartError,
                LocalLinkis,  # lazily: it imports the server stack
            )
        except ImportError as error:
            from linkis_magic.local import not_installed

            raise UsageError(f"no Linkis gateway configured, and {not_installed(error)}; or name a gateway: "
                             "%linkis connect URL|PROFILE, or LINKIS_URL") from None

        path = Path(os.path.expanduser(data_dir))
        path.mkdir(parents=True, exist_ok=True)
        try:
            _LOCAL_SERVERS.append(LocalLinkis(data_dir=path).start())
        except GatewayStartError:
            # Another kernel's embedded gateway owns that directory: this kernel gets a
            # temporary one (removed when it stops), so neither disturbs the other's jobs.
            _LOCAL_SERVERS.append(LocalLinkis().start())
            path = _LOCAL_SERVERS[0].data_dir
        view.show_text(f"linkis-magic: no Linkis gateway configured; started the embedded local "
                       f"Linkis at {_LOCAL_SERVERS[0].url} (data in {path}). "
                       "Use %linkis connect URL|PROFILE for a cluster.")
    return _LOCAL_SERVERS[0]


def _check_engine(name: str, settings: Settings) -> None:
    try:
        resolve_engine(name, settings.versions)
    except UnknownEngineError as e:
        raise UsageError(e.message) from None


def kill_all(jobs: Iterable[Job], within: float = 2.0) -> None:
    """Send every kill at once and give them ``within`` seconds together to be confirmed: a
    kernel that has not exited 2.5 s after a shutdown request is sent SIGTERM by jupyter_client
    (half its ``shutdown_wait_time``), and SIGTERM runs no exit handler. Best effort: the
    gateway may be gone already."""
    def kill(job: Job) -> None:
        with contextlib.suppress(Exception):
            job.kill(confirm_within=within * 0.75)

    threads = []
    for job in jobs:
        thread = threading.Thread(target=kill, args=(job,), daemon=True, name=f"linkis-exit-kill-{job.task_id}")
        try:
            thread.start()
        except RuntimeError:  # too late in the interpreter's exit for a thread: kill from here
            kill(job)
            continue
        threads.append(thread)
    deadline = time.monotonic() + within
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0.0))


@atexit.register
def shutdown() -> None:
    """Kill jobs still running (unless ``kill_on_exit`` is False) and stop the local gateway
    (kernel shutdown or restart).

    Idempotent: a job is forgotten once killed, a server once stopped.
    """
    if _EXIT["kill"]:
        jobs = _RUNNING.copy()  # one C call: a background thread may discard its job meanwhile
        _RUNNING.difference_update(jobs)
        kill_all(jobs)
    while _LOCAL_SERVERS:
        _LOCAL_SERVERS.pop().stop()


# --- %linkis line commands: one small function each ----------------------------------------
