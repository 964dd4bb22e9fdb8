"""Validated scalar types shared by request, bundle and query models."""

import re
from typing import Annotated

import pycountry
from pydantic import AfterValidator, Field, StringConstraints

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,126}[a-z0-9])?$"
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain a NUL character")
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


Text = Annotated[str, AfterValidator(_no_nul)]
"""Any text without NUL (PostgreSQL refuses NUL, so it is refused on every backend)."""

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), AfterValidator(_no_nul)
]
"""A short non-empty label."""

ShortName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_no_nul)
]
"""A place name, publisher or person's name (at most 200 characters, as stored)."""

Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), AfterValidator(_no_nul)
]
"""A short category such as a facility's kind or sector (at most 50 characters, as stored)."""

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
"""A stable identifier: lowercase letters, digits and inner hyphens, at most 128 characters."""

CountryCode = Annotated[str, AfterValidator(_country)]
"""An ISO 3166-1 alpha-2 code, any case on input, upper case once validated."""

LanguageTag = Annotated[str, StringConstraints(max_length=35), AfterValidator(_language)]

Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
