"""Drafting a bundle from a report's raw text (`laborwatch extract`), for an analyst to review."""

from api.extract.draft import ExtractError, draft_from_file, mark_reviewed, propose_bundle, render_yaml

__all__ = ["ExtractError", "draft_from_file", "mark_reviewed", "propose_bundle", "render_yaml"]
