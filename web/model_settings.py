"""Where the review's « Modèles » pages find the data to train from and put the models (settings
from the environment, README « Configuration » and docs/models.md), and the data version."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class ModelSettings:
    models_dir: Path  # candidates in models_dir/candidates
    active_model: Path  # the file the servers start with, replaced at each activation
    work_dir: Path  # snapshots and logs of the trainings
    data_dir: Path
    config: Path
    domain: Path
    stories_dir: Path
    heldout: Path
    corrections_file: Optional[Path] = None
    review_stories_file: Optional[Path] = None
    changes_days: int = 7

    @classmethod
    def from_environment(cls, environ=os.environ) -> "ModelSettings":
        def path(name: str, default: Path) -> Path:
            return Path(environ.get(name) or default)

        models = path("CLAUDIA_MODELS_DIR", ROOT / "models")
        return cls(models_dir=models, active_model=path("CLAUDIA_ACTIVE_MODEL", models / "claudia.tar.gz"),
                   work_dir=path("CLAUDIA_MODEL_WORK_DIR", ROOT / "var" / "model-training"),
                   data_dir=path("CLAUDIA_TRAINING_DATA_DIR", ROOT / "data"),
                   config=path("CLAUDIA_TRAINING_CONFIG", ROOT / "config.yml"),
                   domain=path("CLAUDIA_TRAINING_DOMAIN", ROOT / "domain.yml"),
                   stories_dir=path("CLAUDIA_TEST_STORIES_DIR", ROOT / "tests" / "stories"),
                   heldout=ROOT / "tests" / "nlu_heldout" / "heldout.yml",
                   corrections_file=path("CLAUDIA_CORRECTIONS_FILE", ROOT / "data" / "nlu" / "corrections.yml"),
                   review_stories_file=path("CLAUDIA_REVIEW_STORIES_FILE", ROOT / "tests" / "stories" / "test_revues.yml"),
                   changes_days=int(environ.get("CLAUDIA_MODEL_CHANGES_DAYS") or 7))


def data_commit() -> Optional[str]:
    """The data repository's current commit (claudia/data_versions.py), when versioning is on."""
    try:
        from claudia.data_versions import DataVersions

        versions = DataVersions.from_environment()
        commits: List = versions.log(limit=1) if versions else []
        return getattr(commits[0], "sha", None) if commits else None
    except Exception:  # versioning is optional: a model without its commit still has its data hash
        logger.warning("version des données introuvable", exc_info=True)
        return None
