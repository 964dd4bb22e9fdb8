"""Report metadata from the text itself: its headline, its credits ('Translated by X.') and its publisher."""

import re
import unicodedata

from api.extract.outlets import find_publisher, headline, looks_like_outlet, masthead_authors
from api.ingest.bundle import FILL_IN
from api.vocabulary import Role

PLACEHOLDER = f"UNKNOWN {FILL_IN}"
TITLE_MAX = 500
ID_MAX = 80

# A headline is a line, not a paragraph: a longer first line is a text without one.
HEADLINE_MAX = 200

_ROLES = {
    "translated": Role.translator,
    "edited": Role.editor,
    "written": Role.author,
    "reported": Role.author,
    "photo": Role.photographer,
    "photos": Role.photographer,
    "photographed": Role.photographer,
    "photograph": Role.photographer,
}
_NAME_WORD = r"(?:[A-Z][\w\u2019'-]*[a-z][\w\u2019'-]*|[A-Z]\.)"
_NAME = rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,4}}"
_CREDIT = re.compile(
    rf"(?:^|(?<=[.!?(])[ \t]*|(?<=[.!?][\u201d\"\u2019])[ \t]*)[ \t]*"
    rf"(?P<verb>Translated|Edited|Written|Reported|Photos?|Photographed|Photograph)[ \t]+by[ \t]+"
    rf"(?P<names>{_NAME}(?:(?:,[ \t]*|[ \t]+and[ \t]+){_NAME})*)",
    re.MULTILINE,
)
_BYLINE = re.compile(
    rf"^[ \t]*By[ \t]+(?P<names>{_NAME}(?:(?:,[ \t]*|[ \t]+and[ \t]+){_NAME})*)[ \t]*$", re.M
)


def propose_title(body: str) -> str | None:
    """The headline: the first non-empty line that is not a photo caption, unless it is a whole paragraph."""
    found = headline(body.lstrip("\ufeff"))
    if found is None:
        return None
    title = " ".join(found[1].split())
    return title if len(title) <= min(HEADLINE_MAX, TITLE_MAX) else None


def slugify(text: str, max_length: int = ID_MAX) -> str:
    """Lowercase ASCII letters and digits joined by hyphens, at most `max_length` long, cut at a hyphen."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut else cut[:max_length]
    return slug.strip("-")


def _split_names(names: str) -> list[str]:
    return [name.strip() for name in re.split(r",[ \t]*|[ \t]+and[ \t]+", names) if name.strip()]


def propose_contributors(body: str) -> list[tuple[str, Role]]:
    """People the credits name ('Translated by X. Edited by Y.', 'Photo by Z', a 'By X' line), in order."""
    found: list[tuple[int, str, Role]] = []
    for match in _CREDIT.finditer(body):
        role = _ROLES[match.group("verb").lower()]
        found.extend((match.start(), name, role) for name in _split_names(match.group("names")))
    for match in _BYLINE.finditer(body):
        names = [name for name in _split_names(match.group("names")) if not looks_like_outlet(name)]
        found.extend((match.start(), name, Role.author) for name in names)
    found.extend((start, name, Role.author) for start, name in masthead_authors(body))
    seen: set[tuple[str, Role]] = set()
    contributors: list[tuple[str, Role]] = []
    for _, name, role in sorted(found, key=lambda item: item[0]):
        if (name, role) not in seen:
            seen.add((name, role))
            contributors.append((name, role))
    return contributors


def propose_publisher(body: str) -> str:
    """The outlet the text names as its own (masthead, byline, 'told the X'), else a placeholder."""
    return find_publisher(body) or PLACEHOLDER
