"""Delivering the outbox: claim due events, POST them signed, record every attempt, retry with backoff.

Several deliverers may run at once (each `serve` process, `laborwatch deliver`, on several hosts): an
event is claimed by setting a lease in a short transaction (on PostgreSQL `SELECT ... FOR UPDATE SKIP
LOCKED`, on SQLite under the one writer's lock), so in the normal case each event is sent once. A
deliverer killed with events claimed leaves them to be claimed again when the lease runs out: delivery
is at least once. Only a webhook's oldest pending event is ever claimed, so each webhook gets its
events in change order; a webhook whose receiver hangs holds one worker, never another webhook's events.
"""

import logging
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine, Table, and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from api.db.engine import WRITE_OPTION, is_sqlite
from api.settings import Settings
from api.webhooks.guard import RefusedUrl, check_url
from api.webhooks.secrets import KeyMismatch, signature_header, unseal
from models import Webhook, WebhookDelivery, WebhookEvent
from models.base import utc_now

log = logging.getLogger("laborwatch.webhooks")

_WEBHOOK: Table = Webhook.__table__  # type: ignore[attr-defined]
_EVENT: Table = WebhookEvent.__table__  # type: ignore[attr-defined]
_DELIVERY: Table = WebhookDelivery.__table__  # type: ignore[attr-defined]

# Each retry's delay (`webhook_retry_delays_s`, the last repeating) is stretched by a random 0-25 % so that
# receivers coming back are not hit by every deliverer at once. Retries go on until the event is a day old.
JITTER = 0.25
RETRY_FOR = timedelta(hours=24)
POLL_S = 0.5  # how often a deliverer looks for due events: first delivery within about a second
WORKERS = 8  # deliveries in flight per deliverer; a hanging receiver holds one of them
USER_AGENT = "laborwatch-webhooks/1"


def retry_delay(attempts: int, delays: Sequence[float]) -> float:
    """Seconds to wait after the `attempts`-th failed attempt (1 for the first), `delays` in turn."""
    base = delays[min(attempts, len(delays)) - 1]
    return base * (1 + random.uniform(0, JITTER))  # noqa: S311 - jitter, not a secret


@dataclass(frozen=True)
class Claimed:
    """An event a deliverer holds the lease of, with what sending it needs."""

    id: int
    webhook_id: str
    change_id: int
    url: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; they were written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    from datetime import UTC

    return moment.replace(tzinfo=UTC)


class Deliverer:
    """One delivery loop: a thread that claims due events and a pool of workers that send them."""

    def __init__(self, engine: Engine, settings: Settings, workers: int = WORKERS) -> None:
        self.engine = engine
        self.writer = engine.execution_options(**{WRITE_OPTION: True})
        self.settings = settings
        self.workers = workers
        self.lease = timedelta(seconds=settings.webhook_timeout_s + settings.webhook_lease_margin_s)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._busy = 0
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._client = httpx.Client(
            follow_redirects=False,
            timeout=httpx.Timeout(settings.webhook_timeout_s),
            headers={"user-agent": USER_AGENT},
            trust_env=False,  # never through a proxy the environment names: the checked address is called
        )

    # -- the loop ---------------------------------------------------------------------------------------

    def start(self) -> None:
        """Run the loop in a background thread until `stop`."""
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="webhook")
        self._thread = threading.Thread(target=self.run, name="webhook-deliverer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        """Stop claiming; deliveries in flight finish and are recorded (within the receivers' time limit)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()

    def wake(self) -> None:
        """Look for due events now rather than at the next poll."""
        self._wake.set()

    def run(self) -> None:
        """Claim and hand out due events until stopped (the thread's body, or `laborwatch deliver`'s)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="webhook")
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("webhook delivery: claiming events failed; trying again")
                self._stop.wait(5)
            self._wake.wait(POLL_S)
            self._wake.clear()

    def tick(self) -> int:
        """Claim as many due events as there are free workers and start sending them; how many."""
        with self._lock:
            free = self.workers - self._busy
        if free <= 0 or self._pool is None:
            return 0
        claimed = self.claim(free)
        for event in claimed:
            with self._lock:
                self._busy += 1
            self._pool.submit(self._send_and_release, event)
        return len(claimed)

    def _send_and_release(self, event: Claimed) -> None:
        try:
            self.deliver(event)
        except Exception:
            log.exception("webhook delivery of event %s failed unexpectedly", event.id)
        finally:
            with self._lock:
                self._busy -= 1
            self._wake.set()

    # -- claiming ---------------------------------------------------------------------------------------

    def _due(self, now: datetime, limit: int) -> Any:
        earlier = _EVENT.alias("earlier")
        oldest_pending = (
            select(func.min(earlier.c.id))
            .where(earlier.c.webhook_id == _EVENT.c.webhook_id, earlier.c.state == "pending")
            .scalar_subquery()
        )
        return (
            select(_EVENT.c.id)
            .join(_WEBHOOK, _WEBHOOK.c.id == _EVENT.c.webhook_id)
            .where(
                _EVENT.c.state == "pending",
                _WEBHOOK.c.active,
                _EVENT.c.next_attempt_at <= now,
                or_(_EVENT.c.lease_until.is_(None), _EVENT.c.lease_until < now),
                _EVENT.c.id == oldest_pending,  # in change order: a webhook's later events wait
            )
            .order_by(_EVENT.c.id)
            .limit(limit)
        )

    def claim(self, limit: int) -> list[Claimed]:
        """Take the lease of up to `limit` due events (at most one per webhook), committed at once."""
        now = utc_now()
        if is_sqlite(self.engine):
            # A read first: the write lock is only taken when something is due.
            with self.engine.connect() as connection:
                if connection.execute(self._due(now, 1)).first() is None:
                    return []
        with Session(self.writer) as session, session.begin():
            query = self._due(now, limit)
            if not is_sqlite(self.engine):
                query = query.with_for_update(skip_locked=True, of=_EVENT)
            ids = list(session.execute(query).scalars())
            if not ids:
                return []
            session.execute(update(_EVENT).where(_EVENT.c.id.in_(ids)).values(lease_until=now + self.lease))
            rows = session.execute(
                select(
                    _EVENT.c.id,
                    _EVENT.c.webhook_id,
                    _EVENT.c.change_id,
                    _EVENT.c.payload,
                    _EVENT.c.attempts,
                    _EVENT.c.created_at,
                    _WEBHOOK.c.url,
                    _WEBHOOK.c.secret,
                    _WEBHOOK.c.previous_secret,
                    _WEBHOOK.c.previous_secret_until,
                )
                .join(_WEBHOOK, _WEBHOOK.c.id == _EVENT.c.webhook_id)
                .where(_EVENT.c.id.in_(ids))
                .order_by(_EVENT.c.id)
            ).all()
        return [
            Claimed(
                row.id,
                row.webhook_id,
                row.change_id,
                row.url,
                row.payload,
                row.attempts,
                _aware(row.created_at) or now,
                row.secret,
                row.previous_secret,
                _aware(row.previous_secret_until),
            )
            for row in rows
        ]

    # -- sending ----------------------------------------------------------------------------------------

    def _secrets(self, event: Claimed, now: datetime) -> list[str]:
        secrets = [unseal(self.settings, event.secret)]
        if event.previous_secret and event.previous_secret_until and event.previous_secret_until > now:
            secrets.append(unseal(self.settings, event.previous_secret))
        return secrets

    def deliver(self, event: Claimed) -> int | None:
        """Send one claimed event and record the attempt; the answer's status, or None when there was none."""
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            target = check_url(event.url, allow_private=self.settings.webhook_allow_private)
            body = orjson.dumps(event.payload)
            timestamp = int(time.time())
            message_id = f"msg_{event.id}"
            headers = {
                "content-type": "application/json",
                "host": target.host_header,
                "webhook-id": message_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": signature_header(
                    self._secrets(event, utc_now()), message_id, timestamp, body
                ),
            }
            extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
            response = self._client.post(
                target.connect_url, content=body, headers=headers, extensions=extensions
            )
            status = response.status_code
            if not 200 <= status < 300:
                error = f"answered {status}" + (
                    " (redirects are not followed)" if 300 <= status < 400 else ""
                )
        except RefusedUrl as exc:
            error = f"refused: {exc}"
        except KeyMismatch as exc:
            error = str(exc)
        except httpx.TimeoutException:
            error = f"no answer within {self.settings.webhook_timeout_s:g} s"
        except httpx.HTTPError as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:500]
        self._record(event, status, error, int((time.monotonic() - started) * 1000))
        return status

    def _record(self, event: Claimed, status: int | None, error: str | None, duration_ms: int) -> None:
        now = utc_now()
        attempt = event.attempts + 1
        values: dict[str, Any] = {"attempts": attempt, "lease_until": None}
        if error is None:
            values["state"] = "delivered"
        elif now - event.created_at >= RETRY_FOR:
            values["state"] = "failed"  # tried for a day: the webhook's next events go ahead
        else:
            values["next_attempt_at"] = now + timedelta(
                seconds=retry_delay(attempt, self.settings.webhook_retry_delays_s)
            )
        with Session(self.writer) as session, session.begin():
            session.execute(
                insert(_DELIVERY).values(
                    webhook_id=event.webhook_id,
                    event_id=event.id,
                    change_id=event.change_id,
                    type=event.payload.get("type", ""),
                    at=now,
                    attempt=attempt,
                    status=status,
                    error=error,
                    duration_ms=duration_ms,
                )
            )
            session.execute(
                update(_EVENT)
                .where(and_(_EVENT.c.id == event.id, _EVENT.c.state == "pending"))
                .values(values)
            )
            if status == 410:  # the receiver says it is gone for good: stop its deliveries
                session.execute(
                    update(_WEBHOOK)
                    .where(_WEBHOOK.c.id == event.webhook_id)
                    .values(active=False, disabled_reason=f"answered 410 Gone at {now.isoformat()}")
                )
