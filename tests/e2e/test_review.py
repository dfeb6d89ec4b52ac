"""Conversation review on a real SQL tracker store filled by real conversations."""
import asyncio
import os
import csv
import io
import re
import shutil
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from claudia.db import Database
from claudia.review_queries import Filters, MessageFilters
from claudia.review_store import csv_lines
from tests.conftest import MAIRIE
from tests.e2e.stack import MODEL, ROOT, Chat, Operator, wait_for
from web.review import Review
from web.review_training import intents_of

import yaml

INTENTS = intents_of(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8")))
MARKUP = '[publique]{"entity": "type_structure", "value": "privee"} merci'


@pytest.fixture(scope="module")
def conversations(stack):
    """Real conversations run through the servers: one per outcome, a misunderstood one, a hostile one."""
    ids = {}

    def new(kind, login="marie.dupont"):
        ids[kind] = f"revue-{kind}-{uuid.uuid4().hex[:6]}"
        return Chat(stack, ids[kind], login)

    done = new("effectuee")
    done.say(f"activer la structure publique {MAIRIE}")
    done.click("Oui")
    done.click("Confirmer")
    done.click("👎")
    done.click("Autre")
    done.click("Annuler")
    refused = new("refusee", "luc.bernard")
    refused.say(f"activer la structure publique {MAIRIE}")
    abandoned = new("abandonnee")
    abandoned.say("inactiver une structure publique")
    abandoned.say("laisse tomber")
    handed = new("transferee")
    handed.say("je veux parler à un conseiller")
    nothing = new("sans_procedure")
    nothing.say("bonjour")
    nothing.say("oui")  # no rule for a bare "oui": the fallback answers
    lost = new("incompris")
    lost.say("kikou")  # not understood: « action_message_incompris »
    hostile = new("hostile")
    hostile.say("ouais\x01 c'est bon")
    hostile.say(MARKUP)
    return ids


@pytest.fixture
def review(stack, tmp_path, conversations):
    made = Review(Database(stack.env["CLAUDIA_DB_URL"]), stack.env["CLAUDIA_TRACKER_DB_URL"], threshold=0.7,
                  corrections_file=tmp_path / "corrections.yml", stories_file=tmp_path / "test_revues.yml")
    made.indexer.catch_up()
    return made


def ids_of(review, **filters):
    return {c["conversation_id"] for c in review.queries.iterate(Filters(**filters))}


def test_outcomes_are_classified(review, conversations):
    for outcome, cid in conversations.items():
        if outcome in ("incompris", "hostile"):
            continue
        assert review.queries.summary(cid)["outcome"] == outcome, cid
    assert review.queries.summary(conversations["effectuee"])["procedure"] == "activer"
    refused = review.queries.summary(conversations["refusee"])
    assert refused["refusal_reasons"] == ["droits_insuffisants"] and refused["login"] == "luc.bernard"


def test_filters(review, conversations):
    mine = set(conversations.values())
    assert ids_of(review, outcome="refusee") & mine == {conversations["refusee"]}
    assert ids_of(review, user="luc.bernard") & mine == {conversations["refusee"]}
    assert ids_of(review, thumbs_down=True) & mine == {conversations["effectuee"]}
    assert conversations["sans_procedure"] in ids_of(review, low_confidence=True)
    assert ids_of(review, intent="demander_agent") & mine == {conversations["transferee"]}
    assert conversations["abandonnee"] in ids_of(review, action="action_annuler_procedure")
    assert ids_of(review, procedure="inactiver") & mine == {conversations["abandonnee"]}
    assert mine <= ids_of(review, since=date.today(), until=date.today())
    assert not mine & ids_of(review, until=date.today() - timedelta(days=1))
    review.mark(conversations["refusee"], "relecteur.leroy", reviewed=True, tags=["droits", "à-revoir"])
    assert ids_of(review, reviewed=True) & mine == {conversations["refusee"]}
    assert ids_of(review, tag="droits") & mine == {conversations["refusee"]}
    assert conversations["refusee"] not in ids_of(review, reviewed=False)


def test_newest_first_and_paginated(review, conversations):
    first = review.search(Filters(), per_page=2)
    second = review.search(Filters(), before=first["next"], per_page=2)
    assert len(first["conversations"]) == 2 and first["total"] >= 7
    ends = [c["ended"] for c in first["conversations"] + second["conversations"]]
    assert ends == sorted(ends, reverse=True)


def test_conversation_view(review, conversations):
    detail = review.detail(conversations["effectuee"])
    user_steps = [s for s in detail["steps"] if s["kind"] == "user"]
    assert user_steps[0]["intent"] == "activer_structure" and 0 < user_steps[0]["confidence"] <= 1
    assert user_steps[0]["message"]["id"] == user_steps[0]["index"]  # the indexed message, for its state
    assert any(s["kind"] == "action" and s["name"] == "action_terminer_procedure" for s in detail["steps"])
    assert any(s["kind"] == "slot" and s["name"] == "siret" and MAIRIE in s["value"] for s in detail["steps"])
    assert detail["journal"][0]["outcome"] == "effectuee"
    assert detail["feedback"][0]["vote"] == "negatif"


def test_exports(review, conversations):
    rows = list(csv.DictReader(io.StringIO("".join(csv_lines(review.queries.iterate(Filters(outcome="refusee")))))))
    exported = {r["conversation_id"] for r in rows}
    assert conversations["refusee"] in exported and conversations["effectuee"] not in exported


def test_dashboard(review, conversations):
    board = review.dashboard()
    assert board["total"] >= 7
    assert board["conversations_per_day"][-1][0] == date.today().isoformat()
    assert 0 < board["completion_rate"]["activer"] <= 1
    assert dict(board["refusals_by_reason"])["droits_insuffisants"] >= 1
    assert board["votes"]["negatif"] >= 1 and 0 < board["handoff_rate"] < 1
    assert board["lowest_confidence_intents"]


def test_corrections_and_story_with_corrected_actions_pass_rasa(review, conversations, tmp_path):
    """Hostile texts, a bulk correction, a misunderstood message whose story expects the right action."""
    hostile = review.queries.messages_of(conversations["hostile"])
    review.review_messages(list(hostile), "relecteur.leroy", INTENTS, intent="affirmer")
    lost = list(review.queries.messages_of(conversations["incompris"]).values())[0]
    outcome = review.review_messages([lost["id"]], "relecteur.leroy", INTENTS, intent="saluer")
    assert outcome.added == [("kikou", "saluer")]
    again = review.review_messages([lost["id"]], "relecteur.leroy", INTENTS, intent="saluer")
    assert not again.added and again.already
    parsed = RasaYAMLReader().read(str(review.training.corrections_file))
    assert parsed.entity_synonyms == {} and not any(m.get("entities") for m in parsed.intent_examples)
    assert sorted(m.get("text") for m in parsed.intent_examples) == sorted(
        ["ouais c'est bon", MARKUP.replace("[", "(").replace("]", ")"), "kikou"])
    assert review.queries.messages(MessageFilters(corrected=True), per_page=100)["total"] >= 3

    steps = asyncio.run(review.story_steps(conversations["incompris"]))
    user = next(s for s in steps if s["kind"] == "user")
    wrong = next(s for s in steps if s["kind"] == "action" and s["name"] == "action_message_incompris")
    asyncio.run(review.save_story(conversations["incompris"], "salutation incomprise",
                                  actions={wrong["index"]: "utter_saluer"}, intents={user["index"]: "saluer"}))
    asyncio.run(review.save_story(conversations["refusee"], "refus de droits relu"))
    hostile_steps = asyncio.run(review.story_steps(conversations["hostile"]))
    assert any(s.get("name") == "action_default_fallback" for s in hostile_steps)
    # Every answer to a misunderstood message becomes the right one: Rasa's core fallback and
    # ClaudIA's own « je n'ai pas compris » (the markup message, below the NLU threshold).
    fallbacks = {s["index"]: "utter_saluer" for s in hostile_steps
                 if s.get("name") in ("action_default_fallback", "action_message_incompris")}
    assert fallbacks  # « ouais c'est bon » out of context: Rasa's core fallback, which a story cannot replay
    with pytest.raises(ValueError, match="ne peut pas être rejouée"):
        asyncio.run(review.save_story(conversations["hostile"], "message piégé"))
    asyncio.run(review.save_story(conversations["hostile"], "message piégé", actions=fallbacks,
                                  intents={s["index"]: "saluer" for s in hostile_steps if s["kind"] == "user"}))
    story_text = review.stories.stories_file.read_text(encoding="utf-8")
    assert story_text.count("- story:") == 3 and "salutation incomprise" in story_text
    assert "action_message_incompris" not in story_text.split("salutation incomprise", 1)[1].split("- story:", 1)[0]

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    shutil.copy(review.training.corrections_file, data / "nlu" / "corrections.yml")
    rasa = str(Path(sys.executable).parent / "rasa")
    validate = subprocess.run([rasa, "data", "validate", "--domain", str(ROOT / "domain.yml"), "--data", str(data),
                               "--config", str(ROOT / "config.yml"), "--fail-on-warnings"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert validate.returncode == 0, validate.stdout[-2000:] + validate.stderr[-2000:]
    # the model names the project's own intent classifier (components/): Rasa finds it on the path
    tested = subprocess.run([rasa, "test", "core", "--model", str(MODEL), "--stories",
                             str(review.stories.stories_file), "--fail-on-prediction-errors",
                             "--out", str(tmp_path / "results")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    failed = tmp_path / "results" / "failed_test_stories.yml"
    assert tested.returncode == 0, (failed.read_text(encoding="utf-8") if failed.exists() else "") + tested.stderr[-1500:]


def test_the_web_front_indexes_new_conversations_by_itself(stack):
    claire = Operator(stack, "relecteur.leroy", password="revue-demo-2026")
    sender = f"revue-direct-{uuid.uuid4().hex[:6]}"
    Chat(stack, sender, "marie.dupont").say("quels sont les prérequis ?")
    page = wait_for(lambda: (lambda t: t if sender in t else None)(
        claire.http.get(f"{stack.console}/revue/messages", params={"q": "prérequis"}, timeout=30).text), timeout=20)
    assert "prérequis" in page


def test_review_pages_are_for_reviewers(stack, conversations):
    claire = Operator(stack, "relecteur.leroy", password="revue-demo-2026")
    assert claire.signed_in
    inbox = claire.http.get(f"{stack.console}/revue/", params={"outcome": "refusee"}, timeout=30)
    assert inbox.status_code == 200 and conversations["refusee"] in inbox.text
    assert conversations["effectuee"] not in inbox.text
    assert claire.http.get(f"{stack.console}/api/chats", timeout=10).status_code == 403
    sophie = Operator(stack, "agent.durand")
    for path in ("/revue/", "/revue/messages", f"/revue/conversations/{conversations['refusee']}/histoire"):
        assert sophie.http.get(f"{stack.console}{path}", timeout=10).status_code == 403
    anonymous = requests.get(f"{stack.console}/revue/messages", timeout=10, allow_redirects=False)
    assert anonymous.status_code == 302
    no_csrf = claire.http.post(f"{stack.console}/revue/conversations/{conversations['refusee']}/marques",
                               data={"reviewed": "1"}, timeout=10, allow_redirects=False)
    assert no_csrf.status_code == 403
    story = claire.http.get(f"{stack.console}/revue/conversations/{conversations['refusee']}/histoire", timeout=60)
    assert story.status_code == 200 and re.search(r'name="action-\d+"', story.text)
