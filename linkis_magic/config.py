"""Settings for the magics, resolved once per cell from five layers.

Highest first:

1. magic flags (``--progress``, ``--creator``, ``--timeout``, ``--limit``);
2. ``%config LinkisMagics.<setting>`` traitlets (and ``%linkis connect``);
3. the environment: ``LINKIS_URL``, ``LINKIS_USER``, ``LINKIS_PASSWORD``, ``LINKIS_TOKEN``,
   ``LINKIS_PROFILE``, ``LINKIS_CONFIG``, ``LINKIS_PROGRESS``;
4. the config file (TOML, default ``~/.config/linkis-magic/config.toml``);
5. the defaults of :class:`Settings`.

The config file holds shared settings at the top and one table per cluster::

    default = "prod"                 # the profile used when none is chosen
    creator = "NOTEBOOK"

    [profiles.prod]
    url = "https://linkis.example.com:9001"
    user = "alice"
    token = "..."

    [profiles.prod.versions]         # engine versions installed on that cluster
    spark = "3.4.4"

A profile chosen explicitly (``%linkis connect prod`` or ``%config LinkisMagics.profile``)
outranks the environment, because the user just asked for it; one chosen by ``LINKIS_PROFILE``
or ``default`` ranks where the file does. The profile ``local`` always exists: the embedded
local Linkis. Nothing here touches the network or prints; secrets stay out of ``repr``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from linkis_magic.engines import check_creator
from linkis_magic.protocol import redact_url, url_problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

DEFAULT_CONFIG_FILE = "~/.config/linkis-magic/config.toml"
DEFAULT_LOCAL_DATA_DIR = "~/.local/share/linkis-magic/local"
LOCAL = "local"
PROGRESS_MODES = ("auto", "widget", "text", "none")

#: Environment variable -> setting name.
ENV_VARS = {
    "LINKIS_URL": "url",
    "LINKIS_USER": "user",
    "LINKIS_PASSWORD": "password",
    "LINKIS_TOKEN": "token",
    "LINKIS_PROFILE": "profile",
    "LINKIS_CONFIG": "config_file",
    "LINKIS_PROGRESS": "progress",
}


class ConfigError(ValueError):
    """A setting, profile or config file that cannot be used."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything one ``%%linkis`` cell needs to know about where and how to run.

    ``url`` ``None`` or ``"local"`` means the embedded local Linkis. ``password`` and ``token``
    never appear in ``repr``.
    """

    url: str | None = None
    user: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    token: str | None = dataclasses.field(default=None, repr=False)
    profile: str | None = None
    creator: str = "LINKISMAGIC"
    progress: str = "auto"
    timeout: float | None = None
    limit: int | None = None
    log_lines: int = 200
    verify: bool = True
    ca_bundle: str | None = None
    versions: Mapping[str, str] = dataclasses.field(default_factory=dict)
    local_data_dir: str = DEFAULT_LOCAL_DATA_DIR

    @property
    def is_local(self) -> bool:
        """True when the cell should run on the embedded local Linkis."""
        return self.url in (None, LOCAL)

    @property
    def needs_password(self) -> bool:
        """True when a remote user is known but neither a password nor a token is."""
        return not self.is_local and bool(self.user) and not self.password and not self.token

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for ``LinkisClient`` (secrets included: never display them). The
        creator is not among them: it is a job's label, given to each job, so a cell's
        ``--creator`` does not make a new client (and a new login)."""
        return {
            "url": self.url,
            "user": self.user,
            "password": self.password,
            "token": self.token,
            "verify": self.verify,
            "ca_bundle": self.ca_bundle,
            "versions": dict(self.versions) or None,
        }


#: Settings whose values are never shown, not even in error messages.
SECRETS = frozenset({"password", "token"})

#: Settings a config file (top level or profile) may hold; ``profile`` is chosen, not stored.
FILE_KEYS = frozenset(f.name for f in dataclasses.fields(Settings)) - {"profile"}


def load_settings(
    flags: Mapping[str, Any], traits: Mapping[str, Any], environ: Mapping[str, str]
) -> Settings:
    """Read the config file named by the layers (or the default one) and resolve settings."""
    return resolve_settings(flags, traits, environ, config_data(traits, environ))


def config_data(traits: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """The config file the layers name, parsed: a missing default file is empty, a missing file
    named by the trait or ``LINKIS_CONFIG`` an error."""
    explicit = _present(traits.get("config_file")) or _present(environ.get("LINKIS_CONFIG"))
    return read_config_file(config_file_path(traits, environ), required=explicit)


def config_file_path(traits: Mapping[str, Any], environ: Mapping[str, str]) -> Path:
    """The config file to read: the trait, else ``LINKIS_CONFIG``, else the default."""
    chosen = _first(traits.get("config_file"), environ.get("LINKIS_CONFIG"), DEFAULT_CONFIG_FILE)
    return Path(os.path.expanduser(chosen))


def read_config_file(path: Path, *, required: bool = False) -> dict[str, Any]:
    """Parse a TOML config file; a missing default file is simply empty."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        if required:
            raise ConfigError(f"config file {path} does not exist") from None
        return {}
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {path} is not valid TOML: {e}") from None


def resolve_settings(
    flags: Mapping[str, Any],
    traits: Mapping[str, Any],
    environ: Mapping[str, str],
    file_data: Mapping[str, Any],
) -> Settings:
    """Merge the five layers (see the module docstring) into one :class:`Settings`."""
    env = env_layer(environ)
    base = _file_section(file_data, "the top level")
    profile = _first(flags.get("profile"), traits.get("profile"), env.get("profile"),
                     file_data.get("default"))
    section = profile_section(file_data, profile) if profile else {}
    explicit = _present(flags.get("profile")) or _present(traits.get("profile"))
    layers = [flags, traits, section, env, base] if explicit else [flags, traits, env, section, base]
    merged: dict[str, Any] = {"profile": profile}
    for name in FILE_KEYS:
        value = _first(*(layer.get(name) for layer in layers))
        if value is not None:
            merged[name] = _coerce(name, value)
    return Settings(**merged)


def env_layer(environ: Mapping[str, str]) -> dict[str, str]:
    """The settings named by ``LINKIS_*`` variables that are set and not empty."""
    return {name: environ[var] for var, name in ENV_VARS.items() if environ.get(var)}


def profile_section(file_data: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The ``[profiles.NAME]`` table; ``local`` exists even when the file does not name it."""
    profiles = file_data.get("profiles", {})
    if name in profiles:
        return _file_section(profiles[name], f"profile {name!r}")
    if name == LOCAL:
        return {"url": LOCAL}
    known = ", ".join(sorted(profiles)) or "none"
    raise ConfigError(f"unknown profile {name!r} (profiles in the config file: {known})")


def profile_names(file_data: Mapping[str, Any]) -> list[str]:
    """Profiles a user can connect to, ``local`` included."""
    return sorted({*file_data.get("profiles", {}), LOCAL})


def _file_section(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Settings of one TOML table, refusing unknown keys so typos do not pass silently."""
    section = {k: v for k, v in table.items() if k not in ("default", "profiles")}
    unknown = sorted(set(section) - FILE_KEYS)
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r} in {where} of the config file "
                          f"(known: {', '.join(sorted(FILE_KEYS))})")
    return section


def _coerce(name: str, value: Any) -> Any:
    """Convert a layer's value (environment strings included) to the field's type."""
    try:
        return _CONVERTERS.get(name, _text)(value)
    except (TypeError, ValueError) as e:
        shown = "<hidden>" if name in SECRETS else repr(redact_url(value) if isinstance(value, str) else value)
        raise ConfigError(f"bad value for {name}: {shown} ({e})") from None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _positive_number(value: Any) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError("must be positive")
    return number


def _positive_count(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("expected a whole number")
    number = int(value)
    if number <= 0:
        raise ValueError("must be positive")
    return number


def _progress(value: Any) -> str:
    if value not in PROGRESS_MODES:
        raise ValueError(f"choose one of {', '.join(PROGRESS_MODES)}")
    return value


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes", "on"):
        return True
    if str(value).lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _creator(value: Any) -> str:
    return check_creator(_text(value))


def _user(value: Any) -> str:
    # The user is the first half of userCreator "<user>-<creator>" (§4.1).
    text = _text(value)
    if "-" in text:
        raise ValueError("Linkis user names cannot contain '-'")
    return text


def _url(value: Any) -> str:
    text = _text(value).strip()
    problem = None if text == LOCAL else url_problem(text)
    if problem:
        raise ValueError(f"{problem}, or be 'local'" if "http" in problem else problem)
    return text


def _versions(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise TypeError("expected a table of engine = version")
    return {str(k): str(v) for k, v in value.items()}


_CONVERTERS = {
    "timeout": _positive_number,
    "limit": _positive_count,
    "log_lines": _positive_count,
    "progress": _progress,
    "verify": _flag,
    "creator": _creator,
    "user": _user,
    "url": _url,
    "versions": _versions,
}


def _present(value: Any) -> bool:
    return value is not None and value != ""


def _first(*values: Any) -> Any:
    """The first value that is set; empty strings count as unset (traitlet defaults)."""
    return next((v for v in values if _present(v)), None)
