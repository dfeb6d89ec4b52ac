"""What the Rasa server measures of each turn (the metrics are defined in claudia/metrics.py).

The connected channel opens a `TurnMeter` for each webhook call: the whole call is the
`channel` stage, the parse it asks for is `nlu` (with the intent, its confidence and the
fallback). Inside Rasa, the time of the policies' predictions and of running the actions
(remote ones included: what Rasa waited for the action server) is added up per turn through
a context variable, so one turn gives one observation per stage. A procedure starts when
Rasa activates its form. Nothing here writes to a database or makes a call: a few
counters in memory (or in the worker's file, several workers) per turn.
"""
from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any, Dict, Optional

from claudia import metrics

PROCEDURE_FORM = "formulaire_statut"
FALLBACK_INTENT = "nlu_fallback"
_stages: ContextVar[Optional[Dict[str, float]]] = ContextVar("claudia_turn_stages", default=None)
_installed = False


def _add(stage: str, started: float) -> None:
    stages = _stages.get()
    if stages is not None:
        stages[stage] += time.perf_counter() - started


def install() -> None:
    """Times Rasa's policies and actions, and counts its form activations (once per process)."""
    global _installed
    if _installed or not metrics.enabled():
        return
    _installed = True
    from rasa.core.actions.forms import FormAction
    from rasa.core.processor import MessageProcessor

    predict, run_action, activate = (MessageProcessor._predict_next_with_tracker, MessageProcessor._run_action,
                                     FormAction._activate_loop)

    def timed_predict(self, tracker):
        started = time.perf_counter()
        try:
            return predict(self, tracker)
        finally:
            _add("policies", started)

    async def timed_run_action(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return await run_action(self, *args, **kwargs)
        finally:
            _add("actions", started)

    async def counted_activate(self, *args, **kwargs):
        if self.name() == PROCEDURE_FORM:
            metrics.PROCEDURES_STARTED.inc()
        return await activate(self, *args, **kwargs)

    MessageProcessor._predict_next_with_tracker = timed_predict
    MessageProcessor._run_action = timed_run_action
    FormAction._activate_loop = counted_activate


class TurnMeter:
    """One webhook call: `parse_started()` and `parsed()` around NLU, `finish()` with the HTTP
    status at the end."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.user = "inconnu"
        self.silent = False
        self.stages = {"policies": 0.0, "actions": 0.0}
        self._token = _stages.set(self.stages)
        self._dialogue = False
        self._parse_started = self.started

    def parse_started(self) -> None:
        self._parse_started = time.perf_counter()

    def parsed(self, parse_data: Dict[str, Any]) -> None:
        metrics.TURN_SECONDS.labels("nlu").observe(time.perf_counter() - self._parse_started)
        intent = parse_data.get("intent") or {}
        name = metrics.code(intent.get("name"), "intent")
        metrics.INTENTS.labels(name).inc()
        if name == FALLBACK_INTENT:
            metrics.FALLBACKS.inc()
        confidence = intent.get("confidence")
        if isinstance(confidence, (int, float)):
            metrics.CONFIDENCE.observe(float(confidence))
        self._dialogue = True

    def finish(self, status: int) -> None:
        _stages.reset(self._token)
        if status == 200:
            result = "silent" if self.silent else "answered"
        else:
            result = {400: "invalid", 403: "refused", 429: "refused"}.get(status, "error")
        metrics.TURNS.labels(self.user, result).inc()
        metrics.TURN_SECONDS.labels("channel").observe(time.perf_counter() - self.started)
        if self._dialogue:
            for stage, seconds in self.stages.items():
                metrics.TURN_SECONDS.labels(stage).observe(seconds)
