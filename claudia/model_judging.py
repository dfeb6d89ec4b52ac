"""Judging a candidate model against the active one (no Rasa here: predictions come in as lists).

- `snapshot`: the training data copied apart (data directory, the review's corrections file,
  config, domain, test stories) so that a training reads one consistent version, and its hash;
- `heldout_summary`: accuracy on the held-out messages (tests/nlu_heldout/), per intent;
- `changed_predictions`: the real messages whose predicted intent differs between two models;
- `blockers`: why a candidate cannot be activated without a written reason (a story test
  failed, held-out accuracy lost, measures missing).
"""
from __future__ import annotations

import hashlib
import re
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import select

from claudia.db import Database
from claudia.review_models import COMMENT, ReviewMessage

CORRECTED = "corrige"
STORY_FILE = re.compile(r"\s+\([^()]*\.ya?ml\)$")


def _files(directory: Path) -> List[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml", ".md", ".json"))


def snapshot(destination: Path, data_dir: Path, config: Path, domain: Path, stories_dir: Path,
             corrections_file: Optional[Path] = None, review_stories_file: Optional[Path] = None) -> str:
    """Copies what a training reads into `destination` (data/, config.yml, domain.yml, stories/);
    returns the sha256 of the training inputs (data, config, domain), the model's data version."""
    data = destination / "data"
    shutil.copytree(data_dir, data, ignore=shutil.ignore_patterns(".*", "__pycache__"))
    if corrections_file and corrections_file.exists():
        inside = data / "nlu" / "corrections.yml"
        inside.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corrections_file, inside)
    shutil.copyfile(config, destination / "config.yml")
    shutil.copyfile(domain, destination / "domain.yml")
    stories = destination / "stories"
    stories.mkdir()
    for story in sorted(stories_dir.glob("*.yml")):
        shutil.copyfile(story, stories / story.name)
    if review_stories_file and review_stories_file.exists():
        shutil.copyfile(review_stories_file, stories / "test_revues.yml")
    digest = hashlib.sha256()
    for path in _files(data) + [destination / "config.yml", destination / "domain.yml"]:
        digest.update(str(path.relative_to(destination)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def heldout_summary(gold: Sequence[str], predicted: Sequence[Optional[str]]) -> Dict[str, Any]:
    """Accuracy overall and per intent (right, total) of predictions against the held-out intents."""
    totals, right = Counter(gold), Counter(g for g, p in zip(gold, predicted) if g == p)
    return {"total": len(gold), "right": sum(right.values()),
            "accuracy": round(sum(right.values()) / len(gold), 4) if gold else 0.0,
            "per_intent": {intent: [right[intent], totals[intent]] for intent in sorted(totals)}}


def per_intent_rows(candidate: Dict[str, Any], active: Dict[str, Any]) -> List[Dict[str, Any]]:
    """One row per intent: the candidate's and the active model's accuracy, and the difference."""
    rows = []
    for intent in sorted(set(candidate.get("per_intent", {})) | set(active.get("per_intent", {}))):
        new = candidate.get("per_intent", {}).get(intent, [0, 0])
        old = active.get("per_intent", {}).get(intent, [0, 0])
        new_rate = new[0] / new[1] if new[1] else None
        old_rate = old[0] / old[1] if old[1] else None
        rows.append({"intent": intent, "total": new[1] or old[1], "candidate": new_rate, "active": old_rate,
                     "delta": (new_rate - old_rate) if new_rate is not None and old_rate is not None else None})
    return rows


def recent_messages(database: Database, days: int, limit: int = 500,
                    now: Optional[float] = None) -> List[Dict[str, Any]]:
    """The typed user messages of the last `days` days (evaluation comments excluded), newest
    first, one per text, with whether a reviewer confirmed or corrected them."""
    since = (now or time.time()) - days * 86400
    found: Dict[str, Dict[str, Any]] = {}
    with database.read() as session:
        rows = session.execute(select(ReviewMessage).where(ReviewMessage.at >= since)
                               .order_by(ReviewMessage.id.desc()).limit(limit * 4)).scalars()
        for m in rows:
            if m.status == COMMENT or not (m.text or "").strip() or m.text in found:
                continue
            found[m.text] = {"id": m.id, "text": m.text, "sender_id": m.sender_id, "at": m.at,
                             "logged_intent": m.intent, "status": m.status, "final_intent": m.final_intent}
            if len(found) >= limit:
                break
    return list(found.values())


def changed_predictions(messages: List[Dict[str, Any]], old: Sequence[Tuple[Optional[str], float]],
                        new: Sequence[Tuple[Optional[str], float]]) -> List[Dict[str, Any]]:
    """The messages whose predicted intent differs between the active model (`old`) and the candidate."""
    changes = []
    for message, (old_intent, old_conf), (new_intent, new_conf) in zip(messages, old, new):
        if old_intent != new_intent:
            reviewed = message.get("final_intent") if message.get("status") else None
            changes.append({**message, "old_intent": old_intent, "old_confidence": old_conf,
                            "new_intent": new_intent, "new_confidence": new_conf,
                            "reviewed_intent": reviewed, "corrected": message.get("status") == CORRECTED,
                            "now_right": None if reviewed is None else new_intent == reviewed})
    return changes


def blockers(measures: Dict[str, Any], comparison: Dict[str, Any]) -> List[str]:
    """Why the candidate may not be activated without a written reason (French, for the page)."""
    found = []
    stories = measures.get("stories")
    if not stories:
        found.append("Les histoires de test n'ont pas été passées sur ce modèle.")
    elif not stories.get("passed"):
        names = ", ".join(f"« {n} »" for n in (stories.get("failed") or [])[:5])
        found.append(f"{stories.get('total', 0) - stories.get('correct', 0)} histoire(s) de test en échec"
                     + (f" : {names}" if names else "") + ".")
    new, old = measures.get("heldout"), comparison.get("heldout_active")
    if not new or not old:
        found.append("La précision sur les messages réservés n'a pas pu être comparée à celle du modèle actif.")
    elif new["right"] < old["right"]:
        found.append(f"Précision en baisse sur les messages réservés : {old['accuracy']:.3f} → {new['accuracy']:.3f} "
                     f"({old['right'] - new['right']} message(s) de moins bien classés).")
    return found


def failed_story_names(stories: Iterable[Dict[str, Any]]) -> List[str]:
    """The names in Rasa's failed_test_stories.yml, without the file Rasa appends to each."""
    return [STORY_FILE.sub("", str(s.get("story", "?"))) for s in stories if isinstance(s, dict)]
