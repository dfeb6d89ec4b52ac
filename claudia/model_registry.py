"""Every model of the assistant, the one that is active, and which Rasa worker serves which.

Tables of the project's database (CLAUDIA_DB_URL, shared by every server):

- `model_versions`: one row per model — a candidate trained from the review's page (with
  who, when, from which data version, its stage while it trains, its measures and its
  comparison with the model active at the time) or the model found in place at first use;
- `model_activations`: each activation (which model, who, why, which one it replaced);
  the newest row names the active model. It is the pointer every Rasa worker follows
  (serving/model_follower.py), so that all of them, on every server, switch;
- `model_workers`: what each Rasa worker process says it serves, every few seconds.

The core knows nothing of Rasa: training, measuring and loading are done by the outer
layers (web/model_jobs.py, scripts/model_predict.py, serving/model_follower.py).
"""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Dict, List, Optional

from sqlalchemy import Column, DateTime, Index, Integer, String, Text, select, update

from claudia.db import Database, row_of
from claudia.table_base import Base, utcnow

# model_versions.status
TRAINING, READY, FAILED, CANCELLED, INTERRUPTED = "entrainement", "pret", "echec", "annule", "interrompu"
STATUS_LABELS = {TRAINING: "en cours d'entraînement", READY: "prêt", FAILED: "échec", CANCELLED: "annulé",
                 INTERRUPTED: "interrompu (serveur arrêté)"}


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (Index("ix_model_versions_status", "status"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(64), nullable=False, unique=True)
    path = Column(String(1000), nullable=True)  # the model archive, once trained
    sha256 = Column(String(64), nullable=True)
    status = Column(String(16), nullable=False, default=TRAINING)
    stage = Column(String(200), nullable=False, default="")
    progress = Column(Integer, nullable=False, default=0)  # percent
    trained_by = Column(String(128), nullable=False)
    started_at = Column(DateTime, nullable=False, default=utcnow)
    finished_at = Column(DateTime, nullable=True)
    data_hash = Column(String(64), nullable=True)  # sha256 of the training data, config and domain
    data_commit = Column(String(64), nullable=True)  # the data repository's commit, when there is one
    log_path = Column(String(1000), nullable=True)
    host = Column(String(255), nullable=True)  # where the training runs
    pid = Column(Integer, nullable=True)  # the web front process that runs it
    cancel_requested = Column(Integer, nullable=False, default=0)
    error = Column(Text, nullable=True)
    measures = Column(Text, nullable=False, default="{}")  # JSON: heldout, stories
    comparison = Column(Text, nullable=False, default="{}")  # JSON: against, heldout_active, changes


class ModelActivation(Base):
    __tablename__ = "model_activations"

    id = Column(Integer, primary_key=True, autoincrement=True)
    model_id = Column(Integer, nullable=False)
    previous_id = Column(Integer, nullable=True)
    by = Column(String(128), nullable=False)
    reason = Column(Text, nullable=False, default="")
    at = Column(DateTime, nullable=False, default=utcnow)
    commit = Column(String(64), nullable=True)  # the data repository's commit recording it


class ModelWorker(Base):
    __tablename__ = "model_workers"

    worker = Column(String(300), primary_key=True)  # host:port:pid
    model_id = Column(Integer, nullable=True)
    model_sha256 = Column(String(64), nullable=True)
    error = Column(Text, nullable=True)
    loaded_at = Column(DateTime, nullable=True)
    seen_at = Column(DateTime, nullable=False, default=utcnow)


TABLES = [ModelVersion.__table__, ModelActivation.__table__, ModelWorker.__table__]


def _version(row: ModelVersion) -> Dict[str, Any]:
    return {"id": row.id, "name": row.name, "path": row.path, "sha256": row.sha256, "status": row.status,
            "status_label": STATUS_LABELS.get(row.status, row.status), "stage": row.stage,
            "progress": row.progress, "trained_by": row.trained_by, "started_at": row.started_at,
            "finished_at": row.finished_at, "data_hash": row.data_hash, "data_commit": row.data_commit,
            "log_path": row.log_path, "host": row.host, "pid": row.pid,
            "cancel_requested": bool(row.cancel_requested), "error": row.error,
            "measures": json.loads(row.measures or "{}"), "comparison": json.loads(row.comparison or "{}")}


class ModelRegistry:
    def __init__(self, database: Database):
        self.db = database
        Base.metadata.create_all(database.engine, tables=TABLES)

    # -- models -----------------------------------------------------------------------------------
    def start_training(self, name: str, reviewer: str, log_path: str, host: str, pid: int) -> Optional[int]:
        """A new candidate in training; None when one is already training (one at a time, for
        every web front sharing the database)."""
        with self.db.write() as session:
            if session.execute(select(ModelVersion.id).where(ModelVersion.status == TRAINING)).first():
                return None
            row = ModelVersion(name=name, trained_by=reviewer, log_path=log_path, host=host, pid=pid,
                               stage="Préparation des données", progress=1)
            session.add(row)
            session.flush()
            return row.id

    def register(self, name: str, path: str, sha256: str, by: str, measures: Optional[dict] = None) -> int:
        """A model trained elsewhere (the one in place at first use), ready."""
        with self.db.write() as session:
            row = ModelVersion(name=name, path=path, sha256=sha256, trained_by=by, status=READY, progress=100,
                               stage="Terminé", finished_at=utcnow(), measures=json.dumps(measures or {}))
            session.add(row)
            session.flush()
            return row.id

    def update(self, model_id: int, **fields: Any) -> None:
        for key in ("measures", "comparison"):
            if key in fields and not isinstance(fields[key], str):
                fields[key] = json.dumps(fields[key], ensure_ascii=False)
        with self.db.write() as session:
            session.execute(update(ModelVersion).where(ModelVersion.id == model_id).values(**fields))

    def finish(self, model_id: int, status: str, **fields: Any) -> None:
        self.update(model_id, status=status, finished_at=utcnow(), **fields)

    def request_cancel(self, model_id: int) -> bool:
        with self.db.write() as session:
            done = session.execute(update(ModelVersion).where(ModelVersion.id == model_id,
                                                              ModelVersion.status == TRAINING)
                                   .values(cancel_requested=1))
            return done.rowcount > 0

    def get(self, model_id: int) -> Optional[Dict[str, Any]]:
        with self.db.read() as session:
            row = session.get(ModelVersion, model_id)
            return _version(row) if row else None

    def all(self, limit: int = 200) -> List[Dict[str, Any]]:
        with self.db.read() as session:
            rows = session.execute(select(ModelVersion).order_by(ModelVersion.id.desc()).limit(limit)).scalars()
            return [_version(r) for r in rows]

    def training(self) -> Optional[Dict[str, Any]]:
        with self.db.read() as session:
            row = session.execute(select(ModelVersion).where(ModelVersion.status == TRAINING)).scalars().first()
            return _version(row) if row else None

    def interrupt_stale(self, host: str, alive) -> int:
        """Trainings of this host whose process is gone (a web front stopped mid-way) end as interrupted."""
        with self.db.write() as session:
            rows = session.execute(select(ModelVersion).where(ModelVersion.status == TRAINING,
                                                              ModelVersion.host == host)).scalars().all()
            stale = [r for r in rows if not alive(r.pid)]
            for row in stale:
                row.status, row.finished_at = INTERRUPTED, utcnow()
            return len(stale)

    # -- activation ---------------------------------------------------------------------------------
    def activate(self, model_id: int, reviewer: str, reason: str) -> Optional[int]:
        """Makes `model_id` (ready, with its file) the active model; returns the one it replaces."""
        with self.db.write() as session:
            row = session.get(ModelVersion, model_id)
            if row is None or row.status != READY or not row.path:
                raise LookupError(model_id)
            last = session.execute(select(ModelActivation).order_by(ModelActivation.id.desc())).scalars().first()
            previous = last.model_id if last else None
            session.add(ModelActivation(model_id=model_id, previous_id=previous, by=reviewer, reason=reason))
            return previous

    def note_commit(self, model_id: int, commit: str) -> None:
        with self.db.write() as session:
            last = session.execute(select(ModelActivation).where(ModelActivation.model_id == model_id)
                                   .order_by(ModelActivation.id.desc())).scalars().first()
            if last:
                last.commit = commit

    def active(self) -> Optional[Dict[str, Any]]:
        """The active model (None before any activation: each server keeps the model it started with)."""
        with self.db.read() as session:
            last = session.execute(select(ModelActivation).order_by(ModelActivation.id.desc())).scalars().first()
            row = session.get(ModelVersion, last.model_id) if last else None
            return {**_version(row), "activated_at": last.at} if row else None

    def activations(self, limit: int = 50) -> List[Dict[str, Any]]:
        with self.db.read() as session:
            rows = session.execute(select(ModelActivation).order_by(ModelActivation.id.desc()).limit(limit)).scalars()
            return [{"id": r.id, "model_id": r.model_id, "previous_id": r.previous_id, "by": r.by,
                     "reason": r.reason, "at": r.at, "commit": r.commit} for r in rows]

    # -- the workers --------------------------------------------------------------------------------
    def worker_report(self, worker: str, model_id: Optional[int], sha256: Optional[str],
                      error: Optional[str] = None, loaded: bool = False) -> None:
        with self.db.write() as session:
            row = row_of(session, ModelWorker, worker=worker)
            row.model_id, row.model_sha256, row.error, row.seen_at = model_id, sha256, error, utcnow()
            if loaded:
                row.loaded_at = utcnow()

    def workers(self, seen_within: float = 30.0) -> List[Dict[str, Any]]:
        since = utcnow() - timedelta(seconds=seen_within)
        with self.db.read() as session:
            rows = session.execute(select(ModelWorker).where(ModelWorker.seen_at >= since)
                                   .order_by(ModelWorker.worker)).scalars()
            return [{"worker": r.worker, "model_id": r.model_id, "sha256": r.model_sha256, "error": r.error,
                     "loaded_at": r.loaded_at, "seen_at": r.seen_at} for r in rows]

    def forget_worker(self, worker: str) -> None:
        with self.db.write() as session:
            row = session.get(ModelWorker, worker)
            if row is not None:
                session.delete(row)
