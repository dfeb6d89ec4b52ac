"""The review index on real SQLite files: incremental, exact, and bounded per page."""
import csv
import io
import json
import sqlite3
import time
from datetime import date, timedelta

import pytest

from sqlalchemy import delete

from bench.review_data import generate
from claudia.db import Database
from claudia.models import Conversation, Feedback, Handoff, JournalEntry
from claudia.params import BadParameter
from claudia.review_index import ReviewIndexer
from claudia.review_models import ReviewLogin, ReviewMark, ReviewMessage
from claudia.review_queries import COUNT_CAP, Filters, MessageFilters, ReviewQueries
from claudia.review_store import ReviewStore, csv_lines
from claudia.review_tags import MAX_TAGS_PER_CONVERSATION, ReviewTags


class Tracker:
    """Rasa's `events` table, written as Rasa's SQLTrackerStore writes it."""

    def __init__(self, path):
        self.connection = sqlite3.connect(path)
        self.connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                                "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                                "action_name VARCHAR(255), data TEXT)")
        self.at = time.time() - 3600

    def add(self, sender, event, event_id=None, **fields):
        self.at += 1
        data = {"event": event, "timestamp": self.at, **fields}
        self.connection.execute("INSERT INTO events (id, sender_id, type_name, timestamp, data) VALUES (?,?,?,?,?)",
                                (event_id, sender, event, self.at, json.dumps(data)))
        self.connection.commit()

    def say(self, sender, text, intent, confidence=0.9, event_id=None):
        self.add(sender, "user", event_id, text=text,
                 parse_data={"intent": {"name": intent, "confidence": confidence}, "entities": []})

    def act(self, sender, name):
        self.add(sender, "action", name=name)


@pytest.fixture
def stores(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'claudia.db'}")
    tracker = Tracker(tmp_path / "tracker.db")
    indexer = ReviewIndexer(database, f"sqlite:///{tmp_path / 'tracker.db'}", batch=50)
    return database, tracker, indexer


def test_outcomes_labels_and_messages(stores):
    database, tracker, indexer = stores
    tracker.say("done", "activer ma structure", "activer_structure", 0.95)
    tracker.act("done", "formulaire_statut")
    tracker.say("lost", "euh bidule", "nlu_fallback", 0.2)
    tracker.act("lost", "utter_default")
    tracker.say("lost", "/affirmer", "affirmer", 1.0)
    with database.write() as session:
        session.add(JournalEntry(conversation_id="done", outcome="effectuee", operation="activer"))
        session.add(Feedback(conversation_id="done", vote="negatif"))
    assert indexer.catch_up() > 0
    queries = ReviewQueries(database, threshold=0.7)
    done, lost = queries.summary("done"), queries.summary("lost")
    assert (done["outcome"], done["procedure"], done["thumbs_down"]) == ("effectuee", "activer", True)
    assert (lost["outcome"], lost["turns"], lost["low_confidence"]) == ("sans_procedure", 2, True)
    assert lost["intents"] == ["affirmer", "nlu_fallback"] and lost["actions"] == ["utter_default"]
    # a button is not a message the NLU guessed
    texts = [m["text"] for m in queries.messages(MessageFilters())["messages"]]
    assert texts == ["euh bidule", "activer ma structure"]
    assert {c["conversation_id"] for c in queries.search(Filters(intent="nlu_fallback"))["conversations"]} == {"lost"}
    assert {c["conversation_id"] for c in queries.search(Filters(outcome="effectuee"))["conversations"]} == {"done"}
    board = ReviewStore(database).dashboard()
    assert board["total"] == 2 and board["completion_rate"] == {"activer": 1.0} and board["votes"] == {"negatif": 1}


def test_reads_only_new_rows_and_late_ones(stores):
    database, tracker, indexer = stores
    tracker.say("a", "bonjour", "saluer", event_id=1)
    tracker.say("a", "activer", "activer_structure", event_id=3)  # id 2 not committed yet
    indexer.catch_up()
    assert indexer.catch_up() == 0  # nothing new: nothing read again
    tracker.say("b", "inactiver", "inactiver_structure", event_id=2)  # the late transaction commits
    assert indexer.catch_up() == 1
    queries = ReviewQueries(database)
    assert queries.summary("b")["procedure"] == "inactiver"
    assert queries.summary("a")["turns"] == 2
    with database.read() as session:
        assert session.query(ReviewMessage).count() == 3


def test_a_handoff_or_journal_before_the_events_is_kept(stores):
    database, tracker, indexer = stores
    with database.write() as session:
        session.add(Handoff(conversation_id="early", status="attente", context="{}"))
    indexer.catch_up()
    assert ReviewQueries(database).search(Filters())["conversations"] == []  # no message yet: not listed
    tracker.say("early", "un conseiller svp", "demander_agent")
    indexer.catch_up()
    assert ReviewQueries(database).summary("early")["outcome"] == "transferee"
    assert ReviewStore(database).dashboard()["handoff_rate"] == 1.0


def test_two_indexers_count_once(stores, tmp_path):
    database, tracker, indexer = stores
    other = ReviewIndexer(database, f"sqlite:///{tmp_path / 'tracker.db'}", batch=50)
    for n in range(30):
        tracker.say(f"c{n}", "bonjour", "saluer", 0.5)
    while indexer.run_once() + other.run_once():
        pass
    board = ReviewStore(database).dashboard()
    assert board["total"] == 30
    assert board["lowest_confidence_intents"] == [{"intent": "saluer", "confidence": 0.5, "count": 30}]


def test_filters_pages_and_search_on_generated_history(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'claudia.db'}")
    generate(f"sqlite:///{tmp_path / 'tracker.db'}", database.url, 400, days=30)
    ReviewIndexer(database, f"sqlite:///{tmp_path / 'tracker.db'}", batch=500).catch_up()
    queries = ReviewQueries(database)
    seen, before = [], None
    while True:  # newest first, every conversation once, through the cursor
        page = queries.search(Filters(), before=before, per_page=50)
        seen += [(c["ended"], c["conversation_id"]) for c in page["conversations"]]
        before = page["next"]
        if not before:
            break
    assert len(seen) == len(set(seen)) == 400 and seen == sorted(seen, reverse=True)
    refused = queries.search(Filters(outcome="refusee"), per_page=500)
    assert refused["total"] == len(refused["conversations"]) > 0
    assert all(c["refusal_reasons"] for c in refused["conversations"])
    handed = queries.search(Filters(intent="demander_agent", outcome="transferee"), per_page=500)["conversations"]
    assert handed and all("demander_agent" in c["intents"] for c in handed)
    # full text: accents ignored, words as prefixes, hostile syntax is only text
    found = queries.messages(MessageFilters(text="désactiver ÉCOLE"), per_page=500)["messages"]
    assert found and all("desactiver notre ancienne ecole" == m["text"] for m in found)
    assert queries.messages(MessageFilters(text="inactiv"), per_page=5)["messages"]
    for hostile in ['"', "*", "NEAR(a b", "a OR", "-x", "'; DROP TABLE review_messages; --", "\x01"]:
        assert queries.messages(MessageFilters(text=hostile))["total"] >= 0
    low = queries.messages(MessageFilters(below=0.5, intent="affirmer"), per_page=500)["messages"]
    assert low and all(m["confidence"] < 0.5 and m["intent"] == "affirmer" for m in low)
    week = queries.search(Filters(since=date.today() - timedelta(days=7)), per_page=500)["conversations"]
    assert all(c["ended"] >= (date.today() - timedelta(days=7)).isoformat() for c in week)


def test_counts_are_capped(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'claudia.db'}")
    generate(f"sqlite:///{tmp_path / 'tracker.db'}", database.url, COUNT_CAP + 50, days=5)
    ReviewIndexer(database, f"sqlite:///{tmp_path / 'tracker.db'}", batch=5000).catch_up()
    page = ReviewQueries(database).search(Filters())
    assert page["more_than"] and page["total"] == COUNT_CAP and len(page["conversations"]) == 20


def test_marks_statuses_and_corrections(stores):
    database, tracker, indexer = stores
    tracker.say("m", "ouais", "nier", 0.4)
    indexer.catch_up()
    store, queries = ReviewStore(database), ReviewQueries(database)
    store.mark("m", "relecteur", reviewed=True, tags=["à-revoir", "droits"])
    assert [c["conversation_id"] for c in queries.search(Filters(tag="droits"))["conversations"]] == ["m"]
    assert queries.search(Filters(reviewed=False))["conversations"] == []
    message = queries.messages(MessageFilters())["messages"][0]
    store.set_status([message["id"]], "corrige", "affirmer", "relecteur")
    assert store.record_correction("ouais", "affirmer", "relecteur") is None
    assert store.record_correction("ouais", "affirmer", "relecteur") == "affirmer"
    assert queries.messages(MessageFilters(corrected=True))["messages"][0]["final_intent"] == "affirmer"
    assert queries.messages(MessageFilters(corrected=False))["messages"] == []
    assert store.corrections_for(["ouais", "autre"]) == {"ouais": "affirmer"}


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+33 1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_export_neutralises_formulas(cell):
    """A conversation id, login or tag that a spreadsheet would run is exported as text."""
    row = {"conversation_id": cell, "login": cell, "tags": [cell], "intents": ["saluer"], "turns": 1}
    header, exported = list(csv.reader(io.StringIO("".join(csv_lines([row])))))
    cells = dict(zip(header, exported))
    for column in ("conversation_id", "login", "tags"):
        assert cells[column] == "'" + cell
    assert cells["intents"] == "saluer" and cells["turns"] == "1"


def test_a_row_that_cannot_be_indexed_is_skipped_counted_and_passed(stores, caplog):
    """Issue #26: one lone surrogate used to fail every pass. Now the pass indexes the rest,
    moves past the row for good, logs its id (not its text) and counts it for the dashboard."""
    database, tracker, indexer = stores
    tracker.say("a", "bonjour", "saluer", 0.9)
    tracker.say("a", "mal\ud800formé", "saluer", 0.9)  # the JSON escape Rasa stores
    tracker.say("a", "confiance bizarre", "saluer", [0.9])  # a field of the wrong type: nothing half-folded
    tracker.add("a", "action", name="utter_saluer", timestamp=1e300)  # a day no calendar has
    tracker.connection.execute("INSERT INTO events (sender_id, type_name, data) VALUES ('a', 'user', '{cassé')")
    tracker.connection.commit()  # the batch's last row unreadable: it was read again at every pass
    with caplog.at_level("WARNING", logger="claudia.review_index"):
        assert indexer.catch_up() == 5
        assert indexer.catch_up() == 0  # never read again
    tracker.say("a", "au revoir", "au_revoir", 0.9)
    assert indexer.catch_up() == 1
    queries = ReviewQueries(database)
    assert queries.summary("a")["turns"] == 2
    assert [m["text"] for m in queries.messages(MessageFilters())["messages"]] == ["au revoir", "bonjour"]
    assert ReviewStore(database).dashboard()["unindexed"] == 4
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 4 and all("non indexé" in w for w in warnings)
    assert not any("mal" in w or "bizarre" in w or "cassé" in w for w in warnings)


def owned(database, **logins):
    """Conversation owners, as the channel records them when a signed-in user starts a chat."""
    with database.write() as session:
        for sender, login in logins.items():
            session.add(Conversation(sender_id=sender, login=login))


def test_user_filter_takes_part_of_a_login_whatever_its_case_and_accents(stores, tmp_path):
    """Issue #24: « marie » found nothing, the exact login was needed."""
    database, tracker, indexer = stores
    owned(database, a="marie.dupont", b="Hélène.Martin", c="jean-marie.roux", d="paul_martin", e="luc.bernard")
    for sender in "abcdef":  # f: not signed in
        tracker.say(sender, "bonjour", "saluer")
    indexer.catch_up()
    queries = ReviewQueries(database)

    def users(term):
        return {c["conversation_id"] for c in queries.search(Filters.from_query({"user": term}))["conversations"]}

    assert users("marie") == users("MARIE") == users(" Marie ") == {"a", "c"}
    assert users("helene") == users("HÉLÈNE") == users("lène.mart") == {"b"}
    assert users("martin") == {"b", "d"}
    assert users("marie.dupont") == {"a"}
    assert users("%") == set() and users("_") == users("_martin") == {"d"}  # LIKE's wildcards: plain characters
    assert users("inconnu") == set() and len(users("")) == 6
    # conversations indexed before the logins' table existed are found too (read once at start-up)
    with database.write() as session:
        session.execute(delete(ReviewLogin))
    assert users("marie") == set()
    ReviewIndexer(database, f"sqlite:///{tmp_path / 'tracker.db'}")
    assert users("marie") == {"a", "c"}


def comment_turn(tracker, sender, text, intent="nlu_fallback", confidence=0.2):
    """The evaluation's comment step as Rasa stores it: the user's text, then the form copying it."""
    tracker.add(sender, "slot", name="requested_slot", value="commentaire")
    tracker.act(sender, "action_listen")
    tracker.say(sender, text, intent, confidence)
    tracker.act(sender, "formulaire_evaluation")
    tracker.add(sender, "slot", name="commentaire", value=text.strip()[:1000])
    tracker.add(sender, "slot", name="requested_slot", value="envoi_commentaire")


def test_evaluation_comments_stay_out_of_the_intent_inbox(stores):
    """Issue #24: the 👎 comment showed in the intent inbox as « à revoir »; it is no request."""
    database, tracker, indexer = stores
    tracker.say("avis", "activer ma structure", "activer_structure", 0.95)
    tracker.say("avis", "bof", "evaluer_negatif", 0.9)
    tracker.say("avis", "/choisir_motif{\"motif\": \"autre\"}", "choisir_motif", 1.0)
    comment_turn(tracker, "avis", "  trop long, je voulais juste inactiver  ")
    tracker.say("avis", "/affirmer", "affirmer", 1.0)
    tracker.say("avis", "merci", "remercier", 0.8)
    indexer.catch_up()
    queries = ReviewQueries(database)
    inbox = [m["text"] for m in queries.messages(MessageFilters(), per_page=50)["messages"]]
    assert inbox == ["merci", "bof", "activer ma structure"]
    assert queries.messages(MessageFilters(corrected=False))["total"] == 3
    assert queries.messages(MessageFilters(text="inactiver"))["total"] == 0
    summary = queries.summary("avis")  # nor does its guess count for the conversation
    assert summary["min_confidence"] == 0.8 and not summary["fallback"] and "nlu_fallback" not in summary["intents"]
    assert summary["procedure"] == "activer" and summary["turns"] == 6
    kept = [m for m in queries.messages_of("avis").values() if m["status"] == "commentaire"]
    assert [m["text"] for m in kept] == ["  trop long, je voulais juste inactiver  "]  # kept for its page
    lowest = ReviewStore(database).dashboard()["lowest_confidence_intents"]
    assert "nlu_fallback" not in [i["intent"] for i in lowest]


def test_a_comment_read_in_an_earlier_pass_leaves_the_inbox_too(stores):
    database, tracker, indexer = stores
    tracker.say("tard", "bof", "evaluer_negatif", 0.9)
    tracker.say("tard", "la page était illisible", "hors_perimetre", 0.3)
    indexer.catch_up()  # the pass ends between the message and the form's copy of it
    queries = ReviewQueries(database)
    assert queries.messages(MessageFilters())["total"] == 2
    tracker.act("tard", "formulaire_evaluation")
    tracker.add("tard", "slot", name="commentaire", value="la page était illisible")
    tracker.add("tard", "slot", name="commentaire", value="autre chose")  # matching no message: nothing
    indexer.catch_up()
    assert [m["text"] for m in queries.messages(MessageFilters())["messages"]] == ["bof"]
    lowest = ReviewStore(database).dashboard()["lowest_confidence_intents"]
    assert [(i["intent"], i["count"]) for i in lowest] == [("evaluer_negatif", 1)]


def test_reviewers_label_conversations_and_filter_on_their_labels(stores):
    database, tracker, indexer = stores
    for sender in ("un", "deux", "trois"):
        tracker.say(sender, "bonjour", "saluer")
    indexer.catch_up()
    tags, queries = ReviewTags(database), ReviewQueries(database)

    def tagged(tag):
        return [c["conversation_id"] for c in queries.search(Filters(tag=tag))["conversations"]]

    assert tags.add("un", "  à   rejouer ", "relecteur.leroy") == "à rejouer"
    assert tags.add("deux", "À REJOUER", "relecteur.martin") == "à rejouer"  # one label, not two spellings
    assert tags.add("deux", "droits", "relecteur.martin") == "droits"
    assert tags.add("deux", "droits", "relecteur.martin") == "droits"  # twice: once
    assert tagged("à rejouer") == ["deux", "un"] and tagged("droits") == ["deux"]
    assert tags.known() == ["à rejouer", "droits"]
    assert [(t["tag"], t["by"]) for t in tags.of("deux")] == [("à rejouer", "relecteur.martin"),
                                                              ("droits", "relecteur.martin")]
    assert queries.summary("deux")["tags"] == ["à rejouer", "droits"]
    assert tags.remove("un", "à rejouer") and not tags.remove("un", "à rejouer")
    assert tagged("à rejouer") == ["deux"] and queries.summary("un")["tags"] == []
    for bad in ("", "   ", "x" * 41, "a\x00b", "a\u202eb", "a\x07b", None, 42):
        with pytest.raises(BadParameter):
            tags.add("trois", bad, "relecteur.leroy")
    for n in range(MAX_TAGS_PER_CONVERSATION):
        tags.add("trois", f"t{n}", "relecteur.leroy")
    with pytest.raises(BadParameter, match="au plus"):
        tags.add("trois", "une de trop", "relecteur.leroy")
    # the reviewed mark no longer touches the labels
    ReviewStore(database).mark("deux", "relecteur.leroy", reviewed=True)
    assert tagged("droits") == ["deux"] and queries.summary("deux")["reviewed"]


def test_labels_written_before_their_table_come_over_once(stores):
    database, tracker, indexer = stores
    tracker.say("ancien", "bonjour", "saluer")
    indexer.catch_up()
    with database.write() as session:  # as the marks form used to keep them: a JSON list
        session.add(ReviewMark(conversation_id="ancien", reviewed=1, tags='["vieux", "x\\u0000y"]'))
    tags = ReviewTags(database)
    assert [t["tag"] for t in tags.of("ancien")] == ["vieux"]
    assert [c["conversation_id"] for c in ReviewQueries(database).search(Filters(tag="vieux"))["conversations"]] \
        == ["ancien"]
    tags.remove("ancien", "vieux")
    ReviewTags(database)  # not copied again
    with database.read() as session:
        assert session.get(ReviewMark, "ancien").tags == "[]" and session.get(ReviewMark, "ancien").reviewed == 1
    assert tags.of("ancien") == []
