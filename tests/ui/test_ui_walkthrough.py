"""A new user's walk through the page in Chromium, at 1400×1000 and at 400 px wide: the newest answer
comes into view with its passages and article, every source has a name, a removal asks first and can
be undone, a failure's reason stays, each answer says its status and confidence, the panels fit their
content, quotation marks are not doubled, Markdown shows as text, and nothing is wider than a phone.

Screenshots go to ``tests/artifacts/`` (``walk-*.png``) for a person to look at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag import Engine, answer_text, quoted, status_label

from ..uiserver import Running
from .test_ui_browser import ARGS, ARTIFACTS, CHROMIUM, ask, chromium_app

pytestmark = pytest.mark.browser

QUESTIONS = [
    "Who is expected to serve as secretary of state?",
    "What did Trump's advisers tell Seoul and Tokyo?",
    "When did the new phase of trilateral cooperation begin?",
]
SEVERAL_PASSAGES = "What strains the alliances with Japan and South Korea?"
MARKDOWN = (
    "---\ntitle: Vestrand opens the Lumora tidal bridge\n---\n"
    "# Vestrand opens the Lumora tidal bridge\n\n*By Ana Lind*\n\n"
    "The **Lumora tidal bridge** in Vestrand was designed by the engineer _Katja Holm_.\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seed_engine: Engine) -> Iterator[Running]:
    with chromium_app(seed_engine, tmp_path_factory.mktemp("ui-walk")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(server: Running) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def open_page(browser, server: Running, width: int = 1400, height: int = 1000):
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(60_000)
    page.goto(server.url)
    page.wait_for_selector("#rq-status .rq-status")
    return page


@pytest.fixture(scope="module")
def page(browser, server: Running) -> Iterator:
    page = open_page(browser, server)
    yield page
    page.context.close()


def in_view(page, selector: str) -> bool:
    """Whether the top of the element is inside the window and inside every scroll box around it."""
    return bool(
        page.evaluate(
            """(sel) => {
              const el = document.querySelector(sel);
              const top = el.getBoundingClientRect().top;
              if (top < 0 || top > window.innerHeight - 20) return false;
              for (let box = el.parentElement; box; box = box.parentElement) {
                if (box.scrollHeight > box.clientHeight && getComputedStyle(box).overflowY !== 'visible') {
                  const r = box.getBoundingClientRect();
                  if (top < r.top - 1 || top > r.bottom - 20) return false;
                }
              }
              return true;
            }""",
            selector,
        )
    )


def shown_passages(page) -> list[str]:
    return page.locator("#rq-passages .rq-passage .rq-title").all_inner_texts()


def test_the_newest_answer_comes_into_view_with_its_passages_and_article(page, server: Running):
    previous = None
    for question in QUESTIONS:
        ask(page, question)
        expected = server.engine.ask(question, previous=previous)
        previous = question
        page.wait_for_timeout(300)
        assert in_view(page, ".rq-turn.rq-latest"), f"the answer to {question!r} is out of view"
        assert shown_passages(page) == [p.title for p in expected.passages]
        hit = page.locator("#rq-article mark#rq-hit")  # The article follows the newest answer.
        assert hit.inner_text() == expected.passages[0].text
        assert expected.passages[0].title in page.locator("#rq-article .rq-title").inner_text()
    assert page.evaluate("document.querySelector('.rq-conversation').scrollTop") > 0
    box = page.locator("#rq-question textarea").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 1000  # The next question can be typed at once.
    page.screenshot(path=str(ARTIFACTS / "walk-newest-answer.png"))

    # The first turn is still there, and its citation markers bring back its passages and article.
    first = server.engine.ask(QUESTIONS[0])
    page.evaluate("document.querySelector('.rq-conversation').scrollTop = 0")
    page.locator(".rq-turn").first.locator(".rq-cite").first.click()
    page.locator("#rq-passages .rq-passage.rq-focus#rq-passage-1").wait_for()
    assert shown_passages(page) == [p.title for p in first.passages]
    page.wait_for_function(
        "(t) => document.querySelector('#rq-article mark#rq-hit')?.innerText === t", arg=first.passages[0].text
    )


def test_each_answer_says_its_status_and_confidence(page, server: Running):
    page.locator("text=New conversation").click()
    page.wait_for_function("document.querySelectorAll('.rq-turn').length === 0")
    previous = None
    for question in (QUESTIONS[1], "How many troops are stationed in Korea?", "What is the recipe for banana bread?"):
        ask(page, question)
        expected = server.engine.ask(question, previous=previous)
        previous = question
        verdict = page.locator(".rq-turn.rq-latest .rq-verdict").inner_text()
        assert verdict == status_label(expected)
        if expected.status == "abstained":
            assert verdict == "No answer in the articles"
        else:
            assert re.fullmatch(r"(Answered|May not answer) · [01]\.\d\d", verdict), verdict
    page.screenshot(path=str(ARTIFACTS / "walk-statuses.png"))
    # The same words in the Markdown copy and in the terminal.
    ask(page, QUESTIONS[1])
    markdown = page.locator(".rq-turn.rq-latest .rq-copy").get_attribute("data-md") or ""
    verdict = page.locator(".rq-turn.rq-latest .rq-verdict").inner_text()
    assert f"**Status:** {verdict}" in markdown
    assert verdict in answer_text(server.engine.ask(QUESTIONS[1], previous=previous)).splitlines()


def test_quotation_marks_are_never_doubled(page, server: Running):
    question = "What did Fleitz assure them?"
    expected = server.engine.ask(question)
    opening = [q for q in expected.quotes if q.text.startswith("“")]
    assert opening, "the question should quote a sentence that opens with a quotation mark"
    page.locator("text=New conversation").click()
    page.wait_for_function("document.querySelectorAll('.rq-turn').length === 0")
    ask(page, question)
    texts = page.locator(".rq-turn.rq-latest .rq-qtext").all_inner_texts()
    assert texts == [quoted(q.text) for q in expected.quotes]
    assert not any(t.startswith("““") or t.endswith("””") for t in texts)


def test_every_source_has_a_name_and_unknowns_are_said(page, server: Running):
    ask(page, QUESTIONS[2])  # Answered from the 360info article, which has no title.
    titles = shown_passages(page)
    assert "360info — Camilla Cavarape" in titles
    assert not any(re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", t) for t in titles)
    markdown = page.locator(".rq-turn.rq-latest .rq-copy").get_attribute("data-md") or ""
    assert "360info — Camilla Cavarape" in markdown
    bylines = page.locator("#rq-passages .rq-byline").all_inner_texts()
    assert any("date unknown" in b for b in bylines)
    ask(page, QUESTIONS[1])  # Article 000 names no publisher or date.
    byline = page.locator("#rq-article .rq-byline").inner_text()
    assert "publisher unknown" in byline and "date unknown" in byline


def test_documents_table_names_sorts_and_filters(page, server: Running):
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#rq-documents table.rq-docs")
    table.wait_for()
    headers = table.locator("thead th").all_inner_texts()
    assert [h.rstrip(" ↕↑↓") for h in headers] == ["Title", "Publisher", "Author", "Date", "URL", "Index"]
    names = table.locator("tbody .rq-docname").all_inner_texts()
    assert "360info — Camilla Cavarape" in names
    assert not any(re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", n) for n in names)
    assert table.locator("tbody tr").first.locator(".rq-unknown").count() >= 1  # Unknown fields say so.

    page.locator("#rq-documents button.rq-sort", has_text="Date").click()
    dates = table.locator("tbody tr td[data-label=Date]").evaluate_all("cells => cells.map(c => c.dataset.sort)")
    known = [d for d in dates if d]
    assert known == sorted(known) and dates[: len(known)] == known  # Oldest first, unknown last.
    page.locator("#rq-documents button.rq-sort", has_text="Date").click()
    dates = table.locator("tbody tr td[data-label=Date]").evaluate_all("cells => cells.map(c => c.dataset.sort)")
    assert [d for d in dates if d] == sorted(known, reverse=True)

    page.locator("#rq-documents .rq-filter").fill("chatham")
    visible = table.locator("tbody tr:not([hidden])")
    assert visible.count() == 1 and "Chatham House" in visible.inner_text()
    assert "1 of 5" in page.locator("#rq-documents .rq-count").inner_text()
    page.screenshot(path=str(ARTIFACTS / "walk-documents.png"), full_page=True)
    page.locator("#rq-documents .rq-filter").fill("")
    assert table.locator("tbody tr:not([hidden])").count() == 5

    # Remove picks by the same names.
    page.locator("#rq-doc-choice input").click()
    options = page.locator("ul[role=listbox] li").all_inner_texts()
    page.keyboard.press("Escape")
    assert "360info — Camilla Cavarape" in [o.strip() for o in options]
    assert not any(".txt" in o for o in options)


def test_remove_asks_first_and_undo_brings_it_back(page, server: Running):
    doc = "003_1048780554bfa262.txt"
    name = "Asia Policy Brief (special issue)"
    corpus = server.corpus_dir
    trash = server.engine.settings.index_dir / ".trash"
    page.get_by_role("tab", name="Documents").click()
    page.locator("#rq-doc-choice input").click()
    page.locator("ul[role=listbox] li", has_text=name).click()
    page.locator("#rq-remove").click()
    prompt = page.locator("#rq-confirm .rq-confirm")
    prompt.wait_for()
    assert name in prompt.inner_text() and doc in prompt.inner_text()
    page.locator("#rq-confirm-remove").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "walk-remove-confirm.png"))
    assert (corpus / doc).is_file()  # Nothing moved before the answer.
    page.locator("#rq-cancel-remove").click()
    prompt.wait_for(state="hidden")
    assert (corpus / doc).is_file()

    page.locator("#rq-remove").click()
    page.locator("#rq-confirm-remove").click()
    page.wait_for_function("document.querySelector('#rq-message textarea').value.includes('1 removed')")
    assert not (corpus / doc).exists() and (trash / doc).is_file() and (trash / f"{doc}.meta.json").is_file()
    page.wait_for_function(f"!document.querySelector('#rq-documents').innerText.includes({doc!r})")
    assert doc not in server.engine.status().docs
    page.screenshot(path=str(ARTIFACTS / "walk-removed.png"), full_page=True)

    page.locator("#rq-undo").click()
    page.wait_for_function("document.querySelector('#rq-message textarea').value.includes('1 added')")
    assert (corpus / doc).is_file() and (corpus / f"{doc}.meta.json").is_file() and not (trash / doc).exists()
    page.wait_for_function(f"document.querySelector('#rq-documents').innerText.includes({doc!r})")
    assert doc in server.engine.status().docs
    page.locator("#rq-undo").wait_for(state="hidden")


def test_a_failure_keeps_its_reason_in_the_result_box(page, server: Running, site: str):
    page.get_by_role("tab", name="Documents").click()
    page.locator("#rq-urls textarea").fill(site + "/news/ferry.html")
    page.get_by_role("button", name="Fetch and index").click()
    page.wait_for_function("document.querySelector('#rq-message textarea').value.includes('RAG_ALLOW_PRIVATE_URLS')")
    page.wait_for_timeout(11_000)  # Longer than the notice stays.
    kept = page.locator("#rq-message textarea").input_value()
    assert kept.startswith("Error: ") and "RAG_ALLOW_PRIVATE_URLS=1" in kept and site.split("//")[1] in kept
    page.screenshot(path=str(ARTIFACTS / "walk-error-kept.png"), full_page=True)
    page.get_by_role("button", name="Rebuild index").click()  # The next action replaces it.
    page.wait_for_function("document.querySelector('#rq-message textarea').value.startsWith('Rebuilt')")


def test_markdown_shows_as_text_and_several_passages_fit(page, server: Running, tmp_path: Path):
    article = tmp_path / "lumora.md"
    article.write_text(MARKDOWN, encoding="utf-8")
    page.get_by_role("tab", name="Documents").click()
    page.locator("input[type=file]").set_input_files(str(article))
    page.get_by_role("button", name="Upload and index").click()
    page.wait_for_function("document.querySelector('#rq-message textarea').value.includes('1 added')")
    page.get_by_role("tab", name="Ask").click()
    ask(page, "Who designed the Lumora tidal bridge?")
    card = page.locator("#rq-passages .rq-passage").first
    assert card.locator(".rq-title").inner_text() == "Vestrand opens the Lumora tidal bridge"
    text = card.locator(".rq-ptext").inner_text()
    assert "Katja Holm" in text and not re.search(r"[#*_]", text), text
    assert card.locator("mark.rq-hl").first.inner_text().startswith("The Lumora tidal bridge in Vestrand")
    article_text = page.locator("#rq-article .rq-article-text").inner_text()
    assert "By Ana Lind" in article_text and not re.search(r"[#*_]|^---", article_text)
    # The quote itself stays verbatim; only the display of the document drops the markup.
    assert "**Lumora tidal bridge**" in server.engine.ask("Who designed the Lumora tidal bridge?").quotes[0].text

    page.locator("text=New conversation").click()
    page.wait_for_function("document.querySelectorAll('.rq-turn').length === 0")
    ask(page, SEVERAL_PASSAGES)
    shown = page.locator("#rq-passages .rq-passage").count()
    assert shown == len(server.engine.ask(SEVERAL_PASSAGES).passages) >= 2
    fits = page.evaluate(
        "(() => { const b = document.querySelector('#rq-passages'); "
        "return [...b.querySelectorAll('*')].every(e => e.scrollHeight <= e.clientHeight + 1 "
        "|| getComputedStyle(e).overflowY === 'visible'); })()"
    )
    assert fits, "a passage panel scrolls inside itself"
    page.screenshot(path=str(ARTIFACTS / "walk-desktop.png"))


def test_the_page_fits_a_400_px_screen(browser, server: Running):
    page = open_page(browser, server, width=400, height=860)
    try:
        ask(page, QUESTIONS[0])
        page.wait_for_timeout(300)
        assert in_view(page, ".rq-turn.rq-latest")
        width = "document.documentElement.scrollWidth"
        assert page.evaluate(width) <= 400
        box = page.locator("#rq-question textarea").bounding_box()
        assert box is not None and box["width"] >= 300  # The question box gets the screen's width.
        page.screenshot(path=str(ARTIFACTS / "walk-400px-ask.png"), full_page=True)
        page.get_by_role("tab", name="Documents").click()
        page.locator("#rq-documents table.rq-docs").wait_for()
        assert page.evaluate(width) <= 400
        page.screenshot(path=str(ARTIFACTS / "walk-400px-documents.png"), full_page=True)
    finally:
        page.context.close()
