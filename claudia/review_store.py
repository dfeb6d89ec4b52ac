"""What a reviewer changes in the review index, and what the dashboard and exports read.

Marks on conversations (labels: claudia.review_tags), the review status of messages (confirmed or
corrected), the texts written into the training data, the dashboard's running
totals, and CSV export cells made safe for spreadsheets.
"""
from __future__ import annotations

import csv
import io
import json
import time
from datetime import date, timedelta
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy import select, update

from claudia.db import Database
from claudia.review_models import ReviewConversation as C
from claudia.review_models import ReviewCorrection, ReviewMark, ReviewStat
from claudia.review_models import ReviewMessage as M
from claudia.review_tags import set_tags
from claudia.table_base import utcnow

CONFIRMED, CORRECTED = "confirme", "corrige"
# A cell starting with one of these is read as a formula by spreadsheet software.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
EXPORT_COLUMNS = ["conversation_id", "login", "started", "ended", "turns", "procedure", "outcome",
                  "thumbs_down", "handed_off", "min_confidence", "low_confidence", "reviewed", "tags", "intents"]
DASHBOARD_DAYS = 30


def csv_safe(value: Any) -> Any:
    """Neutralises a cell that a spreadsheet would run as a formula (OWASP: prefix a quote)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_lines(rows: Iterable[Dict[str, Any]]) -> Iterable[str]:
    """The export, the header then a line per conversation (the caller streams it)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    yield out.getvalue()  # the first bytes leave before any row is read
    out.seek(0)
    out.truncate()
    for row in rows:
        flat = {**row, "tags": " ".join(row["tags"]), "intents": " ".join(row["intents"])}
        writer.writerow({key: csv_safe(value) for key, value in flat.items()})
        if out.tell() > 16384:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


class ReviewStore:
    def __init__(self, database: Database):
        self.db = database

    # -- conversations ------------------------------------------------------------------------
    def mark(self, sender_id: str, reviewer: str, reviewed: Optional[bool] = None,
             tags: Optional[Iterable[str]] = None) -> Dict[str, Any]:
        """Marks the conversation reviewed or not; with `tags`, sets its labels to exactly these."""
        with self.db.write() as session:
            row = session.get(ReviewMark, sender_id) or ReviewMark(conversation_id=sender_id, reviewed=0, tags="[]")
            if reviewed is not None:
                row.reviewed = int(reviewed)
            row.updated_by, row.updated_at = reviewer, utcnow()
            session.add(row)
            kept = set_tags(session, sender_id, tags, reviewer) if tags is not None else None
            indexed = session.execute(select(C).where(C.sender_id == sender_id)).scalar()
            if indexed is not None:
                indexed.reviewed = row.reviewed
            return {"reviewed": bool(row.reviewed), "tags": kept if kept is not None else
                    json.loads(indexed.tags if indexed is not None else "[]")}

    # -- messages -----------------------------------------------------------------------------------
    def set_status(self, message_ids: List[int], status: str, intent: str, reviewer: str) -> None:
        with self.db.write() as session:
            session.execute(update(M).where(M.id.in_(message_ids))
                            .values(status=status, final_intent=intent, reviewed_by=reviewer))

    def corrections_for(self, texts: Iterable[str]) -> Dict[str, str]:
        """The intent each of these texts was written under in the training data, if any."""
        wanted = sorted({t for t in texts if t})
        if not wanted:
            return {}
        with self.db.read() as session:
            query = select(ReviewCorrection.text, ReviewCorrection.intent).where(ReviewCorrection.text.in_(wanted))
            return dict(session.execute(query).all())

    def record_correction(self, example: str, intent: str, reviewer: str) -> Optional[str]:
        """Remembers that `example` is in the training data under `intent`; returns the previous intent."""
        with self.db.write() as session:
            row = session.get(ReviewCorrection, example)
            previous = row.intent if row else None
            if row is None:
                row = ReviewCorrection(text=example, intent=intent, by=reviewer, at=time.time())
            row.intent, row.by, row.at = intent, reviewer, time.time()
            session.add(row)
            return previous

    # -- dashboard ---------------------------------------------------------------------------------------
    def dashboard(self, today: Optional[date] = None) -> Dict[str, Any]:
        today = today or date.today()
        first_day = (today - timedelta(days=DASHBOARD_DAYS - 1)).isoformat()
        with self.db.read() as session:
            rows = session.execute(select(ReviewStat)).scalars().all()
        stats: Dict[str, Dict[str, ReviewStat]] = {}
        for row in rows:
            stats.setdefault(row.kind, {})[row.key] = row
        per_day = sorted((k, r.count) for k, r in stats.get("day", {}).items() if k >= first_day and r.count)
        per_procedure: Dict[str, Dict[str, int]] = {}
        for key, row in stats.get("outcome", {}).items():
            procedure, _, outcome = key.partition(":")
            per_procedure.setdefault(procedure, {})[outcome] = row.count
        totals = {k: r.count for k, r in stats.get("total", {}).items()}
        total = totals.get("conversations", 0)
        intents = sorted(((k, r.total / r.count, r.count) for k, r in stats.get("intent", {}).items() if r.count),
                         key=lambda x: x[1])
        return {
            "conversations_per_day": per_day,
            "completion_rate": {p: round(c.get("effectuee", 0) / max(sum(c.values()), 1), 3)
                                for p, c in sorted(per_procedure.items())},
            "refusals_by_reason": sorted(((k, r.count) for k, r in stats.get("refusal", {}).items() if r.count),
                                         key=lambda x: -x[1]),
            "votes": {k: r.count for k, r in stats.get("vote", {}).items()},
            "handoff_rate": round(totals.get("handed_off", 0) / max(total, 1), 3),
            "lowest_confidence_intents": [{"intent": n, "confidence": round(c, 3), "count": k}
                                          for n, c, k in intents[:8]],
            "total": total,
            "unindexed": totals.get("unindexed", 0),  # rows the indexer skipped (claudia/review_index.py)
        }
