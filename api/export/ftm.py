"""The corpus as FollowTheMoney entities, a JSON object a line: what `/v1/export/ftm` and `export --ftm` send.

Each entity is a plain dict in FtM's JSON shape, `{"id", "schema", "properties": {name: [values]}}`, built
from the public shape of a facility, report or claim (the one shaping of each, in `api.resources`), so the
FtM export says what the API says. No FtM library is needed to write it (the tests read it with one).
Ids are ours with a namespace prefix (`lw-facility-<id>`, `lw-report-<id>`, `lw-claim-<id>`), so two
exports of the same data give the same ids. docs/ftm.md has the mapping table.
"""

import hashlib
from collections.abc import Generator, Iterable, Iterator, Mapping
from contextlib import closing
from typing import Any

import pycountry
from sqlalchemy import Connection, Select, Table, select
from sqlmodel import col

from api.claims.listing import ClaimFilters, claim_query, shape_claims
from api.facilities.listing import FacilityFilters, facility_query, narrows, shape_facilities
from api.kit.paging import Keyset, Sort, SortKey, iter_batches
from api.kit.responses import dumps
from api.reports.listing import ReportFilters, report_query_with_body, shape_reports
from api.vocabulary import CREDIBILITY_WORDS, RELIABILITY_WORDS
from models import Claim, FacilityRedirect, Report

Entity = dict[str, Any]
PREFIX = "lw"
# Line-delimited JSON, as the other streamed exports; the file name follows FtM's `*.ftm.json` convention.
MEDIA_TYPE = "application/x-ndjson"
FILE_NAME = "laborwatch.ftm.json"

# The longest value FtM's model takes in each property we write (characters): `Property.max_length`, by
# the property's type. FtM drops longer values, so they are cut to fit (tests/test_ftm.py checks these).
MAX_LENGTH = {"name": 384, "alias": 384, "address": 250, "full": 250, "sourceUrl": 4096}
MAX_LENGTH |= dict.fromkeys(("bodyText", "description", "summary", "notes"), 65000)
DEFAULT_MAX_LENGTH = 1024  # FtM's `string` type, the type of every other property we write
ELLIPSIS = "\u2026"

BATCH_SIZE = 1000
# Reports come with their bodies (up to the 5 MiB a request may carry): a few at a time keeps memory flat.
REPORT_BATCH_SIZE = 20

_CLAIM: Table = Claim.__table__  # type: ignore[attr-defined]
_REPORT: Table = Report.__table__  # type: ignore[attr-defined]
_BY_ID = Sort("id", SortKey("id", "str"), descending=False)


def entity_id(kind: str, our_id: str) -> str:
    """The FtM id of one of our items: its stable id under a namespace prefix, e.g. `lw-facility-<id>`."""
    return f"{PREFIX}-{kind}-{our_id}"


def operator_id(name: str, country: str | None) -> str:
    """The FtM id of an operator: operators have no id of ours, so it is made from its name and country."""
    digest = hashlib.sha1(f"{name}\x1f{country or ''}".encode(), usedforsecurity=False).hexdigest()
    return entity_id("operator", digest[:20])


def _entity(schema: str, id_: str, properties: Mapping[str, Iterable[Any]]) -> Entity:
    """An FtM entity with the given values as strings; properties without a value are left out.

    Values are stripped of outer white space, as FtM's cleaning does (a body's final newline), and cut
    to FtM's length limits, so a reader gets back exactly what was written.
    """
    kept = {
        name: [_fit(text, MAX_LENGTH.get(name, DEFAULT_MAX_LENGTH)) for text in _texts(values)]
        for name, values in properties.items()
    }
    present = {name: values for name, values in kept.items() if values}
    return {"id": id_, "schema": schema, "properties": present}


def _texts(values: Iterable[Any]) -> list[str]:
    texts = (str(value).strip() for value in values if value is not None)
    return [text for text in texts if text]


def _fit(text: str, limit: int) -> str:
    """`text`, or its beginning with an ellipsis when it is longer than FtM takes."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _country(code: str | None) -> str | None:
    return code.lower() if code else None  # FtM writes ISO 3166-1 alpha-2 codes in lower case


def _country_name(code: str | None) -> str | None:
    found = pycountry.countries.get(alpha_2=code) if code else None
    return found.name if found is not None else code


def _language(tag: str | None) -> str | None:
    """A BCP 47 tag (`en`, `zh-Hans`) as FtM's ISO 639-3 language code (`eng`, `zho`), when there is one."""
    primary = (tag or "").split("-")[0].lower()
    found = pycountry.languages.get(alpha_2=primary) if len(primary) == 2 else None
    if found is None and len(primary) == 3:
        found = pycountry.languages.get(alpha_3=primary)
    return getattr(found, "alpha_3", None) if found is not None else None


def facility_entities(facility: dict[str, Any], merged_ids: Iterable[str] = ()) -> list[Entity]:
    """A facility (public shape) as an Organization (a `company`: Company), its Address, its operator link.

    The ids of facilities merged into it are its `referents`, as FtM tools record merged entities; their
    names are among its aliases already, as the API gives them.
    """
    facility_key = entity_id("facility", facility["id"])
    place = [facility["city"], facility["region"], _country_name(facility["country"])]
    full = ", ".join(part for part in place if part)
    location = facility["location"]
    entities: list[Entity] = []
    address_ids: list[str] = []
    if full or location is not None:
        address = _entity(
            "Address",
            entity_id("address", facility["id"]),
            {
                "full": [full],
                "city": [facility["city"]],
                "region": [facility["region"]],
                "country": [_country(facility["country"])],
                "latitude": [location["lat"] if location else None],
                "longitude": [location["lon"] if location else None],
                "remarks": [f"location precision: {location['precision']}" if location else None],
            },
        )
        entities.append(address)
        address_ids.append(address["id"])
    notes = []
    if facility["operator_country"] and not facility["operator"]:
        notes.append(f"Operator not named; operator country: {facility['operator_country']}")
    organization = _entity(
        "Company" if facility["kind"] == "company" else "Organization",
        facility_key,
        {
            "name": [facility["name"]],
            "alias": facility["aliases"],
            "country": [_country(facility["country"])],
            "address": [full],
            "addressEntity": address_ids,
            "sector": [facility["sector"]],
            "classification": [facility["kind"]],
            "notes": notes,
        },
    )
    referents = sorted(entity_id("facility", old_id) for old_id in merged_ids)
    if referents:
        organization["referents"] = referents
    entities.insert(0, organization)
    if facility["operator"]:
        operator = operator_id(facility["operator"], facility["operator_country"])
        link = _entity(
            "UnknownLink",
            entity_id("operates", facility["id"]),
            {"subject": [operator], "object": [facility_key], "role": ["operator"]},
        )
        entities.append(link)
    return entities


def operator_entity(name: str, country: str | None) -> Entity:
    """An operator named by facilities, as an Organization with its country."""
    properties: dict[str, list[str | None]] = {"name": [name], "country": [_country(country)]}
    return _entity("Organization", operator_id(name, country), properties)


def report_entity(report: dict[str, Any]) -> Entity:
    """A report (public shape with `body`) as an Article: title, publisher, date, authors, language, text."""
    contributors = report["contributors"] or []  # null when withheld (a restricted report)
    authors = [person["name"] for person in contributors if person["role"] == "author"]
    others = [f"{p['name']} ({p['role']})" for p in contributors if p["role"] != "author"]
    body = (report["body"] or "").strip()
    limit = MAX_LENGTH["bodyText"]
    cut = (
        f"Text cut at {limit:,} of {len(body):,} characters; the whole body: /v1/reports/{report['id']}"
        if len(body) > limit
        else None
    )
    return _entity(
        "Article",
        entity_id("report", report["id"]),
        {
            "title": [report["title"]],
            "name": [report["title"]],
            "publisher": [report["publisher"]],
            "publishedAt": [report["published_on"]],
            "sourceUrl": [report["url"]],
            "author": authors,
            "language": [_language(report["language"])],
            "bodyText": [body],
            "notes": [
                f"Source: {report['source']}" if report["source"] else None,
                f"Contributors: {'; '.join(others)}" if others else None,
                cut,
                *_lineage_notes(report),
                _withheld_note(report),
            ],
        },
    )


def _lineage_notes(report: dict[str, Any]) -> list[str | None]:
    """Lineage and grade in words: FtM has no property for a derivation between documents."""
    derived = report.get("derived_from")
    reliability = report.get("reliability")
    return [
        f"{derived['relation'].capitalize()} of {entity_id('report', derived['report'])}"
        if derived
        else None,
        f"Origin: {entity_id('report', report['origin'])}"
        if report.get("origin") and report["origin"] != report["id"]
        else None,
        f"Source reliability (Admiralty): {reliability}, {RELIABILITY_WORDS[reliability]}"
        if reliability
        else None,
    ]


def _withheld_note(item: dict[str, Any]) -> str | None:
    """A note naming what a restricted report or claim keeps back, so an empty property is not a gap."""
    withheld = item.get("withheld") or []
    return f"Restricted: withheld {', '.join(withheld)}" if withheld else None


def _value_text(claim: dict[str, Any]) -> str | None:
    """A claim's value in words with its unit: `about 70 workers`, `50-70 workers`, or its text."""
    value = claim["value"]
    if value is None:
        return None
    if claim.get("high") is not None and claim["high"] != value:
        value = f"{value}-{claim['high']}"
    words = f"{value} {claim['unit']}" if claim["unit"] else str(value)
    return f"about {words}" if claim["approximate"] else words


def _support_text(support: dict[str, Any] | None) -> str | None:
    if support is None:
        return None
    return (
        f"independent sources: {support['sources']}; agreeing claims: {support['agreeing_count']}; "
        f"conflicting claims: {support['conflicting_count']}"
    )


def claim_entity(claim: dict[str, Any]) -> Entity:
    """A claim (public shape) as the Documentation linking its report to its facility, or a Note if none.

    Either keeps the value (`summary`), the verbatim quote (`description`) and the report (`document`,
    or `proof` on a Note); a Documentation also keeps the status, the predicate (`role`) and the dates.
    """
    report = entity_id("report", claim["report_id"])
    period = claim["period"] or {}
    summary = [
        f"{claim['predicate']}: {_value_text(claim) or 'no value'}",
        f"attributed to: {claim['attributed_to']}" if claim["attributed_to"] else None,
        f"evidence: {claim['evidence']}" if claim["evidence"] else None,
        f"notes: {claim['notes']}" if claim["notes"] else None,
        f"credibility (Admiralty): {claim['credibility']}, {CREDIBILITY_WORDS[claim['credibility']]}"
        if claim.get("credibility")
        else None,
        _support_text(claim.get("support")),
        _withheld_note(claim),
    ]
    claim_key = entity_id("claim", claim["id"])
    if claim["facility_id"] is None:
        return _entity(
            "Note",
            claim_key,
            {
                "name": [claim["subject"]],
                "description": [claim["quote"]],
                "summary": summary,
                "proof": [report],
                "keywords": [claim["predicate"], f"status: {claim['status']}"],
            },
        )
    return _entity(
        "Documentation",
        claim_key,
        {
            "document": [report],
            "entity": [entity_id("facility", claim["facility_id"])],
            "role": [claim["predicate"]],
            "description": [claim["quote"]],
            "summary": summary,
            "status": [claim["status"]],
            "startDate": [period.get("start")],
            "endDate": [period.get("end")],
            "recordId": [claim["id"]],
        },
    )


def _merged_into(db: Connection, facility_ids: list[str]) -> dict[str, list[str]]:
    """The ids merged into each of `facility_ids` (survivor -> old ids)."""
    merged: dict[str, list[str]] = {}
    if facility_ids:
        rows = db.execute(
            select(col(FacilityRedirect.facility_id), col(FacilityRedirect.old_id)).where(
                col(FacilityRedirect.facility_id).in_(facility_ids)
            )
        )
        for survivor, old_id in rows:
            merged.setdefault(survivor, []).append(old_id)
    return merged


def _rows(
    db: Connection,
    query: Select[Any],
    sort: Sort = _BY_ID,
    id_column: str = "id",
    batch_size: int = BATCH_SIZE,
) -> Iterator[list[Any]]:
    """Every row of `query` in `sort` order, a batch at a time; its statement ends when this is closed."""
    with closing(iter_batches(db, Keyset(query, sort, id_column), batch_size)) as batches:
        yield from batches


def ftm_entities(db: Connection, filters: FacilityFilters) -> Generator[Entity]:
    """Every entity of the facilities matching `filters` and of the reports and claims about them, in batches.

    With filters that narrow the facilities, only the claims about matching facilities and the reports
    they come from; with none (or `as_of` alone), every report and claim, those about no facility too
    (the rule of `/v1/stats`). Operators first, then facilities, reports and claims, each in id order.
    """
    if db.dialect.name == "postgresql" and not db.in_transaction():
        db.execution_options(isolation_level="REPEATABLE READ")  # one snapshot for every section
    facilities = facility_query(filters, db)
    matched = select(facilities.subquery("matched").c.id)
    claims = claim_query(ClaimFilters(), db)
    reports = report_query_with_body(ReportFilters(), db)
    if narrows(filters):
        claims = claims.where(_CLAIM.c.facility_id.in_(matched))
        about = select(_CLAIM.c.report_id).where(_CLAIM.c.facility_id.in_(matched))
        reports = reports.where(_REPORT.c.id.in_(about))
    named = facilities.subquery("named")
    operators = (
        select(named.c.operator, named.c.operator_country)
        .where(named.c.operator.is_not(None), named.c.operator != "")
        .group_by(named.c.operator, named.c.operator_country)
    )
    by_country = Sort("operator_country", SortKey("operator_country", "str"), descending=False)
    for rows in _rows(db, operators, by_country, "operator"):
        for name, country in rows:
            yield operator_entity(name, country)
    for rows in _rows(db, facilities):
        shaped = shape_facilities(db, rows)
        merged = _merged_into(db, [facility["id"] for facility in shaped])
        for facility in shaped:
            yield from facility_entities(facility, merged.get(facility["id"], ()))
    for rows in _rows(db, reports, batch_size=REPORT_BATCH_SIZE):
        for report in shape_reports(db, rows, detail=True):
            yield report_entity(report)
    for rows in _rows(db, claims):
        for claim in shape_claims(db, rows):
            yield claim_entity(claim)


def ftm_lines(db: Connection, filters: FacilityFilters) -> Generator[bytes]:
    """The export's lines: each entity as compact JSON and a newline.

    Closing it (the body ended, or the client went) ends the statement that is being read.
    """
    with closing(ftm_entities(db, filters)) as entities:
        for entity in entities:
            yield dumps(entity) + b"\n"
