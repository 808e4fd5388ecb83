"""Errors raised by the client side of linkis_magic.

Every error the client raises derives from :class:`LinkisError` and also from the builtin whose
meaning matches (``ConnectionError``, ``TimeoutError``, ``PermissionError``, ``ValueError``), so
callers can catch either. Errors keep what the server said: its message, the ``errCode`` from
``data.errorMsg`` and any ``data.stack`` (docs/protocol.md §1).

:class:`JobInterrupted` is the one exception outside the tree: it is a ``KeyboardInterrupt`` so a
stopped cell still ends in error and "Run All" stops there.
"""

from __future__ import annotations

from typing import Any


class LinkisError(Exception):
    """Something the Linkis gateway, or talking to it, went wrong with."""

    def __init__(
        self,
        message: str,
        *,
        err_code: int | None = None,
        method: str | None = None,
        stack: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.err_code = err_code
        self.method = method
        self.stack = stack
        self.http_status = http_status

    def details(self) -> list[str]:
        """Extra lines for the short notebook rendering (subclasses add their own)."""
        return [f"errCode: {self.err_code}"] if self.err_code is not None else []

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of printing a traceback: a few lines say what failed.
        return [f"{type(self).__name__}: {self.message}", *(f"  {line}" for line in self.details())]


class LinkisConnectionError(LinkisError, ConnectionError):
    """The gateway could not be reached (refused, reset, DNS, TLS)."""


class LinkisTimeoutError(LinkisError, TimeoutError):
    """The gateway did not answer within the read timeout."""


class LinkisAuthError(LinkisError, PermissionError):
    """Login failed, or the gateway still refused the request after logging in again."""


class LinkisRequestError(LinkisError):
    """The gateway answered with an error envelope (status 1, 2 or 3)."""


class LinkisPermissionError(LinkisRequestError, PermissionError):
    """The gateway refused to show something to this user (Linkis's owner check, 80010)."""


class ResultNotDisplayable(LinkisRequestError):
    """Linkis refused to show a result set's rows (``display_prohibited``): export it instead."""


class CatalogError(LinkisError, LookupError):
    """An unknown database or table, said in one line."""


class LinkisProtocolError(LinkisError):
    """The gateway answered with something that is not a Linkis response."""


class UnknownEngineError(LinkisError, ValueError):
    """An engine name this client does not know how to label."""


class InvalidCodeError(LinkisError, ValueError):
    """Code that cannot be sent: not UTF-8 text. Nothing was sent."""


class JobFailed(LinkisError):
    """A job ended Failed, Cancelled or Timeout."""

    def __init__(
        self,
        message: str,
        *,
        task_id: int | None,
        status: Any,
        err_code: int | None = None,
        err_desc: str | None = None,
        log_tail: list[str] | None = None,
    ) -> None:
        super().__init__(message, err_code=err_code)
        self.task_id = task_id
        self.status = status
        self.err_desc = err_desc
        self.log_tail = list(log_tail or [])

    def details(self) -> list[str]:
        lines = super().details()
        lines.extend(self.log_tail)
        if self.task_id is not None:
            lines.append(f"full log: %linkis log {self.task_id}  (or job.log_text())")
        return lines


class JobTimeout(JobFailed, TimeoutError):
    """``Job.wait(timeout=...)`` ran out of time; the job was killed."""


class JobInterrupted(KeyboardInterrupt):
    """The user interrupted a job (Ctrl-C or the stop button); the job was killed."""

    def __init__(self, task_id: int | None, outcome: str) -> None:
        super().__init__(outcome)  # shown after the class name, as "JobInterrupted: killed task 7 ..."
        self.task_id = task_id
        self.outcome = outcome

    def _render_traceback_(self) -> list[str]:
        return [f"JobInterrupted: {self.outcome}"]
