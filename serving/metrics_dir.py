"""The directory where a server's worker processes keep their metrics (prometheus-client's
multi-process mode), prepared by the server's launcher before any metric exists.

Each Rasa or action server gets `$CLAUDIA_METRICS_DIR/<server>-<port>` (var/metrics/ by
default, 0700), emptied at start: the counters of a previous run are not this run's, and
the files of dead workers would otherwise be summed for ever. PROMETHEUS_MULTIPROC_DIR is set
to it in this process's environment only, so the workers it forks inherit it and the other
servers keep their own. Nothing is done with CLAUDIA_METRICS=0.
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
DIR_ENV = "CLAUDIA_METRICS_DIR"

logger = logging.getLogger(__name__)


def prepare(server: str, port: int) -> Optional[Path]:
    if os.environ.get("CLAUDIA_METRICS", "1").strip() == "0":
        return None
    if "claudia.metrics" in sys.modules:
        # Too late: the metrics exist already, each in this process's memory only.
        logger.warning("metrics created before their directory: the workers' metrics will not be summed")
    base = Path(os.environ.get(DIR_ENV) or ROOT / "var" / "metrics")
    directory = base / f"{server}-{port}"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return directory
