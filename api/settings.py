"""Settings read from the environment (and an optional `.env` file)."""

from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path

from pydantic import AliasChoices, Field, PositiveFloat, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.edge.limits import parse_limits
from api.edge.limitstore import storage_scheme

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Page sizes are part of what clients rely on (docs/reading.md), so they are constants, not settings.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class Settings(BaseSettings):
    """Every setting laborwatch reads; each is documented in docs/configuration.md (tests/test_docs.py)."""

    model_config = SettingsConfigDict(env_prefix="LABORWATCH_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./laborwatch.db",
        validation_alias=AliasChoices("DATABASE_URL", "LABORWATCH_DATABASE_URL"),
        description="SQLAlchemy URL of the database: a SQLite file or postgresql+psycopg://...",
    )
    seeds_dir: Path = Field(
        default=PROJECT_ROOT / "seeds",
        description="Folder whose bundles `laborwatch seed` loads.",
    )
    max_offset: int = Field(
        default=10_000, ge=0, description="Largest `offset`; deeper pages are reached with the `next` cursor."
    )
    max_body_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1, description="Largest request body accepted; larger gets 413."
    )
    sqlite_busy_timeout_ms: int = Field(
        default=10_000, ge=0, description="How long a SQLite connection waits for a lock before failing."
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Processes `laborwatch serve` runs (uvicorn workers); 1 serves from the command's own.",
    )
    pool_size: int = Field(
        default=5, ge=1, description="Database connections each server process keeps open for reuse."
    )
    pool_max_overflow: int = Field(
        default=10, ge=0, description="Connections a process may open beyond `pool_size` under load."
    )
    pool_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a request waits for a free connection before it is answered 503.",
    )
    pool_recycle_s: int = Field(
        default=1800,
        ge=0,
        description="Seconds after which a pooled PostgreSQL connection is replaced; 0 keeps it for ever.",
    )
    read_threads: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Slow reads (full-text search, figures as of a date, stats) a server process runs at "
        "once, each in a worker thread off the event loop; 0 = the pool size.",
    )
    queue_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="Seconds a request waits for a read slot (a worker thread of the heavy or the cheap "
        "reads) before it is answered 503 with `Retry-After`.",
    )
    max_heavy_reads_per_client: int = Field(
        default=2,
        ge=1,
        description="Heavy reads (search, `as_of`, stats, histories, big pages) one client address may "
        "have running or waiting at once in a server process; one more is answered 429.",
    )
    ready_timeout_s: float = Field(
        default=2.0,
        gt=0,
        description="Seconds `GET /health/ready` waits for the database to answer before saying 503.",
    )
    max_validation_errors: int = Field(
        default=50,
        ge=1,
        description="Most errors a 422 lists; `more_errors` counts the others.",
    )
    statement_timeout_ms: int = Field(
        default=10_000,
        ge=0,
        description="Longest a statement of the server's reads may run before it is stopped and the "
        "request answered 503; 0 = no limit. Writes and the command line are not limited.",
    )
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description="The URL clients reach the API at (behind a proxy), e.g. https://data.example.org/lw; "
        "`next` links start with it. Unset: built from the request (its Host header).",
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description="Addresses (or networks, e.g. 10.0.0.0/8) of the reverse proxies in front of the "
        "server: only a request from one of them has its client address taken from X-Forwarded-For. "
        "Empty: the connection's own address is the client's. JSON list in the environment.",
    )

    max_url_bytes: int = Field(
        default=8192,
        ge=256,
        description="Longest request target (path and query string) accepted, in bytes; longer gets 414.",
    )
    max_header_bytes: int = Field(
        default=16384,
        ge=1024,
        description="Largest request header block accepted: the bytes of every header's name and value, "
        "plus 4 per header for ': ' and the line end; larger gets 431.",
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a client has to send a request's line and headers once it starts (or once it "
        "connects); then `serve` answers 408 (or closes an idle connection).",
    )
    keep_alive_timeout_s: int = Field(
        default=5,
        ge=1,
        description="Seconds `serve` keeps an idle keep-alive connection open between requests.",
    )
    rate_limit_writes: str = Field(
        default="600/minute",
        description="Writes each key may make, and each client address may make, per server process, or "
        "across every process when `limits_storage` is shared "
        "(`limits` notation: `600/minute`, or several joined by `;`, e.g. `600/minute;20/second`); "
        "beyond it 429 with `Retry-After`.",
    )
    rate_limit_auth_failures: str = Field(
        default="10/minute",
        description="Refused keys (wrong, revoked or malformed) a client address may present per server "
        "process (across every process when `limits_storage` is shared), on writes and reads alike; "
        "beyond it every request with a key from that address, even a valid one, is 429 with `Retry-After` "
        "until the window frees. A request with no `Authorization` header is not counted.",
    )
    limits_storage: str = Field(
        default="memory://",
        description="Where the rate limits and export slots count: `memory://` (each server process on its "
        "own), or a storage URI of the `limits` library that every process and host shares, e.g. "
        "`redis://127.0.0.1:6379/0` (also `rediss://`, `redis+sentinel://`, `memcached://`, ...). When it "
        "cannot be reached, each process counts on its own until it answers, and says so in its log.",
    )

    max_claims_per_bundle: int = Field(
        default=5_000,
        ge=1,
        description="Most claims one bundle may carry (POST, PUT and `laborwatch ingest`); more is a 422 "
        "and nothing is written.",
    )
    max_quote_occurrences: int = Field(
        default=1_000,
        ge=1,
        description="Largest `occurrence` a claim may name, and most places of one quote counted; a higher "
        "`occurrence` is a 422 and nothing is written.",
    )
    max_quote_search_chars: int = Field(
        default=2_000_000_000,
        ge=1,
        description="Most characters the quotes of one bundle may cost to look for: each distinct quote is "
        "one pass over the body, so distinct quotes x body characters; more is a 422 and nothing is written "
        "(the default is about a second of search).",
    )
    max_exports_per_client: int = Field(
        default=2,
        ge=1,
        description="Streamed exports (`format` other than json) one client address may have running at "
        "once in a server process (across every process when `limits_storage` is shared); one more is "
        "answered 429.",
    )
    max_exports: int = Field(
        default=4,
        ge=1,
        description="Streamed exports a server process runs at once, whoever asks (each holds a database "
        "connection; across every process when `limits_storage` is shared); one more is answered 503. "
        "Keep it below `pool_size` so other reads find connections.",
    )
    export_send_timeout_s: float = Field(
        default=30,
        gt=0,
        description="Seconds a streamed export waits for its client to take each chunk; a client that "
        "reads nothing for that long gets its body ended incomplete, and its export slot and database "
        "connection are given back.",
    )
    idle_in_transaction_timeout_ms: int = Field(
        default=60_000,
        ge=0,
        description="PostgreSQL's `idle_in_transaction_session_timeout` on the server's read connections "
        "(0: none): a read transaction left open and idle that long is ended by the database, whatever "
        "the server does. Writes are not limited. A second line behind `export_send_timeout_s`.",
    )
    webhook_key: str | None = Field(
        default=None,
        description="The key webhook secrets are encrypted with in the database (any long random text; "
        "every process and host of one database needs the same). Unset: read from `webhook_key_file`, "
        "which is created with a random key when missing. A database dump alone cannot sign events.",
    )
    webhook_key_file: Path = Field(
        default=Path("laborwatch-webhook.key"),
        description="Where the webhook key is kept when `LABORWATCH_WEBHOOK_KEY` is unset (created, "
        "readable by its owner only, when missing; relative to the working folder).",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Allow webhook URLs whose host resolves to a loopback, private, link-local or "
        "multicast address (tests and closed networks); off, they are refused at registration (422) "
        "and at each delivery.",
    )
    webhook_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="Seconds a webhook receiver has to answer a delivery (connecting included); longer "
        "counts as a failed attempt, retried later.",
    )
    webhook_retry_delays_s: list[PositiveFloat] = Field(
        default=[5, 30, 120, 600, 1800, 3600, 7200, 14400, 21600],
        min_length=1,
        description="Seconds before each retry of a failed webhook delivery, in turn (the last repeats), "
        "each stretched by a random 0-25 %; retries go on until the event is a day old.",
    )
    webhook_lease_margin_s: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a claimed webhook event stays claimed beyond `webhook_timeout_s` (recording an "
        "attempt takes milliseconds): a server killed mid-delivery lets it go for another to send then.",
    )
    webhook_delivery: bool = Field(
        default=True,
        description="Whether each `laborwatch serve` process delivers webhook events (several processes "
        "and hosts share the work safely); off, run `laborwatch deliver` instead.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ip_network(entry, strict=False)  # a ValueError names the entry
        return value

    @field_validator("limits_storage")
    @classmethod
    def _storage_known(cls, value: str) -> str:
        storage_scheme(value)  # a ValueError names the schemes there are
        return value

    @field_validator("rate_limit_writes", "rate_limit_auth_failures")
    @classmethod
    def _limits_parse(cls, value: str) -> str:
        parse_limits(value)  # a ValueError names what does not parse
        return value


def read_threads(settings: Settings) -> int:
    """How many slow reads a server process runs at once: `LABORWATCH_READ_THREADS`, else the pool size."""
    return settings.read_threads or settings.pool_size


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()
