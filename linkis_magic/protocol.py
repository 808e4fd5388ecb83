"""Protocol constants shared by the client and the embedded local Linkis.

Everything here comes from ``docs/protocol.md`` (the project's protocol reference, cited as
§N throughout the code); the client and the server share nothing else.
"""

from __future__ import annotations

import enum
import re

#: REST prefix every Linkis endpoint lives under (§1).
API_PREFIX = "/api/rest_j/v1"

_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#@]*@")


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` part shown as ``***@``: safe to print."""
    return _USERINFO.sub(r"\1***@", url)


def gateway_root(url: str) -> str:
    """``http://host:9001`` from either that or a URL ending in ``/api/rest_j/v1``; a
    ``ValueError`` for anything else (see :func:`url_problem`)."""
    root = url.strip().rstrip("/")
    if root.endswith(API_PREFIX):
        root = root[: -len(API_PREFIX)]
    problem = url_problem(root)
    if problem:
        raise ValueError(f"bad Linkis gateway URL {redact_url(url)!r}: {problem}")
    return root


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot name a gateway, or None. A user or password in it is refused: Linkis
    reads neither from there (the client logs in with the user and password or token settings),
    and messages that show the URL would print them."""
    if not re.match(r"^https?://[^/?#]", url.strip(), re.IGNORECASE):
        return "it must start with http:// or https:// and name a host"
    if _USERINFO.match(url.strip()):
        return "it must not hold a user or password: give them as the user and password (or token) settings"
    return None


#: Session cookie set by ``POST /user/login`` (§2.1).
SESSION_COOKIE = "linkis_user_session_ticket_id_v1"

#: Token headers (§2.2).
TOKEN_CODE_HEADER = "Token-Code"
TOKEN_USER_HEADER = "Token-User"

#: Engine versions a Linkis 1.8.0 install registers by default (§9); deployments differ, so the
#: client lets users override them, and the local gateway fills them in for ``/entrance/execute``.
DEFAULT_VERSIONS = {
    "hive": "3.1.3",
    "spark": "3.2.1",
    "python": "python2",
    "shell": "1",
    "jdbc": "4",
    "trino": "371",
    "presto": "0.234",
}

#: Largest ``pageSize`` ``/filesystem/openFile`` accepts (§8.2, error 80034 above it).
MAX_PAGE_SIZE = 100_000

#: ``openFile``'s ``nullValue`` that keeps SQL NULL as JSON null and the text "NULL" as text (§8.2).
KEEP_NULL = "LINKIS_NULL"
#: What ``openFile`` puts for SQL NULL (and the text "NULL") unless ``nullValue`` says otherwise.
DEFAULT_NULL_VALUE = "NULL"

#: A result set file, ``<alias>_<N>.dolphin`` (§8.1); N orders the statement outputs.
RESULT_FILE = re.compile(r"_(\d+)\.dolphin$")

#: A log line's header, ``yyyy-MM-dd HH:mm:ss.SSS [SYSTEM-]LEVEL `` (§4.4); lines without one
#: (tracebacks, raw engine output) carry on the line before them.
LOG_HEADER = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,3})? (?:SYSTEM-)?(ERROR|WARN|INFO) ")

#: The ``source`` key whose value (a fresh uuid per submit) marks a job as this client's, so a
#: submit whose answer was lost can be found in job history instead of being sent again.
REQUEST_MARKER = "linkisMagicRequestId"

#: Creators whose jobs Linkis kills when no ``/entrance/{execID}/status`` call comes for 30 s
#: (``wds.linkis.entrance.client.monitor.creator``, §4.3).
HEARTBEAT_CREATORS = ("LINKISCLI", "BdpClient")

#: Both closing lines of a job's log contain this ("Congratulations. Your job completed with
#: status Success." / "Sorry. Your job completed with a status Failed. ..."): a log file that
#: holds it is complete (§4.4.1).
LOG_CLOSING_MARK = "Your job completed with"
#: The success closing line's words (EntranceJob.afterStateChanged, §6).
LOG_SUCCESS_MARK = "Your job completed with status Success"


#: Linkis's error code when its owner check hides a job's result and log files (§8.1).
OWNER_CHECK_ERR_CODE = 80010


class MessageStatus(enum.IntEnum):
    """The envelope's ``status`` field (§1)."""

    NOT_LOGGED_IN = -1
    SUCCESS = 0
    ERROR = 1
    VALIDATION_FAILED = 2
    NO_PERMISSION = 3
    WARNING = 4


#: HTTP code Linkis derives from the envelope ``status`` (§1, ``Message.messageToHttpStatus``).
HTTP_STATUS = {
    MessageStatus.NOT_LOGGED_IN: 401,
    MessageStatus.SUCCESS: 200,
    MessageStatus.ERROR: 400,
    MessageStatus.VALIDATION_FAILED: 412,
    MessageStatus.NO_PERMISSION: 403,
    MessageStatus.WARNING: 206,
}


class JobStatus(str, enum.Enum):
    """The eight Linkis job states, in their enumeration order (§6)."""

    INITED = "Inited"
    WAIT_FOR_RETRY = "WaitForRetry"
    SCHEDULED = "Scheduled"
    RUNNING = "Running"
    SUCCEED = "Succeed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    TIMEOUT = "Timeout"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES

    @classmethod
    def parse(cls, value: str) -> JobStatus:
        """Map a server string to a state; unknown strings raise ``ValueError``."""
        return cls(value)


TERMINAL_STATES = frozenset(
    {JobStatus.SUCCEED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.TIMEOUT}
)

#: Log array indexes in ``/entrance/{execID}/log`` and ``/filesystem/openLog`` (§4.4).
LOG_ERROR, LOG_WARN, LOG_INFO, LOG_ALL = 0, 1, 2, 3


def split_log(text: str) -> list[str]:
    """A log text's lines as Linkis counts them: split on "\n" only, a final "\n" ending the last.

    ``splitlines()`` would also break on "\r", form feeds and other separators a program may
    print, and the entrance, openLog and the client would then count different lines (§4.4, §8.4).
    """
    return text.removesuffix("\n").split("\n")


#: Result set ``type`` values (§8.2).
RESULT_TEXT, RESULT_TABLE = "1", "2"


def is_result_file(path: str) -> bool:
    """Whether ``path`` (or a file name) names a result file ``<alias>_<N>.dolphin`` (§8.1)."""
    return RESULT_FILE.search(path) is not None


def result_index(path: str) -> int:
    """The N of ``<alias>_<N>.dolphin``; sort by it, since ``_10`` < ``_2`` as text (§8.1)."""
    match = RESULT_FILE.search(path)
    if match is None:
        raise ValueError(f"not a Linkis result file name: {path!r}")
    return int(match.group(1))

#: The entrance's log lines for the states a job passes through before its end (§6): a reader
#: of the log learns the state from them without asking job history.
LOG_MILESTONES = {
    "Your job is Scheduled. Please wait it to run.": JobStatus.SCHEDULED,
    "Your job is Running now. Please wait it to complete.": JobStatus.RUNNING,
    "Your job is turn to retry. Please wait it to schedule.": JobStatus.WAIT_FOR_RETRY,
}
