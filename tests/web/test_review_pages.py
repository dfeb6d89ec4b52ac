"""The review pages served for real (aiohttp on loopback) over real SQLite stores."""
import asyncio
import csv
import io
import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from claudia import services
from claudia.accounts import Accounts
from tests.core.test_review_index import Tracker
from web.console import create_app
from web.review import Review
from web.review_pages import add_review

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(env):
    tracker = Tracker(env / "tracker.db")
    accounts = Accounts(services.handoffs().db)
    accounts.upsert("relecteur", "Rita <i>Relecture</i>", "mot-de-passe-3", role="relecteur")
    accounts.upsert("agent", "Sophie Durand", "mot-de-passe-1")
    review = Review(services.handoffs().db, f"sqlite:///{env / 'tracker.db'}", corrections_file=env / "corrections.yml",
                    stories_file=env / "test_revues.yml", domain_file=ROOT / "domain.yml", nlu_dir=ROOT / "data" / "nlu")
    return tracker, review, env


def serve(site, test):
    tracker, review, env = site

    async def main():
        app = create_app("http://127.0.0.1:9", "token")
        add_review(app, review, ROOT / "domain.yml", background=False)
        async with TestClient(TestServer(app)) as client:
            await test(client)

    asyncio.run(main())


async def sign_in(client, login="relecteur", password="mot-de-passe-3"):
    page = await client.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)
    await client.post("/console/login", data={"login": login, "password": password, "csrf": csrf})
    page = await (await client.get("/console/revue/messages")).text()
    return re.search(r'<meta name="csrf" content="([^"]+)"', page).group(1) if "csrf" in page else ""


def test_only_reviewers_see_the_pages(site):
    async def test(client):
        response = await client.get("/console/revue/messages", allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == "/console/login"
        await sign_in(client, "agent", "mot-de-passe-1")
        for path in ("/console/revue/", "/console/revue/messages", "/console/revue/tableau", "/console/revue/export.csv"):
            assert (await client.get(path)).status == 403, path

    serve(site, test)


def test_inbox_bulk_correction_stays_in_place_and_shows_what_is_corrected(site):
    tracker = site[0]
    for n in range(25):
        tracker.say(f"conv-{n}", f"ouais carrément {n}", "nier", 0.41)
    tracker.say("conv-x", "<script>alert(1)</script>", "saluer", 0.3)

    async def test(client):
        csrf = await sign_in(client)
        page = await (await client.get("/console/revue/messages?below=0.5&intent=nier")).text()
        assert "Plus anciens" in page and page.count('name="ids"') == 20
        listed = re.findall(r'name="ids" value="(\d+)"', page)
        ids = listed[:3]
        back = "/console/revue/messages?below=0.5&intent=nier"
        response = await client.post("/console/revue/messages/revue", allow_redirects=False, data={
            "csrf": csrf, "ids": ids, "do": "corriger", "intent": "affirmer", "back": back})
        location = response.headers["Location"]
        assert response.status == 302 and location.startswith(back + "&flash=")
        page = await (await client.get(location)).text()
        assert "3 exemple(s) ajouté(s)" in page and page.count("déjà corrigé → <b>affirmer</b>") == 3
        # corrected, visible as such in the filters and in the conversation
        done = await (await client.get("/console/revue/messages?corrected=1")).text()
        assert done.count('name="ids"') == 3
        one = re.search(r'/console/revue/conversations/(conv-\d+)#e-(\d+)', done)
        conversation = await (await client.get(f"/console/revue/conversations/{one.group(1)}")).text()
        assert "déjà corrigé → <b>affirmer</b>" in conversation
        # the same correction again is not « ajouté » again; a single row keeps its anchor
        again = await client.post("/console/revue/messages/revue", allow_redirects=False, data={
            "csrf": csrf, "one": ids[0], f"intent-{ids[0]}": "affirmer", "back": back})
        assert again.headers["Location"].endswith(f"#m-{ids[0]}")
        assert "déjà présent" in await (await client.get(again.headers["Location"].split("#")[0])).text()
        # confirming keeps the predicted intent
        confirm = await client.post("/console/revue/messages/revue", data={
            "csrf": csrf, "confirm": listed[3], "back": back}, allow_redirects=True)
        assert "1 exemple(s) ajouté(s)" in await confirm.text() and "confirmé ✓ <b>nier</b>" in await confirm.text()
        # the hostile one is shown as text
        hostile = await (await client.get("/console/revue/messages?q=script")).text()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile and "<script>alert" not in hostile
        assert "Rita &lt;i&gt;Relecture&lt;/i&gt;" in hostile

    serve(site, test)
    corrections = (site[2] / "corrections.yml").read_text(encoding="utf-8")
    assert corrections.count("ouais carrément") == 4  # three corrected + one confirmed as nier


def test_forms_need_the_csrf_token_and_never_redirect_away(site):
    site[0].say("c1", "bonsoir", "saluer", 0.5)

    async def test(client):
        csrf = await sign_in(client)
        page = await (await client.get("/console/revue/messages")).text()
        message = re.search(r'name="ids" value="(\d+)"', page).group(1)
        forged = await client.post("/console/revue/messages/revue", data={"ids": message, "do": "confirmer"})
        assert forged.status == 403
        for target in ("https://evil.example/", "//evil.example/x", "/console/revue/\\evil", "/autre"):
            response = await client.post("/console/revue/messages/revue", allow_redirects=False, data={
                "csrf": csrf, "ids": message, "do": "confirmer", "back": target})
            assert response.headers["Location"].startswith("/console/revue/?flash=")

    serve(site, test)


def test_csv_export_is_streamed_and_neutralised(site):
    site[0].say("=HYPERLINK(\"http://evil\")", "bonjour", "saluer")
    site[0].say("+cmd", "bonjour", "saluer")

    async def test(client):
        await sign_in(client)
        response = await client.get("/console/revue/export.csv")
        rows = list(csv.DictReader(io.StringIO(await response.text())))
        assert {r["conversation_id"] for r in rows} == {"'=HYPERLINK(\"http://evil\")", "'+cmd"}
        exported = await (await client.get("/console/revue/export.json")).json()
        assert {r["conversation_id"] for r in exported} == {"=HYPERLINK(\"http://evil\")", "+cmd"}

    serve(site, test)


def test_story_with_corrected_actions_and_name(site):
    tracker = site[0]
    tracker.act("s1", "action_session_start")
    tracker.add("s1", "session_started")
    tracker.act("s1", "action_listen")
    tracker.say("s1", "bjr\x01 [a]{\"entity\": \"terme\"}", "nlu_fallback", 0.2)
    tracker.act("s1", "action_message_incompris")
    tracker.add("s1", "bot", text="Je n'ai pas compris.")
    tracker.act("s1", "action_listen")

    async def test(client):
        csrf = await sign_in(client)
        page = await (await client.get("/console/revue/conversations/s1/histoire")).text()
        assert "repli : quelle action aurait été la bonne ?" in page
        intent_field = re.search(r'name="(intent-\d+)"', page).group(1)
        action_field = re.search(r'name="(action-\d+)"[^>]*>(?:(?!</select>).)*value="action_message_incompris" selected', page,
                                 re.S).group(1)
        bad = await client.post("/console/revue/conversations/s1/histoire", data={
            "csrf": csrf, "name": "x", action_field: "action_inventee"})
        assert "Action inconnue du domaine" in await bad.text()
        saved = await client.post("/console/revue/conversations/s1/histoire", data={
            "csrf": csrf, "name": "salut\x00 relu [x](terme)", intent_field: "saluer", action_field: "utter_saluer"})
        assert "enregistrée comme test" in await saved.text()

    serve(site, test)
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    story_file = site[2] / "test_revues.yml"
    text = story_file.read_text(encoding="utf-8")
    assert "utter_saluer" in text and "action_message_incompris" not in text and "\x00" not in text and "\x01" not in text
    steps = YAMLStoryReader(Domain.load(str(ROOT / "domain.yml"))).read_from_file(str(story_file))
    assert [s.block_name for s in steps] == ["salut relu (x)(terme)"]
    user = [e for e in steps[0].events if e.type_name == "user"][0]
    assert user.intent_name == "saluer" and not user.entities


def story_of(tracker, sender, text="bonjour"):
    tracker.act(sender, "action_session_start")
    tracker.add(sender, "session_started")
    tracker.act(sender, "action_listen")
    tracker.say(sender, text, "saluer", 0.9)
    tracker.act(sender, "utter_saluer")
    tracker.add(sender, "bot", text="Bonjour !")
    tracker.act(sender, "action_listen")


def stories_in(site):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    steps = YAMLStoryReader(Domain.load(str(ROOT / "domain.yml"))).read_from_file(str(site[2] / "test_revues.yml"))
    return [(s.block_name, [e.intent_name for e in s.events if e.type_name == "user"]) for s in steps]


def test_saving_a_story_under_a_taken_name_asks_to_replace_or_keep_both(site):
    """Issue #24: the same conversation saved twice made two stories of the same name, silently."""
    story_of(site[0], "s2")

    async def test(client):
        csrf = await sign_in(client)
        first = await client.post("/console/revue/conversations/s2/histoire", data={"csrf": csrf, "name": "salut"})
        assert "histoire « salut » ajoutée" in await first.text()
        again = await client.post("/console/revue/conversations/s2/histoire", data={"csrf": csrf, "name": "salut"})
        page = await again.text()
        assert again.status == 409 and "Une histoire porte déjà ce nom" in page and 'role="alert"' in page
        assert 'name="existing" value="remplacer"' in page and 'name="existing" value="garder"' in page
        assert "« salut (2) »" in page and 'value="salut"' in page
        assert stories_in(site) == [("salut", ["saluer"])]  # nothing written
        kept = await client.post("/console/revue/conversations/s2/histoire", data={
            "csrf": csrf, "name": "salut", "existing": "garder"})
        assert "histoire « salut (2) » ajoutée à côté de celle du même nom" in await kept.text()
        assert stories_in(site) == [("salut", ["saluer"]), ("salut (2)", ["saluer"])]
        # replacing keeps the other stories and the reviewer's choices (here another intent)
        page = await (await client.get("/console/revue/conversations/s2/histoire")).text()
        intent_field = re.search(r'name="(intent-\d+)"', page).group(1)
        conflict = await client.post("/console/revue/conversations/s2/histoire", data={
            "csrf": csrf, "name": "salut", intent_field: "remercier"})
        assert conflict.status == 409 and 'value="remercier" selected' in await conflict.text()
        replaced = await client.post("/console/revue/conversations/s2/histoire", data={
            "csrf": csrf, "name": "salut", intent_field: "remercier", "existing": "remplacer"})
        assert "l&#39;histoire « salut » a remplacé celle du même nom" in await replaced.text()
        assert sorted(stories_in(site)) == [("salut", ["remercier"]), ("salut (2)", ["saluer"])]

    serve(site, test)


def test_user_filter_on_the_page_takes_part_of_the_login(site):
    from claudia.models import Conversation

    with services.handoffs().db.write() as session:
        session.add(Conversation(sender_id="chez-marie", login="Marie.Dupont"))
    site[0].say("chez-marie", "bonjour", "saluer")
    site[0].say("ailleurs", "bonjour", "saluer")

    async def test(client):
        await sign_in(client)
        page = await (await client.get("/console/revue/", params={"user": "marié"})).text()
        assert "chez-marie" in page and "ailleurs" not in page and "une partie de l'identifiant suffit" in page

    serve(site, test)


def test_evaluation_comment_is_not_in_the_messages_page_but_on_its_conversation(site):
    tracker = site[0]
    tracker.say("avis", "bof", "evaluer_negatif", 0.9)
    tracker.add("avis", "slot", name="requested_slot", value="commentaire")
    tracker.say("avis", "vous êtes trop lents", "hors_perimetre", 0.3)
    tracker.add("avis", "slot", name="commentaire", value="vous êtes trop lents")

    async def test(client):
        csrf = await sign_in(client)
        inbox = await (await client.get("/console/revue/messages")).text()
        assert "bof" in inbox and "trop lents" not in inbox
        page = await (await client.get("/console/revue/conversations/avis")).text()
        assert "trop lents" in page and "commentaire d'évaluation" in page
        assert page.count('action="/console/revue/messages/revue"') == 1  # a form for « bof » only
        # not made a training example through a forged form either
        comment = [m for m in site[1].queries.messages_of("avis").values() if m["text"] != "bof"][0]
        forged = await client.post("/console/revue/messages/revue", data={
            "csrf": csrf, "ids": str(comment["id"]), "do": "corriger", "intent": "hors_perimetre"})
        refusal = "1 refusé(s) : un commentaire d&#39;évaluation n&#39;est pas une demande à classer"
        assert refusal in await forged.text()

    serve(site, test)
    assert not (site[2] / "corrections.yml").exists()


def test_messages_page_has_a_skip_link_and_its_pages_at_the_top(site):
    for n in range(25):
        site[0].say(f"c-{n}", f"message {n}", "saluer", 0.5)

    async def test(client):
        await sign_in(client)
        page = await (await client.get("/console/revue/messages")).text()
        body = page.split("<body>", 1)[1]
        first_link = re.search(r"<a [^>]*>", body).group(0)
        assert 'href="#contenu"' in first_link  # the first thing the keyboard reaches
        assert '<a class="skip" href="#resultats">Aller aux résultats et aux pages</a>' in page
        top = page.index('id="resultats"')
        assert top < page.index('rel="next">Plus anciens</a>') < page.index('id="messages"')
        assert page.index('id="messages"') < page.rindex('rel="next">Plus anciens</a>')
        older = re.search(r'href="\?([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
        second = await (await client.get(f"/console/revue/messages?{older}")).text()
        assert second.index("Plus récents</a>") < second.index('id="messages"')
        conversations = await (await client.get("/console/revue/")).text()
        assert conversations.index('rel="next">Plus anciennes</a>') < conversations.index('id="conversations"')

    serve(site, test)


def test_reviewers_label_a_conversation_and_filter_the_list_on_it(site):
    site[0].say("c1", "bonjour", "saluer")
    site[0].say("c2", "bonsoir", "saluer")

    async def test(client):
        csrf = await sign_in(client)
        page = await (await client.get("/console/revue/conversations/c1")).text()
        assert "Aucune étiquette" in page and 'action="/console/revue/conversations/c1/etiquettes"' in page
        added = await client.post("/console/revue/conversations/c1/etiquettes", allow_redirects=False,
                                  data={"csrf": csrf, "tag": "  à  rejouer <b>"})
        assert added.status == 302 and added.headers["Location"].endswith("#etiquettes")
        page = await (await client.get(added.headers["Location"].split("#")[0])).text()
        assert "Étiquette « à rejouer &lt;b&gt; » ajoutée." in page and "ajoutée par relecteur" in page
        listed = await (await client.get("/console/revue/")).text()
        assert '<option value="à rejouer &lt;b&gt;">' in listed  # the list's filter offers it
        only = await (await client.get("/console/revue/", params={"tag": "à rejouer <b>"})).text()
        row = '/console/revue/conversations/{}"'.format  # a conversation's link in the list (not a random token)
        assert row("c1") in only and row("c2") not in only
        assert '<option value="à rejouer &lt;b&gt;" selected>' in only
        page = await (await client.get("/console/revue/conversations/c2")).text()
        assert '<option value="à rejouer &lt;b&gt;">' in page  # suggested on the other conversations
        refused = await client.post("/console/revue/conversations/c1/etiquettes", data={"csrf": csrf, "tag": "x" * 41})
        assert "au plus 40 caractères" in await refused.text()
        assert (await client.post("/console/revue/conversations/c1/etiquettes", data={"tag": "x"})).status == 403
        assert (await client.post("/console/revue/conversations/nulle-part/etiquettes",
                                  data={"csrf": csrf, "tag": "x"})).status == 404
        removed = await client.post("/console/revue/conversations/c1/etiquettes/retirer",
                                    data={"csrf": csrf, "tag": "à rejouer <b>"})
        assert "retirée" in await removed.text() and "Aucune étiquette" in await removed.text()
        assert row("c1") not in await (await client.get("/console/revue/", params={"tag": "à rejouer <b>"})).text()

    serve(site, test)
