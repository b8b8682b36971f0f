"""Follow-up questions: the rules that read them, the SQuAD pair generator, and real answers on the
real model and index of the seed articles, through the engine and through `rag ask`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.run import RecordingEmbedder
from rag import Engine, Settings
from rag.config import FollowUpSettings
from rag.embed.onnx import OnnxEmbedder
from rag.evaluate.followup_pairs import make_pair
from rag.evaluate.squad import follow_up_pairs, load_squad
from rag.question.followup import asks_for_name, names, own_weight, queries, resolve
from rag.read.conversation import fuse_ranks, reading_weights

from ..conftest import copy_collection

MINI = Path(__file__).resolve().parent.parent / "data" / "squad-mini.json"
FOLLOW = FollowUpSettings()


def test_names_skip_question_words():
    assert names("Who did Fred Fleitz meet in Japan?") == ["Fred Fleitz", "Japan"]
    assert names("What did the Lee-Ishiba meeting produce?") == ["Lee-Ishiba"]


def test_pronouns_resolve_to_the_previous_answer_when_it_gave_a_name():
    previous = "Who has been tapped as national security advisor?"
    answer = "Representative Mike Waltz (R-FL), who has been tapped as national security advisor, ..."
    assert (
        resolve("What report did he co-author?", previous, answer)
        == "What report did Representative Mike Waltz co-author?"
    )
    # Otherwise to the previous question's own first name; possessives keep their form.
    assert (
        resolve("When was he assassinated?", "How did Shinzo Abe's government act?")
        == "When was Shinzo Abe assassinated?"
    )
    assert resolve("Where is his office?", "What did Fred Fleitz say?") == "Where is Fred Fleitz’s office?"
    cavarape = "Who is Camilla Cavarape?"
    assert resolve("Where is she doing her PhD?", cavarape) == "Where is Camilla Cavarape doing Camilla Cavarape’s PhD?"
    assert resolve("Who supervises her?", cavarape) == "Who supervises Camilla Cavarape?"
    assert resolve("Did Lee meet her in Tokyo?", cavarape) == "Did Lee meet Camilla Cavarape in Tokyo?"
    assert resolve("And under Yoon?", "What did Moon Jae-in do?") == "And under Yoon?"
    # The name asked for is one the previous question does not already hold.
    quoted = "Reuters quoted Republican Senator Bill Hagerty of Tennessee, saying, ..."
    assert (
        resolve("What post did he hold in Japan?", "Which senator from Tennessee did Reuters quote?", quoted)
        == "What post did Republican Senator Bill Hagerty of Tennessee hold in Japan?"
    )


def test_who_is_a_name_asks_about_that_name_not_for_one():
    assert asks_for_name("Who has been tapped as national security advisor?")
    assert asks_for_name("Which senator from Tennessee did Reuters quote?")
    assert not asks_for_name("Who is Camilla Cavarape?")
    assert not asks_for_name("What did Fred Fleitz say?")


def test_how_much_the_previous_question_counts():
    strong, weak = FOLLOW.own_weight, FOLLOW.weak_own_weight
    assert own_weight("And what about North Korea?", strong, weak) == strong
    long_with_pronoun = "How many first downs did they have in the game that decided the championship that year?"
    assert own_weight(long_with_pronoun, strong, weak) == weak
    assert own_weight("Who is expected to serve as secretary of state?", strong, weak) == 1.0
    assert [q.text for q in queries("Who is Matsuo?", "What did Fleitz say?", 1.0)] == ["Who is Matsuo?"]
    own, context = queries("Which official did he meet?", "What did Fred Fleitz do?", strong)
    assert own.text == "Which official did he meet?" and own.weight == strong >= context.weight
    assert context.text == "What did Fred Fleitz do? Which official did Fred Fleitz meet?"


def test_fusion_is_by_weighted_reciprocal_rank():
    fused = fuse_ranks([[1, 2], [2, 3]], [0.6, 0.4], rrf_k=60)
    assert fused == {1: 0.6 / 60, 2: 0.6 / 61 + 0.4 / 60, 3: 0.4 / 61}
    assert sorted(fused, key=lambda i: -fused[i]) == [2, 1, 3]  # Second in one and first in the other wins.
    lopsided = fuse_ranks([[1, 2], [2, 3]], [0.99, 0.01], rrf_k=60)
    assert sorted(lopsided, key=lambda i: -lopsided[i])[:2] == [1, 2]


def test_a_sure_reading_counts_more_in_the_fusion():
    # Equal confidences keep the weights' proportions; a sure reading outweighs an unsure one.
    assert reading_weights([0.5, 0.5], [0.4, 0.4], floor=0.1) == [0.5, 0.5]
    own, context = reading_weights([0.5, 0.5], [0.64, 0.05], floor=0.1)
    assert own == 0.5 * 0.74 / (0.5 * 0.74 + 0.5 * 0.15) and own + context == 1.0
    assert reading_weights([0.5, 0.5], [None, None], floor=0.1) == [0.5, 0.5]  # No reader: no confidences.


def test_pair_generator_replaces_the_shared_subject_by_a_pronoun():
    context = "Genghis Khan was born in 1162. He died in 1227 and his sons divided his empire."
    pair = make_pair("When was Genghis Khan born?", "Where did Genghis Khan die?", context)
    assert pair is not None and pair.question == "Where did he die?" and pair.subject == "Genghis Khan"
    pair = make_pair("When was Genghis Khan born?", "Who inherited Genghis Khan's empire?", context)
    assert pair is not None and pair.question == "Who inherited his empire?"
    pair = make_pair("What did the University of Chicago build?", "Who founded the University of Chicago?", "")
    assert pair is not None and pair.question == "Who founded it?"
    assert make_pair("When was Genghis Khan born?", "What is the capital of France?", context) is None
    # A part of a longer phrase is not a subject ("Super Bowl" of "Super Bowl 50 halftime show").
    assert make_pair("Where was Super Bowl 50 played?", "Who sang at the Super Bowl halftime show?", "") is None


def test_squad_pairs_keep_their_gold_answers():
    pairs = [p for article in load_squad(MINI) for p in follow_up_pairs(article)]
    assert len(pairs) >= 5
    for pair, question in pairs:
        assert question.text == pair.original and pair.question != pair.original
        assert pair.subject in pair.original and pair.subject.lower() in pair.previous.lower()


PREVIOUS = "What did the Lee-Ishiba meeting produce?"
FOLLOW_UP = "And what about North Korea?"


def test_follow_up_does_not_return_the_previous_answer(seed_engine: Engine):
    before = seed_engine.ask(PREVIOUS)
    assert "first joint statement" in before.quotes[0].text
    after = seed_engine.ask(FOLLOW_UP, previous=PREVIOUS)
    assert after.question == FOLLOW_UP and not after.abstained
    assert after.quotes[0].text != before.quotes[0].text
    assert "North Korea" in after.quotes[0].text


def test_follow_up_uses_the_previous_question_for_its_pronoun(seed_engine: Engine):
    previous = "Which former National Security Council chief of staff visited Japan this month?"
    answer = seed_engine.ask("Which Japanese official did he meet?", previous=previous)
    assert "Takeo Akiba" in answer.quotes[0].text


def test_a_follow_up_reads_the_name_its_engine_just_answered_without_ranking_it_again(
    seed_engine: Engine, embedder: OnnxEmbedder
):
    """After a question asking for a name, the follow-up's pronoun stands for the name in that
    answer's first sentence: taken from the answer this engine just gave, not ranked again; an
    engine that did not answer the previous question ranks it, with the same result."""
    previous = "Which former National Security Council chief of staff visited Japan this month?"
    follow_up = "Which Japanese official did he meet?"
    cold_encoder, warm_encoder = RecordingEmbedder(embedder), RecordingEmbedder(embedder)
    cold = Engine(seed_engine.settings, cold_encoder).ask(follow_up, previous=previous)
    assert cold_encoder.texts.count(previous) == 1

    warm_engine = Engine(seed_engine.settings, warm_encoder)
    warm_engine.ask(previous)
    warm = warm_engine.ask(follow_up, previous=previous)
    assert warm_encoder.texts.count(previous) == 1  # When it was asked, not again for the follow-up.
    assert [(q.doc, q.start, q.end) for q in warm.quotes] == [(q.doc, q.start, q.end) for q in cold.quotes]
    assert "Takeo Akiba" in warm.quotes[0].text


def test_the_follow_ups_own_words_win_when_the_reader_is_sure_of_them(seed_engine: Engine):
    """After a question on how Trump views alliances, "What does his administration lack?" is
    answered by the sentence that says what it lacks, not by the previous answer again."""
    previous = "How does Chatham House say Trump views such alliances?"
    before = seed_engine.ask(previous)
    answer = seed_engine.ask("What does his administration lack?", previous=previous)
    assert "lacks" in answer.quotes[0].text and answer.quotes[0].text != before.quotes[0].text


def _rag(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], input=stdin, capture_output=True, text=True, timeout=300
    )


def test_a_vague_follow_up_is_not_refused_while_the_conversation_finds_an_answer(seed_engine: Engine):
    """Alone, "When did he die?" is far from every sentence and abstains; read after the previous
    question it finds Shinzo Abe's assassination, so the follow-up keeps its quotes."""
    previous = "Which Japanese prime minister took office in 2006?"
    assert seed_engine.ask("When did he die?").status == "abstained"
    answer = seed_engine.ask("When did he die?", previous=previous)
    assert answer.status != "abstained" and "assassination in 2022" in answer.quotes[0].text


def test_cli_previous_option_and_json_lines_on_stdin(seed_engine: Engine, tmp_path: Path):
    settings: Settings = copy_collection(seed_engine.settings, tmp_path)
    where = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    expected = seed_engine.ask(FOLLOW_UP, previous=PREVIOUS)

    result = _rag(["ask", FOLLOW_UP, "--previous", PREVIOUS, "--json", *where])
    assert result.returncode == 0, result.stderr
    assert [q["text"] for q in json.loads(result.stdout)["quotes"]] == [q.text for q in expected.quotes]

    lines = [
        PREVIOUS,  # A plain line is still one question.
        json.dumps({"question": FOLLOW_UP, "previous": PREVIOUS}),
        json.dumps({"question": "Who is Terrence Matsuo?", "previous": None}),
        '{"question": "broken',
        json.dumps({"previous": PREVIOUS}),
    ]
    result = _rag(["ask", *where], stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 5
    assert out[0]["question"] == PREVIOUS and "first joint statement" in out[0]["quotes"][0]["text"]
    assert out[1]["question"] == FOLLOW_UP
    assert [q["text"] for q in out[1]["quotes"]] == [q.text for q in expected.quotes]
    assert "Matsuo" in out[2]["quotes"][0]["text"]
    assert "not valid JSON" in out[3]["error"] and out[3]["question"] == lines[3]
    assert '"question"' in out[4]["error"]

    result = _rag(["ask", "--previous", PREVIOUS, *where], stdin=FOLLOW_UP + "\n")
    assert result.returncode == 2 and "--previous goes with a QUESTION" in result.stderr
