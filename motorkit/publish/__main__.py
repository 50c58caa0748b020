"""``python -m motorkit.publish``: runs :func:`motorkit.publish.cli.main`, the command line of the book's machinery."""

import sys

from motorkit.publish.cli import main

if __name__ == "__main__":
    sys.exit(main())
