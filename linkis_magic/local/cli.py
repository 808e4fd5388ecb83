"""``linkis-magic local``: run the embedded Linkis gateway in the foreground.

    $ linkis-magic local --port 9001 --data-dir ~/.linkis-local
    Local Linkis gateway: http://127.0.0.1:9001 ...
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from linkis_magic.local.settings import LINKIS_VERSIONS, LinkisSettings
from linkis_magic.protocol import API_PREFIX

if TYPE_CHECKING:
    from linkis_magic.local.server import LocalLinkis


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``local`` subcommand of ``linkis-magic`` (:mod:`linkis_magic.cli`)."""
    local = commands.add_parser("local", help="run a Linkis-compatible gateway on this machine")
    local.add_argument("--port", type=port, default=9001, help="port to listen on (0: any free port; default 9001)")
    local.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    local.add_argument("--data-dir", type=Path, default=None,
                       help="where job history, logs and results live (default: a temporary directory)")
    local.add_argument("--linkis-version", choices=LINKIS_VERSIONS, default=LinkisSettings.linkis_version,
                       help="the Linkis version to behave like (default %(default)s)")
    local.add_argument("--owner-check", action="store_true",
                       help="show result and log files to admins only, as wds.linkis.workspace.filesystem.owner.check")
    local.add_argument("--login-encrypt", action="store_true",
                       help="expect RSA-encrypted passwords, as wds.linkis.login_encrypt.enable")


def port(text: str) -> int:
    """A TCP port number (argparse names the type after this function in its error)."""
    number = int(text)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, not {number}")
    return number


def _stop_on_sigterm() -> None:
    """SIGTERM stops the gateway as Ctrl-C does: jobs killed, engines stopped, a temporary data
    directory removed. (uvicorn catches SIGTERM too, and after its own shutdown raises it again
    under the handler it found: by default that would end the process before the cleanup.)"""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def run(args: argparse.Namespace) -> int:
    """Serve in the foreground until Ctrl-C or SIGTERM."""
    try:
        from linkis_magic.local.server import GatewayStartError, LocalLinkis
    except ImportError as error:
        from linkis_magic.local import not_installed

        print(f"linkis-magic local: {not_installed(error)}", file=sys.stderr)
        return 1

    if args.data_dir is not None:
        try:
            args.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            print(f"linkis-magic local: cannot use {args.data_dir} as the data dir: {error.strerror or error}",
                  file=sys.stderr)
            return 1
    settings = LinkisSettings(linkis_version=args.linkis_version, owner_check=args.owner_check,
                              login_encrypt=args.login_encrypt)
    gateway = LocalLinkis(port=args.port, host=args.host, data_dir=args.data_dir, settings=settings)
    _stop_on_sigterm()
    try:
        gateway.serve_forever(on_ready=lambda: print(banner(gateway), flush=True))
    except GatewayStartError as error:
        print(f"linkis-magic local: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # uvicorn shuts down cleanly, then re-raises the Ctrl-C it captured; that is our normal exit.
        pass
    print("Local Linkis gateway stopped.", flush=True)
    return 0


def banner(gateway: LocalLinkis) -> str:
    """What a newcomer needs to connect: URL, user, password, token."""
    return "\n".join([
        f"Local Linkis gateway: {gateway.url}  (API: {gateway.url}{API_PREFIX})",
        f"  data dir : {gateway.data_dir}",
        f"  user     : {gateway.user}",
        f"  password : {gateway.password}",
        f"  token    : {gateway.token}   (headers Token-User / Token-Code)",
        "Press Ctrl-C to stop.",
    ])
