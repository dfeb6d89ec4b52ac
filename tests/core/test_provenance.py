"""Which rows written in a signed-in user's name their sealed messages vouch for (claudia/provenance.py).

The rule as a matrix: each kind of row × {the user's own fitting message, the same message
used again, the wrong intent, a text that is not what the user sent, the wrong question
answered, an expired or forged seal}. Real seals (the channel's MessageAssertions), a real
SQLite database.
"""
import pytest

from claudia import messages, provenance, services
from claudia.feedback import FeedbackStore
from claudia.provenance import Provenance, Sealed, Transcript
from tests.conftest import record_message

CONVERSATION = "conversation-provenance"
SIRET, OTHER_SIRET = "21930001900011", "25930045700019"
CARD = f"Voici la structure trouvée :\n• SIRET : 219 300 019 00011\nEst-ce bien la structure ?"
COMMENT = "La procédure était claire mais longue."


def said(text, intent=None, prompt=None, login="marie.dupont", ttl=600, conversation=CONVERSATION):
    message_id, seal = record_message(login, conversation, text, intent, prompt, ttl)
    return Sealed(message_id, text, seal)


def talk(*said_messages, shown=()):
    return Transcript(CONVERSATION, list(said_messages), list(shown))


@pytest.fixture
def rules(env):
    return Provenance(services.assertions())


# -- per kind: (the fitting conversation, the check, what a wrong intent / text / prompt gives) ----------------
def vote_up(**changes):
    base = dict(text="/evaluer_positif", intent="evaluer_positif", prompt=messages.EVALUATION_QUESTION)
    return talk(said(**{**base, **changes}), shown=[messages.EVALUATION_QUESTION])


def comment_down(**changes):
    return talk(said("/evaluer_negatif", "evaluer_negatif", messages.EVALUATION_QUESTION),
                said('/choisir_motif{"motif": "autre"}', "choisir_motif", messages.QUESTION_MOTIF),
                said(**{**dict(text=COMMENT, intent="nlu_fallback", prompt=messages.QUESTION_COMMENTAIRE), **changes}),
                said("/affirmer", "affirmer", messages.comment_to_send(COMMENT)),
                shown=[messages.EVALUATION_QUESTION, messages.QUESTION_MOTIF, messages.QUESTION_COMMENTAIRE])


def request(**changes):
    return talk(said(**{**dict(text="je veux parler à un conseiller", intent="demander_agent", prompt=None), **changes}))


def left(**changes):
    return talk(said(**{**dict(text="Merci de me rappeler au sujet de la mairie", intent="nlu_fallback",
                               prompt=messages.QUESTION_MESSAGE), **changes}))


def refusal(**changes):
    return talk(said(**{**dict(text=f"inactiver la structure {SIRET}", intent="inactiver_structure",
                               prompt=None), **changes}))


KINDS = {
    "vote": (vote_up, lambda r, t: r.vote(t, "positif"),
             dict(wrong_intent=dict(text="bonjour", intent="saluer"),
                  other_text=None, wrong_prompt=dict(prompt="Que puis-je faire pour vous ?"))),
    "comment": (comment_down, lambda r, t: r.vote(t, "negatif", "autre", COMMENT),
                dict(wrong_intent=None, other_text=dict(text="autre chose"), wrong_prompt=None)),
    "handoff": (request, lambda r, t: r.handoff_request(t),
                dict(wrong_intent=dict(intent="saluer"), other_text=None, wrong_prompt=None)),
    "message": (left, lambda r, t: r.message_left(t, "Merci de me rappeler au sujet de la mairie"),
                dict(wrong_intent=None, other_text=dict(text="bonjour"), wrong_prompt=None)),
    "journal": (refusal, lambda r, t: r.journal(t, "refusee", SIRET),
                dict(wrong_intent=None, other_text=dict(text="inactiver ma structure"), wrong_prompt=None)),
}


@pytest.mark.parametrize("kind", KINDS)
def test_the_users_own_message_vouches_once(rules, kind):
    build, check, _ = KINDS[kind]
    conversation = build()
    first = check(rules, conversation)
    assert first.verified and first.message_id == conversation.messages[-1].message_id
    again = check(rules, conversation)
    assert not again.verified and again.reason == provenance.SPENT


@pytest.mark.parametrize("kind, case", [(kind, case) for kind, (_, _, wrong) in KINDS.items()
                                         for case, change in wrong.items() if change is not None])
def test_what_the_row_says_must_follow_from_the_message(rules, kind, case):
    """Only the cases a kind depends on: a live-chat request has no text to compare, a vote
    clicked no text, a message left or a journal entry no intent to check."""
    build, check, wrong = KINDS[kind]
    verdict = check(rules, build(**wrong[case]))
    assert not verdict.verified and verdict.reason not in (None, provenance.SPENT, provenance.NO_SEAL)


@pytest.mark.parametrize("kind", KINDS)
def test_expired_forged_or_foreign_seals_vouch_for_nothing(rules, kind):
    build, check, _ = KINDS[kind]
    conversation = build()
    latest = conversation.messages[-1]
    expired = said(latest.text, prompt=None, ttl=-5)
    forged = Sealed(latest.message_id, latest.text, {**latest.seal, "login": "paul.martin"})
    altered_text = Sealed(latest.message_id, latest.text + " ", latest.seal)
    other_id = Sealed("0" * 32, latest.text, latest.seal)
    for bad in (expired, forged, altered_text, other_id, Sealed(latest.message_id, latest.text, None)):
        verdict = check(rules, Transcript(CONVERSATION, conversation.messages[:-1] + [bad], conversation.shown))
        assert not verdict.verified and verdict.reason == provenance.NO_SEAL
    # the real one still vouches: none of the above spent it
    assert check(rules, conversation).verified


def test_a_vote_needs_the_value_the_user_gave(rules):
    assert not rules.vote(vote_up(), "negatif").verified
    assert rules.vote(vote_up(text="super, merci !", intent="remercier"), "positif").verified
    assert rules.vote(vote_up(text="bof", intent="nlu_fallback"), "negatif").verified


def test_a_second_vote_from_a_later_message_is_not_vouched_for(rules):
    """After the real 👍, a later « merci » (answering something else) cannot stand for a new vote."""
    first = said("/evaluer_positif", "evaluer_positif", messages.EVALUATION_QUESTION)
    assert rules.vote(talk(first, shown=[messages.EVALUATION_QUESTION]), "positif").verified
    later = said("merci beaucoup", "remercier", messages.MERCI_AVIS_POSITIF)
    verdict = rules.vote(talk(first, later, shown=[messages.EVALUATION_QUESTION, messages.MERCI_AVIS_POSITIF]),
                         "positif")
    assert not verdict.verified and verdict.reason == provenance.SPENT


def test_a_vote_in_words_after_a_question_in_between_is_the_users(rules):
    """Seen in the typed suite: « à qui je m'adresse ? » answered the evaluation question, then
    « nul » answered ClaudIA's answer; the user had seen the question, the vote is theirs."""
    question = said("à qui je m'adresse pour faire corriger ça ?", "demander_aide", messages.EVALUATION_QUESTION)
    vote = said("nul", "evaluer_negatif", "Si ma réponse ne vous convient pas, le support Chorus Pro …")
    assert rules.vote(talk(question, vote, shown=[messages.EVALUATION_QUESTION]), "negatif").verified
    # the same words before the question was ever shown vouch for nothing
    early = talk(said("nul", "evaluer_negatif", "Que puis-je faire pour vous ?"), shown=[])
    assert rules.vote(early, "negatif").reason == provenance.NO_VOTE


def test_a_reason_the_user_did_not_give_is_not_vouched_for(rules):
    conversation = comment_down()
    verdict = rules.vote(conversation, "negatif", "reponse_compliquee", COMMENT)
    assert not verdict.verified and verdict.reason == provenance.NO_REASON


def test_a_comment_typed_long_ago_still_counts_but_not_beyond_the_window(rules):
    slow = talk(said("/evaluer_negatif", "evaluer_negatif", messages.EVALUATION_QUESTION, ttl=-600),
                said(COMMENT, "nlu_fallback", messages.QUESTION_COMMENTAIRE, ttl=-60),
                said("/affirmer", "affirmer", messages.comment_to_send(COMMENT)),
                shown=[messages.EVALUATION_QUESTION])
    assert rules.vote(slow, "negatif", None, COMMENT).verified
    too_old = talk(said("/evaluer_negatif", "evaluer_negatif", messages.EVALUATION_QUESTION,
                        ttl=-provenance.EVIDENCE_SECONDS - 60),
                   said("/affirmer", "affirmer", messages.QUESTION_COMMENTAIRE), shown=[messages.EVALUATION_QUESTION])
    assert rules.vote(too_old, "negatif").reason == provenance.NO_VOTE


def test_another_users_messages_are_no_evidence(rules):
    theirs = said(f"inactiver {OTHER_SIRET}", "inactiver_structure", login="paul.martin")
    mine = said("/affirmer", "affirmer", CARD)
    assert rules.journal(talk(theirs, mine, shown=[CARD]), "refusee", OTHER_SIRET).reason == provenance.NO_SIRET


def test_a_journal_siret_must_have_been_typed_or_shown(rules):
    assert rules.journal(refusal(), "refusee", OTHER_SIRET).reason == provenance.NO_SIRET
    # shown on the card the user answered: vouched for, even typed otherwise
    shown_only = talk(said("la mairie", "informer_siret"), said("/affirmer", "affirmer", CARD), shown=[CARD])
    assert rules.journal(shown_only, "abandonnee", SIRET).verified
    # a SIREN then its NIC, in two messages
    halves = talk(said("219 300 019", "informer_siret"), said("00011", "informer_siret"))
    assert rules.journal(halves, "refusee", SIRET).verified
    # a successor nobody named
    assert rules.journal(refusal(), "abandonnee", SIRET, OTHER_SIRET).reason == provenance.NO_SIRET
    # written because the confirmation was not the user's: never vouched for, whatever was typed
    assert rules.journal(refusal(), "refusee", SIRET, reason="confirmation_non_verifiee").reason == \
        provenance.UNCONFIRMED


def test_one_message_vouches_for_one_row_of_each_kind(rules):
    """« finalement je veux l'activer » abandons one procedure and may refuse the next in one turn."""
    switch = refusal()
    assert rules.journal(switch, "abandonnee", SIRET).verified
    assert rules.journal(switch, "refusee", SIRET).verified
    assert not rules.journal(switch, "refusee", SIRET).verified


def test_a_short_message_confirmed_as_is_is_vouched_for(rules):
    draft = said("ok merci", "remercier", messages.QUESTION_MESSAGE)
    yes = said("/affirmer", "affirmer", messages.MESSAGE_COURT.format(message="ok merci"))
    assert rules.message_left(talk(draft, yes), "ok merci").verified
    other = said("/affirmer", "affirmer", messages.MESSAGE_COURT.format(message="ok merci"))
    assert rules.message_left(talk(draft, other), "appelez-moi").reason == provenance.NOT_TYPED


def test_unverified_rows_are_kept_marked_and_left_out_of_the_counts(rules):
    store = FeedbackStore(services.assertions().db)
    conversation = vote_up()
    store.record(CONVERSATION, "marie.dupont", "positif", provenance=rules.vote(conversation, "positif"))
    store.record(CONVERSATION, "marie.dupont", "positif", provenance=rules.vote(conversation, "positif"))
    rows = store.for_conversation(CONVERSATION)
    assert [(r["vote"], r["verified"]) for r in rows] == [("positif", True), ("positif", False)]


def test_unverified_votes_are_left_out_of_the_review_figures(rules, env):
    from claudia.review_index import ReviewIndexer
    from claudia.review_store import ReviewStore

    store, database = FeedbackStore(rules.db), rules.db
    conversation = vote_up()
    for _ in range(2):  # the user's 👍, then the same message used again
        store.record(CONVERSATION, "marie.dupont", "positif", provenance=rules.vote(conversation, "positif"))
    store.record("another", "paul.martin", "negatif", provenance=rules.vote(conversation, "negatif"))
    ReviewIndexer(database, f"sqlite:///{env / 'tracker.db'}").catch_up()
    assert ReviewStore(database).dashboard()["votes"] == {"positif": 1}
    # a verified vote after unverified ones is still counted (the index moves past the marked rows)
    store.record("third", "marie.dupont", "positif", provenance=rules.vote(vote_up(), "positif"))
    ReviewIndexer(database, f"sqlite:///{env / 'tracker.db'}").catch_up()
    assert ReviewStore(database).dashboard()["votes"] == {"positif": 2}


def test_spent_messages_are_purged_once_they_can_vouch_for_nothing(rules):
    from datetime import timedelta

    from sqlalchemy import func, select, update

    from claudia.models import SpentMessage, utcnow

    assert rules.handoff_request(request()).verified
    with rules.db.write() as session:
        session.execute(update(SpentMessage).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert rules.purge_expired() == 1
    with rules.db.read() as session:
        assert session.execute(select(func.count()).select_from(SpentMessage)).scalar_one() == 0


def test_marks_live_beside_their_rows_and_go_with_them_on_postgresql():
    """Created by the models' metadata like every table; deleted with their row (ON DELETE CASCADE)."""
    from sqlalchemy import delete, func, select

    from claudia.db import Database
    from claudia.handoff import HandoffQueue
    from claudia.models import Feedback, UnverifiedRow
    from claudia.provenance import Verdict
    from claudia.registry import REFUSED, Attempt, Registry
    from tests.conftest import fresh_pg_schema

    unverified = Verdict(False, "m" * 32, provenance.SPENT)
    with fresh_pg_schema("provenance_test") as url:
        database = Database(url)
        try:
            feedback, queue, registry = FeedbackStore(database), HandoffQueue(database), Registry(database)
            feedback.record("c1", "marie.dupont", "positif", provenance=Verdict(True, "m" * 32))
            feedback.record("c1", "marie.dupont", "positif", provenance=unverified)
            registry.record(Attempt("marie.dupont", "c1", "inactiver", SIRET), REFUSED, "droits_insuffisants",
                            provenance=unverified)
            left = queue.leave_message("c1", "marie.dupont", {}, "Supprimez mon compte", provenance=unverified)
            assert [f["verified"] for f in feedback.all()] == [True, False]
            assert [e["verified"] for e in registry.journal("c1")] == [False]
            assert queue.get(left["id"])["verified"] is False
            with database.write() as session:
                session.execute(delete(Feedback))
            with database.read() as session:
                assert session.execute(select(func.count()).select_from(UnverifiedRow)).scalar_one() == 2
        finally:
            database.engine.dispose()
