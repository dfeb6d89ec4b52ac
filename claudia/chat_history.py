"""A conversation as people read it, from the tracker's events (Rasa's JSON form).

Used by the user's chat (history after a reload, in every tab) and by the
operators' console (transcripts). A clicked button shows as its title, not its
payload; buttons that were answered are marked so, and only the newest unanswered
ones stay active.
"""
from __future__ import annotations

from typing import Dict, List, Optional

USER, ASSISTANT, OPERATOR = "utilisateur", "assistant", "operateur"


def _buttons(event: dict) -> List[dict]:
    buttons = (event.get("data") or {}).get("buttons") or []
    return [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in buttons if isinstance(b, dict)]


def _title_for(payload: str, offered: List[dict]) -> Optional[str]:
    for button in offered:
        if button["payload"] == payload:
            return button["title"]
    return None


def readable(events: List[Dict]) -> List[dict]:
    """Messages in order: {author, text, at, operator_name?, buttons, chosen?, active}."""
    lines: List[dict] = []
    offered: List[dict] = []  # buttons of the assistant's last turn
    for event in events:
        kind = event.get("event")
        if kind == "user":
            text = event.get("text") or ""
            if text.startswith("/"):
                title = _title_for(text, offered)
                if title is None:
                    continue  # an internal command, not something the user wrote
                for line in lines:
                    if line.get("buttons") and line["active"]:
                        line["chosen"] = text if _title_for(text, line["buttons"]) else line.get("chosen")
                text = title
            for line in lines:
                line["active"] = False
            offered = []
            lines.append({"author": USER, "text": text, "at": event.get("timestamp"), "buttons": [],
                          "active": False})
        elif kind == "bot" and (event.get("text") or _buttons(event)):
            operator = (event.get("metadata") or {}).get("operateur")
            buttons = _buttons(event)
            if buttons:
                offered = offered + buttons
            lines.append({"author": OPERATOR if operator else ASSISTANT, "operator_name": operator,
                          "text": event.get("text") or "", "at": event.get("timestamp"),
                          "buttons": buttons, "chosen": None, "active": bool(buttons)})
    # Only the newest buttons can still be clicked.
    newest = next((line for line in reversed(lines) if line["active"]), None)
    for line in lines:
        line["active"] = line is newest
    return lines
