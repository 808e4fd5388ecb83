"""``python -m linkis_magic.local``: the same as ``linkis-magic local``."""

import sys

from linkis_magic.cli import main

sys.exit(main(["local", *sys.argv[1:]]))
