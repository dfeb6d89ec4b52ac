"""The models of the review's « Modèles » page: listing, the first model, activation, rollback.

Where the files are (decided here, documented in README « Models »):

- every candidate is `models/candidates/<name>.tar.gz` (CLAUDIA_MODELS_DIR), a name made of
  the training's date and a random suffix, never reused;
- `models/claudia.tar.gz` (CLAUDIA_ACTIVE_MODEL) stays the active model: activating a model
  copies its file there (a temporary copy renamed into place), so that a server started
  later, `make test-stories` and `make nlu-eval` use it;
- the database's newest activation (claudia/model_registry.py) is the pointer every Rasa worker
  follows (serving/model_follower.py); it names the candidate's own file, which never changes.

The model in place before the page was first used is registered as « modèle initial » (a copy
of its file kept beside the candidates) and made the first activation, so that rolling back to
it is one click like any other.
"""
from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy.exc import IntegrityError

from claudia import model_judging as judging
from claudia.file_digest import file_sha256
from claudia.model_registry import READY, ModelRegistry
from web.model_jobs import ModelTrainer
from web.model_settings import ModelSettings

logger = logging.getLogger(__name__)
SYSTEM = "système"
MAX_REASON = 1000


class ReasonRequired(Exception):
    """The candidate failed a story test or lost held-out accuracy and no reason was written."""

    def __init__(self, blockers: List[str]):
        super().__init__(" ".join(blockers))
        self.blockers = blockers


class ModelService:
    def __init__(self, registry: ModelRegistry, settings: ModelSettings, trainer: Optional[ModelTrainer] = None):
        self.registry = registry
        self.settings = settings
        self.trainer = trainer or ModelTrainer(registry, settings)

    def ensure_initial(self) -> None:
        """Registers and activates the model the servers started with, the first time only."""
        if self.registry.active() is not None:
            return
        source = self.settings.active_model
        if not source.is_file():
            return
        sha = file_sha256(source)
        kept = self.settings.models_dir / "candidates" / f"initial-{sha[:12]}.tar.gz"
        kept.parent.mkdir(parents=True, exist_ok=True)
        if not kept.exists():
            _copy_into_place(source, kept)
        name = f"initial-{sha[:12]}"
        known = [m["id"] for m in self.registry.all() if m["name"] == name]
        try:
            model_id = known[0] if known else self.registry.register(name, str(kept), sha, SYSTEM)
        except IntegrityError:  # another web front registered it at the same moment
            return
        self.registry.activate(model_id, SYSTEM, "Modèle en service avant la première utilisation de la page Modèles.")

    def overview(self) -> Dict[str, Any]:
        models = self.registry.all()
        active = self.registry.active()
        activations = self.registry.activations()
        ever_active = {a["model_id"] for a in activations}
        previous = activations[0]["previous_id"] if activations else None
        return {"models": models, "active": active, "training": self.registry.training(),
                "activations": activations, "previous": self.registry.get(previous) if previous else None,
                "ever_active": ever_active, "workers": self.registry.workers()}

    def judge(self, model_id: int) -> Optional[Dict[str, Any]]:
        model = self.registry.get(model_id)
        if model is None:
            return None
        comparison = model["comparison"]
        active = self.registry.active()
        heldout = model["measures"].get("heldout") or {}
        return {"model": model, "active": active,
                "blockers": judging.blockers(model["measures"], comparison) if model["status"] == READY else [],
                "rows": judging.per_intent_rows(heldout, comparison.get("heldout_active") or {}),
                "stale": bool(active and comparison.get("against") not in (None, active["id"])),
                "ever_active": any(a["model_id"] == model_id for a in self.registry.activations(limit=1000))}

    def activate(self, model_id: int, reviewer: str, reason: str) -> Tuple[Optional[int], bool]:
        """Makes the model active; returns (the model it replaces, False when the data repository
        could not record it).

        A model never active before with blockers (a failed story test, held-out accuracy lost)
        needs a written reason (ReasonRequired); going back to a model that was active needs none."""
        reason = " ".join(reason.split())[:MAX_REASON]
        judged = self.judge(model_id)
        if judged is None or judged["model"]["status"] != READY or not judged["model"]["path"]:
            raise LookupError(model_id)
        if judged["blockers"] and not judged["ever_active"] and not reason:
            raise ReasonRequired(judged["blockers"])
        model = judged["model"]
        path = Path(model["path"])
        if not path.is_file() or file_sha256(path) != model["sha256"]:
            raise LookupError(model_id)
        _copy_into_place(path, self.settings.active_model)
        why = reason or ("Retour à un modèle déjà utilisé." if judged["ever_active"] else "Aucun point bloquant.")
        previous = self.registry.activate(model_id, reviewer, why)
        return previous, self._record(model, reviewer, why)

    def _record(self, model: Dict[str, Any], reviewer: str, reason: str) -> bool:
        """The activation as a commit of the data repository (claudia/data_versions.py), when
        versioning is on. This is the hook of issue #24's « every activation is a commit »."""
        try:
            from claudia.data_versions import record_activation

            commit = record_activation(f"{model['name']} (n° {model['id']})", reviewer, reason)
        except Exception:  # the model is active all the same; the page says the commit is missing
            logger.exception("activation du modèle %s : commit des données impossible", model["name"])
            return False
        if commit:
            self.registry.note_commit(model["id"], commit)
        return True

    def log_tail(self, model_id: int, limit: int = 200_000) -> Optional[str]:
        model = self.registry.get(model_id)
        if model is None or not model["log_path"]:
            return None
        path = Path(model["log_path"])
        if not path.is_file():
            return ""
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - limit))
            return handle.read().decode("utf-8", "replace")

    async def wait_for_workers(self, model_id: int, timeout: float = 60.0) -> bool:
        """True once every worker seen lately serves `model_id` (for scripts and tests)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            workers = await asyncio.to_thread(self.registry.workers, 10.0)
            if workers and all(w["model_id"] == model_id for w in workers):
                return True
            await asyncio.sleep(0.5)
        return False


def _copy_into_place(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.copie")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)
