"""Who and what a commit of the data repository says (claudia.data_versions): the author made
from the reviewer's login and name, the message from what the review did and why.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

DEFAULT_EMAIL_DOMAIN = "revue.claudia.invalid"
MAX_LINES_IN_MESSAGE = 60
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def one_line(text: object, limit: int = 200) -> str:
    """A printable single line (controls and direction marks dropped), at most `limit` characters."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") else c
                   for c in str(text or ""))
    line = " ".join(kept.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def author_of(login: str, name: Optional[str], domain: str) -> Tuple[str, str]:
    """(name, e-mail) for git: the reviewer's name on one line, without the characters git's
    ident format gives a meaning to (< > and newlines), and an address made of the login's letters,
    digits, dots, dashes and underscores at the configured domain."""
    folded = unicodedata.normalize("NFKD", login or "").encode("ascii", "ignore").decode().lower()
    local = re.sub(r"[^a-z0-9._-]+", "-", folded).strip(".-") or "relecteur-inconnu"
    shown = one_line(re.sub(r"[<>]", "", name or login or ""), 80).strip(" .,:;\"'") or local
    return shown, f"{local[:64]}@{domain}"


def email_domain(raw: Optional[str]) -> str:
    domain = (raw or "").strip().lower()
    return domain if HOSTNAME.match(domain) else DEFAULT_EMAIL_DOMAIN


@dataclass
class Recording:
    """What the change is; filled by the review while it writes."""

    author: Tuple[str, str]
    reviewer: str
    subject: str = ""
    why: str = ""
    lines: List[str] = field(default_factory=list)
    sha: Optional[str] = None

    def describe(self, subject: str, why: str, lines: Optional[List[str]] = None) -> None:
        self.subject, self.why, self.lines = one_line(subject, 120), one_line(why, 1000), list(lines or [])

    def message(self) -> str:
        shown = [f"- {one_line(line, 200)}" for line in self.lines[:MAX_LINES_IN_MESSAGE]]
        if len(self.lines) > MAX_LINES_IN_MESSAGE:
            shown.append(f"- … et {len(self.lines) - MAX_LINES_IN_MESSAGE} autre(s)")
        body = f"Pourquoi : {self.why}\n" + ("\n" + "\n".join(shown) + "\n" if shown else "")
        return f"{self.subject}\n\n{body}\nRelecteur : {one_line(self.reviewer, 128)}\n"
