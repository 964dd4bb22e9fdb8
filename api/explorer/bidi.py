"""Bidirectional isolation of user-supplied text: no title, name or quote can reorder the text around it."""

import re
from typing import Any

from markupsafe import Markup

# Characters that change the direction of the text after them: the embeddings and overrides
# (U+202A-U+202E), the isolates (U+2066-U+2069) and the marks (U+200E, U+200F, U+061C).
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def isolate(text: str) -> str:
    """`text` between FSI and PDI when it holds a direction control, else unchanged.

    The closing PDI ends every embedding and override the text left open (Unicode Bidirectional
    Algorithm, UAX #9, rule X6a). The text's own PDIs could close the isolate early, so it opens once
    more than the text has PDIs, and closes as often.
    """
    if not BIDI_CONTROLS.search(text):
        return text
    depth = text.count(POP_DIRECTIONAL_ISOLATE) + 1
    return FIRST_STRONG_ISOLATE * depth + text + POP_DIRECTIONAL_ISOLATE * depth


def finalize(value: Any) -> Any:
    """Jinja's `finalize`: every value a template writes is isolated (text, attributes and `<title>` alike).

    The elements of user text are isolated in the markup too (`<bdi>`, `dir="auto"`, explorer.css); this
    covers the places markup cannot reach: attribute values, the page title, link texts built in code.
    """
    if isinstance(value, Markup):
        return Markup(isolate(str(value)))  # noqa: S704 - the same safe markup, isolate marks added
    if isinstance(value, str):
        return isolate(value)
    return value
