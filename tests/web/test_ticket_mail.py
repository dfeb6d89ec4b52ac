"""The e-mail telling a user their message left was answered, through a real SMTP server on
loopback (aiosmtpd): sent to the portal account's address when the operator answers from the
console; kept and sent again when the server was away (#23)."""
import socket
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from claudia import services
from claudia.models import User
from claudia.ticket_mail import SmtpSettings, TicketMails
from tests.web.test_console import accounts, csrf_of, sign_in, with_console  # noqa: F401 (fixture)
from web.portal_sessions import PortalSessions


def port_in_range() -> int:
    """A free port of 7400-7499 (the range this work was given for its servers)."""
    for port in range(7440, 7500):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 7440-7499")


class Inbox:
    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(monkeypatch):
    inbox, port = Inbox(), port_in_range()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    monkeypatch.setenv("CLAUDIA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CLAUDIA_SMTP_PORT", str(port))
    monkeypatch.setenv("CLAUDIA_PORTAL_URL", "https://portail.exemple.fr/")
    yield inbox, controller
    if getattr(controller, "server", None) is not None:
        controller.stop()


def left_by_marie(text):
    with services.handoffs().db.write() as session:
        session.add(User(login="marie.dupont", name="Marie Dupont"))
    PortalSessions(services.handoffs().db).sign_in("marie.dupont")  # the portal gives the account's e-mail
    return services.handoffs().leave_message("conv-mail", "marie.dupont", {}, text)["id"]


async def answer(client, ticket_id, text):
    await sign_in(client, "agent.durand", "mot-de-passe-1")
    csrf = await csrf_of(client)
    return await client.post(f"/console/tickets/{ticket_id}", data={"csrf": csrf, "answer": text},
                             allow_redirects=False)


def wait_until(predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.1)
    return predicate()


def test_answering_a_message_left_sends_an_email_to_the_account(accounts, smtp):
    inbox, controller = smtp
    controller.start()
    ticket_id = left_by_marie("Ma mairie n'apparaît pas dans la liste")

    async def test(client, events):
        response = await answer(client, ticket_id, "Bonjour, c'est corrigé : votre mairie est rattachée.")
        assert response.status == 303

    with_console(test)
    assert wait_until(lambda: inbox.mails)
    (recipients, mail), = inbox.mails
    assert recipients == ["marie.dupont@example.org"]
    assert mail["Subject"] == "Chorus Pro : le support a répondu à votre message"
    body = mail.get_content()
    assert "Bonjour Marie Dupont," in body and "« Ma mairie n'apparaît pas dans la liste »" in body
    assert "Sophie <b>Durand</b>, conseiller du support, vous a répondu" in body
    assert "c'est corrigé : votre mairie est rattachée." in body and "https://portail.exemple.fr/" in body
    assert TicketMails(services.handoffs().db).status(ticket_id)["sent"] is True


def test_an_email_refused_while_the_server_is_away_is_sent_when_it_is_back(accounts, smtp):
    inbox, controller = smtp  # not started: nothing listens on the port
    ticket_id = left_by_marie("Rappelez-moi")

    async def test(client, events):
        assert (await answer(client, ticket_id, "Nous vous rappelons demain.")).status == 303

    with_console(test)
    mails = TicketMails(services.handoffs().db)
    assert wait_until(lambda: mails.status(ticket_id)["attempts"] >= 1)
    status = mails.status(ticket_id)
    assert status["sent"] is False and "Connection" in status["last_error"]
    controller.start()
    assert mails.send_pending(SmtpSettings.from_env()) == 1  # what the web front's job does every 10 s
    assert [rcpt for rcpt, _ in inbox.mails] == [["marie.dupont@example.org"]]
    assert mails.send_pending(SmtpSettings.from_env()) == 0  # once


def test_smtp_settings_from_the_environment(accounts, monkeypatch):
    monkeypatch.delenv("CLAUDIA_SMTP_HOST", raising=False)
    assert not SmtpSettings.from_env().enabled
    assert SmtpSettings.from_env({"CLAUDIA_SMTP_HOST": "smtp", "CLAUDIA_SMTP_SECURITY": "starttls"}).port == 587
