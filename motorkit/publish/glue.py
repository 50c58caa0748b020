"""Numbers for a chapter's text: glue many values at once, as Python numbers myst-nb can format."""

from __future__ import annotations

from typing import Any

import numpy as np


def glue_values(values: dict[str, Any]) -> None:
    """Glue each value under its key for ``{glue:text}`` (not displayed).

    myst-nb formats a glued number (``:.2f``) from its text, and numpy scalars print as
    ``np.float64(...)``: they are glued as the Python numbers they hold.
    """
    from myst_nb import glue

    for key, value in values.items():
        glue(key, value.item() if isinstance(value, np.generic) else value, display=False)
