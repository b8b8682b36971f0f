from __future__ import annotations

import pytest

from rag.chunk import chunk_text, split_paragraphs, split_sentences
from rag.config import ChunkSettings
from rag.ingest.load import read_document

from ..conftest import SEED_CORPUS


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


@pytest.mark.parametrize("path", sorted(SEED_CORPUS.glob("*.txt")), ids=lambda p: p.name)
def test_seed_offsets_round_trip(path):
    doc = read_document(path, SEED_CORPUS)
    raw = path.read_bytes().decode("utf-8")
    assert doc.text == raw
    chunks = chunk_text(doc.text, ChunkSettings())
    assert chunks.sentences, "every seed article has sentences"
    for (s, e), p in zip(chunks.sentences, chunks.sentence_passage):
        ps, pe = chunks.passages[p]
        assert ps <= s < e <= pe
        sentence = raw[s:e]
        assert sentence == sentence.strip() and sentence
    # Sentences are in order and never overlap.
    ends = [e for _, e in chunks.sentences]
    starts = [s for s, _ in chunks.sentences]
    assert all(e <= s2 for e, s2 in zip(ends, starts[1:]))


def test_abbreviations_initials_and_acronyms_do_not_split():
    text = (
        "Mr. Smith met Dr. J. R. Jones at 3 p.m. in Washington. The U.S. President spoke, e.g. about trade. "
        "Talks with the U.S. The allies agreed."
    )
    assert sentences(text) == [
        "Mr. Smith met Dr. J. R. Jones at 3 p.m. in Washington.",
        "The U.S. President spoke, e.g. about trade.",
        "Talks with the U.S.",
        "The allies agreed.",
    ]


def test_quotes_questions_and_decimals():
    text = "He said, “We will stay.” Did they? Growth was 2.5 percent! “Yes,” she said. Then 3.14 is pi."
    assert sentences(text) == [
        "He said, “We will stay.”",
        "Did they?",
        "Growth was 2.5 percent!",
        "“Yes,” she said.",
        "Then 3.14 is pi.",
    ]


def test_cjk_full_stops():
    assert sentences("日本と韓国は合意した。協力は続く。") == ["日本と韓国は合意した。", "協力は続く。"]


def test_headings_are_not_quoted_but_head_their_passage():
    text = "Trump and Trilateralism\n\nThe first sentence. The second one.\nShare this article"
    chunks = chunk_text(text, ChunkSettings())
    quoted = [text[s:e] for s, e in chunks.sentences]
    assert quoted == ["The first sentence.", "The second one."]
    ps, pe = chunks.passages[0]
    assert text[ps:pe].startswith("Trump and Trilateralism")


def test_site_chrome_is_not_quoted():
    """Calls to action, credits and cut-off teasers on lines of their own are the site's, not the
    article's; the same words inside a paragraph of the article stay sentences."""
    article = "The leaders met at Camp David. They agreed to meet every year."
    chrome = [
        "Click here to continue reading the full version of this Expert Comment on the Chatham House website.",
        "Sign up for our mailing list to keep up to date on all the latest developments.",
        "Originally published under Creative Commons by 360info™.",
        "Photo from Shutterstock.",
        "The Oval Office meltdown indicates a hardening of stance by the Trump team, which has…",
    ]
    text = "\n\n".join([article, *chrome, "A closing paragraph. Read more about it in the report."])
    chunks = chunk_text(text, ChunkSettings())
    quoted = [text[s:e] for s, e in chunks.sentences]
    assert quoted == [
        "The leaders met at Camp David.",
        "They agreed to meet every year.",
        "A closing paragraph.",
        "Read more about it in the report.",
    ]
    # The chrome heads the passage that follows it, as a heading would; offsets still round-trip.
    ps, pe = chunks.passages[-1]
    assert text[ps:pe].startswith(chrome[0]) and text[ps:pe].endswith("in the report.")


def test_hard_wrapped_paragraph_is_one_passage():
    text = (
        "This paragraph was wrapped by an editor at a fixed width so\n"
        "that each line breaks in the middle of a sentence, which must\n"
        "not split it. A second sentence ends here.\n\nNext paragraph."
    )
    paras = split_paragraphs(text)
    assert len(paras) == 2
    assert [text[s:e] for s, e in split_sentences(text, *paras[0])][1] == "A second sentence ends here."


def test_long_paragraph_becomes_windows_of_whole_sentences():
    text = " ".join(f"Sentence number {i} says something long enough to count here." for i in range(60))
    chunks = chunk_text(text, ChunkSettings(max_passage_chars=500))
    assert len(chunks.passages) > 1
    assert all(e - s <= 500 for s, e in chunks.passages)
    assert len(chunks.sentences) == 60


def test_overlong_sentence_is_cut_at_clause_marks():
    text = "Items: " + ", ".join(f"item {i}" for i in range(300)) + "."
    spans = split_sentences(text, max_chars=200)
    assert len(spans) > 1 and all(e - s <= 200 for s, e in spans)
    assert "".join(text[s:e] for s, e in spans).replace(" ", "") == text.replace(" ", "")
