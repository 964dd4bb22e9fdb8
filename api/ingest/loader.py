"""The one write path: validate a bundle, place every quote, and write it in the caller's transaction."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Connection, bindparam
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col, select

from api.auth.access import RESTRICTED, Access
from api.changes.audit import CLI_ACTOR, record_change, record_changes, report_summary
from api.claims.listing import claim_search_text
from api.claims.order import assign_id_order
from api.errors import Conflict, InvalidBundle, ReportExists, validation_errors
from api.facilities.figures import dated_on, refresh_facility_figures
from api.facilities.merges import follow_merges
from api.facilities.names import name_columns
from api.ingest.batch import BatchWrite
from api.ingest.bundle import Bundle, ClaimIn, FacilityIn, ReportIn, review_errors
from api.ingest.quotes import FoldedBody, QuoteError, Span
from api.ingest.quotes import fold as fold_space
from api.ingest.rows import insert_rows
from api.kit.inlist import in_chunks
from api.kit.search import fold
from api.reports.lineage import body_key, check_derivation, settle_new_report
from api.reports.listing import report_search_text
from api.settings import Settings, get_settings
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


# A claim's id and span, or where (an error's `loc`) and why it cannot be placed.
Placement = tuple[str, Span] | tuple[list[str | int], str]


@dataclass
class PreparedBundle:
    """A bundle with every check that needs no database done: its body read, its quotes placed.

    Picklable, so that `laborwatch ingest` prepares bundles in worker processes while it writes; it keeps
    of the claims only what the writer needs (unpickling 100 claim models took longer than writing them).
    `claims[i]` is claim i's facility (as written) and predicate; `placements[i]` its id and span, or
    where and why it cannot be placed; `claim_rows` are the rows of the placed claims, their
    `facility_id` as written (the loader follows merges).
    """

    report: ReportIn
    facilities: list[FacilityIn]
    claims: list[tuple[str | None, str]]
    body: str
    fingerprint: str
    placements: list[Placement]
    claim_rows: list[dict[str, Any]]
    # What the report's row and the facilities' rows hold that no database decides (hashes, search
    # texts, folded names): computed with the rest, in the workers, not by the writer.
    report_columns: dict[str, Any] = field(default_factory=dict)
    facility_rows: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class BundleLimits:
    """The caps on one bundle's work (`LABORWATCH_MAX_CLAIMS_PER_BUNDLE` and the two `..._QUOTE_...`)."""

    max_claims: int
    max_occurrences: int
    max_search_chars: int = 2_000_000_000

    @classmethod
    def of(cls, settings: Settings | None = None) -> "BundleLimits":
        """The limits `settings` set (the process-wide settings when none are given)."""
        chosen = settings or get_settings()
        return cls(chosen.max_claims_per_bundle, chosen.max_quote_occurrences, chosen.max_quote_search_chars)


def check_limits(bundle: Bundle, limits: BundleLimits) -> None:
    """Refuse a bundle over the caps with 422, naming each place, before any quote is looked for."""
    errors: list[dict[str, Any]] = []
    if len(bundle.claims) > limits.max_claims:
        msg = f"at most {limits.max_claims} claims per bundle (LABORWATCH_MAX_CLAIMS_PER_BUNDLE)"
        errors.append({"loc": ["claims"], "msg": f"{len(bundle.claims)} claims given; {msg}"})
    for index, claim in enumerate(bundle.claims):
        if claim.occurrence is not None and claim.occurrence > limits.max_occurrences:
            msg = f"at most {limits.max_occurrences} (LABORWATCH_MAX_QUOTE_OCCURRENCES)"
            errors.append({"loc": ["claims", index, "occurrence"], "msg": msg})
    if errors:
        raise _refusal(errors)


def _refusal(errors: list[dict[str, Any]]) -> InvalidBundle:
    """One `InvalidBundle` for several problems, its detail naming the first."""
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return InvalidBundle(f"{_describe(errors[0])}{more}", errors)


def check_search_cost(bundle: Bundle, folded: FoldedBody, limits: BundleLimits) -> None:
    """Refuse with 422 a bundle whose quotes would cost more than the cap to look for in its body.

    Each distinct quote is one pass over the (white-space folded) body, so the cost is their product.
    """
    distinct = len({fold_space(claim.quote) for claim in bundle.claims})
    cost = distinct * len(folded.text)
    if cost > limits.max_search_chars:
        msg = (
            f"{distinct} distinct quotes in a body of {len(folded.text)} characters cost {cost} characters "
            f"of search, over the {limits.max_search_chars} allowed (LABORWATCH_MAX_QUOTE_SEARCH_CHARS); "
            "split the report into several bundles"
        )
        error = {"loc": ["claims"], "msg": msg}
        raise InvalidBundle(_describe(error), [error])


def prepare_bundle(
    bundle: Bundle, base_dir: Path | None = None, limits: BundleLimits | None = None
) -> PreparedBundle:
    """Check the caps, read the body, place every quote and fingerprint the bundle (no database needed).

    This is the costly part of a write (a pass of the body per distinct quote): callers run it before
    they take the write lock. `limits` default to the process-wide settings.
    """
    limits = limits or BundleLimits.of()
    check_limits(bundle, limits)
    body = resolve_body(bundle, base_dir)
    placements: list[Placement] = []
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    folded = FoldedBody(body)
    check_search_cost(bundle, folded, limits)
    for index, claim in enumerate(bundle.claims):
        try:
            span = folded.find_span(claim.quote, claim.occurrence, counted=limits.max_occurrences)
        except QuoteError as exc:
            where: list[str | int] = ["claims", index, "quote"]
            placements.append((where, str(exc)))
            continue
        identifier = claim_id(bundle.report.id, claim, span)
        if identifier in seen:
            msg = f"repeats claim {seen[identifier]} (same quote, predicate, facility and value)"
            repeated: list[str | int] = ["claims", index]
            placements.append((repeated, msg))
            continue
        seen[identifier] = index
        placements.append((identifier, span))
        rows.append(
            _claim_row(bundle.report.id, bundle.report.published_on, body, len(rows), claim, identifier, span)
            | {"restricted": bundle.report.access is Access.RESTRICTED}
        )
    claims = [(claim.facility, claim.predicate) for claim in bundle.claims]
    fingerprint = bundle_fingerprint(bundle, body)
    return PreparedBundle(
        bundle.report,
        bundle.facilities,
        claims,
        body,
        fingerprint,
        placements,
        rows,
        _report_columns(bundle.report, body),
        {facility.id: _facility_row(facility) for facility in bundle.facilities},
    )


def _report_columns(report_in: ReportIn, body: str) -> dict[str, Any]:
    """The report row's columns computed from its text (hashes, search text), for `_write`."""
    return {
        "publisher_fold": fold(report_in.publisher) or "",
        "sha256": _sha256(body),
        "search_text": report_search_text(report_in.title, body),
        "body_key": body_key(body),
    }


# The loader's look-ups, built once: Core statements with expanding IN lists, run on the session's
# connection (`load_prepared` flushes the session first, so they see its pending changes).
_STORED_FACILITIES = select(col(Facility.id)).where(col(Facility.id).in_(bindparam("ids", expanding=True)))
_STORED_CLAIMS = select(col(Claim.id)).where(col(Claim.id).in_(bindparam("ids", expanding=True)))
_STORED_FINGERPRINT = select(col(Report.bundle_sha256)).where(col(Report.id) == bindparam("id"))


@dataclass
class Deferred:
    """What a batch of bundles leaves to its end (see `load_prepared`): figures, audit entries."""

    facility_ids: set[str] = field(default_factory=set)
    changes: list[dict[str, Any]] = field(default_factory=list)
    # Facilities whose support a batch's bulk insert stored already (`with_support`, the batch's origins
    # settled before it): not computed again.
    supported: set[str] = field(default_factory=set)

    def finish(self, session: Session) -> None:
        """Recompute the figures of every facility the batch touched, and log its writes."""
        refresh_facility_figures(session, self.facility_ids, support=self.facility_ids - self.supported)
        record_changes(session, self.changes)
        self.facility_ids.clear()
        self.supported.clear()
        self.changes.clear()


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


def parse_bundle(data: Any, *, draft: bool = False) -> Bundle:
    """Validate raw bundle data, turning every problem into one `InvalidBundle` that lists them all.

    An unreviewed draft (see `DraftIn`), or a placeholder it left in a field, is refused too, unless
    `draft` is set: `laborwatch extract` checks its own proposals that way.
    """
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        errors = validation_errors(exc.errors(include_input=False, include_url=False))
        raise InvalidBundle(_describe(errors[0]), errors) from exc
    if not draft and (errors := review_errors(bundle)):
        raise _refusal(errors)
    return bundle


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


# The claims serialized in one call, as each `model_dump` would (one Rust call, not one per claim).
_CLAIMS: TypeAdapter[list[ClaimIn]] = TypeAdapter(list[ClaimIn])


def bundle_fingerprint(bundle: Bundle, body: str) -> str:
    """Hash what makes a bundle itself (metadata, body, facilities, claims), whatever format carried it."""
    report = _without_unset_additions(bundle.report.model_dump(mode="json", exclude={"body", "body_file"}))
    if bundle.report.access is Access.PUBLIC:
        report.pop(
            "access", None
        )  # the default: bundles stored before `access` existed keep their fingerprint
    facilities = sorted(
        (facility.model_dump(mode="json") for facility in bundle.facilities), key=lambda f: f["id"]
    )
    claims = [_without_unset_additions(claim) for claim in _CLAIMS.dump_python(bundle.claims, mode="json")]
    document = {"report": report, "body": body, "facilities": facilities, "claims": claims}
    return _sha256(json.dumps(document, sort_keys=True))


# Fields added in v1.2: left out of the fingerprint when empty, so that a bundle stored before them is
# still "the same bundle again" (200), not another one (409).
_ADDITIONS = ("derived_from", "reliability", "high", "credibility")


def _without_unset_additions(document: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in document.items() if not (name in _ADDITIONS and value is None)}


def _claim_label(index: int, facility: str | None, predicate: str) -> str:
    about = f", facility {facility}" if facility else ""
    return f"claim {index} ({predicate}{about})"


def _place_claims(
    session: Session, prepared: PreparedBundle, batch: BatchWrite | None = None
) -> tuple[list[str], list[str | None], dict[str, str], set[str]]:
    """Check each claim against the body and the facilities; raise once with every problem found.

    Returns the claims' ids and facilities (after following merges), the merges followed (old facility
    id -> surviving id) and which of the facilities the bundle names are stored already (in `batch`'s
    look-ups, when given, rather than the database's).
    """
    facilities, claims = prepared.facilities, prepared.claims
    connection = session.connection()
    written = {f for f, _predicate in claims if f}
    naming = {f.id for f in facilities} | written
    if batch is not None:
        merged = {i: batch.merged[i] for i in naming if i in batch.merged}
    else:
        merged = follow_merges(connection, naming)
    named = {merged.get(f.id, f.id) for f in facilities} | {merged.get(f, f) for f in written}
    if batch is not None:
        stored = named & batch.stored_facilities
    else:
        stored = {
            i
            for chunk in in_chunks(sorted(named))
            for i in connection.scalars(_STORED_FACILITIES, {"ids": chunk})
        }
    declared = {facility.id for facility in facilities} - set(merged)
    errors: list[dict[str, Any]] = []
    details: list[str] = []
    claim_ids: list[str] = []
    claim_facilities: list[str | None] = []
    for index, ((written_id, predicate), placement) in enumerate(
        zip(claims, prepared.placements, strict=True)
    ):
        facility_id = merged.get(written_id, written_id) if written_id else None
        if facility_id and facility_id not in declared and facility_id not in stored:
            msg = f"unknown facility {written_id!r}: list it under `facilities` or use a stored id"
            errors.append({"loc": ["claims", index, "facility"], "msg": msg})
            details.append(f"{_claim_label(index, written_id, predicate)}: {msg}")
        where, what = placement
        if isinstance(what, Span):
            claim_ids.append(str(where))
            claim_facilities.append(facility_id)
        else:
            errors.append({"loc": where, "msg": what})
            details.append(f"{_claim_label(index, written_id, predicate)}: {what}")
    if errors:
        more = f" (and {len(details) - 1} more problem(s))" if len(details) > 1 else ""
        raise InvalidBundle(f"Invalid bundle: {details[0]}{more}", errors)
    return claim_ids, claim_facilities, merged, stored


def load_bundle(
    session: Session,
    bundle: Bundle,
    base_dir: Path | None = None,
    *,
    actor: str = CLI_ACTOR,
    dry_run: bool = False,
    record: bool = True,
    limits: BundleLimits | None = None,
) -> LoadResult:
    """Check `bundle` completely, then (unless `dry_run`) write it in the session's open transaction.

    Raises `InvalidBundle` naming the offending claim when a check fails, and `Conflict` when the report
    id is already stored with another body, metadata, facilities or claims. Loading the same bundle again
    changes nothing.
    The write is recorded in the audit log under `actor` (unless `record` is false: the caller records it).
    This places the quotes inside the caller's transaction: a writer holding a lock calls `prepare_bundle`
    before taking it, then `load_prepared`.
    """
    prepared = prepare_bundle(bundle, base_dir, limits)
    return load_prepared(session, prepared, actor=actor, dry_run=dry_run, record=record)


def load_prepared(
    session: Session,
    prepared: PreparedBundle,
    *,
    actor: str = CLI_ACTOR,
    dry_run: bool = False,
    record: bool = True,
    deferred: Deferred | None = None,
    batch: BatchWrite | None = None,
) -> LoadResult:
    """`load_bundle` for a bundle already prepared (see `prepare_bundle`).

    With `deferred`, the facilities' figures are not recomputed and the audit entry is not written: both
    are left in `deferred`, and the caller must call its `finish` before its transaction commits.
    With `batch` (and `deferred`), the bundle is checked against the batch's look-ups and its rows are
    kept in it: nothing is written until the caller calls `batch.write`.
    """
    fingerprint = prepared.fingerprint
    session.flush()  # the look-ups and inserts below are Core statements: they see flushed rows only
    claim_ids, claim_facilities, merged, stored = _place_claims(session, prepared, batch)
    report_in = prepared.report
    facility_ids = sorted(
        {merged.get(f.id, f.id) for f in prepared.facilities} | {f for f in claim_facilities if f}
    )
    result = LoadResult("added", report_in.id, claim_ids, facility_ids)

    if batch is not None:
        existing = batch.fingerprints.get(report_in.id)
    else:
        existing = session.connection().scalar(_STORED_FINGERPRINT, {"id": report_in.id})
    if existing is not None:
        if existing == fingerprint:
            result.status = "unchanged"
            return result
        raise ReportExists(
            f"Report {report_in.id!r} is already stored with another body, metadata, facilities or claims.",
            report_in.id,
        )
    if batch is not None:
        taken = batch.taken_claims.intersection(result.claim_ids)
    else:
        taken = _taken_claim_ids(session, result.claim_ids)
    if taken:
        raise Conflict(f"Claim id(s) {', '.join(sorted(taken))} already belong to another report.")
    parent = report_in.derived_from.report if report_in.derived_from else None
    if batch is None or parent not in batch.fingerprints:  # one earlier in this batch is stored with it
        check_derivation(session.connection(), report_in.id, parent)
    if dry_run:
        return result
    claim_rows = prepared.claim_rows
    if merged:  # rows name facilities as written; store the ids they were merged into
        claim_rows = [
            row if row["facility_id"] == facility_id else row | {"facility_id": facility_id}
            for row, facility_id in zip(claim_rows, claim_facilities, strict=True)
        ]
    report = _write(session, prepared, claim_rows, facility_ids, stored, batch)
    if batch is not None:  # later bundles of the batch see this one as stored
        batch.fingerprints[report_in.id] = fingerprint
        batch.stored_facilities.update(facility_ids)
        batch.taken_claims.update(claim_ids)
    # Origins this report changes (its own, its copies', its derivatives'): their facilities' support too.
    # A batch's rows are inserted at its end, with their origins settled then (`BatchWrite.write`).
    relinked: set[str] = set()
    if batch is None:
        relinked = settle_new_report(session, report.id, report.derived_from, report.body_key)
        relinked -= set(facility_ids)
    summary = report_summary(report, result.claim_ids, result.facility_ids)
    if deferred is not None:
        deferred.facility_ids.update(facility_ids, relinked)
        if record:
            deferred.changes.append(
                {
                    "key_name": actor,
                    "action": "report.create",
                    "entity_type": "report",
                    "entity_id": report.id,
                    "before": None,
                    "after": summary,
                    "restricted": report.access == RESTRICTED,
                }
            )
        return result
    refresh_facility_figures(session, [*facility_ids, *relinked])
    if record:
        record_change(
            session,
            actor,
            "report.create",
            "report",
            report.id,
            after=summary,
            restricted=report.access == RESTRICTED,
        )
    return result


def _taken_claim_ids(session: Session, ids: Sequence[str]) -> set[str]:
    connection = session.connection()
    return {i for chunk in in_chunks(ids) for i in connection.scalars(_STORED_CLAIMS, {"ids": chunk})}


def _write(
    session: Session,
    prepared: PreparedBundle,
    claim_rows: list[dict[str, Any]],
    facility_ids: list[str],
    stored: set[str],
    batch: BatchWrite | None = None,
) -> Report:
    """Insert the bundle's rows with Core statements (one bulk insert per table, no ORM objects).

    With `batch`, the rows are kept in it instead, for one bulk insert per table for the whole batch.
    Returns the report as a detached row object, for the audit log's summary.
    """
    report_in, body = prepared.report, prepared.body
    computed = prepared.report_columns or _report_columns(report_in, body)
    report = Report(
        id=report_in.id,
        title=report_in.title,
        publisher=report_in.publisher,
        publisher_fold=computed["publisher_fold"],
        url=report_in.url,
        published_on=report_in.published_on,
        language=report_in.language,
        source=report_in.source,
        body=body,
        sha256=computed["sha256"],
        search_text=computed["search_text"],
        bundle_sha256=prepared.fingerprint,
        derived_from=report_in.derived_from.report if report_in.derived_from else None,
        derived_relation=report_in.derived_from.relation.value if report_in.derived_from else None,
        origin_id=report_in.id,
        body_key=computed["body_key"],
        reliability=report_in.reliability.value if report_in.reliability else None,
        claim_count=len(claim_rows),
        access=report_in.access.value,
        ingested_at=utc_now(),
    )
    emit = batch.add if batch is not None else partial(_insert, session.connection())
    emit(Report, [report.model_dump()])
    if report_in.contributors:
        emit(
            ReportContributor,
            [
                {"report_id": report_in.id, "position": position, "name": person.name, "role": person.role}
                for position, person in enumerate(report_in.contributors)
            ],
        )
    new_facilities = [f for f in prepared.facilities if f.id not in stored and f.id in facility_ids]
    if new_facilities:
        now = utc_now()
        rows = prepared.facility_rows
        emit(
            Facility,
            [
                (rows[facility.id] if facility.id in rows else _facility_row(facility)) | {"created_at": now}
                for facility in new_facilities
            ],
        )
        aliases = [
            {"facility_id": facility.id, "position": position, "alias": alias}
            for facility in new_facilities
            for position, alias in enumerate(dict.fromkeys(facility.aliases))
        ]
        if aliases:
            emit(FacilityAlias, aliases)
    if facility_ids:
        emit(
            ReportFacility,
            [{"report_id": report_in.id, "facility_id": f} for f in facility_ids],
        )
    if claim_rows:
        emit(Claim, claim_rows)
    return report


def _insert(connection: Connection, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Insert `rows` into `model`'s table in the session's transaction (COPY on PostgreSQL: `rows.py`)."""
    if model is Claim:
        assign_id_order(connection, rows)
    insert_rows(connection, model.__table__, rows)  # type: ignore[attr-defined]  # Core: no ORM bookkeeping


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


def _claim_row(
    report_id: str,
    published_on: date | None,
    body: str,
    position: int,
    claim: ClaimIn,
    identifier: str,
    span: Span,
) -> dict[str, Any]:
    period_end = claim.period.end if claim.period else None
    quote = body[span.start : span.end]
    return {
        "id": identifier,
        "report_id": report_id,
        "facility_id": claim.facility,
        "position": position,
        "subject": claim.subject,
        "predicate": claim.predicate,
        "value_number": float(claim.value) if isinstance(claim.value, int | float) else None,
        "value_text": claim.value if isinstance(claim.value, str) else None,
        "high": float(claim.high) if claim.high is not None else None,
        "credibility": claim.credibility,
        "unit": claim.unit,
        "approximate": claim.approximate,
        "period_start": claim.period.start if claim.period else None,
        "period_end": period_end,
        "quote": quote,
        "span_start": span.start,
        "span_end": span.end,
        "attributed_to": claim.attributed_to,
        "evidence": claim.evidence.value,
        "status": claim.status.value,
        "notes": claim.notes,
        "dated_on": dated_on(period_end, published_on),
        "search_text": claim_search_text(quote, claim.subject),
    }
