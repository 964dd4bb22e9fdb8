"""Report metadata from the text itself: its title, its credits ('Translated by X.') and its publisher."""

import re
import unicodedata

from api.ingest.bundle import FILL_IN
from api.vocabulary import Role

PLACEHOLDER = f"UNKNOWN {FILL_IN}"
TITLE_MAX = 500
ID_MAX = 80

# Outlets that report on overseas North Korean labour, as their names appear in credits and copy.
KNOWN_PUBLISHERS = (
    "Daily NK",
    "NK News",
    "Radio Free Asia",
    "Voice of America",
    "Asia Press",
    "Yonhap",
    "Reuters",
    "Associated Press",
    "Agence France-Presse",
    "The Korea Herald",
    "Korea JoongAng Daily",
    "The Chosun Ilbo",
    "The Guardian",
    "The New York Times",
    "The Wall Street Journal",
    "NHK",
    "BBC",
    "38 North",
)

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
    """The first non-empty line, trimmed (and cut to the longest title the loader accepts)."""
    for line in body.lstrip("\ufeff").splitlines():
        title = " ".join(line.split())
        if title:
            return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rstrip() + "…"
    return None


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
        found.extend((match.start(), name, Role.author) for name in _split_names(match.group("names")))
    seen: set[tuple[str, Role]] = set()
    contributors: list[tuple[str, Role]] = []
    for _, name, role in sorted(found, key=lambda item: item[0]):
        if (name, role) not in seen:
            seen.add((name, role))
            contributors.append((name, role))
    return contributors


def propose_publisher(body: str) -> str:
    """The known outlet the text names most often (earliest on a tie), else a placeholder to fill in."""
    counts = [
        (len(re.findall(rf"(?<!\w){re.escape(name)}(?!\w)", body)), -body.find(name), name)
        for name in KNOWN_PUBLISHERS
    ]
    best = max(counts)
    return best[2] if best[0] else PLACEHOLDER
