"""A small engine for gateway tests, driven by a line-per-command script.

It is a real :class:`Engine` (the gateway cannot tell it from DuckDB), so the protocol tests do
not depend on what SQL or Python the real engines accept. Commands, one per line:

    log LEVEL message      a log line (``\\n`` in the message starts a line without a header)
    progress 0.5           report progress with one stage
    table N                a TABLE result of N rows (id int, name string, score double, flag boolean,
                           day date, note string with NULL every 7th row)
    wide N                 a TABLE result of one row whose one string cell holds N characters
    lines N                N INFO log lines, "line 1" to "line N"
    text words...          a TEXT result
    echo                   a TEXT result holding the whole (substituted) code
    sleep                  wait until the job is killed (at most 60 s)
    pause S                wait S seconds (or until the job is killed)
    fail message           raise EngineError
"""

from __future__ import annotations

import datetime
import threading

from linkis_magic.local.engines.base import Engine, EngineError, ExecutionContext

SUPPORTED = {"hive": {"hql", "sql"}, "spark": {"sql", "py", "scala"}, "python": {"python", "py"},
             "shell": {"shell", "sh"}}


def table_rows(count: int):
    """The rows ``table N`` writes, so tests can compute what they expect."""
    start = datetime.date(2024, 1, 1)
    for index in range(count):
        yield (index, f"name-{index}", index / 4, index % 2 == 0, start + datetime.timedelta(days=index % 365),
               None if index % 7 == 0 else f"note {index}")


TABLE_COLUMNS = [("id", "int"), ("name", "string"), ("score", "double"), ("flag", "boolean"), ("day", "date"),
                 ("note", "string")]


class ScriptedEngine(Engine):
    """Runs the scripts above; ``cancel`` wakes a sleeping job."""

    def __init__(self) -> None:
        self.cancels = 0
        self._lock = threading.Lock()

    def execute(self, ctx: ExecutionContext) -> None:
        for line in ctx.code.splitlines():
            command, _, rest = line.strip().partition(" ")
            if command == "log":
                level, _, message = rest.partition(" ")
                ctx.log(level, message.replace("\\n", "\n"))
            elif command == "progress":
                ctx.set_progress(float(rest), [{"id": "stage-1", "succeedTasks": 1, "failedTasks": 0,
                                                "runningTasks": 1, "totalTasks": 2}])
            elif command == "table":
                ctx.write_table(TABLE_COLUMNS, table_rows(int(rest)))
            elif command == "wide":
                ctx.write_table([("blob", "string")], [("x" * int(rest),)])
            elif command == "lines":
                for number in range(1, int(rest) + 1):
                    ctx.log("INFO", f"line {number}")
            elif command == "text":
                ctx.write_text(rest)
            elif command == "echo":
                ctx.write_text(ctx.code)
            elif command == "sleep":
                ctx.cancelled.wait(60)
            elif command == "pause":
                ctx.cancelled.wait(float(rest))
            elif command == "fail":
                raise EngineError(rest, err_code=43042)

    def cancel(self, ctx: ExecutionContext) -> None:
        with self._lock:
            self.cancels += 1
        ctx.cancelled.set()


class ScriptedPool:
    """An engine pool with one scripted engine for everything."""

    def __init__(self) -> None:
        self.engine = ScriptedEngine()
        self.closed = False

    def get(self, engine: str, user: str, creator: str) -> Engine:
        return self.engine

    def close(self) -> None:
        self.closed = True
