"""Hostile text, numbers and bytes against the review pages (issue #26), served for real
(aiohttp on loopback) over real SQLite stores: a French 400 or a working page, never a 500."""
import csv
import io
import logging
import re

import pytest
from sqlalchemy.exc import OperationalError

from claudia.review_store import EXPORT_COLUMNS
from tests.web.test_review_pages import serve, sign_in, site  # noqa: F401 (fixture)


def french_400(status, body):
    assert status == 400, body[:300]
    assert "n'est pas valide" in body or "n'a pas pu être lu" in body, body[:300]
    assert "Traceback" not in body and "Internal Server Error" not in body


def test_a_lone_surrogate_or_odd_fields_never_break_the_review(site, caplog):
    tracker = site[0]
    tracker.say("anonyme-1", "bon\ud800jour", "saluer", 0.4)  # stored by Rasa as the JSON escape "\ud800"
    tracker.say("anonyme-2", "nul\u0000part", "saluer", 0.4)
    tracker.say("anonyme-3", "bizarre", "saluer", "pas un nombre")
    tracker.say("normal", "je veux activer ma structure", "activer_structure", 0.95)
    tracker.add("normal", "bot", text="Quel est le type de votre structure ?")
    tracker.add("anonyme-1", "bot", text="Je n'ai pas compris.")
    tracker.add("anonyme-1", "user", text="plus tard", timestamp=1e300, parse_data={})  # a day no calendar has

    async def test(client):
        await sign_in(client)
        with caplog.at_level(logging.WARNING, logger="claudia.review_index"):
            inbox = await client.get("/console/revue/")
        assert inbox.status == 200 and "normal" in await inbox.text()
        messages = await client.get("/console/revue/messages")
        page = await messages.text()
        assert messages.status == 200 and "je veux activer ma structure" in page and "bizarre" not in page
        board = await client.get("/console/revue/tableau")
        assert board.status == 200
        assert "4 événement(s) du magasin de conversations n'ont pas pu être" in await board.text()
        # the conversation itself opens, the unshowable character replaced
        hostile = await client.get("/console/revue/conversations/anonyme-1")
        assert hostile.status == 200 and "bon\ufffdjour" in await hostile.text()
        assert (await client.get("/console/revue/export.csv")).status == 200
        # the indexer moved past them: what comes next is indexed
        tracker.say("normal", "merci beaucoup", "remercier", 0.9)
        assert "merci beaucoup" in await (await client.get("/console/revue/messages")).text()

    serve(site, test)
    skipped = [r.getMessage() for r in caplog.records if "non indexé" in r.getMessage()]
    assert len(skipped) == 4 and not any("bon" in line or "bizarre" in line for line in skipped)


BAD_QUERIES = [
    "/console/revue/?until=9999-12-31", "/console/revue/?since=%C2%B2", "/console/revue/?since=2024-02-30",
    "/console/revue/?since=-2024-01-01", "/console/revue/?before=1:99999999999999999999999",
    "/console/revue/?before=inf:1", "/console/revue/?before=nan:1",
    "/console/revue/messages?before=%C2%B2", "/console/revue/messages?before=99999999999999999999999",
    "/console/revue/messages?before=-1", "/console/revue/messages?below=%C2%B2",
    "/console/revue/messages?below=1e999", "/console/revue/messages?below=-0.5",
    "/console/revue/messages?until=9999-12-31", "/console/revue/messages?since=%D9%A2%D9%A0%D9%A2%D9%A4-01-01",
    "/console/revue/export.csv?until=9999-12-31", "/console/revue/export.json?since=0000-01-01",
    "/console/revue/export.json?until=%FF",
]


def test_bad_numbers_and_dates_get_a_french_400_page(site):
    site[0].say("c1", "bonjour", "saluer", 0.5)

    async def test(client):
        await sign_in(client)
        for path in BAD_QUERIES:
            answer = await client.get(path)
            french_400(answer.status, await answer.text())
            assert answer.content_type == "text/html" and "Revenir à la revue" in await answer.text(), path
        # the same pages with good values still work
        for path in ("/console/revue/?since=2024-01-01&until=2100-12-31", "/console/revue/messages?below=0,5",
                     "/console/revue/export.json?since=2024-01-01"):
            assert (await client.get(path)).status == 200, path

    serve(site, test)


def test_bad_numbers_in_the_bulk_correction_and_story_forms_get_a_french_400(site):
    site[0].say("c1", "ouais", "nier", 0.4)

    async def test(client):
        csrf = await sign_in(client)
        back = "/console/revue/messages"
        for fields in ({"ids": "²", "do": "corriger", "intent": "affirmer"},
                       {"ids": "99999999999999999999999", "do": "confirmer"}, {"ids": ["1", "-1"], "do": "confirmer"},
                       {"one": "²", "intent-²": "affirmer"}, {"confirm": "1e3"}):
            answer = await client.post("/console/revue/messages/revue", allow_redirects=False,
                                       data={"csrf": csrf, "back": back, **fields})
            french_400(answer.status, await answer.text())
        story = await client.post("/console/revue/conversations/c1/histoire", allow_redirects=False,
                                  data={"csrf": csrf, "name": "essai", "action-²": "utter_saluer"})
        french_400(story.status, await story.text())
        assert (await client.get(back)).status == 200

    serve(site, test)
    assert not (site[2] / "corrections.yml").exists() and not (site[2] / "test_revues.yml").exists()


def test_invalid_utf8_in_review_forms_gets_a_french_400(site):
    site[0].say("c1", "bonjour", "saluer", 0.5)

    async def test(client):
        csrf = (await sign_in(client)).encode()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for path, body, headers in (
                ("/console/revue/messages/revue", b"csrf=" + csrf + b"&ids=1&back=\xff\xfe", form),
                ("/console/revue/conversations/c1/marques", b"csrf=" + csrf + b"&tags=caf\xe9", form),
                ("/console/revue/conversations/c1/marques", b"csrf=" + csrf,
                 {"Content-Type": "application/x-www-form-urlencoded; charset=inconnu"}),
                ("/console/revue/conversations/c1/marques",
                 b'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n' + csrf +
                 b'\r\n--b\r\nContent-Disposition: form-data; name="tags"\r\n\r\n\xc3\x28\r\n--b--\r\n',
                 {"Content-Type": "multipart/form-data; boundary=b"})):
            answer = await client.post(path, data=body, headers=headers, allow_redirects=False)
            french_400(answer.status, await answer.text())
        assert (await client.get("/console/revue/conversations/c1")).status == 200

    serve(site, test)


def rows(count):
    for n in range(count):
        yield {**{column: "" for column in EXPORT_COLUMNS}, "conversation_id": f"conv-{n}", "turns": n,
               "tags": [], "intents": ["activer_structure", "informer_siret", "affirmer", "evaluer_negatif"] * 3}


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_an_export_that_fails_mid_stream_says_so_on_its_last_line(site, kind):
    review = site[1]

    def failing(filters, chunk=500):
        yield from rows(300)  # more than the first chunks the handler sends
        raise OperationalError("SELECT …", {}, Exception("disk I/O error"))

    review.queries.iterate = failing

    async def test(client):
        await sign_in(client)
        answer = await client.get(f"/console/revue/export.{kind}")
        assert answer.status == 200
        return await answer.text()  # the whole file: the stream is not cut

    content = {}

    async def keep(client):
        content["text"] = await test(client)

    serve(site, keep)
    text = content["text"]
    lines = text.rstrip("\r\n").splitlines()
    assert lines[-1].startswith("EXPORT INTERROMPU : une erreur est survenue pendant l'export.")
    assert "les suivantes manquent : relancez l'export." in lines[-1]
    if kind == "csv":  # every line before it is a whole row
        parsed = list(csv.reader(io.StringIO(text)))
        assert parsed[0] == EXPORT_COLUMNS and parsed[-1] == [lines[-1]] and len(parsed) > 50
        assert all(len(row) == len(EXPORT_COLUMNS) for row in parsed[:-1])
    else:
        assert lines[0].startswith("[") and re.fullmatch(r',?\{"conversation_id": "conv-\d+".*\}', lines[-2])
