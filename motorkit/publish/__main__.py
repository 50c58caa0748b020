"""``python -m motorkit.publish``: the command line of the papermill gate (:func:`motorkit.publish.gate.main`)."""

import sys

from motorkit.publish.gate import main

if __name__ == "__main__":
    sys.exit(main())
