"""The e-mail telling a user that their message left for the support was answered.

When an operator answers a message left, an e-mail goes to the portal account's address
(`account_emails`, recorded at sign-in) through the SMTP server of the environment:

  CLAUDIA_SMTP_HOST      server name; empty (the default): no e-mail is sent
  CLAUDIA_SMTP_PORT      25 by default (587 with STARTTLS, 465 with TLS)
  CLAUDIA_SMTP_SECURITY  none (default) | starttls | tls
  CLAUDIA_SMTP_USER, CLAUDIA_SMTP_PASSWORD   sign-in, if the server wants one
  CLAUDIA_SMTP_FROM      sender, « ClaudIA - support Chorus Pro <ne-pas-repondre@localhost> » by default
  CLAUDIA_PORTAL_URL     the portal's address, named in the e-mail (http://127.0.0.1:5080/ by default)

Each e-mail is stored (`ticket_mails`) before it is sent, and sent again by the web
front's background job while the server refuses it or cannot be reached (up to
MAX_ATTEMPTS): an answer is never silently left unannounced.
"""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import List, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from claudia.db import Database
from claudia.livechat_models import AccountEmail, TicketMail
from claudia.models import Handoff, TicketAnswer, User, utcnow

MAX_ATTEMPTS = 20
SUBJECT = "Chorus Pro : le support a répondu à votre message"
BODY = """Bonjour {name},

Le {date}, vous avez laissé ce message au support Chorus Pro :
« {message} »

{operator}, conseiller du support, vous a répondu :

{answer}

Cette réponse s'affiche aussi dans la discussion avec ClaudIA, la prochaine fois que vous
l'ouvrirez sur le portail : {portal}

Ceci est un message automatique : merci de ne pas y répondre.
"""


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 25
    security: str = "none"
    user: str = ""
    password: str = ""
    sender: str = "ClaudIA - support Chorus Pro <ne-pas-repondre@localhost>"
    portal_url: str = "http://127.0.0.1:5080/"

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "SmtpSettings":
        env = os.environ if env is None else env
        security = env.get("CLAUDIA_SMTP_SECURITY", "none").strip().lower() or "none"
        return cls(host=env.get("CLAUDIA_SMTP_HOST", "").strip(),
                   port=int(env.get("CLAUDIA_SMTP_PORT", {"tls": "465", "starttls": "587"}.get(security, "25"))),
                   security=security, user=env.get("CLAUDIA_SMTP_USER", ""),
                   password=env.get("CLAUDIA_SMTP_PASSWORD", ""),
                   sender=env.get("CLAUDIA_SMTP_FROM", cls.sender), portal_url=env.get("CLAUDIA_PORTAL_URL", cls.portal_url))

    @property
    def enabled(self) -> bool:
        return bool(self.host)


def compose(settings: SmtpSettings, to: str, name: str, ticket: dict) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = settings.sender, to, SUBJECT
    mail["Message-ID"] = make_msgid(domain="claudia.local")
    mail.set_content(BODY.format(name=name or "", date=ticket["date"], message=ticket["message"],
                                 operator=ticket["operator_name"], answer=ticket["answer"],
                                 portal=settings.portal_url))
    return mail


def send(settings: SmtpSettings, mail: EmailMessage, timeout: float = 10.0) -> None:
    """Hands the e-mail to the SMTP server; raises (smtplib.SMTPException, OSError) if it is not taken."""
    if settings.security == "tls":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    with client:
        if settings.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.user:
            client.login(settings.user, settings.password)
        client.send_message(mail)


class TicketMails:
    def __init__(self, database: Database):
        self.db = database

    def remember_email(self, login: str, email: str) -> None:
        try:
            with self.db.write() as session:
                row = session.get(AccountEmail, login)
                if row is None:
                    session.add(AccountEmail(login=login, email=email, updated_at=utcnow()))
                elif row.email != email:
                    row.email, row.updated_at = email, utcnow()
        except IntegrityError:  # a sign-in of the same account at the same moment recorded it
            pass

    def queue(self, handoff_id: int) -> Optional[str]:
        """Keeps the e-mail of an answered message to send; the address, or None if the account has none."""
        with self.db.write() as session:
            handoff = session.get(Handoff, handoff_id)
            account = session.get(AccountEmail, handoff.login) if handoff is not None and handoff.login else None
            if account is None or session.get(TicketMail, handoff_id) is not None:
                return None
            session.add(TicketMail(handoff_id=handoff_id, email=account.email, created_at=utcnow(), attempts=0))
            return account.email

    def unsent(self, handoff_id: Optional[int] = None) -> List[dict]:
        """E-mails still to send, with what they say."""
        query = (select(TicketMail, Handoff, TicketAnswer, User.name)
                 .join(Handoff, Handoff.id == TicketMail.handoff_id)
                 .join(TicketAnswer, TicketAnswer.handoff_id == TicketMail.handoff_id)
                 .outerjoin(User, User.login == Handoff.login)
                 .where(TicketMail.sent_at.is_(None), TicketMail.attempts < MAX_ATTEMPTS)
                 .order_by(TicketMail.created_at))
        if handoff_id is not None:
            query = query.where(TicketMail.handoff_id == handoff_id)
        with self.db.read() as session:
            return [{"handoff_id": mail.handoff_id, "to": mail.email, "name": name or handoff.login,
                     "ticket": {"date": handoff.created_at.strftime("%d/%m/%Y"), "message": handoff.message or "",
                                "operator_name": answer.operator_name, "answer": answer.text}}
                    for mail, handoff, answer, name in session.execute(query).all()]

    def sent(self, handoff_id: int) -> None:
        with self.db.write() as session:
            row = session.get(TicketMail, handoff_id)
            row.sent_at, row.attempts = utcnow(), row.attempts + 1

    def failed(self, handoff_id: int, error: str) -> None:
        with self.db.write() as session:
            row = session.get(TicketMail, handoff_id)
            row.attempts, row.last_error = row.attempts + 1, error[:500]

    def status(self, handoff_id: int) -> Optional[dict]:
        with self.db.read() as session:
            row = session.get(TicketMail, handoff_id)
            return None if row is None else {"to": row.email, "sent": row.sent_at is not None,
                                             "attempts": row.attempts, "last_error": row.last_error}

    def send_pending(self, settings: SmtpSettings, handoff_id: Optional[int] = None) -> int:
        """Sends what waits (one e-mail, or all); how many were sent. Blocking: run it in a thread."""
        if not settings.enabled:
            return 0
        done = 0
        for item in self.unsent(handoff_id):
            try:
                send(settings, compose(settings, item["to"], item["name"], item["ticket"]))
            except (smtplib.SMTPException, OSError) as error:
                self.failed(item["handoff_id"], f"{type(error).__name__}: {error}")
                continue
            self.sent(item["handoff_id"])
            done += 1
        return done
