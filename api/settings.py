"""Settings read from the environment (and an optional `.env` file)."""

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Page sizes are part of the client contract, so they are constants rather than settings.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class Settings(BaseSettings):
    """Every setting laborwatch reads; each is documented in README.md."""

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
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description="The URL clients reach the API at (behind a proxy), e.g. https://data.example.org/lw; "
        "`next` links start with it. Unset: built from the request (its Host header).",
    )


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()
