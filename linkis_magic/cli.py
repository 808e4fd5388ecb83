"""``linkis-magic``: the command line.

    $ linkis-magic local [--port 9001] [--data-dir DIR]   # the embedded Linkis gateway, in the foreground
    $ linkis-magic kernels install [--user | --sys-prefix | --prefix DIR]
    $ linkis-magic kernels uninstall
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from linkis_magic.local import cli as local_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linkis-magic", description="linkis-magic command line tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    local_cli.add_parser(commands)
    kernels = commands.add_parser("kernels", help="install or remove the Linkis kernels (HiveQL, Spark SQL, "
                                                  "Python, Shell) for this Python")
    action = kernels.add_subparsers(dest="action", required=True)
    install = action.add_parser("install", help="install the kernelspecs (default: for every user of the "
                                                "machine, under /usr/local/share/jupyter; see --user)")
    where = install.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="for this user only (~/.local/share/jupyter)")
    where.add_argument("--sys-prefix", action="store_true", help=f"in this Python's prefix ({sys.prefix})")
    where.add_argument("--prefix", metavar="DIR", help="under DIR/share/jupyter/kernels")
    action.add_parser("uninstall", help="remove the kernelspecs, every copy Jupyter finds")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``linkis-magic`` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "local":
        return local_cli.run(args)
    from linkis_magic import kernel

    try:
        if args.action == "install":
            prefix = sys.prefix if args.sys_prefix else args.prefix
            for path in kernel.install(user=args.user, prefix=prefix):
                print(f"installed {path}")
        else:
            removed = kernel.uninstall()
            for path in removed:
                print(f"removed {path}")
            if not removed:
                print("no Linkis kernels were installed")
    except OSError as error:  # a prefix that cannot be written, a system directory without root
        print(f"linkis-magic kernels {args.action}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
