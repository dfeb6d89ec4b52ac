"""The CPU time of one turn's metric operations, alone (no servers, no noise from the machine).

  python -m bench.metrics_micro      (prints the microseconds; bench/metrics_cost.py reports it)

In prometheus-client's multi-process mode, as the Rasa and action servers run: the channel's
turn meter with its four stages, the intent and its confidence, two actions, a SIRENE look-up,
a journaled outcome, a registry write and four SQLite writers' turns.
"""
from __future__ import annotations

import os
import tempfile
import time


def turn(metrics, TurnMeter) -> None:
    meter = TurnMeter()
    meter.user = "connecte"
    meter.parse_started()
    meter.parsed({"intent": {"name": "activer_structure", "confidence": 0.93}})
    meter.finish(200)
    for action in ("validate_formulaire_statut", "action_executer_changement"):
        metrics.ACTION_SECONDS.labels(metrics.code(action, "action")).observe(0.01)
    metrics.SIRENE_CALLS.labels("found").inc()
    metrics.SIRENE_SECONDS.observe(0.002)
    metrics.PROCEDURES.labels("activer", "effectuee", metrics.code(None, "reason")).inc()
    metrics.REGISTRY_WRITES.labels("done").inc()
    for database in ("claudia", "tracker", "claudia", "claudia"):
        metrics.WRITER_WAIT_SECONDS.labels(database).observe(0.0001)


def main(turns: int = 20000) -> None:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="claudia-metrics-micro-")
    os.environ.pop("CLAUDIA_METRICS", None)
    from claudia import metrics
    from channels.metrics_hooks import TurnMeter

    for _ in range(1000):
        turn(metrics, TurnMeter)
    started = time.process_time()
    for _ in range(turns):
        turn(metrics, TurnMeter)
    print(f"{(time.process_time() - started) / turns * 1e6:.1f}")


if __name__ == "__main__":
    main()
