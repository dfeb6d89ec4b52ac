"""Reviewers' own labels on conversations (« à rejouer », « droits », « test »…).

One row per label and conversation in `review_tags`, with who put it and when. What the
conversation list filters on is copied into the review index in the same transaction: the
conversation's `review_labels` rows of kind « t » (the filter walks their index, newest
first) and its `tags` column (shown in the list). A label written like an existing one but for
its case or accents takes the existing spelling, so that one label is not split in two.
"""
from __future__ import annotations

import json
import unicodedata
from typing import Dict, Iterable, List

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from claudia.db import Database
from claudia.params import BadParameter, unstorable
from claudia.review_logins import fold
from claudia.review_models import ReviewConversation as C
from claudia.review_models import ReviewLabel, ReviewMark, ReviewTag
from claudia.table_base import utcnow

MAX_TAG_LENGTH = 40
MAX_TAGS_PER_CONVERSATION = 20
MAX_TAGS_LISTED = 300


def _invisible(char: str) -> bool:
    """Control, format (bidirectional overrides…), private or unassigned characters; the
    zero-width joiner of composed emoji aside."""
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") and char != "\u200d"


def clean_tag(raw: object) -> str:
    """A label as kept: one line, spaces collapsed, 1 to MAX_TAG_LENGTH characters; else BadParameter."""
    text = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not text or unstorable(text) or any(_invisible(char) for char in text):
        raise BadParameter("Saisissez une étiquette visible, sur une ligne : lettres, chiffres, signes ou espaces.")
    if len(text) > MAX_TAG_LENGTH:
        raise BadParameter(f"Une étiquette compte au plus {MAX_TAG_LENGTH} caractères : raccourcissez-la.")
    return text


class ReviewTags:
    def __init__(self, database: Database):
        self.db = database
        self._copy_marks_once()

    # -- reading -------------------------------------------------------------------------------------
    def of(self, sender_id: str) -> List[Dict[str, str]]:
        """The conversation's labels, alphabetically, with who put each and when."""
        with self.db.read() as session:
            rows = session.execute(select(ReviewTag).where(ReviewTag.sender_id == sender_id)).scalars().all()
        return [{"tag": row.tag, "by": row.added_by or "", "at": row.added_at.strftime("%d/%m/%Y %H:%M")}
                for row in sorted(rows, key=lambda row: fold(row.tag))]

    def known(self) -> List[str]:
        """Every label in use (for the list's filter and the form's suggestions), alphabetically."""
        with self.db.read() as session:
            query = select(ReviewTag.tag).distinct().order_by(ReviewTag.tag).limit(MAX_TAGS_LISTED)
            return sorted(session.execute(query).scalars().all(), key=fold)

    # -- changing ------------------------------------------------------------------------------------
    def add(self, sender_id: str, raw: object, reviewer: str) -> str:
        """Puts a label on the conversation; returns it as kept (an existing spelling, if any)."""
        tag = clean_tag(raw)
        try:
            return self._add(sender_id, tag, reviewer)
        except IntegrityError:  # another reviewer put the same label at the same moment (PostgreSQL)
            return self._add(sender_id, tag, reviewer)

    def _add(self, sender_id: str, tag: str, reviewer: str) -> str:
        with self.db.write() as session:
            same = [t for t in session.execute(select(ReviewTag.tag).distinct()).scalars() if fold(t) == fold(tag)]
            tag = same[0] if same else tag
            mine = set(session.execute(select(ReviewTag.tag).where(ReviewTag.sender_id == sender_id)).scalars())
            if tag in mine:
                return tag
            if len(mine) >= MAX_TAGS_PER_CONVERSATION:
                raise BadParameter(f"Une conversation porte au plus {MAX_TAGS_PER_CONVERSATION} étiquettes : "
                                   "retirez-en une avant d'en ajouter une autre.")
            session.add(ReviewTag(sender_id=sender_id, tag=tag, added_by=reviewer, added_at=utcnow()))
            session.flush()
            copy_to_index(session, sender_id)
        return tag

    def remove(self, sender_id: str, tag: str) -> bool:
        """Takes the label off the conversation; False when it did not carry it."""
        with self.db.write() as session:
            done = session.execute(delete(ReviewTag).where(ReviewTag.sender_id == sender_id,
                                                           ReviewTag.tag == tag)).rowcount
            copy_to_index(session, sender_id)
        return bool(done)

    def _copy_marks_once(self) -> None:
        """Labels written before this table existed (a JSON list on review_marks) come over once:
        the list is emptied as it is copied."""
        with self.db.read() as session:
            waiting = select(func.count()).select_from(ReviewMark).where(ReviewMark.tags != "[]")
            if not session.execute(waiting).scalar():
                return
        with self.db.write() as session:
            for mark in session.execute(select(ReviewMark).where(ReviewMark.tags != "[]")).scalars().all():
                kept = []
                for tag in json.loads(mark.tags or "[]"):
                    try:
                        kept.append(clean_tag(tag))
                    except BadParameter:
                        continue
                present = session.execute(select(ReviewTag.tag).where(ReviewTag.sender_id == mark.conversation_id))
                set_tags(session, mark.conversation_id, set(kept) | set(present.scalars()), mark.updated_by or "")
                mark.tags = "[]"


def set_tags(session: Session, sender_id: str, tags: Iterable[str], reviewer: str) -> List[str]:
    """Sets the conversation's labels to exactly these, in the caller's transaction."""
    wanted = sorted({clean_tag(t) for t in tags if isinstance(t, str) and t.strip()})[:MAX_TAGS_PER_CONVERSATION]
    session.execute(delete(ReviewTag).where(ReviewTag.sender_id == sender_id, ReviewTag.tag.notin_(wanted)))
    present = set(session.execute(select(ReviewTag.tag).where(ReviewTag.sender_id == sender_id)).scalars())
    session.add_all([ReviewTag(sender_id=sender_id, tag=t, added_by=reviewer, added_at=utcnow())
                     for t in wanted if t not in present])
    session.flush()
    return copy_to_index(session, sender_id)


def copy_to_index(session: Session, sender_id: str) -> List[str]:
    """The list's copy of the conversation's labels: the filter's rows and the shown column."""
    tags = sorted(session.execute(select(ReviewTag.tag).where(ReviewTag.sender_id == sender_id)).scalars(), key=fold)
    indexed = session.execute(select(C).where(C.sender_id == sender_id)).scalar()
    if indexed is not None:
        indexed.tags = json.dumps(tags, ensure_ascii=False)
        session.execute(delete(ReviewLabel).where(ReviewLabel.conversation_id == indexed.id, ReviewLabel.kind == "t"))
        if tags:
            session.execute(insert(ReviewLabel), [{"conversation_id": indexed.id, "kind": "t", "value": t,
                                                   "ended": indexed.ended} for t in tags])
    return tags


def label_new_conversations(connection, rows: Iterable[Dict]) -> None:
    """Conversations the index has just created (`id`, `sender_id`, `login`, in the indexer's
    transaction): a test identity's conversation is labelled « test » (claudia/testers.py), and
    labels put before the conversation was indexed come into the index with it."""
    from claudia.testers import TEST_TAG, is_test_login

    rows = [row for row in rows if row.get("id") is not None]
    for row in rows:
        if is_test_login(row.get("login")):
            present = connection.execute(select(ReviewTag.id).where(ReviewTag.sender_id == row["sender_id"],
                                                                    ReviewTag.tag == TEST_TAG)).first()
            if present is None:
                connection.execute(insert(ReviewTag).values(sender_id=row["sender_id"], tag=TEST_TAG,
                                                            added_by="invitation de testeur", added_at=utcnow()))
    by_sender = {row["sender_id"]: row for row in rows}
    senders = sorted(by_sender)
    for start in range(0, len(senders), 500):
        found: Dict[str, List[str]] = {}
        for sender_id, tag in connection.execute(select(ReviewTag.sender_id, ReviewTag.tag).where(
                ReviewTag.sender_id.in_(senders[start:start + 500]))):
            found.setdefault(sender_id, []).append(tag)
        for sender_id, tags in found.items():
            tags = sorted(set(tags), key=fold)
            conversation = by_sender[sender_id]["id"]
            connection.execute(update(C).where(C.id == conversation).values(tags=json.dumps(tags, ensure_ascii=False)))
            connection.execute(delete(ReviewLabel).where(ReviewLabel.conversation_id == conversation,
                                                         ReviewLabel.kind == "t"))
            connection.execute(insert(ReviewLabel), [{"conversation_id": conversation, "kind": "t", "value": tag,
                                                      "ended": by_sender[sender_id].get("ended") or 0.0}
                                                     for tag in tags])

