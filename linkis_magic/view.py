"""Everything a person sees: the live panel, the text fallback and the final summary.

No other module of linkis_magic prints or displays. A view is a ``Job`` listener
(``on_wait_start``, ``on_state``, ``on_progress``, ``on_log``) plus :meth:`JobView.finish`, which
leaves output that reads well in a saved notebook, on GitHub and in nbval:

- ``widget``: an ipywidgets panel while the job runs (state, task id, elapsed time, progress
  bar, per-stage task counts, the log's last lines), closed at the end and followed by a
  static summary and the log tail as a collapsed ``<details>`` block;
- ``text``: one line per state or progress change and the log lines as they arrive, then the
  summary (terminal IPython, frontends without widgets);
- ``none``: nothing live, then the summary and the log tail;
- ``quiet``: nothing at all; failures still raise.

A background cell (``%%linkis --bg``) keeps its view after the cell returned: the view is told
to :meth:`JobView.adopt` the thread that follows the job, and it ends by replacing what it showed
*in place* (:meth:`JobView.end_in_place`, through a ``display_id``): output displayed anew from a
thread after its cell ended goes to whichever cell runs then, or is dropped by headless clients.

ipywidgets is imported only when a panel is built, so loading the extension stays fast.
"""

from __future__ import annotations

import collections
import html
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from IPython.display import display

from linkis_magic.protocol import LOG_HEADER

_LEVEL_COLORS = {"ERROR": "#c62828", "WARN": "#b26a00", "INFO": "inherit"}
_STATE_COLORS = {"Succeed": "#2e7d32", "Failed": "#c62828", "Cancelled": "#b26a00",
                 "Timeout": "#c62828"}


def choose_mode(progress: str, has_kernel: bool) -> str:
    """Resolve ``auto`` to ``widget`` in a kernel where ipywidgets imports, else ``text``."""
    if progress != "auto":
        return progress
    if not has_kernel:
        return "text"
    try:
        import ipywidgets  # noqa: F401  (only checking that it imports)
    except ImportError:
        return "text"
    return "widget"


def make_view(mode: str, *, log_lines: int = 200, background: bool = False) -> JobView:
    """The view for a mode: ``widget``, ``text``, ``none`` or ``quiet``. A background cell's
    view without widgets is one status line, replaced as the job moves."""
    if mode == "widget":
        return WidgetView(log_lines=log_lines, background=background)
    if background and mode != "quiet":
        return StatusLine(log_lines=log_lines, live=mode != "none")
    views = {"text": TextView, "none": JobView, "quiet": QuietView}
    return views[mode](log_lines=log_lines)


def classify(lines: Iterable[str], level: str = "INFO") -> list[tuple[str, str]]:
    """Pair each log line with its level; lines without a header (stack traces, engine
    output) take the level of the line before them."""
    pairs = []
    for line in lines:
        match = LOG_HEADER.match(line)
        level = match.group(1) if match else level
        pairs.append((level, line))
    return pairs


def format_seconds(seconds: float | None) -> str:
    """``4.2 s``, ``3 min 05 s``; empty when unknown."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s"


class JobView:
    """Shows nothing while the job runs; the summary and log tail at the end (``none``).

    Events from a thread other than the one that made the view are ignored: ipykernel routes
    output from background threads to whichever cell runs at that moment (docs/jupyter.md §2).
    """

    def __init__(self, *, log_lines: int = 200) -> None:
        self.tail: collections.deque[tuple[str, str]] = collections.deque(maxlen=log_lines)
        self.total_lines = 0
        self._thread = threading.current_thread()
        #: What ``end_in_place`` replaces (a background cell's view); None: nothing shown live.
        self.handle: Any = None

    def adopt(self) -> None:
        """Take events from the calling thread from now on (the thread of a background cell,
        whose output is routed by the context it copied from the cell, docs/jupyter.md §2)."""
        self._thread = threading.current_thread()

    def on_wait_start(self, job: Any) -> None:
        """``wait()`` began following the job: ``job.task_id`` is known."""
        if self._mine():
            self.show_wait_start(job)

    def on_state(self, job: Any) -> None:
        """The job moved to ``job.status``."""
        if self._mine():
            self.show_state(job)

    def on_progress(self, job: Any) -> None:
        """``job.progress`` or ``job.stages`` changed."""
        if self._mine():
            self.show_progress(job)

    def on_log(self, job: Any, lines: Sequence[str]) -> None:
        """New log lines (one batch per poll)."""
        if not self._mine() or not lines:
            return
        last = self.tail[-1][0] if self.tail else "INFO"
        batch = classify(lines, last)
        self.tail.extend(batch)
        self.total_lines += len(batch)
        self.show_log(job, batch)

    def finish(self, job: Any, *, frame: Any = None) -> None:
        """Replace the live view by one output: the summary, any notes, the log tail.

        ``frame`` is the result DataFrame, if any, for its shape (the cell shows the frame itself).
        """
        self.close_live()
        display(self.outcome(job, frame=frame))

    def end_in_place(self, job: Any, *, frame: Any = None, texts: Sequence[str] = (),
                     error: BaseException | None = None) -> None:
        """A background cell's end: what was shown gives way to the summary, the error, the log
        tail, text results and the table, in the same place. Views that showed nothing show
        nothing."""
        if self.handle is None:
            return
        self.handle.update(self.outcome(job, frame=frame, texts=texts, error=error, table=True))
        self.release()

    def outcome(self, job: Any, *, frame: Any = None, texts: Sequence[str] = (),
                error: BaseException | None = None, table: bool = False) -> Outcome:
        """How the job ended, as one output (``table``: with the frame itself, not only its shape)."""
        shape = getattr(frame, "shape", (None, None))
        notes = [*(f"linkis-magic: {note}" for note in getattr(job, "notes", ())), *_error_lines(error)]
        tail = LogTail(list(self.tail), self.total_lines, job.task_id) if self.tail else None
        return Outcome(JobSummary(job.task_id, _state_name(job), job.elapsed, *shape), notes=notes, tail=tail,
                       texts=texts, frame=frame if table else None)

    def show_wait_start(self, job: Any) -> None:
        """Hook for live views."""

    def show_state(self, job: Any) -> None:
        """Hook for live views."""

    def show_progress(self, job: Any) -> None:
        """Hook for live views."""

    def show_log(self, job: Any, batch: list[tuple[str, str]]) -> None:
        """Hook for live views."""

    def close_live(self) -> None:
        """Hook for live views: remove what was shown while the job ran."""

    def release(self) -> None:
        """Hook for live views: free what kept the live view going (widget models)."""

    def _mine(self) -> bool:
        return threading.current_thread() is self._thread


class QuietView(JobView):
    """Shows nothing, not even a summary (``--quiet``)."""

    def finish(self, job: Any, **details: Any) -> None:
        """Nothing to replace."""


class TextView(JobView):
    """Plain lines for terminals and frontends without widgets."""

    def __init__(self, *, log_lines: int = 200) -> None:
        super().__init__(log_lines=log_lines)
        self._last_line = ""

    def show_wait_start(self, job: Any) -> None:
        # A job known to history already (``%linkis attach``) was submitted long ago.
        _say(f"[linkis] task {job.task_id} " + ("submitted" if job.status == "Inited" else "attached"))

    def show_state(self, job: Any) -> None:
        self._status_line(job)

    def show_progress(self, job: Any) -> None:
        self._status_line(job)

    def show_log(self, job: Any, batch: list[tuple[str, str]]) -> None:
        _say("\n".join(line for _, line in batch))

    def finish(self, job: Any, **details: Any) -> None:
        """The log was printed as it came; only the summary is left."""
        self.tail.clear()
        super().finish(job, **details)

    def _status_line(self, job: Any) -> None:
        line = f"[linkis] task {job.task_id} {_state_name(job)}"
        if job.status == "Running":  # progress means something only while the job runs
            stages = _stages_text(job.stages)
            line = f"{line} {_percent(job)}" + (f" ({stages})" if stages else "")
        if line != self._last_line:
            self._last_line = line
            _say(line)


class WidgetView(JobView):
    """The live ipywidgets panel (see the module docstring): one HTML widget, whose value is the
    header (state, task, elapsed time, progress bar, stages; how to stop a background cell) and
    the log's last lines. One widget is three models (it, its layout, its style), each opened when
    the panel shows and closed at its end; an update sends the whole panel, at most ``log_lines``
    lines, once per poll."""

    def __init__(self, *, log_lines: int = 200, background: bool = False) -> None:
        super().__init__(log_lines=log_lines)
        import ipywidgets as w  # lazily: loading the extension must stay fast

        self._background = background
        self._log = ""
        self.panel = w.HTML(_header_html("Submitting", None, None, 0.0, [], background))
        self.panel.add_class("linkis-panel")
        self.handle = display(_LivePanel(self.panel), display_id=True)
        self._open = True

    def show_wait_start(self, job: Any) -> None:
        self._show(job)

    def show_state(self, job: Any) -> None:
        self._show(job)

    def show_progress(self, job: Any) -> None:
        self._show(job)

    def show_log(self, job: Any, batch: list[tuple[str, str]]) -> None:
        # The last `log_lines` lines only: the widget state stays bounded however long the log
        # grows (Output.append_stdout would resend it all).
        if _ended(job):
            return  # the summary's log tail shows them
        self._log = _log_html(self.tail, "linkis-log")
        self._show(job)

    def _show(self, job: Any) -> None:
        if _ended(job):
            # The panel gives way to the summary: a cell's goes now, while its results are still
            # on the way; a background cell's is replaced by the outcome in place.
            if not self._background:
                self.close_live()
            return
        header = _header_html(_state_name(job), job.task_id, job.elapsed, job.progress, job.stages, self._background)
        self.panel.value = header + self._log  # an unchanged value sends nothing

    def close_live(self) -> None:
        """Blank the panel's output and close its models. The output itself stays in the cell
        (only ``clear_output`` could drop it, with everything else the cell showed); blanked, a
        saved notebook shows nothing there instead of "Loading widget..." (docs/jupyter.md §3)."""
        if self._open:
            self.handle.update(_BLANK, raw=True)
            self.release()

    def release(self) -> None:
        """Close the panel's models (its output was replaced)."""
        self._open = False
        for part in (self.panel, self.panel.layout, self.panel.style):
            part.close()


def _header_html(state: str, task_id: int | None, seconds: float | None, progress: float | None,
                 stages: Sequence[dict[str, Any]] | None, background: bool) -> str:
    """The panel's header: state, task, elapsed time and progress bar on one line, then the
    stages and, for a background cell, how to stop it. Each part has its own class."""
    bar = min(max(float(progress or 0.0), 0.0), 1.0)
    color = _STATE_COLORS.get(state, "inherit")
    parts = [
        f"<div><span class='linkis-state'><b style='color:{color}'>{html.escape(state)}</b></span> "
        f"&nbsp;<span class='linkis-task'>task {'…' if task_id is None else task_id}</span>"
        f"&nbsp; <span class='linkis-elapsed'>{format_seconds(seconds)}</span>&nbsp; "
        f"<progress class='linkis-progress' value='{bar:.3f}' max='1' title='{bar:.0%}' "
        f"style='width:14em;vertical-align:middle'></progress></div>"
    ]
    text = _stages_text(stages)
    if text:
        parts.append(f"<div class='linkis-stages'>{html.escape(text)}</div>")
    if background:
        parts.append(f"<div class='linkis-background'><i>{html.escape(background_note(task_id))}</i></div>")
    return "".join(parts)


#: What a finished panel's output becomes: nbval's sanitize rules read the panel's text/plain
#: ("Linkis job (live panel)") as this too, since nbval does not apply display updates.
_BLANK = {"text/plain": ""}


class _LivePanel:
    """Displays the panel with a fixed text/plain repr, which nbval compares (docs/jupyter.md §3)."""

    def __init__(self, panel: Any) -> None:
        self.panel = panel

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.panel._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = "Linkis job (live panel)"
        return bundle


class StatusLine(JobView):
    """A background cell's live view without widgets: one line, replaced as the job moves (in
    a terminal each new state is a new line); with ``live`` False (``--progress none``) the line
    stays as it was until the outcome replaces it."""

    def __init__(self, *, log_lines: int = 200, live: bool = True) -> None:
        super().__init__(log_lines=log_lines)
        self._live = live
        self._line = "Linkis job: submitting in the background"
        self.handle = display({"text/plain": self._line}, raw=True, display_id=True)

    def show_wait_start(self, job: Any) -> None:
        self._show(job)

    def show_state(self, job: Any) -> None:
        self._show(job)

    def show_progress(self, job: Any) -> None:
        self._show(job)

    def close_live(self) -> None:
        """The submit was refused: nothing is running in the background."""
        self.handle.update(_BLANK, raw=True)

    def _show(self, job: Any) -> None:
        if _ended(job) or not (self._live or self._line.startswith("Linkis job:")):
            return  # the outcome replaces the line; without a live view it is said once
        line = f"Linkis task {job.task_id} · {_state_name(job)} {_percent(job)} · {background_note(job.task_id)}"
        if line != self._line:
            self._line = line
            self.handle.update({"text/plain": line}, raw=True)


def background_note(task_id: int | None) -> str:
    """What a background cell's view says about stopping and waiting for it."""
    return (f"runs in the background: the stop button leaves it running; %linkis wait {task_id} "
            f"waits for it, %linkis kill {task_id} stops it")


class Outcome:
    """How a job ended, in one output: the summary, notes (what went wrong, what may be
    missing), the log tail, and for a background cell its text results and table too (the
    cell's value, had it not run in the background)."""

    def __init__(self, summary: JobSummary, *, notes: Sequence[str] = (), tail: LogTail | None = None,
                 texts: Sequence[str] = (), frame: Any = None) -> None:
        self.summary, self.notes, self.tail, self.texts, self.frame = summary, list(notes), tail, list(texts), frame

    def __repr__(self) -> str:
        parts = [repr(self.summary), *self.notes, *([repr(self.tail)] if self.tail else []), *self.texts]
        if self.frame is not None:
            parts.append(repr(self.frame))
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        parts = [self.summary._repr_html_(), *(f"<pre style='margin:0'>{html.escape(n)}</pre>" for n in self.notes)]
        if self.tail:
            parts.append(self.tail._repr_html_())
        parts.extend(f"<pre>{html.escape(text)}</pre>" for text in self.texts)
        if self.frame is not None:
            parts.append(self.frame._repr_html_() or html.escape(repr(self.frame)))
        return "\n".join(parts)


def _error_lines(error: BaseException | None) -> list[str]:
    """An error as the short lines IPython would have shown for it in the cell."""
    if error is None:
        return []
    render = getattr(error, "_render_traceback_", None)
    return list(render()) if render else [f"{type(error).__name__}: {error}"]


class JobSummary:
    """The static line a finished job leaves in the cell: state, task id, time, rows."""

    def __init__(self, task_id: int | None, state: str, seconds: float | None,
                 rows: int | None = None, columns: int | None = None) -> None:
        self.task_id, self.state, self.seconds = task_id, state, seconds
        self.rows, self.columns = rows, columns

    def parts(self) -> list[str]:
        """The summary's fields in reading order."""
        parts = [f"Linkis task {self.task_id}", self.state, format_seconds(self.seconds)]
        if self.rows is not None:
            parts.append(f"{_count(self.rows, 'row')} × {_count(self.columns, 'column')}")
        return [p for p in parts if p]

    def __repr__(self) -> str:
        return " · ".join(self.parts())

    def _repr_html_(self) -> str:
        color = _STATE_COLORS.get(self.state, "inherit")
        parts = [html.escape(p) for p in self.parts()]
        parts[1] = f"<b style='color:{color}'>{parts[1]}</b>"
        return f"<div class='linkis-summary'>{' · '.join(parts)}</div>"


class LogTail:
    """The last lines of a job's log, collapsed, with a hint to read the whole log."""

    def __init__(self, pairs: list[tuple[str, str]], total: int, task_id: int | None) -> None:
        self.pairs, self.total, self.task_id = pairs, total, task_id

    def title(self) -> str:
        """``Log (12 lines)`` or ``Log (last 200 of 5000 lines; %linkis log 7 for all)``."""
        if self.total > len(self.pairs):
            return (f"Log (last {len(self.pairs)} of {self.total} lines; "
                    f"%linkis log {self.task_id} for all)")
        return f"Log ({_count(self.total, 'line')})"

    def __repr__(self) -> str:
        return "\n".join([self.title(), *(line for _, line in self.pairs)])

    def _repr_html_(self) -> str:
        return (f"<details class='linkis-log'><summary>{html.escape(self.title())}</summary>"
                f"{_log_html(self.pairs)}</details>")


class TransferProgress:
    """One line in the cell that follows a download (rows and bytes written), updated at most
    twice a second and replaced by what was written at the end. Outside a kernel, only the end."""

    def __init__(self, target: str) -> None:
        self._target = target
        self._handle: Any = None
        self._shown_at = 0.0
        self._in_kernel = getattr(_shell(), "kernel", None) is not None

    def update(self, rows: int | None, size: int) -> None:
        now = time.monotonic()
        if not self._in_kernel or now - self._shown_at < 0.5:
            return
        self._shown_at = now
        counted = "" if rows is None else f"{rows:,} rows, "
        self.step(f"writing {self._target}: {counted}{size / 2**20:,.1f} MiB")

    def step(self, text: str) -> None:
        """Show ``text`` as the line's new state (in a kernel)."""
        if not self._in_kernel:
            return
        if self._handle is None:
            self._handle = display({"text/plain": text}, raw=True, display_id=True)
        else:
            self._handle.update({"text/plain": text}, raw=True)

    def done(self, text: str) -> None:
        if self._handle is not None:
            self._handle.update({"text/plain": text}, raw=True)
        else:
            _say(text)


def _shell() -> Any:
    from IPython import get_ipython

    return get_ipython()


def show_text(text: str) -> None:
    """Print text (text result sets, whole logs, notices) in the cell."""
    _say(text)


def _say(text: str) -> None:
    # stdout is flushed every 0.2 s by ipykernel; flush so text mode keeps up (docs/jupyter.md §2).
    print(text, flush=True)


def _log_html(pairs: Iterable[tuple[str, str]], css_class: str | None = None) -> str:
    spans = "\n".join(
        f"<span class='linkis-{level.lower()}' style='color:{_LEVEL_COLORS[level]}'>"
        f"{html.escape(line)}</span>"
        for level, line in pairs
    )
    named = f" class='{css_class}'" if css_class else ""
    return f"<pre{named} style='max-height:20em;overflow:auto;margin:0'>{spans}</pre>"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _state_name(job: Any) -> str:
    status = job.status
    return getattr(status, "value", None) or str(status or "Submitting")


def _ended(job: Any) -> bool:
    return bool(getattr(job.status, "is_terminal", False))


def _percent(job: Any) -> str:
    return f"{float(job.progress or 0.0):.0%}"


def _stages_text(stages: Sequence[dict[str, Any]] | None) -> str:
    """``stage 1: 4/6 tasks (1 running)`` per stage, from ``progressInfo`` (§4.5)."""
    texts = []
    for stage in stages or ():
        text = f"{stage.get('id')}: {stage.get('succeedTasks', 0)}/{stage.get('totalTasks', 0)} tasks"
        extra = [f"{stage[k]} {word}" for k, word in (("runningTasks", "running"),
                                                      ("failedTasks", "failed")) if stage.get(k)]
        texts.append(f"{text} ({', '.join(extra)})" if extra else text)
    return "; ".join(texts)
