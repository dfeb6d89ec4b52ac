"""Conversation review on a real SQL tracker store filled by real conversations."""
import asyncio
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from datetime import date, timedelta

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from claudia.db import Database
from web.review import Filters, Review
from tests.conftest import MAIRIE
from tests.e2e.stack import MODEL, ROOT, Chat, Operator


@pytest.fixture(scope="module")
def conversations(stack):
    """Five real conversations, one per outcome, run through the servers."""
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
    return ids


@pytest.fixture
def review(stack, tmp_path):
    return Review(Database(stack.env["CLAUDIA_DB_URL"]), stack.env["CLAUDIA_TRACKER_DB_URL"],
                  threshold=0.7, corrections_file=tmp_path / "corrections.yml",
                  stories_file=tmp_path / "test_revues.yml")


def ids_of(review, **filters):
    return {c["conversation_id"] for c in review.search(Filters(**filters), per_page=1000)["conversations"]}


def test_outcomes_are_classified(review, conversations):
    summaries = {s.conversation_id: s for s in review.summaries()}
    for outcome, cid in conversations.items():
        assert summaries[cid].outcome == outcome, cid
    assert summaries[conversations["effectuee"]].procedure == "activer"
    assert summaries[conversations["refusee"]].refusal_reasons == ["droits_insuffisants"]
    assert summaries[conversations["refusee"]].login == "luc.bernard"


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
    first = review.search(Filters(), page=1, per_page=2)
    second = review.search(Filters(), page=2, per_page=2)
    assert len(first["conversations"]) == 2 and first["total"] >= 5
    ends = [c["ended"] for c in first["conversations"] + second["conversations"]]
    assert ends == sorted(ends, reverse=True)


def test_conversation_view(review, conversations):
    detail = review.detail(conversations["effectuee"])
    user_steps = [s for s in detail["steps"] if s["kind"] == "user"]
    assert user_steps[0]["intent"] == "activer_structure" and 0 < user_steps[0]["confidence"] <= 1
    assert any(s["kind"] == "action" and s["name"] == "action_terminer_procedure" for s in detail["steps"])
    assert any(s["kind"] == "slot" and s["name"] == "siret" and s["value"] == MAIRIE for s in detail["steps"])
    assert detail["journal"][0]["outcome"] == "effectuee"
    assert detail["feedback"][0]["vote"] == "negatif"


def test_exports(review, conversations):
    csv_text = review.export_csv(Filters(outcome="refusee"))
    assert csv_text.splitlines()[0].startswith("conversation_id,login")
    assert conversations["refusee"] in csv_text and conversations["effectuee"] not in csv_text


def test_dashboard(review, conversations):
    board = review.dashboard()
    assert board["total"] >= 5
    assert board["conversations_per_day"][-1][0] == date.today().isoformat()
    assert 0 < board["completion_rate"]["activer"] <= 1
    assert dict(board["refusals_by_reason"])["droits_insuffisants"] >= 1
    assert board["votes"]["negatif"] >= 1 and 0 < board["handoff_rate"] < 1
    assert board["lowest_confidence_intents"]


def test_correction_and_saved_story_are_accepted_by_rasa(review, conversations, tmp_path):
    intents = ["affirmer", "nier", "demander_agent", "hors_perimetre"]
    review.add_correction("ouais c'est bon pour moi", "affirmer", intents)
    review.add_correction("ouais c'est bon pour moi", "affirmer", intents)  # no duplicate
    review.add_correction("un humain svp", "demander_agent", intents)
    with pytest.raises(ValueError):
        review.add_correction("x", "intention_inventee", intents)
    parsed = RasaYAMLReader().read(str(review.corrections_file))
    assert sorted((m.get("intent"), m.get("text")) for m in parsed.intent_examples) == [
        ("affirmer", "ouais c'est bon pour moi"), ("demander_agent", "un humain svp")]

    asyncio.run(review.save_story(conversations["refusee"], "refus de droits relu"))
    asyncio.run(review.save_story(conversations["transferee"], "transfert relu"))
    story_text = review.stories_file.read_text(encoding="utf-8")
    assert story_text.count("- story:") == 2 and "refus de droits relu" in story_text

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    shutil.copy(review.corrections_file, data / "nlu" / "corrections.yml")
    rasa = str(Path(sys.executable).parent / "rasa")
    validate = subprocess.run([rasa, "data", "validate", "--domain", str(ROOT / "domain.yml"), "--data", str(data),
                               "--config", str(ROOT / "config.yml"), "--fail-on-warnings"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert validate.returncode == 0, validate.stdout[-2000:] + validate.stderr[-2000:]
    tested = subprocess.run([rasa, "test", "core", "--model", str(MODEL), "--stories", str(review.stories_file),
                             "--fail-on-prediction-errors", "--out", str(tmp_path / "results")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert tested.returncode == 0, tested.stdout[-2000:] + tested.stderr[-2000:]


def test_review_pages_are_for_reviewers(stack, conversations):
    claire = Operator(stack, "relecteur.leroy", password="revue-demo-2026")
    assert claire.signed_in
    inbox = claire.http.get(f"{stack.console}/revue/", params={"outcome": "refusee"}, timeout=30)
    assert inbox.status_code == 200 and conversations["refusee"] in inbox.text
    assert conversations["effectuee"] not in inbox.text
    assert claire.http.get(f"{stack.console}/api/chats", timeout=10).status_code == 403
    sophie = Operator(stack, "agent.durand")
    assert sophie.http.get(f"{stack.console}/revue/", timeout=10).status_code == 403
    import requests
    anonymous = requests.get(f"{stack.console}/revue/", timeout=10, allow_redirects=False)
    assert anonymous.status_code == 302
    no_csrf = claire.http.post(f"{stack.console}/revue/conversations/{conversations['refusee']}/marques",
                               data={"reviewed": "1"}, timeout=10, allow_redirects=False)
    assert no_csrf.status_code == 403

