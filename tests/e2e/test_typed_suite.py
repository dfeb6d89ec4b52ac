"""Conversations typed by people who never read the code nor data/ (tests/e2e/typed_suite/).

Each is played through the authenticated channel against the real servers, then judged
on the registry, the votes stored, the handoffs, the answers it expected and the traps
(a question asked three times in a row without a way out). Three things must hold in every
conversation: no trap, no vote the user did not give, and no row of the user's own marked
unverified (claudia/provenance.py). The writers' other expectations
are counted: the share met must not fall below the last measured figure (README,
« Conversation repair »). The figures of a run are in results/typed_suite/
(`python -m tests.e2e.typed_suite.summary -v` prints them).
"""
import json
import uuid

import pytest

from tests.e2e.stack import ROOT
from tests.e2e.typed_suite.runner import Player, judge_end, load_conversations

RESULTS = ROOT / "results" / "typed_suite"
CONVERSATIONS = load_conversations()
# Conversations meeting every expectation of their writer, at the last measure (README).
MIN_PASSING = 63
OUTCOMES = {}


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c["id"] for c in CONVERSATIONS])
def test_typed_conversation_has_no_trap_and_no_vote_never_given(stack, conversation):
    player = Player(stack, conversation, f"typed-suite-{conversation['id']}-{uuid.uuid4().hex[:8]}")
    outcome = player.play()
    judge_end(stack, player)
    OUTCOMES[conversation["id"]] = outcome
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{conversation['id']}.json").write_text(json.dumps({
        "id": outcome.conversation, "file": conversation["file"], "passed": outcome.passed,
        "failures": outcome.failures, "traps": outcome.traps, "unexpected_votes": outcome.unexpected_votes,
        "extra_questions": outcome.extra_questions, "unverified": outcome.unverified, "skipped_turns": outcome.skipped_turns,
        "transcript": outcome.transcript}, ensure_ascii=False, indent=1), encoding="utf-8")
    transcript = "\n".join(["--- transcript:"] + outcome.transcript)
    assert outcome.traps == 0, transcript
    assert outcome.unexpected_votes == 0, transcript
    assert outcome.unverified == [], transcript  # the user's own rows are all vouched for by their seals


def test_the_share_of_conversations_meeting_their_writers_expectations_holds():
    if len(OUTCOMES) < len(CONVERSATIONS):
        pytest.skip("only part of the suite ran (-k): the share is measured on the whole suite")
    failed = {cid: o.failures for cid, o in OUTCOMES.items() if not o.passed}
    passing = len(OUTCOMES) - len(failed)
    assert passing >= MIN_PASSING, f"{passing}/{len(OUTCOMES)} passed; failures: {json.dumps(failed, ensure_ascii=False)}"
