"""python -m cx: the command line (cx.cli)."""

import sys

from cx.cli import main

if __name__ == "__main__":
    sys.exit(main())
