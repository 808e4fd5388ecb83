"""Users, sessions, tokens and the per-user filesystem boundary of the local gateway (§2, §8.1).

Sessions are in memory only, so a restart invalidates cookies, as a real gateway restart does
(§2.1): clients re-login on 401.
"""

from __future__ import annotations

import base64
import getpass
import hmac
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse


@dataclass(frozen=True)
class UserCredentials:
    """A user's password and token (kept out of the repr: gateways get printed in tracebacks)."""

    password: str = field(repr=False)
    token: str = field(repr=False)


class PathRefused(Exception):
    """A filesystem path outside the caller's own directories (Linkis error 80027)."""


def default_user() -> str:
    """The OS user name, lower-cased as Linkis lower-cases login names (§2.1)."""
    return getpass.getuser().lower()


def make_users(users: Mapping[str, object] | None) -> dict[str, UserCredentials]:
    """Normalise ``users`` (None → the OS user with a random password and token)."""
    if not users:
        return {default_user(): _random_credentials()}
    resolved = {}
    for name, given in users.items():
        if isinstance(given, UserCredentials):
            resolved[name.lower()] = given
            continue
        given = dict(given or {})
        resolved[name.lower()] = UserCredentials(
            password=str(given.get("password") or secrets.token_urlsafe(12)),
            token=str(given.get("token") or secrets.token_urlsafe(24)),
        )
    return resolved


def _random_credentials() -> UserCredentials:
    return UserCredentials(password=secrets.token_urlsafe(12), token=secrets.token_urlsafe(24))


class SessionExpired(Exception):
    """A ticket unused for longer than the session timeout (§2.1); the ticket is dropped."""


#: Linkis's default ``wds.linkis.server.web.session.timeout`` in deployments (§2.1).
DEFAULT_SESSION_TIMEOUT = 3600.0


class Authenticator:
    """Checks passwords and tokens and keeps the session tickets.

    A ticket expires ``session_timeout`` seconds after its last use, as SSO ``isTimeoutOrNot``
    does (§2.1): every authenticated request renews it.
    """

    def __init__(self, users: Mapping[str, UserCredentials],
                 session_timeout: float = DEFAULT_SESSION_TIMEOUT, *, encrypt: bool = False) -> None:
        self.users = dict(users)
        self.session_timeout = session_timeout
        #: With login encryption (§2.1) passwords arrive RSA-encrypted with this key pair, made
        #: once per gateway start as Linkis's RSAUtils makes it once per JVM.
        self.key = LoginKey() if encrypt else None
        self._tickets: dict[str, tuple[str, float]] = {}  # ticket -> (user, last access, monotonic)
        self._lock = threading.Lock()

    def check_password(self, user: str, password: str) -> bool:
        credentials = self.users.get(user.lower())
        return credentials is not None and _same(credentials.password, password)

    def check_token(self, user: str, token: str) -> bool:
        credentials = self.users.get(user.lower())
        return credentials is not None and _same(credentials.token, token)

    def open_session(self, user: str) -> str:
        """A new ticket for ``user`` (the cookie value)."""
        ticket = secrets.token_urlsafe(24)
        with self._lock:
            self._tickets[ticket] = (user.lower(), time.monotonic())
        return ticket

    def session_user(self, ticket: str | None) -> str | None:
        """The user of a live ticket (renewing it), None for an unknown one.

        Raises :class:`SessionExpired` for a ticket past its timeout.
        """
        if not ticket:
            return None
        now = time.monotonic()
        with self._lock:
            entry = self._tickets.get(ticket)
            if entry is None:
                return None
            user, last_access = entry
            if now - last_access > self.session_timeout:
                del self._tickets[ticket]
                raise SessionExpired(ticket)
            self._tickets[ticket] = (user, now)
            return user

    def close_session(self, ticket: str | None) -> None:
        with self._lock:
            self._tickets.pop(ticket or "", None)

    def forget_sessions(self) -> None:
        """Drop every ticket, as a session timeout or a restart does (§2.1)."""
        with self._lock:
            self._tickets.clear()


class LoginKey:
    """Linkis's login encryption (§2.1, ``RSAUtils``): a 2048-bit RSA key pair; the client sends
    ``Base64(RSA/ECB/PKCS1Padding(password))``."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def public_key(self) -> str:
        """The X.509 SubjectPublicKeyInfo DER, standard Base64, as ``/user/publicKey`` hands it out."""
        from cryptography.hazmat.primitives import serialization

        der = self._private.public_key().public_bytes(serialization.Encoding.DER,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(der).decode("ascii")

    def decrypt(self, sent: str) -> str | None:
        """The password inside ``sent``, or None when it does not decrypt (Linkis's
        ``Utils.tryAndError`` gives null, and the login then says the password is blank)."""
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            # commons-codec's decodeBase64 skips characters outside the alphabet; so does this.
            text = re.sub(r"[^A-Za-z0-9+/]", "", sent)
            cipher = base64.b64decode(text + "=" * (-len(text) % 4))
            return self._private.decrypt(cipher, padding.PKCS1v15()).decode("utf-8")
        except ValueError:
            return None


def path_uri(path: Path) -> str:
    """How the gateway names a server path to clients (``file:///...``, like Linkis' ``hdfs:///``)."""
    return path.as_uri()


def confine(path_text: str, root: Path) -> Path:
    """The local path for ``path_text`` if it lies inside ``root``; else :class:`PathRefused`.

    ``..`` segments and symlinks are refused outright rather than resolved, so a link planted in a
    user's directory cannot reach another user's files.
    """
    parsed = urlparse(path_text)
    if parsed.scheme not in ("", "file") or parsed.netloc not in ("", "localhost"):
        raise PathRefused(path_text)
    raw = unquote(parsed.path) if parsed.scheme else path_text
    if not raw.startswith("/") or ".." in Path(raw).parts:
        raise PathRefused(path_text)
    path = Path(raw)
    root = root.resolve()
    try:
        relative = path.relative_to(root)
    except ValueError:
        raise PathRefused(path_text) from None
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise PathRefused(path_text)
    return path


def _same(expected: str, given: str) -> bool:
    """A constant-time comparison that takes any text (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))
