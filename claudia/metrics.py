"""Every metric ClaudIA exports, in Prometheus' format (prometheus-client): one place for
their names, help texts, labels and buckets. The servers only expose them
(claudia/metrics_access.py says who may read them; the routes are thin: serving/metrics_routes.py
for the Rasa and action servers, web/metrics_route.py for the web front).

Which server counts what:
- the Rasa server (its connected channel, channels/metrics_hooks.py): turns and their latency
  per stage (`channel` the whole webhook, `nlu`, `policies`, `actions` as Rasa waits for them),
  intents, fallbacks, confidence, procedures started (the procedure's form activated);
- the action server: each action's time, procedure outcomes by reason, registry writes,
  evaluations, SIRENE calls;
- the web front: live-chat waiting and first-answer times, and at each scrape the queue,
  the messages left open and the review indexer's lag (claudia/metrics_live.py);
- every process: how long a writer waited for its turn on a SQLite database.

Labels are bounded: never a conversation id, a SIRET or a login. A label's value must look
like a code (`code()`: lower-case letters, digits, `_`, starting with a letter, 40 characters
at most) and each label keeps at most MAX_VALUES distinct values per process; anything else
is counted as `autre`.

CLAUDIA_METRICS=0 turns every metric into a no-op (bench/run_bench.py measures the cost);
`/metrics` then answers 404. A server with several worker processes sets
PROMETHEUS_MULTIPROC_DIR before this module is imported (serving/metrics_dir.py), which puts
prometheus-client in its multi-process mode.
"""
from __future__ import annotations

import os
import re
import threading
from typing import Dict, Set

ENABLED_ENV = "CLAUDIA_METRICS"
MAX_VALUES = 60
OTHER = "autre"
_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_seen: Dict[str, Set[str]] = {}
_seen_lock = threading.Lock()


def enabled() -> bool:
    return os.environ.get(ENABLED_ENV, "1").strip() != "0"


def code(value: object, label: str = "") -> str:
    """`value` if it looks like a code and its label has room for it, else `autre`."""
    text = "aucun" if value is None or value == "" else str(value)
    if not _CODE.fullmatch(text):
        return OTHER
    seen = _seen.setdefault(label, set())
    if text in seen:
        return text
    with _seen_lock:
        if len(seen) >= MAX_VALUES:
            return OTHER
        seen.add(text)
    return text


class _Off:
    """What every metric is when CLAUDIA_METRICS=0: accepts every call, does nothing."""

    def labels(self, *args, **kwargs) -> "_Off":
        return self

    def inc(self, *args, **kwargs) -> None:
        pass

    observe = set = inc


OFF = _Off()

if enabled():
    from prometheus_client import Counter, Histogram
else:  # not even imported: the measure of the cost is of everything
    Counter = Histogram = None  # type: ignore[assignment,misc]


def _counter(name: str, documentation: str, labels=()):
    return Counter(name, documentation, labels) if enabled() else OFF


def _histogram(name: str, documentation: str, buckets, labels=()):
    return Histogram(name, documentation, labels, buckets=buckets) if enabled() else OFF


TURN_BUCKETS = (0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0)
SHORT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0)
WAIT_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)

# -- the Rasa server ---------------------------------------------------------------------------
TURNS = _counter("claudia_turns_total", "Messages received by the connected channel, by sender kind "
                 "(connecte, anonyme) and result (answered, silent, refused, invalid, error)", ("user", "result"))
TURN_SECONDS = _histogram("claudia_turn_seconds", "Time of a turn per stage: channel (the whole webhook), "
                          "nlu, policies, actions (what Rasa waited for its actions)", TURN_BUCKETS, ("stage",))
INTENTS = _counter("claudia_intents_total", "Messages by predicted intent (nlu_fallback included)", ("intent",))
FALLBACKS = _counter("claudia_fallbacks_total", "Messages below the confidence threshold (nlu_fallback)")
CONFIDENCE = _histogram("claudia_intent_confidence", "Confidence of the best intent of each message",
                        (0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0))
PROCEDURES_STARTED = _counter("claudia_procedures_started_total",
                              "Procedures started (the activation/inactivation form activated)")

# -- the action server -------------------------------------------------------------------------
PROCEDURES = _counter("claudia_procedures_total", "Procedure outcomes as journaled, by operation "
                      "(activer, inactiver), outcome (effectuee, refusee, abandonnee) and reason code",
                      ("operation", "outcome", "reason"))
REGISTRY_WRITES = _counter("claudia_registry_writes_total", "Registry write transactions by outcome "
                           "(done, refused, error)", ("outcome",))
EVALUATIONS = _counter("claudia_evaluations_total", "Evaluations stored, by vote (up, down) and reason code",
                       ("vote", "reason"))
SIRENE_CALLS = _counter("claudia_sirene_calls_total", "Look-ups in SIRENE (cache misses), by result "
                        "(found, not_found, error)", ("result",))
SIRENE_SECONDS = _histogram("claudia_sirene_seconds", "Time of a SIRENE look-up (cache misses)", TURN_BUCKETS)

ACTION_SECONDS = _histogram("claudia_action_seconds", "Time an action took on the action server, by action name",
                            TURN_BUCKETS, ("action",))

# -- every process -----------------------------------------------------------------------------
WRITER_WAIT_SECONDS = _histogram("claudia_db_writer_wait_seconds", "Time a writer waited for its turn on a "
                                 "SQLite database (claudia/writer_turn.py), by database file name",
                                 SHORT_BUCKETS, ("database",))
WRITER_TIMEOUTS = _counter("claudia_db_writer_timeouts_total", "Writers that gave up waiting for their turn",
                           ("database",))

# -- the web front -----------------------------------------------------------------------------
LIVECHAT_WAIT_SECONDS = _histogram("claudia_livechat_wait_seconds", "From a live-chat request to an operator "
                                   "taking it", WAIT_BUCKETS)
LIVECHAT_FIRST_ANSWER_SECONDS = _histogram("claudia_livechat_first_answer_seconds", "From an operator taking "
                                           "a chat to their first message", WAIT_BUCKETS)
# Read at each scrape by claudia/metrics_live.py (gauges): claudia_livechat_queue{status},
# claudia_livechat_oldest_wait_seconds, claudia_messages_left_open, claudia_review_index_lag_events,
# claudia_review_index_lag_seconds.


def vote_label(vote: str) -> str:
    return {"positif": "up", "negatif": "down"}.get(vote, OTHER)
