"""The console when something goes wrong: French error pages with its layout (404, 403,
400, 500), French JSON errors for its script, bounded number parameters, strict UTF-8
forms, and codes shown to operators in words. Served for real (aiohttp on loopback)."""
import html
import re

import pytest
import yaml

from claudia import services
from tests.conftest import ROOT
from tests.web.test_console import accounts, csrf_of, sign_in, with_console  # noqa: F401

ENGLISH = ("Not Found", "Internal Server Error", "Forbidden", "Bad Request", "Server got itself", "Traceback")


def assert_french_page(page, title, back):
    assert '<html lang="fr">' in page
    assert re.search(rf"<title>(\(\d+\) )?{title} — Console ClaudIA</title>", page)  # (messages to answer)
    assert f"<h1>{title}</h1>" in page
    assert f'href="{back}"' in page
    assert '<link rel="stylesheet" href="/console/static/console.css">' in page  # the site's layout
    assert not [word for word in ENGLISH if word in page]


def test_error_pages_are_french_with_the_consoles_layout(accounts, monkeypatch):
    async def test(client, events):
        missing = await client.get("/console/pas-de-page-ici")
        assert missing.status == 404 and missing.content_type == "text/html"
        assert_french_page(await missing.text(), "Page introuvable", "/console/login")
        assert "frame-ancestors 'none'" in missing.headers["Content-Security-Policy"]
        api_missing = await client.get("/console/api/pas-de-route")
        assert api_missing.status == 404 and "introuvable" in (await api_missing.json())["erreur"]

        await sign_in(client, "agent.durand", "mot-de-passe-1")
        unknown_chat = await client.get("/console/chats/424242")
        assert unknown_chat.status == 404
        page = await unknown_chat.text()
        assert_french_page(page, "Page introuvable", "/console/")
        assert "Sophie &lt;b&gt;Durand&lt;/b&gt;" in page  # signed in: the usual header
        no_token = await client.post("/console/tickets/1", data={"answer": "Bonjour"})
        assert no_token.status == 403
        assert_french_page(await no_token.text(), "Page expirée", "/console/")

        def broken(*args):
            raise RuntimeError("database gone")
        monkeypatch.setattr(services, "tickets", broken)
        failed = await client.get("/console/tickets/1")
        assert failed.status == 500
        assert_french_page(await failed.text(), "Erreur du serveur", "/console/")
        api_failed = await client.get("/console/api/chats")
        assert api_failed.status == 500 and "erreur inattendue" in (await api_failed.json())["erreur"]

        client.session.cookie_jar.clear()
        await sign_in(client, "relecteur", "mot-de-passe-3")
        refused = await client.get("/console/")
        assert refused.status == 403
        assert_french_page(await refused.text(), "Accès refusé", "/console/revue/")

    with_console(test)


class UnreachableRasa(dict):
    """Events of the Rasa stand-in, failing every write: Rasa answers 500, as while it restarts."""

    def setdefault(self, *args):
        raise RuntimeError("Rasa is restarting")


def test_an_assistant_failure_is_told_in_french_to_the_consoles_script(accounts):
    """Rasa failing every write: what the operator does is kept (the user's chat shows it from the
    database) and the console is told, in French, that the transcript follows at Rasa's return (#23)."""
    handoff = services.handoffs().request("conv-1", None, {})

    async def test(client, events):
        await sign_in(client, "agent.durand", "mot-de-passe-1")
        csrf = await csrf_of(client)
        taken = await client.post(f"/console/api/chats/{handoff['id']}/take", headers={"X-CSRF-Token": csrf})
        assert taken.status == 200 and taken.content_type == "application/json"
        written = await client.post(f"/console/api/chats/{handoff['id']}/messages", json={"text": "Bonjour"},
                                    headers={"X-CSRF-Token": csrf})
        assert written.status == 200 and "dès le retour de l'assistant" in (await written.json())["info"]
        told = [m["text"] for m in services.handoffs().outbox_after("conv-1")]
        assert len(told) == 2 and "a rejoint la conversation" in told[0] and told[1] == "Bonjour"

    with_console(test, UnreachableRasa())


BAD_NUMBERS = ["²", "99999999999999999999999", "2147483648", "0", "-1", "1e9", "%D9%A3", "1.5", "+7", "%201"]


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_number_parameters_are_bounded_with_a_french_400(accounts, value):
    ticket = services.handoffs().leave_message("conv-1", None, {}, "Bonjour ?")

    async def test(client, events):
        await sign_in(client, "agent.durand", "mot-de-passe-1")
        csrf = await csrf_of(client)
        for path in (f"/console/chats/{value}", f"/console/tickets/{value}",
                     f"/console/?page_a_traiter={value}", f"/console/?page_repondus={value}",
                     f"/console/?page_discussions={value}"):
            response = await client.get(path)
            assert response.status == 400, path
            page = await response.text()
            assert_french_page(page, "Requête invalide", "/console/")
            assert "invalide" in page and "nombre entier" in page
        for path in (f"/console/api/chats/{value}", f"/console/api/chats?page_a_traiter={value}"):
            response = await client.get(path)
            assert response.status == 400, path
            assert "nombre entier" in (await response.json())["erreur"]
        taken = await client.post(f"/console/api/chats/{value}/take", headers={"X-CSRF-Token": csrf})
        assert taken.status == 400
        posted = await client.post(f"/console/tickets/{value}", data={"csrf": csrf, "answer": "x"})
        assert posted.status == 400
        assert services.tickets().get(ticket["id"])["status"] == "message"

    with_console(test)


def test_invalid_utf8_in_console_forms_is_a_400(accounts):
    ticket = services.handoffs().leave_message("conv-1", None, {}, "Bonjour ?")
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    async def test(client, events):
        await sign_in(client, "agent.durand", "mot-de-passe-1")
        csrf = (await csrf_of(client)).encode()
        for body in (b"csrf=" + csrf + b"&answer=%FF%FEbonjour", b"csrf=" + csrf + b"&answer=\xff\xfe",
                     b"csrf=" + csrf + b"&answer=caf%C3"):
            response = await client.post(f"/console/tickets/{ticket['id']}", data=body, headers=form)
            assert response.status == 400, body
            assert "n'a pas pu être lu" in html.unescape(await response.text())
        assert services.tickets().get(ticket["id"])["status"] == "message"  # nothing stored
        fine = await client.post(f"/console/tickets/{ticket['id']}", allow_redirects=False, headers=form,
                                 data=b"csrf=" + csrf + b"&answer=caf%C3%A9")
        assert fine.status == 303 and services.tickets().get(ticket["id"])["answer"]["text"] == "café"
        client.session.cookie_jar.clear()
        login = await client.post("/console/login", data=b"csrf=x&login=%FF&password=y", headers=form)
        assert login.status == 400

    with_console(test)


CONTEXT = {
    "procedure_en_cours": "inactiver", "siret": "25930045700019", "structure": "Syndicat des eaux",
    "etape": "confirmation_structure",
    "derniere_procedure": {"operation": "activer", "siret": "26930012500011", "name": "CCAS de Valmont",
                           "outcome": "deja_active"},
    "evaluation": {"vote": "negatif", "reason": "question_non_comprise", "comment": "pas clair"},
}
CODES = ("deja_active", "negatif", "question_non_comprise", "confirmation_structure", "inactiver ", "activer ")


def test_operators_read_words_not_internal_codes(accounts):
    ticket = services.handoffs().leave_message("conv-1", "marie.dupont", CONTEXT, "Bonjour ?")
    chat = services.handoffs().request("conv-2", "marie.dupont", CONTEXT)

    async def test(client, events):
        await sign_in(client, "agent.durand", "mot-de-passe-1")
        page = await (await client.get(f"/console/tickets/{ticket['id']}")).text()
        shown = html.unescape(re.search(r"<dt>Contexte</dt><dd>(.*?)</dd>", page, re.S).group(1))
        listing = await (await client.get("/console/api/chats")).json()
        summary = listing["chats"][0]["summary"]
        detail = await (await client.get(f"/console/api/chats/{chat['id']}")).json()
        for text in (shown, summary, detail["handoff"]["summary"]):
            assert not [code for code in CODES if code in text], text
            assert "inactivation de Syndicat des eaux (SIRET 259 300 457 00019)" in text
            assert "étape : confirmation de la structure" in text
            assert "structure déjà active" in text
            assert "👎" in text and "la question n'a pas été comprise" in text and "« pas clair »" in text
        assert listing["tickets"]["open"][0]["summary"] == summary
        assert detail["handoff"]["state"] == "En attente d'un conseiller."

    with_console(test)


def test_every_code_an_operator_may_read_has_words():
    from actions.procedure_actions import USER_ENDINGS
    from claudia.feedback import REASONS
    from claudia.handoff import CLOSED, MESSAGE, ONGOING, WAITING
    from claudia.messages.procedure import REFUS
    from claudia.registry import DONE
    from claudia.tickets import ANSWERED
    from claudia.waiting import CANCELLED, EXPIRED
    from web import console_wording as words

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    steps = set(domain["forms"]) | {slot for form in domain["forms"].values() for slot in form["required_slots"]}
    endings = set(REFUS) | set(USER_ENDINGS) | {DONE, "annulee_par_utilisateur", "incident_technique",
                                                 "changement_procedure"}
    assert endings - set(words.OUTCOMES) == set()
    assert steps - set(words.STEPS) == set()
    assert set(REASONS) - set(words.REASONS) == set()
    assert {WAITING, ONGOING, CLOSED, MESSAGE, ANSWERED, CANCELLED, EXPIRED} - set(words.STATUSES) == set()
    # A code added later and forgotten here still reads as words, never as a code.
    assert "_" not in words.outcome("nouveau_code_inconnu")
