"""End to end in a real browser: Debian's Chromium driven by Playwright. Type a question, see a
quoted answer with a citation and the highlighted passage, open the article at that passage,
follow up in the same conversation; markup in an article shows as text and never runs.

Screenshots of the answered page go to ``tests/artifacts/`` for a person to look at."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from rag import Engine, quoted

from ..uiserver import Running, private_engine, running_app

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FIRST_QUESTION = "Who is expected to serve as secretary of state?"
MARKUP_ARTICLE = (
    "Harbour notes\n\nThe Orvane harbour accord was signed by <b>four harbour cities</b> "
    '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> in the spring.\n'
)


@contextmanager
def chromium_app(seed_engine: Engine, folder: Path, articles: Sequence[Path] = ()) -> Iterator[Running]:
    """The app on a private copy of the seed collection (plus ``articles``), for Chromium to drive;
    the test is skipped where Debian's chromium is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make browser-deps)")
    engine = private_engine(seed_engine, folder)
    if articles:
        engine.add([(path, path.name) for path in articles])
    with running_app(engine) as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seed_engine: Engine) -> Iterator[Running]:
    markup = tmp_path_factory.mktemp("markup") / "harbour.txt"
    markup.write_text(MARKUP_ARTICLE, encoding="utf-8")
    with chromium_app(seed_engine, tmp_path_factory.mktemp("ui-browser"), [markup]) as running:
        yield running


@pytest.fixture(scope="module")
def page(server: Running) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        requested_hosts: set[str | None] = set()
        page.requested_hosts = requested_hosts  # type: ignore[attr-defined]
        page.on("request", lambda request: requested_hosts.add(urlsplit(request.url).hostname))
        page.set_default_timeout(60_000)
        page.goto(server.url)
        page.wait_for_selector("#rq-status .rq-status")
        yield page
        browser.close()


def ask(page, question: str) -> None:
    count = page.locator(".rq-turn").count()
    box = page.locator("#rq-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('.rq-turn').length > {count}")


def test_question_gets_a_quoted_answer_with_highlighted_passage(page, server: Running):
    expected = server.engine.ask(FIRST_QUESTION)
    ask(page, FIRST_QUESTION)
    latest = page.locator(".rq-turn.rq-latest")
    quotes = latest.locator("blockquote.rq-quote")
    assert quotes.count() == len(expected.quotes)
    assert quotes.first.inner_text().startswith(quoted(expected.quotes[0].text))
    assert latest.locator(".rq-cite").first.inner_text() == "[1]"

    cards = page.locator("#rq-passages .rq-passage")
    assert cards.count() == len(expected.passages)
    first = expected.passages[0]
    assert first.title in cards.first.locator(".rq-title").inner_text()
    marked = cards.first.locator("mark.rq-hl")
    assert marked.first.is_visible()
    assert marked.first.inner_text() == first.text[slice(*first.quote_spans[0])]
    assert page.locator("#rq-status").inner_text().count("documents") == 1

    cards.first.locator(".rq-open").click()
    hit = page.locator("#rq-article mark#rq-hit")
    hit.wait_for()
    assert hit.inner_text() == first.text
    page.wait_for_timeout(800)  # Let the smooth scroll settle before the screenshot.
    assert hit.is_visible() and hit.bounding_box() is not None
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-answer.png"), full_page=True)


def test_follow_up_in_the_same_conversation(page, server: Running):
    previous = FIRST_QUESTION  # Asked by the test before.
    ask(page, "And what did Japan say?")
    expected = server.engine.ask("And what did Japan say?", previous=previous)
    assert page.locator(".rq-turn").count() >= 2
    latest = page.locator(".rq-turn.rq-latest blockquote.rq-quote")
    assert latest.first.inner_text().startswith(quoted(expected.quotes[0].text))

    # A citation marker of the earlier answer brings back that answer's passages, focused.
    earlier = server.engine.ask(previous)
    last = earlier.quotes[-1]
    page.locator(".rq-turn").nth(-2).locator(".rq-cite").last.click()
    focused = page.locator(f"#rq-passages .rq-passage.rq-focus#rq-passage-{last.n}")
    focused.wait_for()
    assert last.text in focused.inner_text()


def test_abstention_is_shown(page):
    ask(page, "What is the recipe for banana bread?")
    latest = page.locator(".rq-turn.rq-latest")
    assert "No answer in the articles" in latest.inner_text()
    assert latest.locator("blockquote").count() == 0


def test_a_question_naming_its_source_says_so_above_the_quotes(page, server: Running):
    question = "According to Chatham House, what does the Trump administration lack?"
    ask(page, question)
    latest = page.locator(".rq-turn.rq-latest")
    note = latest.locator(".rq-scope")
    assert note.inner_text() == "Quoting only from Chatham House, as asked."
    titles = page.locator("#rq-passages .rq-passage .rq-title").all_inner_texts()
    chatham = [d for d in server.engine.documents() if d.meta.publisher == "Chatham House"]
    assert titles and len(chatham) == 1 and all(chatham[0].meta.title in t for t in titles)


def test_markup_in_an_article_is_text_and_never_runs(page):
    page.locator("text=New conversation").click()
    page.wait_for_function("document.querySelectorAll('.rq-turn').length === 0")
    ask(page, "Who signed the Orvane harbour accord?")
    latest = page.locator(".rq-turn.rq-latest")
    assert "<b>four harbour cities</b>" in latest.inner_text()
    assert "<script>window.__pwned = 1</script>" in latest.inner_text()
    page.locator("#rq-passages .rq-open").first.click()
    # The panel may still show an article an earlier test opened: wait for this one.
    page.wait_for_function("(document.querySelector('#rq-article') || {}).innerText?.includes('Orvane')")
    page.locator("#rq-article mark#rq-hit").wait_for()
    assert "<script>" in page.locator("#rq-article").inner_text()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#rq-conversation b, #rq-passages b, #rq-article b, #rq-article img").count() == 0
    page.screenshot(path=str(ARTIFACTS / "ui-markup.png"), full_page=True)


def test_documents_tab_lists_the_corpus(page, server: Running):
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#rq-documents table.rq-docs")
    table.wait_for()
    docs = server.engine.status().docs
    assert table.locator("tbody tr").count() == len(docs)
    for doc in docs:
        assert doc in table.inner_text()
    assert "The Prospect for US-Korea-Japan Trilateralism" in table.inner_text()
    page.screenshot(path=str(ARTIFACTS / "ui-documents.png"), full_page=True)
    page.get_by_role("tab", name="Ask").click()


def test_page_loads_nothing_from_the_internet(page):
    assert page.requested_hosts == {"127.0.0.1"}


def test_upload_from_the_page_then_ask_about_it(page, server: Running, tmp_path: Path):
    article = tmp_path / "lumora.md"
    article.write_text(
        "# Vestrand opens the Lumora tidal bridge\n\n"
        "The Lumora tidal bridge in Vestrand was designed by the engineer Katja Holm.\n",
        encoding="utf-8",
    )
    page.get_by_role("tab", name="Documents").click()
    page.locator("#rq-documents table.rq-docs").wait_for()
    page.locator("input[type=file]").set_input_files(str(article))
    page.get_by_role("button", name="Upload and index").click()
    page.wait_for_function("document.querySelector('#rq-message textarea').value.includes('1 added')")
    page.wait_for_function("document.querySelector('#rq-documents').innerText.includes('lumora.md')")
    assert (server.corpus_dir / "lumora.md").read_text(encoding="utf-8") == article.read_text(encoding="utf-8")

    page.get_by_role("tab", name="Ask").click()
    ask(page, "Who designed the Lumora tidal bridge?")
    assert "Katja Holm" in page.locator(".rq-turn.rq-latest blockquote.rq-quote").first.inner_text()
    assert "lumora.md" in page.locator("#rq-passages .rq-passage").first.inner_text()


def test_add_by_link_on_the_page_names_the_refusal(page, server: Running, site: str):
    """The app (RAG_ALLOW_PRIVATE_URLS unset) refuses a loopback link with a message on the page."""
    before = sorted(p.name for p in server.corpus_dir.iterdir())
    page.get_by_role("tab", name="Documents").click()
    page.locator("#rq-urls textarea").fill(site + "/news/ferry.html")
    page.get_by_role("button", name="Fetch and index").click()
    page.get_by_text("RAG_ALLOW_PRIVATE_URLS=1", exact=False).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "ui-add-by-link-refused.png"), full_page=True)
    assert sorted(p.name for p in server.corpus_dir.iterdir()) == before
    page.get_by_role("tab", name="Ask").click()
