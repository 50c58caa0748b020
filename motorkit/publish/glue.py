"""Numbers for a chapter's text: glue many values at once, as Python numbers myst-nb can format.

:func:`glue_values` is the one way a chapter hands values to its text: numbers for
``{glue:text}`name:.2f```, words for ``{glue:text}`` (as they are) or, with ``markdown=True``, for
``{glue:md}`` (words that depend on the data and may carry Markdown).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def glue_values(values: Mapping[str, Any], as_float: bool = False, markdown: bool = False) -> None:
    """Glue each value under its key for the chapter's text (not displayed).

    myst-nb formats a glued number (``:.2f``) from its text, and numpy scalars print as
    ``np.float64(...)``: they are glued as the Python numbers they hold. ``as_float`` glues every
    number as a float (as ``{glue:text}`` without a format then prints it: ``3.0``); ``markdown``
    glues every value as Markdown, for ``{glue:md}``.
    """
    from IPython.display import Markdown
    from myst_nb import glue

    for key, value in values.items():
        if markdown:
            value = Markdown(value)
        elif as_float:
            value = float(value)
        elif isinstance(value, np.generic):
            value = value.item()
        glue(key, value, display=False)
