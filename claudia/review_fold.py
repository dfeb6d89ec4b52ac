"""Folding new events into the review index's rows (no database access here).

`Folder` holds the touched conversations of one indexer pass as plain dicts,
applies tracker events, journal entries, evaluations and live-chat requests to
them, and collects the rows and running totals to write.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Set, Tuple

from claudia.params import LATEST_TIMESTAMP, unstorable
from claudia.review_models import COMMENT

PROCEDURE_INTENTS = {"activer_structure": "activer", "inactiver_structure": "inactiver"}
FALLBACK_INTENT, FORM = "nlu_fallback", "formulaire_statut"
# Rasa's own fallback, and ClaudIA's answer to a message it did not understand.
FALLBACK_ACTIONS = {"action_default_fallback", "action_message_incompris"}
OUTCOMES = ("effectuee", "refusee", "abandonnee", "transferee", "sans_procedure")
UNLABELLED_ACTIONS = {"action_listen"}
# The slot the evaluation's comment step fills with the user's text (actions/evaluation_actions.py).
COMMENT_SLOT, COMMENT_LENGTH = "commentaire", 1000

CONVERSATION_FIELDS = ("login", "started", "ended", "turns", "procedure", "outcome", "done", "refused",
                       "abandoned", "refusal_reasons", "thumbs_down", "thumbs_up", "handed_off",
                       "min_confidence", "fallback")


def day_of(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).date().isoformat()


def new_conversation(sender_id: str) -> Dict[str, Any]:
    return {"id": None, "sender_id": sender_id, "login": None, "started": 0.0, "ended": 0.0, "turns": 0,
            "procedure": None, "outcome": "sans_procedure", "done": 0, "refused": 0, "abandoned": 0,
            "refusal_reasons": "[]", "thumbs_down": 0, "thumbs_up": 0, "handed_off": 0,
            "min_confidence": None, "fallback": 0}


class Unindexable(ValueError):
    """An event whose indexed fields no database can store; the message says why (French, no content)."""


def _storable(*texts: Optional[str]) -> None:
    if any(text is not None and unstorable(text) for text in texts):
        raise Unindexable("caractères impossibles à enregistrer : surrogat isolé ou NUL")


def _number(value: Any) -> float:
    number = float(value)  # ValueError or TypeError on what is not a number
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _user_fields(data: Dict[str, Any]) -> Tuple[str, Optional[str], Optional[float], str]:
    """(text, intent, confidence, entities as JSON) of a user event, checked before anything is folded."""
    text, parse = data.get("text") or "", data.get("parse_data") or {}
    intent = (parse.get("intent") or {}) if isinstance(parse, dict) else None
    entities = (parse.get("entities") or []) if isinstance(parse, dict) else None
    if not isinstance(text, str) or not isinstance(intent, dict) or not isinstance(entities, list) \
            or not all(isinstance(e, dict) for e in entities):
        raise ValueError("user event of an unexpected shape")
    name, confidence = intent.get("name"), intent.get("confidence")
    if name is not None and not isinstance(name, str):
        raise ValueError("intent name is not a string")
    kept = json.dumps([{"entity": e.get("entity"), "value": e.get("value")} for e in entities], ensure_ascii=False)
    _storable(text, name, kept)  # (a NUL inside the JSON is escaped: only its surrogates matter)
    return text, name[:255] if name else name, None if confidence is None else _number(confidence), kept


def same_comment(text: Any, comment: str) -> bool:
    """Is `text` the message the comment slot repeats (stripped and cut as the form keeps it)?"""
    return isinstance(text, str) and text.strip()[:COMMENT_LENGTH] == comment


def outcome_of(row: Dict[str, Any]) -> str:
    if row["handed_off"]:
        return "transferee"
    for flag, outcome in (("done", "effectuee"), ("refused", "refusee"), ("abandoned", "abandonnee")):
        if row[flag]:
            return outcome
    return "sans_procedure"


class Folder:
    """The rows one pass changes; `rows` maps sender_id to the conversation's current row."""

    def __init__(self, rows: Dict[str, Dict[str, Any]], labels: Set[Tuple[str, str, str]]):
        self.rows = rows
        self.before = {sid: (row["procedure"], row["outcome"], row["handed_off"], row["turns"])
                       for sid, row in rows.items()}
        self.known_labels = labels  # (sender_id, kind, value)
        self.new_labels: List[Tuple[str, str, str]] = []
        self.messages: List[Dict[str, Any]] = []
        self.stats: Counter = Counter()  # (kind, key) -> count delta
        self.sums: Counter = Counter()  # (kind, key) -> sum delta
        self.touched: Set[str] = set()
        self.comment_ids: Set[int] = set()  # user events the evaluation took as its comment
        self.late_comments: List[Tuple[str, str]] = []  # (sender_id, comment) of a message indexed earlier

    def expect_comments(self, events: List[Tuple[int, str, Dict[str, Any]]]) -> None:
        """Before folding: the user messages that answered « Saisissez votre commentaire ». The
        form copies such a message into the `commentaire` slot in the same turn, so the user event
        that slot repeats is a comment, not a request to classify. When that message was read by
        an earlier pass, the writer marks it (`late_comments`)."""
        last_user: Dict[str, Tuple[int, Any]] = {}
        for event_id, sender_id, data in events:
            if data.get("event") == "user":
                last_user[sender_id] = (event_id, data.get("text"))
            elif data.get("event") == "slot" and data.get("name") == COMMENT_SLOT \
                    and isinstance(data.get("value"), str) and data["value"].strip():
                if sender_id not in last_user:
                    self.late_comments.append((sender_id, data["value"]))
                elif same_comment(last_user[sender_id][1], data["value"]):
                    self.comment_ids.add(last_user[sender_id][0])

    def row(self, sender_id: str) -> Dict[str, Any]:
        if sender_id not in self.rows:
            self.rows[sender_id] = new_conversation(sender_id)
            self.before[sender_id] = (None, "sans_procedure", 0, 0)
        self.touched.add(sender_id)
        return self.rows[sender_id]

    def label(self, sender_id: str, kind: str, value: Optional[str]) -> None:
        key = (sender_id, kind, str(value)[:255])
        if value and key not in self.known_labels:
            self.known_labels.add(key)
            self.new_labels.append(key)

    # -- tracker events ---------------------------------------------------------------------
    def event(self, event_id: int, sender_id: str, data: Dict[str, Any]) -> None:
        """Folds one event; raises ValueError, changing nothing, when its fields are not of the
        types Rasa writes (the indexer then skips it and says so)."""
        at = _number(data.get("timestamp") or 0.0)
        if not 0 <= at <= LATEST_TIMESTAMP:  # a date no page nor day count could show
            raise ValueError("timestamp out of range")
        kind = data.get("event")
        user = _user_fields(data) if kind == "user" else None
        action = str(data["name"]) if kind == "action" and data.get("name") else None
        procedure = (str(data["value"])[:16] if kind == "slot" and data.get("name") == "action_statut"
                     and data.get("value") else None)
        _storable(action, procedure)
        row = self.row(sender_id)
        if at:
            row["started"] = at if not row["started"] else min(row["started"], at)
            row["ended"] = max(row["ended"], at)
        if user is not None:
            self._user(event_id, sender_id, row, at, *user)
        elif action is not None:
            if action not in UNLABELLED_ACTIONS:
                self.label(sender_id, "a", action)
            if action in FALLBACK_ACTIONS:
                row["fallback"] = 1
            elif action == FORM:
                row["abandoned"] = 1
        elif procedure is not None:
            row["procedure"] = procedure

    def _user(self, event_id: int, sender_id: str, row: Dict[str, Any], at: float, text: str,
              name: Optional[str], confidence: Optional[float], entities: str) -> None:
        row["turns"] += 1
        comment = event_id in self.comment_ids  # kept for the conversation's page, guessed at by no one
        if not comment:
            self.label(sender_id, "i", name)
            if name == FALLBACK_INTENT:
                row["fallback"] = 1
            if row["procedure"] is None and name in PROCEDURE_INTENTS:
                row["procedure"] = PROCEDURE_INTENTS[name]
        if text.startswith("/") or not text.strip():
            return  # a button: nothing the NLU guessed
        if confidence is not None and not comment:
            row["min_confidence"] = confidence if row["min_confidence"] is None else min(row["min_confidence"], confidence)
            if name:
                self.stats[("intent", name)] += 1
                self.sums[("intent", name)] += confidence
        self.messages.append({"id": event_id, "sender_id": sender_id, "at": at, "text": text,
                              "intent": name, "confidence": confidence, "entities": entities,
                              "status": COMMENT if comment else None})

    # -- the project's own tables -------------------------------------------------------------
    def journal(self, sender_id: str, outcome: str, reason: Optional[str]) -> None:
        row = self.row(sender_id)
        if outcome == "effectuee":
            row["done"] = 1
        elif outcome == "refusee":
            row["refused"] = 1
            if reason:
                reasons = json.loads(row["refusal_reasons"])
                row["refusal_reasons"] = json.dumps(reasons + [reason], ensure_ascii=False)
                self.stats[("refusal", reason)] += 1
        elif outcome == "abandonnee":
            row["abandoned"] = 1

    def feedback(self, sender_id: str, vote: str) -> None:
        row = self.row(sender_id)
        if vote == "negatif":
            row["thumbs_down"] = 1
        elif vote == "positif":
            row["thumbs_up"] = 1
        self.stats[("vote", vote)] += 1

    def handoff(self, sender_id: str) -> None:
        self.row(sender_id)["handed_off"] = 1

    # -- after folding ---------------------------------------------------------------------------
    def finish(self) -> None:
        """Derives outcomes and the dashboard's running totals from what changed."""
        for sender_id in self.touched:
            row = self.rows[sender_id]
            row["outcome"] = outcome_of(row)
            procedure, outcome, handed_off, turns = self.before[sender_id]
            if turns == 0 and row["turns"] > 0:
                self.stats[("day", day_of(row["started"] or row["ended"]))] += 1
                self.stats[("total", "conversations")] += 1
            if (procedure, outcome) != (row["procedure"], row["outcome"]):
                if procedure:
                    self.stats[("outcome", f"{procedure}:{outcome}")] -= 1
                if row["procedure"]:
                    self.stats[("outcome", f"{row['procedure']}:{row['outcome']}")] += 1
            if row["handed_off"] and not handed_off:
                self.stats[("total", "handed_off")] += 1
