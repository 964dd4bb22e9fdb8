"""A facility's names as stored: the aliases column beside the alias rows, and what facility search reads."""

import json

from sqlmodel import col

from api.kit.search import SearchIndex, with_bigrams
from models import Facility

# Facility search: name, aliases, operator, city and region (FTS5 table `facility_fts`, keyed by id).
FACILITY_SEARCH = SearchIndex("facility_fts", "key", col(Facility.id), col(Facility.search_text))


def facility_search_text(
    name: str, aliases: list[str], operator: str | None, city: str | None, region: str | None
) -> str:
    """What facility search reads: name, aliases, operator, city and region."""
    return with_bigrams("\n".join(part for part in (name, *aliases, operator, city, region) if part))


def name_columns(
    name: str, aliases: list[str], operator: str | None, city: str | None, region: str | None
) -> dict[str, str]:
    """The facility columns derived from its names: the aliases as read (JSON, in order) and search text.

    `facility_alias` rows are the aliases themselves; the `aliases` column spares reads a second query.
    """
    return {
        "aliases": json.dumps(list(dict.fromkeys(aliases)), ensure_ascii=False),
        "search_text": facility_search_text(name, aliases, operator, city, region),
    }
