"""Conversation review for the assistant's maintainers (what Rasa X did, on our stack).

`Review` ties together the review index (claudia.review_index, kept up to date
by a background task and before each page), its queries and marks, the
training-data writer and the test-story writer. One conversation's own events
are read from Rasa's tracker store by its indexed sender id; nothing here ever
reads the whole tracker store.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import select, text

from claudia.data_versions import DataVersions
from claudia.db import Database
from claudia.params import printable_in
from claudia.models import Feedback, Handoff, JournalEntry, UnverifiedRow
from claudia.provenance import unverified
from claudia.review_index import ReviewIndexer
from claudia.review_models import COMMENT
from claudia.review_queries import Filters, MessageFilters, ReviewQueries, iso  # noqa: F401 (re-exported)
from claudia.review_store import CONFIRMED, CORRECTED, ReviewStore
from claudia.review_tags import ReviewTags
from web.cpu_meter import CpuMeter
from web.review_commits import corrections_message, story_message
from web.review_story import StoryFile
from web.review_training import Outcome, TrainingData, clean_text

logger = logging.getLogger(__name__)
# Not shown in the conversation view: form bookkeeping, and the channel's identity
# assertion that Rasa copies into the session's metadata.
HIDDEN_SLOTS = {"requested_slot", "session_started_metadata"}
MAX_EVENTS_SHOWN = 2000
# The background pass waits while the processors are busier than this, but never longer.
BUSY_MACHINE = 0.7
BUSY_WINDOW_SECONDS = 0.25
LONGEST_INDEX_WAIT_SECONDS = 30.0


class Review:
    def __init__(self, database: Database, tracker_url: str, threshold: float = 0.7,
                 corrections_file: Optional[Path] = None, stories_file: Optional[Path] = None,
                 domain_file: Optional[Path] = None, nlu_dir: Optional[Path] = None, batch: int = 2000,
                 versions: Optional[DataVersions] = None):
        root = Path(__file__).resolve().parents[1]
        self.db = database
        self.threshold = threshold
        self.indexer = ReviewIndexer(database, tracker_url, batch=batch)
        self._pass = threading.Lock()
        self.queries = ReviewQueries(database, threshold)
        self.store = ReviewStore(database)
        self.tags = ReviewTags(database)
        self.training = TrainingData(corrections_file or root / "data" / "nlu" / "corrections.yml",
                                     nlu_dir if nlu_dir is not None else root / "data" / "nlu")
        self.stories = StoryFile(tracker_url, stories_file or root / "tests" / "stories" / "test_revues.yml",
                                 domain_file or root / "domain.yml")
        # Every change of the training data and stories is a commit of the data repository (None: not versioned).
        self.versions = versions

    # -- keeping the index up to date ------------------------------------------------------------
    def refresh(self) -> int:
        """One bounded pass: what is new since the last one (at most `batch` rows per source).

        Skipped when a pass is already running in this process: a page never waits for one. A row
        that cannot be indexed is skipped by the indexer; a pass that fails all the same (a locked
        database…) is logged and the page shows the index as it is."""
        if not self._pass.acquire(blocking=False):
            return 0
        try:
            return self.indexer.run_once()
        except Exception:  # a page shows the index as it is rather than an error (issue #26)
            logger.exception("indexation de la revue en échec : la page montre l'index tel qu'il est")
            return 0
        finally:
            self._pass.release()

    async def run_indexer(self, every: float = 1.0, meter: Optional[CpuMeter] = None,
                          longest_wait: float = LONGEST_INDEX_WAIT_SECONDS) -> None:
        """Background task of the web front: a pass every `every` seconds, in a worker thread.

        While the processors were busier than BUSY_MACHINE over the last quarter of a second
        (users being answered), the pass waits, `longest_wait` seconds at most; a page still
        brings the index up to date before it is shown."""
        meter = meter or CpuMeter()
        loop = asyncio.get_running_loop()
        last_pass = loop.time() - every
        while True:
            await asyncio.sleep(min(every, BUSY_WINDOW_SECONDS))
            busy = meter.busy_fraction() >= BUSY_MACHINE
            waited = loop.time() - last_pass
            if waited < every or (busy and waited < longest_wait):
                continue
            try:
                while await asyncio.to_thread(self.refresh):
                    await asyncio.sleep(0)  # catching up: go on, leaving the event loop its turn
            except Exception:  # a locked or unreachable database must not stop the task
                logger.exception("indexation de la revue")
            last_pass = loop.time()
            meter.busy_fraction()  # the next window starts after the pass, not counting it

    # -- reading ----------------------------------------------------------------------------------------
    def search(self, filters: Filters, before: Optional[str] = None, per_page: int = 20) -> Dict[str, Any]:
        return self.queries.search(filters, before, per_page)

    def messages(self, filters: MessageFilters, before: Optional[int] = None, per_page: int = 20) -> Dict[str, Any]:
        found = self.queries.messages(filters, before, per_page)
        self._with_corrections(found["messages"])
        return found

    def _with_corrections(self, messages: List[Dict[str, Any]]) -> None:
        """Marks a message whose (cleaned) text is already in the training data, under which intent."""
        cleaned = {m["id"]: clean_text(m["text"] or "") for m in messages}
        known = self.store.corrections_for(cleaned.values())
        for message in messages:
            message["in_training"] = known.get(cleaned[message["id"]])

    def detail(self, cid: str) -> Optional[Dict[str, Any]]:
        self.refresh()
        summary = self.queries.summary(cid)
        if summary is None:  # perhaps too new: wait for the pass that is running, and one more
            with self._pass:
                self.indexer.run_once()
            summary = self.queries.summary(cid)
        if summary is None:
            return None
        indexed = self.queries.messages_of(cid)
        self._with_corrections(list(indexed.values()))
        steps = []
        with self.indexer.tracker.connect() as connection:
            rows = connection.execute(text("SELECT id, data FROM events WHERE sender_id = :sid ORDER BY id LIMIT :n"),
                                      {"sid": cid, "n": MAX_EVENTS_SHOWN})
            for event_id, data in rows:
                # the tracker's own text, shown as is but for what no page can encode (lone surrogates)
                step = printable_in(_step(event_id, json.loads(data), indexed.get(event_id)))
                if step:
                    steps.append(step)
        with self.db.read() as session:
            journal = [e.as_dict() for e in session.execute(
                select(JournalEntry).where(JournalEntry.conversation_id == cid)).scalars()]
            feedback = [f.as_dict() for f in session.execute(
                select(Feedback).where(Feedback.conversation_id == cid)).scalars()]
            handoffs = [{"id": h.id, "status": h.status, "operator": h.operator, "message": h.message}
                        for h in session.execute(select(Handoff).where(Handoff.conversation_id == cid)).scalars()]
            # rows written in the user's name that their sealed messages did not vouch for (claudia/provenance.py)
            for rows, column in ((journal, UnverifiedRow.journal_id), (feedback, UnverifiedRow.feedback_id),
                                 (handoffs, UnverifiedRow.handoff_id)):
                marked = unverified(session, column, [row["id"] for row in rows])
                for row in rows:
                    row["verified"] = row["id"] not in marked
        return {"summary": summary, "steps": steps, "journal": journal, "feedback": feedback, "handoffs": handoffs,
                "tags": self.tags.of(cid)}

    # -- changing -----------------------------------------------------------------------------------------
    def mark(self, cid: str, reviewer: str, reviewed: Optional[bool] = None,
             tags: Optional[Iterable[str]] = None) -> Dict[str, Any]:
        self.refresh()
        return self.store.mark(cid, reviewer, reviewed, tags)

    def add_tag(self, cid: str, raw: str, reviewer: str) -> str:
        """Puts the reviewer's label on the conversation; returns it as kept (BadParameter if unfit,
        LookupError for a conversation the review does not know)."""
        self.refresh()
        if self.queries.summary(cid) is None:
            raise LookupError(cid)
        return self.tags.add(cid, raw, reviewer)

    def remove_tag(self, cid: str, tag: str) -> bool:
        self.refresh()
        return self.tags.remove(cid, tag)

    def _recording(self, reviewer: str, reviewer_name: Optional[str]):
        return self.versions.recording(reviewer, reviewer_name) if self.versions else nullcontext(None)

    def review_messages(self, ids: Iterable[int], reviewer: str, known_intents: Iterable[str],
                        intent: Optional[str] = None, reviewer_name: Optional[str] = None) -> Outcome:
        """Confirms (intent None: the prediction was right) or corrects the messages into the training data
        (a commit of the data repository, the reviewer its author, when versioned)."""
        self.refresh()
        messages = self.queries.messages_by_id(sorted({int(i) for i in ids})[:500])
        comments = [m for m in messages if m["status"] == COMMENT]  # not requests: never training data
        messages = [m for m in messages if m["status"] != COMMENT]
        pairs = [(m["text"], intent or m["intent"]) for m in messages]
        with self._recording(reviewer, reviewer_name) as recording:
            outcome = self.training.add(pairs, known_intents)
            if recording is not None and (outcome.added or outcome.moved):
                recording.describe(*corrections_message(outcome, intent))
        refused = {raw for raw, _ in outcome.refused} | {clean_text(raw) for raw, _ in outcome.refused}
        done = [m for m in messages if m["text"] not in refused and clean_text(m["text"]) not in refused]
        outcome.refused += [(m["text"], "un commentaire d'évaluation n'est pas une demande à classer")
                            for m in comments]
        for text_, chosen in outcome.added + outcome.already + [(t, new) for t, _, new in outcome.moved]:
            self.store.record_correction(text_, chosen, reviewer)
        groups: Dict[tuple, List[int]] = {}
        for m in done:
            chosen = intent or m["intent"]
            groups.setdefault((CORRECTED if chosen != m["intent"] else CONFIRMED, chosen), []).append(m["id"])
        for (status, chosen), message_ids in groups.items():
            self.store.set_status(message_ids, status, chosen, reviewer)
        return outcome

    async def story_steps(self, cid: str) -> List[Dict[str, Any]]:
        return await self.stories.steps(cid)

    async def save_story(self, cid: str, name: str, actions: Optional[Dict[int, str]] = None,
                         intents: Optional[Dict[int, str]] = None, existing: Optional[str] = None,
                         reviewer: str = "", reviewer_name: Optional[str] = None) -> Tuple[str, Optional[str]]:
        """Saves the test story; returns its name and whether a story of that name was replaced or
        kept beside it (StoryExists when the name is taken and `existing` does not say which). When
        versioned, the story is a commit of the data repository with the reviewer as its author."""
        if self.versions is None:
            return await self.stories.save(cid, name, actions, intents, existing)
        steps = {step["index"]: step.get("intent") or step.get("name") for step in await self.stories.steps(cid)}
        changed_actions = {i: a for i, a in (actions or {}).items() if steps.get(i) != a}
        changed_intents = {i: a for i, a in (intents or {}).items() if steps.get(i) != a}
        recording_block = self.versions.recording(reviewer, reviewer_name)
        recording = await asyncio.to_thread(recording_block.__enter__)
        try:
            saved, done = await self.stories.save(cid, name, actions, intents, existing)
            recording.describe(*story_message(cid, saved, done, changed_actions, changed_intents))
        except BaseException as error:
            await asyncio.to_thread(recording_block.__exit__, type(error), error, error.__traceback__)
            raise
        await asyncio.to_thread(recording_block.__exit__, None, None, None)
        return saved, done

    def dashboard(self) -> Dict[str, Any]:
        self.refresh()
        return self.store.dashboard()


def _step(event_id: int, event: Dict[str, Any], message: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    kind = event.get("event")
    if kind == "user":
        parse = event.get("parse_data") or {}
        return {"index": event_id, "kind": "user", "text": event.get("text"),
                "intent": (parse.get("intent") or {}).get("name"),
                "confidence": (parse.get("intent") or {}).get("confidence"),
                "entities": [{"entity": e.get("entity"), "value": e.get("value")} for e in parse.get("entities") or []],
                "at": iso(event.get("timestamp")), "message": message}
    if kind == "bot":
        operator = (event.get("metadata") or {}).get("operateur")
        return {"index": event_id, "kind": "operateur" if operator else "bot", "text": event.get("text"),
                "name": operator}
    if kind == "action" and event.get("name") != "action_listen":
        return {"index": event_id, "kind": "action", "name": event.get("name")}
    if kind == "slot" and event.get("value") is not None and event.get("name") not in HIDDEN_SLOTS:
        return {"index": event_id, "kind": "slot", "name": event.get("name"),
                "value": json.dumps(event.get("value"), ensure_ascii=False)}
    if kind in ("pause", "resume"):
        return {"index": event_id, "kind": kind}
    return None
