"""Conversation review for the assistant's maintainers (what Rasa X did, on our stack).

Reads the conversations from Rasa's SQL tracker store and joins what the
project's database knows about them (journal, evaluations, live chats, review
marks), so that a maintainer can find the failed ones, look at each turn,
correct an intent into the training data, and keep a conversation as a test story.
"""
from __future__ import annotations

import csv
import io
import json
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import yaml
from sqlalchemy import create_engine, select, text

from claudia.db import Database
from claudia.models import Conversation, Feedback, Handoff, JournalEntry, ReviewMark, utcnow

OUTCOMES = ("effectuee", "refusee", "abandonnee", "transferee", "sans_procedure")
PROCEDURE_INTENTS = {"activer_structure": "activer", "inactiver_structure": "inactiver"}
_file_lock = threading.Lock()
# Not shown in the conversation view: form bookkeeping, and the channel's identity
# assertion that Rasa copies into the session's metadata.
HIDDEN_SLOTS = {"requested_slot", "session_started_metadata"}


@dataclass
class Filters:
    since: Optional[date] = None
    until: Optional[date] = None
    user: Optional[str] = None
    procedure: Optional[str] = None
    outcome: Optional[str] = None
    thumbs_down: bool = False
    low_confidence: bool = False
    intent: Optional[str] = None
    action: Optional[str] = None
    reviewed: Optional[bool] = None
    tag: Optional[str] = None

    @classmethod
    def from_query(cls, query: Dict[str, str]) -> "Filters":
        def day(name):
            try:
                return date.fromisoformat(query.get(name, ""))
            except ValueError:
                return None

        reviewed = query.get("reviewed")
        return cls(
            since=day("since"), until=day("until"),
            user=query.get("user") or None, procedure=query.get("procedure") or None,
            outcome=query.get("outcome") or None,
            thumbs_down=query.get("thumbs_down") == "1", low_confidence=query.get("low_confidence") == "1",
            intent=query.get("intent") or None, action=query.get("action") or None,
            reviewed=None if reviewed not in ("0", "1") else reviewed == "1",
            tag=query.get("tag") or None,
        )


@dataclass
class Summary:
    conversation_id: str
    login: Optional[str]
    started: float
    ended: float
    turns: int
    procedure: Optional[str]
    outcome: str
    thumbs_down: bool
    thumbs_up: bool
    handed_off: bool
    min_confidence: Optional[float]
    fallback: bool
    intents: List[str] = field(default_factory=list)
    actions: List[str] = field(default_factory=list)
    refusal_reasons: List[str] = field(default_factory=list)
    reviewed: bool = False
    tags: List[str] = field(default_factory=list)

    def low_confidence(self, threshold: float) -> bool:
        return self.fallback or (self.min_confidence is not None and self.min_confidence < threshold)

    def as_dict(self, threshold: float) -> Dict[str, Any]:
        data = dict(self.__dict__)
        data["started"] = _iso(self.started)
        data["ended"] = _iso(self.ended)
        data["low_confidence"] = self.low_confidence(threshold)
        return data


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds")


class TrackerEvents:
    """Read access to Rasa's SQL tracker store (its `events` table)."""

    def __init__(self, url: str):
        self.engine = create_engine(url, future=True)

    def conversation_ids(self) -> List[str]:
        with self.engine.connect() as connection:
            rows = connection.execute(text("SELECT DISTINCT sender_id FROM events"))
            return [row[0] for row in rows]

    def events(self, conversation_id: Optional[str] = None) -> Dict[str, List[dict]]:
        query = "SELECT sender_id, data FROM events"
        params = {}
        if conversation_id is not None:
            query += " WHERE sender_id = :sid"
            params["sid"] = conversation_id
        grouped: Dict[str, List[dict]] = defaultdict(list)
        with self.engine.connect() as connection:
            for sender_id, data in connection.execute(text(query + " ORDER BY id"), params):
                grouped[sender_id].append(json.loads(data))
        return grouped


class Review:
    def __init__(self, database: Database, tracker_url: str, threshold: float = 0.7,
                 corrections_file: Optional[Path] = None, stories_file: Optional[Path] = None):
        self.db = database
        self.tracker = TrackerEvents(tracker_url)
        self.threshold = threshold
        self.corrections_file = corrections_file
        self.stories_file = stories_file

    # -- listing ----------------------------------------------------------------
    def summaries(self, all_events: Optional[Dict[str, List[dict]]] = None) -> List[Summary]:
        facts = self._facts()
        result = [
            self._summarize(cid, events, facts)
            for cid, events in (all_events if all_events is not None else self.tracker.events()).items()
            if any(e.get("event") == "user" for e in events)
        ]
        return sorted(result, key=lambda s: s.ended, reverse=True)

    def search(self, filters: Filters, page: int = 1, per_page: int = 20) -> Dict[str, Any]:
        matching = [s for s in self.summaries() if self._matches(s, filters)]
        start = max(page - 1, 0) * per_page
        return {
            "total": len(matching), "page": page, "per_page": per_page,
            "conversations": [s.as_dict(self.threshold) for s in matching[start:start + per_page]],
        }

    def _matches(self, summary: Summary, f: Filters) -> bool:
        day = datetime.fromtimestamp(summary.ended, tz=timezone.utc).date()
        checks = [
            f.since is None or day >= f.since,
            f.until is None or day <= f.until,
            f.user is None or summary.login == f.user,
            f.procedure is None or summary.procedure == f.procedure,
            f.outcome is None or summary.outcome == f.outcome,
            not f.thumbs_down or summary.thumbs_down,
            not f.low_confidence or summary.low_confidence(self.threshold),
            f.intent is None or f.intent in summary.intents,
            f.action is None or f.action in summary.actions,
            f.reviewed is None or summary.reviewed == f.reviewed,
            f.tag is None or f.tag in summary.tags,
        ]
        return all(checks)

    def _facts(self) -> Dict[str, Dict[str, Any]]:
        facts: Dict[str, Dict[str, Any]] = defaultdict(lambda: {
            "journal": [], "feedback": [], "handoffs": 0, "login": None, "mark": None})
        with self.db.read() as session:
            for entry in session.execute(select(JournalEntry)).scalars():
                facts[entry.conversation_id]["journal"].append((entry.outcome, entry.reason, entry.operation))
            for vote in session.execute(select(Feedback)).scalars():
                facts[vote.conversation_id]["feedback"].append(vote.vote)
            for handoff in session.execute(select(Handoff)).scalars():
                facts[handoff.conversation_id]["handoffs"] += 1
            for owner in session.execute(select(Conversation)).scalars():
                facts[owner.sender_id]["login"] = owner.login
            for mark in session.execute(select(ReviewMark)).scalars():
                facts[mark.conversation_id]["mark"] = (bool(mark.reviewed), json.loads(mark.tags))
        return facts

    def _summarize(self, cid: str, events: List[dict], facts: Dict[str, Dict[str, Any]]) -> Summary:
        known = facts[cid]
        users = [e for e in events if e.get("event") == "user"]
        intents = [((e.get("parse_data") or {}).get("intent") or {}) for e in users]
        actions = [e.get("name") for e in events if e.get("event") == "action" and e.get("name")]
        procedure = next((e.get("value") for e in events
                          if e.get("event") == "slot" and e.get("name") == "action_statut" and e.get("value")), None)
        if procedure is None:
            procedure = next((PROCEDURE_INTENTS[i.get("name")] for i in intents
                              if i.get("name") in PROCEDURE_INTENTS), None)
        confidences = [i.get("confidence") for i in intents
                       if i.get("confidence") is not None and not str(i.get("name", "")).startswith("/")]
        journal = known["journal"]
        outcomes = [o for o, _, _ in journal]
        if known["handoffs"]:
            outcome = "transferee"
        elif "effectuee" in outcomes:
            outcome = "effectuee"
        elif "refusee" in outcomes:
            outcome = "refusee"
        elif "abandonnee" in outcomes or "formulaire_statut" in actions:
            outcome = "abandonnee"
        else:
            outcome = "sans_procedure"
        reviewed, tags = known["mark"] or (False, [])
        return Summary(
            conversation_id=cid, login=known["login"],
            started=events[0].get("timestamp") or 0.0, ended=events[-1].get("timestamp") or 0.0,
            turns=len(users), procedure=procedure, outcome=outcome,
            thumbs_down="negatif" in known["feedback"], thumbs_up="positif" in known["feedback"],
            handed_off=bool(known["handoffs"]),
            min_confidence=min(confidences) if confidences else None,
            fallback=any(i.get("name") == "nlu_fallback" for i in intents) or "action_default_fallback" in actions,
            intents=sorted({i.get("name") for i in intents if i.get("name")}),
            actions=sorted(set(actions)),
            refusal_reasons=[r for o, r, _ in journal if o == "refusee" and r],
            reviewed=reviewed, tags=tags,
        )

    # -- one conversation ------------------------------------------------------------
    def detail(self, cid: str) -> Optional[Dict[str, Any]]:
        events = self.tracker.events(cid).get(cid)
        if not events:
            return None
        summary = self._summarize(cid, events, self._facts())
        steps = []
        for index, event in enumerate(events):
            kind = event.get("event")
            if kind == "user":
                parse = event.get("parse_data") or {}
                steps.append({"index": index, "kind": "user", "text": event.get("text"),
                              "intent": (parse.get("intent") or {}).get("name"),
                              "confidence": (parse.get("intent") or {}).get("confidence"),
                              "entities": [{"entity": e.get("entity"), "value": e.get("value")}
                                           for e in parse.get("entities") or []],
                              "at": _iso(event.get("timestamp") or 0)})
            elif kind == "bot":
                operator = (event.get("metadata") or {}).get("operateur")
                steps.append({"index": index, "kind": "operateur" if operator else "bot",
                              "text": event.get("text"), "name": operator})
            elif kind == "action" and event.get("name") != "action_listen":
                steps.append({"index": index, "kind": "action", "name": event.get("name")})
            elif kind == "slot" and event.get("value") is not None and event.get("name") not in HIDDEN_SLOTS:
                steps.append({"index": index, "kind": "slot", "name": event.get("name"),
                              "value": event.get("value")})
            elif kind in ("pause", "resume"):
                steps.append({"index": index, "kind": kind})
        with self.db.read() as session:
            journal = [e.as_dict() for e in session.execute(
                select(JournalEntry).where(JournalEntry.conversation_id == cid)).scalars()]
            feedback = [f.as_dict() for f in session.execute(
                select(Feedback).where(Feedback.conversation_id == cid)).scalars()]
            handoffs = [{"status": h.status, "operator": h.operator, "message": h.message}
                        for h in session.execute(select(Handoff).where(Handoff.conversation_id == cid)).scalars()]
        return {"summary": summary.as_dict(self.threshold), "steps": steps, "journal": journal,
                "feedback": feedback, "handoffs": handoffs}

    # -- marks ---------------------------------------------------------------------------
    def mark(self, cid: str, reviewer: str, reviewed: Optional[bool] = None,
             tags: Optional[Iterable[str]] = None) -> Dict[str, Any]:
        with self.db.write() as session:
            row = session.get(ReviewMark, cid) or ReviewMark(conversation_id=cid, reviewed=0, tags="[]")
            if reviewed is not None:
                row.reviewed = int(reviewed)
            if tags is not None:
                clean = sorted({t.strip()[:40] for t in tags if t and t.strip()})
                row.tags = json.dumps(clean, ensure_ascii=False)
            row.updated_by, row.updated_at = reviewer, utcnow()
            session.add(row)
            return {"reviewed": bool(row.reviewed), "tags": json.loads(row.tags)}

    # -- into the training data and the tests ---------------------------------------------------
    def add_correction(self, example: str, intent: str, known_intents: Iterable[str]) -> Path:
        """Adds `example` under `intent` in the corrections NLU file (created if needed)."""
        if intent not in set(known_intents):
            raise ValueError(f"intention inconnue : {intent}")
        example = " ".join(example.split())
        if not example or example.startswith("/"):
            raise ValueError("exemple vide ou commande : rien à ajouter")
        with _file_lock:
            data = {"version": "3.1", "nlu": []}
            if self.corrections_file.exists():
                data = yaml.safe_load(self.corrections_file.read_text(encoding="utf-8")) or data
            blocks = {b["intent"]: b for b in data.get("nlu") or []}
            block = blocks.setdefault(intent, {"intent": intent, "examples": ""})
            lines = [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]
            if example not in lines:
                lines.append(example)
            block["examples"] = "".join(f"- {line}\n" for line in lines)
            data["nlu"] = list(blocks.values())
            self.corrections_file.parent.mkdir(parents=True, exist_ok=True)
            self.corrections_file.write_text(_nlu_yaml(data), encoding="utf-8")
        return self.corrections_file

    async def save_story(self, cid: str, name: str) -> Path:
        """Appends the conversation, as a Rasa test story, to the review stories file."""
        from rasa.shared.core.domain import Domain  # Rasa's modules load only when needed

        from scripts.export_story import open_tracker_store, story_yaml

        domain = Domain.load(str(Path(__file__).resolve().parents[1] / "domain.yml"))
        store = open_tracker_store(self.tracker.engine.url.render_as_string(hide_password=False), domain)
        tracker = await store.retrieve(cid)
        if tracker is None:
            raise ValueError("conversation introuvable")
        story = story_yaml(tracker, domain, name or cid)
        with _file_lock:
            self.stories_file.parent.mkdir(parents=True, exist_ok=True)
            if self.stories_file.exists() and self.stories_file.read_text(encoding="utf-8").strip():
                story = story.split("stories:\n", 1)[1]
                with self.stories_file.open("a", encoding="utf-8") as handle:
                    handle.write(story)
            else:
                self.stories_file.write_text(story, encoding="utf-8")
        return self.stories_file

    # -- exports and dashboard --------------------------------------------------------------------
    def export_csv(self, filters: Filters) -> str:
        rows = self.search(filters, per_page=10**9)["conversations"]
        out = io.StringIO()
        columns = ["conversation_id", "login", "started", "ended", "turns", "procedure", "outcome",
                   "thumbs_down", "handed_off", "min_confidence", "low_confidence", "reviewed", "tags", "intents"]
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "tags": " ".join(row["tags"]), "intents": " ".join(row["intents"])})
        return out.getvalue()

    def dashboard(self) -> Dict[str, Any]:
        all_events = self.tracker.events()  # read once for the summaries and the confidences
        summaries = self.summaries(all_events)
        per_day = Counter(datetime.fromtimestamp(s.started, tz=timezone.utc).date().isoformat() for s in summaries)
        per_procedure: Dict[str, Counter] = defaultdict(Counter)
        for s in summaries:
            if s.procedure:
                per_procedure[s.procedure][s.outcome] += 1
        refusals = Counter(r for s in summaries for r in s.refusal_reasons)
        votes = Counter()
        with self.db.read() as session:
            for vote in session.execute(select(Feedback.vote)).scalars():
                votes[vote] += 1
        confidences: Dict[str, List[float]] = defaultdict(list)
        for events in all_events.values():
            for event in events:
                intent = ((event.get("parse_data") or {}).get("intent") or {}) if event.get("event") == "user" else {}
                if intent.get("name") and intent.get("confidence") is not None and \
                        not (event.get("text") or "").startswith("/"):
                    confidences[intent["name"]].append(intent["confidence"])
        lowest = sorted(((name, sum(v) / len(v), len(v)) for name, v in confidences.items()), key=lambda x: x[1])
        return {
            "conversations_per_day": sorted(per_day.items()),
            "completion_rate": {p: round(c["effectuee"] / max(sum(c.values()), 1), 3) for p, c in per_procedure.items()},
            "refusals_by_reason": refusals.most_common(),
            "votes": dict(votes),
            "handoff_rate": round(sum(s.handed_off for s in summaries) / max(len(summaries), 1), 3),
            "lowest_confidence_intents": [{"intent": n, "confidence": round(c, 3), "count": k} for n, c, k in lowest[:8]],
            "total": len(summaries),
        }


def _nlu_yaml(data: Dict[str, Any]) -> str:
    """NLU YAML in Rasa's usual layout (examples as a literal block)."""
    lines = ['version: "3.1"', "nlu:"]
    for block in data["nlu"]:
        lines.append(f"  - intent: {block['intent']}")
        lines.append("    examples: |")
        for example in block["examples"].splitlines():
            lines.append(f"      {example}")
    return "\n".join(lines) + "\n"
