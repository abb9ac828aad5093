"""Bodies are stored sanitized: what the author pasted never runs in the mini-program."""

from __future__ import annotations

from app.models import BodyFormat
from app.news.sanitize import render
from tests.news.conftest import ARTICLES, Scene

HOSTILE = (
    '<p onclick="steal()">正文<script>alert(1)</script>'
    '<img src="https://img.example.cn/a.png" onerror="alert(2)">'
    '<a href="https://www.gov.cn/">中国政府网</a>'
    '<a href="javascript:alert(3)">点我</a>'
    '<iframe src="https://evil.example"></iframe><style>p{}</style></p>'
)


def test_html_loses_scripts_handlers_and_javascript_urls_and_keeps_links() -> None:
    html = render(HOSTILE, BodyFormat.HTML)
    for gone in ("script", "alert", "onclick", "onerror", "javascript", "iframe", "style"):
        assert gone not in html
    assert '<a href="https://www.gov.cn/" rel="noopener noreferrer">中国政府网</a>' in html
    assert '<img src="https://img.example.cn/a.png">' in html
    assert "正文" in html


def test_markdown_is_rendered_and_its_raw_html_shown_as_text() -> None:
    html = render(
        "# 标题\n\n[链接](https://www.gov.cn/) <script>alert(1)</script>\n\n"
        "[坏](javascript:alert(1))",
        BodyFormat.MARKDOWN,
    )
    assert "<h1>标题</h1>" in html
    assert '<a href="https://www.gov.cn/" rel="noopener noreferrer">链接</a>' in html
    assert "<script>" not in html
    assert 'href="javascript' not in html


async def test_the_api_stores_the_sanitized_body(scene: Scene) -> None:
    article_id = await scene.write(body=HOSTILE, body_format="html")
    response = await scene.client.get(f"{ARTICLES}/{article_id}", headers=scene.instructor.headers)
    article = response.json()
    assert article["body"] == HOSTILE  # the author's source, for editing
    assert "script" not in article["body_html"]
    assert "onerror" not in article["body_html"]
    assert "https://www.gov.cn/" in article["body_html"]
