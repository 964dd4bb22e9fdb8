"""Drafting a bundle from a report's raw text (`laborwatch extract`), for an analyst to review."""

from api.extract.draft import (
    ExtractError,
    Scorer,
    draft_from_file,
    mark_reviewed,
    propose_bundle,
    render_yaml,
)

__all__ = ["ExtractError", "Scorer", "draft_from_file", "mark_reviewed", "propose_bundle", "render_yaml"]
