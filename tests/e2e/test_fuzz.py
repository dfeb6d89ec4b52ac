"""A seeded fuzz run through the authenticated channel: no 5xx, no state change,
the servers stay healthy. FUZZ_COUNT sets the number of requests (300 in
`make test`, 1,500 in `make fuzz`); FUZZ_SEED the seed."""
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.stack import Chat
from tests.fuzz import requests_for

COUNT = int(os.environ.get("FUZZ_COUNT", "300"))
SEED = int(os.environ.get("FUZZ_SEED", "20261128"))


def registry_state(stack):
    connection = sqlite3.connect(stack.env["CLAUDIA_DB_URL"].replace("sqlite:///", ""))
    try:
        structures = connection.execute("SELECT siret, status, successor_siret FROM structures ORDER BY siret").fetchall()
        done = connection.execute("SELECT COUNT(*) FROM journal WHERE outcome = 'effectuee'").fetchone()[0]
        return structures, done
    finally:
        connection.close()


def test_fuzz_the_connected_channel(stack):
    before = registry_state(stack)
    tokens = {"anonyme": None, "marie": stack.token("marie.dupont"), "luc": stack.token("luc.bernard"),
              "faux": "e30.e30.e30"}
    statuses = []

    def send(item):
        headers, body, label = item
        try:
            response = requests.post(stack.webhook, data=body, headers=headers, timeout=60)
        except requests.RequestException as error:  # a dropped connection is a failure too
            return label, 599, str(error)
        return label, response.status_code, response.text[:200]

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(send, requests_for(SEED, COUNT, tokens)))
    server_errors = [s for s in statuses if s[1] >= 500]
    assert not server_errors, server_errors[:5]
    assert len(statuses) == COUNT
    assert registry_state(stack) == before  # nothing changed
    # still healthy and still correct
    assert requests.get(stack.webhook.rsplit("/", 1)[0] + "/", timeout=10).status_code == 200
    user = Chat(stack, f"apres-fuzz-{SEED}", "marie.dupont")
    user.say("activer une structure publique")
    assert "SIRET de la structure à activer" in user.text


def test_fuzz_the_review_correction_and_story_steps(stack, tmp_path):
    """Hostile messages said for real, then corrected in bulk and saved as a story through the review
    pages: every file stays readable by Rasa, adds no entity nor synonym, and no page fails."""
    import re
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    from tests.e2e.stack import ROOT, Operator, wait_for
    from tests.fuzz import review_texts

    count = max(30, COUNT // 10)
    sender = f"fuzz-revue-{SEED}"
    chat = Chat(stack, sender, "marie.dupont")
    for text in review_texts(SEED, count):
        chat.say(text)
        assert chat.status < 500, text
    claire = Operator(stack, "relecteur.leroy", password="revue-demo-2026")
    page = wait_for(lambda: (lambda t: t if t.count('name="ids"') >= 5 else None)(
        claire.http.get(f"{stack.console}/revue/conversations/{sender}", timeout=60).text), timeout=60)
    ids = re.findall(r'name="ids" value="(\d+)"', page)
    for intent in ("hors_perimetre", "affirmer"):  # a bulk correction, then moving them all
        response = claire.http.post(f"{stack.console}/revue/messages/revue", timeout=120, data={
            "csrf": claire.csrf, "ids": ids, "do": "corriger", "intent": intent,
            "back": f"/console/revue/conversations/{sender}"})
        assert response.status_code == 200 and 'role="status"' in response.text
    for path in (f"/revue/messages?q={chat.sender}", "/revue/messages?corrected=1", f"/revue/conversations/{sender}",
                 "/revue/export.csv", "/revue/tableau"):
        assert claire.http.get(f"{stack.console}{path}", timeout=120).status_code == 200, path
    story = claire.http.get(f"{stack.console}/revue/conversations/{sender}/histoire", timeout=120)
    fields = dict(re.findall(r'name="(action-\d+|intent-\d+)"[^>]*>(?:(?!</select>).)*?value="([^"]+)" selected',
                             story.text, re.S))
    # Rasa's core fallback cannot be replayed by a test story: the editor asks for the right action
    fields = {k: "action_message_incompris" if v == "action_default_fallback" else v for k, v in fields.items()}
    saved = claire.http.post(f"{stack.console}/revue/conversations/{sender}/histoire", timeout=120,
                             data={"csrf": claire.csrf, "name": "fuzz \x01 [x](terme) = histoire", **fields})
    assert saved.status_code == 200 and "enregistrée comme test" in saved.text

    corrections = RasaYAMLReader().read(stack.env["CLAUDIA_CORRECTIONS_FILE"])
    assert corrections.entity_synonyms == {} and not any(m.get("entities") for m in corrections.intent_examples)
    assert all(ord(c) >= 32 for m in corrections.intent_examples for c in m.get("text"))
    steps = YAMLStoryReader(Domain.load(str(ROOT / "domain.yml"))).read_from_file(
        stack.env["CLAUDIA_REVIEW_STORIES_FILE"])
    assert any(s.block_name == "fuzz (x)(terme) = histoire" for s in steps)
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    shutil.copy(stack.env["CLAUDIA_CORRECTIONS_FILE"], data / "nlu" / "corrections.yml")
    validate = subprocess.run([str(Path(sys.executable).parent / "rasa"), "data", "validate", "--domain",
                               str(ROOT / "domain.yml"), "--data", str(data), "--config", str(ROOT / "config.yml"),
                               "--fail-on-warnings"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert validate.returncode == 0, validate.stdout[-2000:] + validate.stderr[-2000:]
