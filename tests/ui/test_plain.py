"""A Markdown document is shown as text: its markup characters left out for display, every offset
of the stored text mapped onto what is shown, so highlights land on the same words."""

from __future__ import annotations

import re

from rag import Answer, CitedPassage, DocumentMeta
from ui.plain import plain_markdown
from ui.render import article_html, passages_html

TEXT = (
    "---\ntitle: Vestrand opens the Lumora tidal bridge\nauthor: Ana Lind\n---\n"
    "# Vestrand opens the Lumora tidal bridge #\n\n*By Ana Lind*\n\n"
    "The **Lumora tidal bridge** in [Vestrand](https://vestrand.example) was designed by _Katja Holm_.\n\n"
    "> Engineers call it `the span` of the decade.\n\n- It opened in May.\n"
)


def test_markup_is_left_out_and_offsets_follow():
    shown = plain_markdown(TEXT)
    assert shown.text.startswith("Vestrand opens the Lumora tidal bridge\n\nBy Ana Lind\n\n")
    assert "The Lumora tidal bridge in Vestrand was designed by Katja Holm." in shown.text
    assert "Engineers call it the span of the decade." in shown.text
    assert not re.search(r"[#*_`\[\]>]|https?:", shown.text)
    sentence = TEXT.index("The **Lumora"), TEXT.index("Holm_.") + len("Holm_.")
    start, end = shown.span(*sentence)
    assert shown.text[start:end] == "The Lumora tidal bridge in Vestrand was designed by Katja Holm."
    assert shown.offset(0) == 0 and shown.offset(len(TEXT)) == len(shown.text)


def test_a_markdown_passage_and_article_are_shown_as_text_but_plain_text_is_left_alone():
    start = TEXT.index("# Vestrand")
    end = TEXT.index("\n\n> Engineers")
    quote = TEXT.index("The **"), TEXT.index("Holm_.") + len("Holm_.")
    passage = CitedPassage(
        n=1,
        doc="lumora.md",
        title="Vestrand opens the Lumora tidal bridge",
        text=TEXT[start:end],
        start=start,
        end=end,
        quote_spans=((quote[0] - start, quote[1] - start),),
        meta=DocumentMeta(title="Vestrand opens the Lumora tidal bridge"),
    )
    answer = Answer(question="Who designed it?", abstained=False, answer="", passages=(passage,))
    cards = passages_html(answer)
    assert '<mark class="rq-hl">The Lumora tidal bridge in Vestrand was designed by Katja Holm.</mark>' in cards
    assert "**" not in cards and "# Vestrand" not in cards
    page = article_html("lumora.md", passage.meta, TEXT, start, end, [quote])
    assert "title: Vestrand" not in page and "*By Ana Lind*" not in page and "By Ana Lind" in page
    as_text = article_html("lumora.txt", passage.meta, TEXT, start, end, [quote])
    assert "**Lumora tidal bridge**" in as_text  # Only Markdown documents lose their markup.
