"""The model loop in Chromium (issue #24): a reviewer corrects messages, trains a candidate (the
progress bar moves), reads the comparison with the changed predictions, activates it, and the
chat answers with the new model in every Rasa worker while a conversation in progress goes on;
then rolls back. The data repository's history shows each step with the reviewer as author.
axe-core finds no violation on the models pages.

The stack here is this module's own (candidates, the active model file and the training's
work in its temporary directory, never the project's models/), with Rasa's two workers.
Training on the project's real data takes about a minute on two cores (Rasa's cache helps).
"""
import re
import shutil
import subprocess
import time
import uuid

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.browser_kit import open_chat, shot, sign_in, type_message
from tests.e2e.stack import MODEL, Chat, Stack, wait_for

playwright_api = pytest.importorskip("playwright.sync_api")
REVIEWER = "relecteur.leroy"
# Not a French word: the model in place reads it as off-topic, three corrections teach it.
WORD = "zorglub krampouz"
PREREQUISITES = "gestionnaire de niveau structure"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Overrides the session's stack for this module: its models live in its own directory."""
    work = tmp_path_factory.mktemp("modeles")
    models = work / "models"
    models.mkdir()
    shutil.copyfile(MODEL, models / "claudia.tar.gz")
    running = Stack(work, extra_env={
        "CLAUDIA_MODELS_DIR": str(models), "CLAUDIA_ACTIVE_MODEL": str(models / "claudia.tar.gz"),
        "CLAUDIA_MODEL_WORK_DIR": str(work / "entrainements"), "CLAUDIA_MODEL_POLL_SECONDS": "1",
        "CLAUDIA_RASA_WORKERS": "2"}).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    from tests.e2e.browser_kit import CHROMIUM

    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser, stack):
    context = browser.new_context(base_url=f"http://127.0.0.1:{stack.console_port}", locale="fr-FR",
                                  viewport={"width": 1200, "height": 900}, bypass_csp=False)
    opened = context.new_page()
    opened.set_default_timeout(30000)
    opened.goto("/console/login")
    opened.fill("input[name=login]", REVIEWER)
    opened.fill("input[name=password]", "revue-demo-2026")
    opened.press("input[name=password]", "Enter")
    opened.wait_for_url(re.compile(r"/console/revue/$"))
    yield opened
    context.close()


def workers_on(page, model_id: int) -> bool:
    page.goto("/console/revue/modeles")
    text = page.inner_text("#processus")
    found = re.search(r"en service : (\d+) ; sur le modèle actif : (\d+)", text)
    active = page.inner_text("#actif")
    return bool(found and int(found.group(1)) >= 2 and found.group(1) == found.group(2)
                and f"Modèle n° {model_id} " in active)


def answer(stack, text: str) -> str:
    chat = Chat(stack, f"modele-{uuid.uuid4().hex[:8]}", "marie.dupont")
    chat.say(text)
    return chat.text


def test_correct_train_compare_activate_and_roll_back(browser, page, stack):
    # users write what the model in place does not understand
    before = answer(stack, WORD)
    assert PREREQUISITES not in before
    Chat(stack, f"zorglub-{uuid.uuid4().hex[:6]}", "marie.dupont").say(WORD)
    for text in (f"le {WORD} svp", f"{WORD} c'est quoi"):
        Chat(stack, f"zorglub-{uuid.uuid4().hex[:6]}", "marie.dupont").say(text)

    # the reviewer corrects them into « demander_prerequis »
    def listed():
        page.goto("/console/revue/messages?q=zorglub")
        return page.locator("#messages tbody tr").count() >= 3
    wait_for(listed, timeout=30)
    for box in page.locator("#messages tbody tr input[name=ids]").all():
        box.check()
    page.select_option("#f-bulk-intent", "demander_prerequis")
    page.click("text=Corriger la sélection")
    page.wait_for_selector("[role=status]")
    assert "ajouté" in page.inner_text("[role=status]")

    # trains a candidate: the progress bar moves until the page shows it ready
    page.goto("/console/revue/modeles")
    assert_accessible(page, "modèles, avant l'entraînement")
    initial = int(re.search(r"Modèle n° (\d+)", page.inner_text("#actif")).group(1))
    started = time.monotonic()
    page.click("button:has-text('Entraîner un modèle candidat')")
    page.wait_for_selector("#progression")
    assert_accessible(page, "modèles, pendant l'entraînement")
    shot(page, "20-modeles-entrainement")
    seen, stages = set(), set()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            seen.add(int(page.eval_on_selector("#progression", "e => e.value")))
            stages.add(page.inner_text("#etape"))
        except playwright_api.Error:  # the page reloads when the training is over
            pass
        if page.locator("#progression").count() == 0 and page.locator("#modeles").count():
            break
        time.sleep(0.3)
    took = time.monotonic() - started
    print(f"\ntraining, measures and story tests: {took:.0f} s; progress values seen: {sorted(seen)}")
    assert len([v for v in seen if 0 < v < 100]) >= 3, seen  # it moved
    assert {"Validation des données", "Histoires de test"} <= stages and len(stages) >= 4, stages
    row = page.locator("#modeles tbody tr").first
    assert "prêt" in row.inner_text(), row.inner_text()
    assert REVIEWER in row.inner_text()
    candidate = int(row.get_attribute("id").split("-")[1])
    assert candidate != initial

    # the comparison: the messages whose intent changes, the reviewer's correction shown
    row.locator("a", has_text="Comparer").click()
    page.wait_for_selector("#changes")
    changed = page.inner_text("#changes")
    assert WORD in changed and "demander_prerequis" in changed and "corrigé par un relecteur" in changed
    assert "Toutes les histoires passent" in page.inner_text("#histoires")
    assert page.locator("#par-intention tbody tr").count() >= 20
    assert_accessible(page, "comparaison du candidat")
    shot(page, "21-modele-comparaison")

    # a conversation in progress before the activation
    ongoing = Chat(stack, f"en-cours-{uuid.uuid4().hex[:6]}", "marie.dupont")
    ongoing.say("je veux activer ma structure publique")
    assert "SIRET" in ongoing.text

    # activates it: every worker switches, the chat answers with the new model
    page.fill("#raison", "Corrections de la revue sur des messages incompris.")
    page.click("button:has-text('Activer ce modèle')")
    page.wait_for_selector("[role=status]")
    assert "activé" in page.inner_text("[role=status]")
    switch_started = time.monotonic()
    wait_for(lambda: workers_on(page, candidate), timeout=90)
    print(f"all workers on the candidate {time.monotonic() - switch_started:.1f} s after the activation")
    assert_accessible(page, "modèles, après l'activation")
    for _ in range(4):  # several new conversations: both workers answer them
        assert PREREQUISITES in answer(stack, WORD)
    # and in the portal's chat panel, as a manager sees it
    user = browser.new_context(base_url=f"http://127.0.0.1:{stack.console_port}", locale="fr-FR")
    chat_page = user.new_page()
    chat_page.set_default_timeout(30000)
    sign_in(chat_page, "marie.dupont")
    open_chat(chat_page)
    type_message(chat_page, WORD)
    chat_page.wait_for_selector(f".message.assistant >> text={PREREQUISITES}")
    user.close()
    ongoing.say("219 300 019 00011")
    assert "Mairie de Valmont" in ongoing.text  # the conversation went on where it was

    # rolls back with one click
    page.goto("/console/revue/modeles")
    page.click(f"button:has-text('Revenir au modèle précédent (n° {initial}')")
    page.wait_for_selector("[role=status]")
    wait_for(lambda: workers_on(page, initial), timeout=90)
    for _ in range(4):
        assert PREREQUISITES not in answer(stack, WORD)
    activations = page.inner_text("#activations")
    assert activations.count(REVIEWER) == 2

    # the data repository's history: the correction and both activations, by the reviewer
    log = subprocess.run(["git", "-C", str(stack.workdir / "data-repo"), "log", "--format=%ae|%s"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    by_reviewer = [line for line in log if line.startswith(REVIEWER + "@")]
    assert len([line for line in by_reviewer if "Activation du modèle" in line]) == 2, log
    assert len(by_reviewer) >= 3, log
