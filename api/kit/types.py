"""Validated scalar types shared by request, bundle and query models.

Request bodies are JSON, bundles JSON or YAML: a value of the wrong JSON type (`true` for a number, a
number for a date or a text) is refused rather than converted, while the dates and numbers YAML reads
stay accepted.
"""

import re
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import pycountry
from pydantic import AfterValidator, BeforeValidator, Field, StrictFloat, StrictInt, StringConstraints

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,126}[a-z0-9])?$"
WEB_SCHEMES = ("http", "https")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only, and nothing around them


def storable(value: str) -> str:
    """Refuse text no database stores: a NUL character (PostgreSQL), a lone surrogate (not UTF-8)."""
    if "\x00" in value:
        raise ValueError("text must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (it holds a lone surrogate)") from None
    return value


def _date_or_text(value: Any) -> Any:
    """Let through a date (as YAML reads one) or a `YYYY-MM-DD` text; refuse timestamps, numbers, booleans.

    A timestamp would otherwise be cut to its day (`2024-01-02T00:00:00`), as would a YAML one.
    """
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("give the date as an ISO 8601 text YYYY-MM-DD, such as 2024-01-02, without a time")


def _web_url(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        raise ValueError("give an http or https URL, such as https://example.org/report")
    return value


def _country(value: str) -> str:
    code = value.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise ValueError(f"{value!r} is not a BCP 47 language tag such as 'en' or 'ko-KR'")
    return value


Text = Annotated[str, AfterValidator(storable)]
"""Any text a database stores: no NUL (PostgreSQL refuses it), no lone surrogate (not UTF-8)."""

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), AfterValidator(storable)
]
"""A short non-empty label."""

ShortName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(storable)
]
"""A place name, publisher or person's name (at most 200 characters, as stored)."""

Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), AfterValidator(storable)
]
"""A short category such as a facility's kind or sector (at most 50 characters, as stored)."""

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
"""A stable identifier: lowercase letters, digits and inner hyphens, at most 128 characters."""

CountryCode = Annotated[str, AfterValidator(_country)]
"""An ISO 3166-1 alpha-2 code, any case on input, upper case once validated."""

LanguageTag = Annotated[str, StringConstraints(max_length=35), AfterValidator(_language)]

WebUrl = Annotated[str, AfterValidator(storable), AfterValidator(_web_url)]
"""An absolute http or https URL with a host (no `javascript:`, `data:` or `file:`)."""

IsoDate = Annotated[date, BeforeValidator(_date_or_text)]
"""A date: a `YYYY-MM-DD` text in JSON, a date in YAML; never a number or a timestamp."""

Count = Annotated[StrictInt, Field(ge=1)]
"""A whole number from 1 (a boolean is not a number)."""

Latitude = Annotated[StrictFloat, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[StrictFloat, Field(ge=-180, le=180, allow_inf_nan=False)]
"""Coordinates in degrees: numbers, never booleans or texts."""
