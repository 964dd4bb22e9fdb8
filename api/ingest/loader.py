"""The one write path: validate a bundle, place every quote, and write it in the caller's transaction."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError
from sqlalchemy import insert
from sqlalchemy.orm import Session
from sqlmodel import col, select

from api.errors import Conflict, InvalidBundle, ReportExists
from api.ingest.audit import CLI_ACTOR, record_change, report_summary
from api.ingest.bundle import Bundle, ClaimIn, FacilityIn
from api.ingest.figures import refresh_facility_figures
from api.ingest.quotes import FoldedBody, QuoteError, Span
from api.rules.figures import dated_on
from api.rules.merges import follow_merges
from api.rules.search import claim_search_text, facility_search_text, fold, report_search_text
from models import (
    Claim,
    Facility,
    FacilityAlias,
    Report,
    ReportContributor,
    ReportFacility,
)
from models.base import utc_now

BUNDLE_SUFFIXES = (".yaml", ".yml", ".json")
# libyaml's safe loader when PyYAML was built with it: the same documents, several times faster.
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class LoadResult:
    """What loading one bundle did: `added` it, or found it `unchanged`."""

    status: Literal["added", "unchanged"]
    report_id: str
    claim_ids: list[str] = field(default_factory=list)
    facility_ids: list[str] = field(default_factory=list)


@dataclass
class _PlacedClaim:
    claim: ClaimIn
    id: str
    span: Span
    facility_id: str | None  # the claim's facility after following merges (its id keeps the name written)


def read_bundle_file(path: Path) -> Bundle:
    """Parse and validate the YAML or JSON bundle at `path` (its `body_file` is resolved later)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidBundle(f"{path}: cannot be read as UTF-8 text ({exc.__class__.__name__})") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidBundle(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"
        ) from exc
    return parse_bundle(data)


def parse_bundle(data: Any) -> Bundle:
    """Validate raw bundle data, turning every problem into one `InvalidBundle` that lists them all."""
    try:
        return Bundle.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"loc": [p if isinstance(p, int) else str(p) for p in error["loc"]], "msg": error["msg"]}
            for error in exc.errors(include_input=False, include_url=False)
        ]
        raise InvalidBundle(_describe(errors[0]), errors) from exc


def _describe(error: dict[str, Any]) -> str:
    loc = error["loc"]
    if len(loc) >= 2 and loc[0] == "claims" and isinstance(loc[1], int):
        where = f"claim {loc[1]}" + (f" ({'.'.join(map(str, loc[2:]))})" if len(loc) > 2 else "")
    else:
        where = ".".join(map(str, loc)) or "bundle"
    return f"Invalid bundle: {where}: {error['msg']}"


def resolve_body(bundle: Bundle, base_dir: Path | None) -> str:
    """Return the report body: inline, or read from `body_file` relative to the bundle's folder."""
    report = bundle.report
    if report.body is not None:
        return report.body
    if base_dir is None:
        raise InvalidBundle(
            "Invalid bundle: report.body_file: give the body inline as `body` here",
            [{"loc": ["report", "body_file"], "msg": "body_file is not accepted here; give `body`"}],
        )
    path = base_dir / str(report.body_file)
    try:
        body = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"cannot read {report.body_file} as UTF-8 text ({exc.__class__.__name__})"
        raise InvalidBundle(
            f"Invalid bundle: report.body_file: {msg}", [{"loc": ["report", "body_file"], "msg": msg}]
        ) from exc
    if "\x00" in body:
        msg = "the body must not contain a NUL character"
        raise InvalidBundle(
            f"Invalid bundle: report.body_file: {msg}", [{"loc": ["report", "body_file"], "msg": msg}]
        )
    return body


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def claim_id(report_id: str, claim: ClaimIn, span: Span) -> str:
    """A claim id that depends only on the report and what the claim says, so reloading gives the same id."""
    key = json.dumps(
        [report_id, claim.facility, claim.subject, claim.predicate, claim.value, span.start, span.end]
    )
    return "clm-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def bundle_fingerprint(bundle: Bundle, body: str) -> str:
    """Hash what makes a bundle itself (metadata, body, facilities, claims), whatever format carried it."""
    report = bundle.report.model_dump(mode="json", exclude={"body", "body_file"})
    facilities = sorted(
        (facility.model_dump(mode="json") for facility in bundle.facilities), key=lambda f: f["id"]
    )
    claims = [claim.model_dump(mode="json") for claim in bundle.claims]
    document = {"report": report, "body": body, "facilities": facilities, "claims": claims}
    return _sha256(json.dumps(document, sort_keys=True))


def _claim_label(index: int, claim: ClaimIn) -> str:
    about = f", facility {claim.facility}" if claim.facility else ""
    return f"claim {index} ({claim.predicate}{about})"


def _place_claims(session: Session, bundle: Bundle, body: str) -> tuple[list[_PlacedClaim], dict[str, str]]:
    """Check each claim against the body and the facilities; raise once with every problem found.

    Returns the placed claims and the merges followed (old facility id -> surviving id).
    """
    merged = follow_merges(
        session, {f.id for f in bundle.facilities} | {c.facility for c in bundle.claims if c.facility}
    )
    declared = {facility.id for facility in bundle.facilities} - set(merged)
    named = {merged.get(c.facility, c.facility) for c in bundle.claims if c.facility} - declared
    stored = set(session.scalars(select(Facility.id).where(col(Facility.id).in_(named)))) if named else set()
    errors: list[dict[str, Any]] = []
    details: list[str] = []
    placed: list[_PlacedClaim] = []
    seen: dict[str, int] = {}
    folded = FoldedBody(body)
    for index, claim in enumerate(bundle.claims):
        label = _claim_label(index, claim)
        facility_id = merged.get(claim.facility, claim.facility) if claim.facility else None
        if facility_id and facility_id not in declared and facility_id not in stored:
            msg = f"unknown facility {claim.facility!r}: list it under `facilities` or use a stored id"
            errors.append({"loc": ["claims", index, "facility"], "msg": msg})
            details.append(f"{label}: {msg}")
        try:
            span = folded.find_span(claim.quote, claim.occurrence)
        except QuoteError as exc:
            errors.append({"loc": ["claims", index, "quote"], "msg": str(exc)})
            details.append(f"{label}: {exc}")
            continue
        identifier = claim_id(bundle.report.id, claim, span)
        if identifier in seen:
            msg = f"repeats claim {seen[identifier]} (same quote, predicate, facility and value)"
            errors.append({"loc": ["claims", index], "msg": msg})
            details.append(f"{label}: {msg}")
            continue
        seen[identifier] = index
        placed.append(_PlacedClaim(claim, identifier, span, facility_id))
    if errors:
        more = f" (and {len(details) - 1} more problem(s))" if len(details) > 1 else ""
        raise InvalidBundle(f"Invalid bundle: {details[0]}{more}", errors)
    return placed, merged


def load_bundle(
    session: Session,
    bundle: Bundle,
    base_dir: Path | None = None,
    *,
    actor: str = CLI_ACTOR,
    dry_run: bool = False,
    record: bool = True,
) -> LoadResult:
    """Check `bundle` completely, then (unless `dry_run`) write it in the session's open transaction.

    Raises `InvalidBundle` naming the offending claim when a check fails, and `Conflict` when the report
    id is already stored with another body, metadata, facilities or claims. Loading the same bundle again
    changes nothing.
    The write is recorded in the audit log under `actor` (unless `record` is false: the caller records it).
    """
    body = resolve_body(bundle, base_dir)
    placed, merged = _place_claims(session, bundle, body)
    fingerprint = bundle_fingerprint(bundle, body)
    report_in = bundle.report
    facility_ids = sorted(
        {merged.get(f.id, f.id) for f in bundle.facilities} | {p.facility_id for p in placed if p.facility_id}
    )
    result = LoadResult("added", report_in.id, [p.id for p in placed], facility_ids)

    existing = session.get(Report, report_in.id)
    if existing is not None:
        if existing.bundle_sha256 == fingerprint:
            result.status = "unchanged"
            return result
        raise ReportExists(
            f"Report {report_in.id!r} is already stored with another body, metadata, facilities or claims.",
            report_in.id,
        )
    taken = _taken_claim_ids(session, result.claim_ids)
    if taken:
        raise Conflict(f"Claim id(s) {', '.join(sorted(taken))} already belong to another report.")
    if dry_run:
        return result
    report = _write(session, bundle, body, fingerprint, placed, facility_ids)
    if not record:
        return result
    record_change(
        session,
        actor,
        "report.create",
        "report",
        report.id,
        after=report_summary(report, result.claim_ids, result.facility_ids),
    )
    return result


def _taken_claim_ids(session: Session, ids: Sequence[str]) -> set[str]:
    if not ids:
        return set()
    return set(session.scalars(select(Claim.id).where(col(Claim.id).in_(ids))))


def _write(
    session: Session,
    bundle: Bundle,
    body: str,
    fingerprint: str,
    placed: list[_PlacedClaim],
    facility_ids: list[str],
) -> Report:
    report_in = bundle.report
    report = Report(
        id=report_in.id,
        title=report_in.title,
        publisher=report_in.publisher,
        publisher_fold=fold(report_in.publisher) or "",
        url=report_in.url,
        published_on=report_in.published_on,
        language=report_in.language,
        source=report_in.source,
        body=body,
        sha256=_sha256(body),
        search_text=report_search_text(report_in.title, body),
        bundle_sha256=fingerprint,
        claim_count=len(placed),
    )
    session.add(report)
    session.flush()
    # Rows without ORM behaviour are inserted set-wise (executemany): the bulk path stays fast.
    if report_in.contributors:
        session.execute(
            insert(ReportContributor),
            [
                {"report_id": report_in.id, "position": position, "name": person.name, "role": person.role}
                for position, person in enumerate(report_in.contributors)
            ],
        )
    stored = set(session.scalars(select(Facility.id).where(col(Facility.id).in_(facility_ids))))
    new_facilities = [f for f in bundle.facilities if f.id not in stored and f.id in facility_ids]
    if new_facilities:
        session.execute(insert(Facility), [_facility_row(facility) for facility in new_facilities])
        aliases = [
            {"facility_id": facility.id, "position": position, "alias": alias}
            for facility in new_facilities
            for position, alias in enumerate(dict.fromkeys(facility.aliases))
        ]
        if aliases:
            session.execute(insert(FacilityAlias), aliases)
    if facility_ids:
        session.execute(
            insert(ReportFacility), [{"report_id": report_in.id, "facility_id": f} for f in facility_ids]
        )
    if placed:
        session.execute(
            insert(Claim),
            [
                _claim_row(report_in.id, report_in.published_on, body, position, item)
                for position, item in enumerate(placed)
            ],
        )
    session.flush()
    refresh_facility_figures(session, facility_ids)
    return report


def _facility_row(facility: FacilityIn) -> dict[str, Any]:
    location = facility.location
    return {
        "id": facility.id,
        "name": facility.name,
        "kind": facility.kind,
        "sector": facility.sector,
        "operator": facility.operator,
        "operator_country": facility.operator_country,
        "city": facility.city,
        "region": facility.region,
        "country": facility.country,
        "city_fold": fold(facility.city),
        "region_fold": fold(facility.region),
        "sector_fold": fold(facility.sector),
        "kind_fold": fold(facility.kind),
        "lat": location.lat if location else None,
        "lon": location.lon if location else None,
        "precision": location.precision.value if location else None,
        **name_columns(facility.name, facility.aliases, facility.operator, facility.city, facility.region),
        "claim_count": 0,
        "report_count": 0,
        "created_at": utc_now(),
    }


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


def _claim_row(
    report_id: str, published_on: date | None, body: str, position: int, item: _PlacedClaim
) -> dict[str, Any]:
    claim = item.claim
    period_end = claim.period.end if claim.period else None
    quote = body[item.span.start : item.span.end]
    return {
        "id": item.id,
        "report_id": report_id,
        "facility_id": item.facility_id,
        "position": position,
        "subject": claim.subject,
        "predicate": claim.predicate,
        "value_number": float(claim.value) if isinstance(claim.value, int | float) else None,
        "value_text": claim.value if isinstance(claim.value, str) else None,
        "unit": claim.unit,
        "approximate": claim.approximate,
        "period_start": claim.period.start if claim.period else None,
        "period_end": period_end,
        "quote": quote,
        "span_start": item.span.start,
        "span_end": item.span.end,
        "attributed_to": claim.attributed_to,
        "evidence": claim.evidence.value,
        "status": claim.status.value,
        "notes": claim.notes,
        "dated_on": dated_on(period_end, published_on),
        "search_text": claim_search_text(quote, claim.subject),
    }
