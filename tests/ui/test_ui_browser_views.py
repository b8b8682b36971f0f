"""The analyst's views in a real browser (Debian's Chromium, Playwright): the "Find" tab lists
every mention with its counts, highlighted, opens the article at one and downloads the CSV; the
"By source" switch groups an answer per document. Screenshots go to ``tests/artifacts/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import find_csv

from ..uiserver import Running
from .test_ui_browser import ARTIFACTS, ask, page, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_find_tab_lists_every_mention_with_counts(page, server: Running, tmp_path: Path):  # noqa: F811
    expected = server.engine.find("Camp David")
    page.get_by_role("tab", name="Find").click()
    page.locator("#rq-find-query textarea").fill("Camp David")
    page.locator("#rq-find-go").click()
    table = page.locator("#rq-find-results table.rq-find-table")
    table.wait_for()
    rows = table.locator("tbody tr")
    assert rows.count() == len(expected.documents)
    for i, group in enumerate(expected.documents):
        assert rows.nth(i).locator(".rq-count").inner_text() == str(group.count)
    marks = page.locator("#rq-find-results .rq-mention mark.rq-hl")
    assert marks.count() == sum(len(m.spans) for g in expected.documents for m in g.mentions)
    assert {t.lower() for t in marks.all_inner_texts()} == {"camp david"}

    first = expected.documents[0].mentions[0]
    page.locator("#rq-find-results .rq-find-open").first.click()
    hit = page.locator("#rq-find-article mark#rq-hit")
    hit.wait_for()
    assert hit.inner_text() == first.text
    page.wait_for_timeout(800)  # Let the smooth scroll settle before the screenshot.
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-find.png"), full_page=True)

    with page.expect_download() as download:
        page.locator("#rq-find-results .rq-find-download").click()
    saved = tmp_path / "mentions.csv"
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8") == find_csv(expected)
    page.locator("#rq-find-results .rq-find-copy").click()
    page.wait_for_function("document.querySelector('#rq-find-results .rq-find-copy').textContent === 'Copied'")


def test_find_tab_names_a_bad_query(page):  # noqa: F811
    page.get_by_role("tab", name="Find").click()
    page.locator("#rq-find-query textarea").fill("   ")
    page.locator("#rq-find-go").click()
    page.get_by_text("the query is empty", exact=False).first.wait_for()


def test_by_source_switch_groups_the_answer_per_document(page, server: Running):  # noqa: F811
    question = "How do the articles describe the Camp David summit and what it meant for three-way cooperation?"
    expected = server.engine.ask(question, by_source=True)
    answering = [g for g in expected.by_source or () if g.status != "nothing relevant"]
    page.get_by_role("tab", name="Ask").click()
    page.locator("#rq-by-source input[type=checkbox]").check()
    ask(page, question)
    section = page.locator(".rq-turn.rq-latest .rq-bysource")
    section.wait_for()
    groups = section.locator(".rq-group")
    assert groups.count() == len(answering) >= 2
    for i, group in enumerate(answering):
        assert groups.nth(i).locator(".rq-title").inner_text() == group.title
        assert groups.nth(i).locator("blockquote").count() == len(group.quotes)
    assert "Nothing relevant in:" in section.inner_text()
    page.locator(".rq-turn.rq-latest .rq-bysource").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "ui-by-source.png"), full_page=True)
    page.locator("#rq-by-source input[type=checkbox]").uncheck()
    ask(page, "Who is expected to serve as secretary of state?")
    assert page.locator(".rq-turn.rq-latest .rq-bysource").count() == 0
