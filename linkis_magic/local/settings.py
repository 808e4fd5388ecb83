"""How Linkis-like the embedded gateway is: the Linkis version it imitates and the deployment
switches that change what clients meet (docs/protocol.md).

The defaults are a stock Linkis 1.8.0 as its source behaves: the entrance writes a job's log file
late (§4.4.1), refuses to kill a job that already ended (§4.6), ignores ``brief`` (§7.1), refuses
to show rows longer than 20 MiB (§8.2) and kills jobs of the heartbeat creators that nobody polls
(§4.3). The switches that a deployment turns on (the owner check of §8.1, login encryption of
§2.1) are off, as in Linkis's code defaults::

    LocalLinkis(settings=LinkisSettings(linkis_version="master", owner_check=True))

Each field names the Linkis configuration key it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass

from linkis_magic.protocol import HEARTBEAT_CREATORS

#: The Linkis versions the gateway imitates: the last release, and master where it differs
#: (``brief=true`` on ``/jobhistory/{id}/get``, §7.1).
LINKIS_VERSIONS = ("1.8.0", "master")

#: Java's ``Int.MaxValue``: Linkis's "no limit" for the column-length settings (§8.2).
INT_MAX = 2**31 - 1


class SettingsError(ValueError):
    """A gateway setting that Linkis would not have."""


@dataclass(frozen=True)
class LinkisSettings:
    """The embedded gateway's Linkis behaviour (every field has Linkis's default)."""

    #: "1.8.0" (the latest release) or "master".
    linkis_version: str = "1.8.0"
    #: ``wds.linkis.workspace.filesystem.owner.check`` (§8.1): result and log files are shown to
    #: admins only (80010). Linkis's code default is off; its shipped linkis.properties turns it on.
    owner_check: bool = False
    #: ``wds.linkis.login_encrypt.enable`` (§2.1): passwords arrive RSA-encrypted with the key
    #: ``/user/publicKey`` hands out.
    login_encrypt: bool = False
    #: ``wds.linkis.jobhistory.admin`` / ``wds.linkis.admin.user``: users the owner check lets
    #: through and whose login answers ``isAdmin: true``.
    admins: tuple[str, ...] = ("hadoop",)
    #: ``wds.linkis.entrance.client.monitor.creator`` (§4.3): jobs of these creators die when no
    #: ``/entrance/{execID}/status`` call came for ``heartbeat_seconds``.
    heartbeat_creators: tuple[str, ...] = HEARTBEAT_CREATORS
    #: ``linkis.entrance.cli.heartbeat.threshold.sec`` (§4.3).
    heartbeat_seconds: float = 30.0
    #: How often CliHeartbeatMonitor looks (every 5 s in Linkis).
    heartbeat_scan_seconds: float = 5.0
    #: ``wds.linkis.entrance.log.cacheMax`` (§4.4.1): the log file gets whole blocks of this many
    #: lines while a job runs, the rest when the entrance closes the job.
    log_cache_lines: int = 500
    #: ``wds.linkis.entrance.log.push.interval.time`` (§4.4.1): a new line after this long since
    #: the last push also pushes the cache to the file.
    log_push_seconds: float = 300.0
    #: How long after job history shows a job's end the entrance closes it and writes the rest of
    #: its log (§4.4.1: one more history update, then an HDFS append).
    log_close_seconds: float = 0.3
    #: ``linkis.resultset.read.row.max.str`` (§8.2, "20m"): a longer row is not displayed.
    result_row_max_bytes: int = 20 * 1024 * 1024
    #: ``linkis.resultset.col.length.max`` (§8.2): with ``enableLimit``, a longer cell is not
    #: displayed.
    result_col_length_max: int = INT_MAX
    #: ``linkis.resultset.column.size.max``: only quoted in the display_prohibited message.
    result_column_size_max: int = INT_MAX

    def __post_init__(self) -> None:
        if self.linkis_version not in LINKIS_VERSIONS:
            raise SettingsError(f"unknown linkis_version {self.linkis_version!r}; the embedded gateway "
                                f"imitates {' or '.join(LINKIS_VERSIONS)}")
        for name in ("heartbeat_seconds", "heartbeat_scan_seconds", "log_push_seconds", "log_close_seconds"):
            if getattr(self, name) < 0:
                raise SettingsError(f"{name} must not be negative: {getattr(self, name)}")
        for name in ("log_cache_lines", "result_row_max_bytes", "result_col_length_max", "result_column_size_max"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1: {getattr(self, name)}")

    @property
    def honours_brief(self) -> bool:
        """``brief=true`` exists on master only; releases up to 1.8.0 ignore it (§7.1)."""
        return self.is_master

    @property
    def is_master(self) -> bool:
        """Imitating Linkis master rather than the latest release."""
        return self.linkis_version == "master"

    def is_admin(self, user: str) -> bool:
        return user in self.admins

    def watches(self, creator: str) -> bool:
        """Whether the heartbeat monitor kills this creator's unpolled jobs (case-insensitive)."""
        return creator.lower() in {watched.lower() for watched in self.heartbeat_creators}
