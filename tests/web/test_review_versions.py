"""Review actions on the real web front (aiohttp on loopback) become commits of a real git data
repository, with the reviewer as author; pushed to a local bare remote; the history page shows them."""
import asyncio
import re
from html import unescape
import subprocess
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from claudia import services
from claudia.accounts import Accounts
from claudia.data_versions import DataVersions
from tests.core.test_review_index import Tracker
from tests.web.test_review_pages import sign_in, story_of
from web.console import create_app
from web.review import Review
from web.review_pages import add_review

ROOT = Path(__file__).resolve().parents[2]


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def site(env):
    tracker = Tracker(env / "tracker.db")
    Accounts(services.handoffs().db).upsert("relecteur.leroy", "Rita <b>Leroy</b>\nX", "mot-de-passe-3",
                                            role="relecteur")
    remote = env / "distant.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    versions = DataVersions(env / "data-repo", {"data/nlu/corrections.yml": env / "corrections.yml",
                                                "tests/stories/test_revues.yml": env / "test_revues.yml"},
                            "revue.exemple.fr", remote=str(remote))
    review = Review(services.handoffs().db, f"sqlite:///{env / 'tracker.db'}", corrections_file=env / "corrections.yml",
                    stories_file=env / "test_revues.yml", domain_file=ROOT / "domain.yml",
                    nlu_dir=ROOT / "data" / "nlu", versions=versions)
    return tracker, review, env, remote


def serve(site, test):
    async def main():
        app = create_app("http://127.0.0.1:9", "token")
        add_review(app, site[1], ROOT / "domain.yml", background=False)
        async with TestClient(TestServer(app)) as client:
            await test(client)

    asyncio.run(main())


def test_corrections_and_stories_are_commits_by_the_reviewer_pushed_and_shown(site):
    tracker, review, env, remote = site
    tracker.say("c1", "je voudrais zorglubifier la mairie", "saluer", 0.31)
    tracker.say("c1", "<script>alert('x')</script> c'est bien ça", "nier", 0.4)
    story_of(tracker, "s9")
    repo = env / "data-repo"

    async def test(client):
        csrf = await sign_in(client, "relecteur.leroy")
        page = await (await client.get("/console/revue/messages")).text()
        ids = dict((text, i) for i, text in re.findall(r'id="m-(\d+)".*?<a href="[^"]+">([^<]+)</a>', page, re.S))
        zorg = next(i for t, i in ids.items() if "zorglub" in t)
        script = next(i for t, i in ids.items() if "script" in t)
        done = await client.post("/console/revue/messages/revue", data={
            "csrf": csrf, "one": zorg, f"intent-{zorg}": "activer_structure", "back": "/console/revue/messages"})
        assert "1 exemple(s) ajouté(s)" in await done.text()
        done = await client.post("/console/revue/messages/revue", data={
            "csrf": csrf, "confirm": script, "back": "/console/revue/messages"})
        assert "1 exemple(s) ajouté(s)" in await done.text()
        # the same correction again changes nothing: no commit
        await client.post("/console/revue/messages/revue", data={
            "csrf": csrf, "one": zorg, f"intent-{zorg}": "activer_structure", "back": "/console/revue/messages"})
        page = await (await client.get("/console/revue/conversations/s9/histoire")).text()
        intent_field = re.search(r'name="(intent-\d+)"', page).group(1)
        saved = await client.post("/console/revue/conversations/s9/histoire", data={
            "csrf": csrf, "name": "salut relu", intent_field: "saluer"})
        assert "enregistrée comme test" in await saved.text()

        history = await client.get("/console/revue/historique")
        html = await history.text()
        assert history.status == 200
        assert html.count("Rita bLeroy/b X") == 3  # the display name, without < > or a newline
        shown = unescape(html)
        assert "Histoire de test « salut relu »" in shown and "Corrections d'intention : 1 exemple(s) ajouté(s)" in shown
        assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)" in html
        assert "Données initiales" in shown and "dernier envoi : réussi" in shown
        sha = re.findall(r'href="/console/revue/historique/([0-9a-f]{40})"', html)[-2]  # the first correction
        diff = await (await client.get(f"/console/revue/historique/{sha}")).text()
        assert '<span class="add">+    - je voudrais zorglubifier la mairie</span>' in diff
        assert "data/nlu/corrections.yml" in diff
        assert (await client.get("/console/revue/historique/" + "0" * 40)).status == 404
        assert (await client.get("/console/revue/historique/HEAD")).status == 404
        assert (await client.get("/console/revue/historique?page=abc")).status == 400

    serve(site, test)
    log = git(repo, "log", "--format=%an|%ae|%s", "main").splitlines()
    assert log == [
        "Rita bLeroy/b X|relecteur.leroy@revue.exemple.fr|Histoire de test « salut relu »",
        "Rita bLeroy/b X|relecteur.leroy@revue.exemple.fr|Corrections d'intention : 1 exemple(s) ajouté(s)",
        "Rita bLeroy/b X|relecteur.leroy@revue.exemple.fr|Corrections d'intention : 1 exemple(s) ajouté(s)",
        "ClaudIA|claudia@revue.exemple.fr|Données initiales",
    ]
    first = git(repo, "show", "--format=%B", "HEAD~2")
    assert "l'intention prédite était fausse, ils sont corrigés vers « activer_structure »" in first
    assert "« je voudrais zorglubifier la mairie » ajouté sous activer_structure" in first
    assert "+    - je voudrais zorglubifier la mairie" in first
    assert "l'intention prédite est confirmée" in git(repo, "show", "--format=%B", "-s", "HEAD~1")
    story = git(repo, "show", "HEAD", "--", "tests/stories/test_revues.yml")
    assert "+- story: salut relu" in story and "conversation s9" in story
    assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "HEAD")
    # the repository's copies are the review's files
    assert (repo / "data/nlu/corrections.yml").read_bytes() == (env / "corrections.yml").read_bytes()


def test_a_hand_edit_is_committed_apart_before_the_reviewer_s_change(site):
    tracker, review, env, remote = site
    tracker.say("c2", "mettre en sommeil notre syndicat", "saluer", 0.3)
    review.versions.ensure()
    (env / "corrections.yml").write_text('version: "3.1"\nnlu:\n- intent: nier\n  examples: |\n    - pas du tout\n',
                                         encoding="utf-8")

    async def test(client):
        csrf = await sign_in(client, "relecteur.leroy")
        page = await (await client.get("/console/revue/messages")).text()
        mid = re.search(r'id="m-(\d+)"', page).group(1)
        await client.post("/console/revue/messages/revue", data={
            "csrf": csrf, "one": mid, f"intent-{mid}": "inactiver_structure", "back": "/console/revue/messages"})

    serve(site, test)
    log = git(env / "data-repo", "log", "--format=%an|%s").splitlines()
    assert log[0].endswith("Corrections d'intention : 1 exemple(s) ajouté(s)")
    assert log[1] == "ClaudIA|Modifications faites hors de la revue"
    assert "+    - pas du tout" in git(env / "data-repo", "show", "HEAD~1")
    assert "+    - pas du tout" not in git(env / "data-repo", "show", "HEAD")


def test_a_change_that_cannot_be_committed_is_undone(site):
    tracker, review, env, remote = site
    tracker.say("c3", "réveiller la régie", "saluer", 0.3)
    review.versions.ensure()
    before = (env / "corrections.yml").read_bytes() if (env / "corrections.yml").exists() else None
    # an index lock left by a crashed git: the commit fails, the review says so and changes nothing
    (env / "data-repo" / ".git" / "index.lock").write_text("")

    async def test(client):
        csrf = await sign_in(client, "relecteur.leroy")
        page = await (await client.get("/console/revue/messages")).text()
        mid = re.search(r'id="m-(\d+)"', page).group(1)
        done = await client.post("/console/revue/messages/revue", data={
            "csrf": csrf, "one": mid, f"intent-{mid}": "activer_structure", "back": "/console/revue/messages"})
        html = unescape(await done.text())
        assert "Le dépôt des données a refusé l'opération" in html and 'role="alert"' in html
        assert "déjà corrigé" not in html

    serve(site, test)
    after = (env / "corrections.yml").read_bytes() if (env / "corrections.yml").exists() else None
    assert after == before


def test_history_and_diffs_are_paged(site):
    tracker, review, env, remote = site
    (env / "corrections.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: nier\n  examples: |\n' + "".join(f"    - non {n}\n" for n in range(450)),
        encoding="utf-8")
    review.versions.ensure()  # the first commit: 450 lines and more
    for n in range(25):
        review.versions.record_activation(f"modele-{n}", "relecteur.leroy", f"essai {n}")

    async def test(client):
        await sign_in(client, "relecteur.leroy")
        first = unescape(await (await client.get("/console/revue/historique")).text())
        assert first.count("Voir les modifications") == 20 and "26 version(s)" in first
        assert "Activation du modèle modele-24 (remplace modele-23)" in first and "?page=2" in first
        second = unescape(await (await client.get("/console/revue/historique?page=2")).text())
        assert second.count("Voir les modifications") == 6 and "Données initiales" in second
        sha = re.findall(r'href="/console/revue/historique/([0-9a-f]{40})"', second)[-1]
        page1 = unescape(await (await client.get(f"/console/revue/historique/{sha}")).text())
        assert "page 1 sur 2" in page1 and "+    - non 0</span>" in page1 and "- non 449" not in page1 and "?page=2" in page1
        page2 = unescape(await (await client.get(f"/console/revue/historique/{sha}?page=2")).text())
        assert "+    - non 449</span>" in page2 and "+    - non 0</span>" not in page2
        assert (await client.get(f"/console/revue/historique/{sha}?page=3")).status == 404

    serve(site, test)
