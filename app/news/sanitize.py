"""Article bodies as members see them: Markdown rendered, then every body sanitized by
ammonia (through nh3), so no script, event handler or javascript: URL reaches the
mini-program's rich-text view, whatever the author pasted."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

from app.models import BodyFormat

# Raw HTML inside Markdown is shown as text: an author who wants HTML says so.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
_TAGS = nh3.ALLOWED_TAGS - {"area", "map"}
_URL_SCHEMES = {"https", "http", "mailto", "tel"}


def render(body: str, body_format: BodyFormat) -> str:
    html = _markdown.render(body) if body_format is BodyFormat.MARKDOWN else body
    return sanitize(html)


def sanitize(html: str) -> str:
    # Relative URLs mean nothing inside the mini-program; they are dropped, not guessed at.
    return nh3.clean(html, tags=_TAGS, url_schemes=_URL_SCHEMES, url_relative="deny")
