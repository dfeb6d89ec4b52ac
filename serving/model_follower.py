"""Every Rasa worker process follows the active model named in the database.

Rasa's `PUT /model` reaches only the worker that accepts that request: with several worker
processes behind one port (serving/serve_rasa.py, CLAUDIA_RASA_WORKERS) and several servers
(`make run-scaled`), the others would keep the old model. Instead each worker, in the
background, reads the newest row of `model_activations` (claudia/model_registry.py) every
CLAUDIA_MODEL_POLL_SECONDS seconds (2), and when it names another model than the one it serves,
loads it in a thread while the event loop goes on answering with the old one, then swaps the
agent in one assignment, as `PUT /model` does. The new agent keeps the worker's tracker store
(its domain changed at the swap, never before) and lock store: a conversation in progress keeps its state (the tracker store is SQL) and its
turn; a message being answered finishes with the agent it started with.

At start-up a worker compares its model file's sha256 with the active model's: the same file
(activation also replaces the file servers start with) is not loaded twice; a file written
after the last activation (a model trained by hand, `make train`) is served until the next
activation. Each worker reports
what it serves in `model_workers`, read by the review's model page. A model that fails to load
is reported there and not tried again until another activation.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from claudia.db import get_database
from claudia.file_digest import file_sha256
from claudia.model_registry import ModelRegistry

logger = logging.getLogger(__name__)
POLL_ENV = "CLAUDIA_MODEL_POLL_SECONDS"
DEFAULT_POLL_SECONDS = 2.0


def install(port: int) -> None:
    """Adds the follower to every worker of the Rasa app that `rasa run` is about to build."""
    import rasa.core.run as rasa_run

    configure_app = rasa_run.configure_app

    def configure_app_with_follower(*args, **kwargs):
        app = configure_app(*args, **kwargs)

        async def start(app_, _loop):
            app_.ctx.claudia_model_follower = asyncio.get_running_loop().create_task(follow(app_, port))

        async def stop(app_, _loop):
            task = getattr(app_.ctx, "claudia_model_follower", None)
            if task:
                task.cancel()

        app.register_listener(start, "after_server_start")
        app.register_listener(stop, "before_server_stop")
        return app

    rasa_run.configure_app = configure_app_with_follower


def _processor(old, path: str):
    """The new model's processor, built off the event loop. It changes nothing the running agent
    uses (Agent.load would set the shared tracker store's domain to None while it loads)."""
    from rasa.core.processor import MessageProcessor

    return MessageProcessor(model_path=path, tracker_store=old.tracker_store, lock_store=old.lock_store,
                            action_endpoint=old.action_endpoint, generator=old.nlg,
                            http_interpreter=old.http_interpreter)


def _agent(old, processor):
    """The agent around `processor`, on the worker's own stores (no await: called in the event loop
    right before the swap, so no turn sees the tracker store's domain change half-way)."""
    from rasa.core.agent import Agent
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator

    store = getattr(old.tracker_store, "_tracker_store", old.tracker_store)  # not wrapped twice
    agent = Agent(domain=processor.domain, generator=old.nlg, tracker_store=store, lock_store=old.lock_store,
                  action_endpoint=old.action_endpoint, http_interpreter=old.http_interpreter)
    processor.tracker_store = agent.tracker_store
    agent.processor = processor
    if isinstance(agent.nlg, TemplatedNaturalLanguageGenerator):
        agent.nlg.responses = processor.domain.responses if processor.domain else {}
    return agent


def next_step(active: Optional[dict], loaded_id: Optional[int], loaded_sha: Optional[str],
              failed_sha: Optional[str], started_file_at: Optional[datetime]) -> str:
    """What a worker does with the active model: « keep » (already served, none, a model that
    failed to load, or a start-up file written after the last activation: a model trained by hand
    with `make train` is served until the next activation), « adopt » (the same file: nothing to
    load) or « load »."""
    if not active or active["id"] == loaded_id or active["sha256"] == failed_sha:
        return "keep"
    if active["sha256"] == loaded_sha:
        return "adopt"
    if loaded_id is None and started_file_at and active.get("activated_at") and \
            started_file_at > active["activated_at"]:
        return "keep"
    return "load"


def _file_time(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).replace(tzinfo=None)


async def follow(app, port: int, every: Optional[float] = None) -> None:
    from claudia import services

    every = every or float(os.environ.get(POLL_ENV) or DEFAULT_POLL_SECONDS)
    worker = f"{socket.gethostname()}:{port}:{os.getpid()}"
    registry = await asyncio.to_thread(lambda: ModelRegistry(get_database(services.settings().db_url)))
    agent = app.ctx.agent
    current = getattr(agent.processor, "model_path", None) if agent and agent.processor else None
    started = Path(current) if current and Path(current).is_file() else None
    loaded_sha = await asyncio.to_thread(file_sha256, started) if started else None
    started_at = _file_time(started) if started else None
    loaded_id: Optional[int] = None
    failed_sha: Optional[str] = None
    error: Optional[str] = None  # the last load's failure, reported until a model loads
    while True:
        try:
            active = await asyncio.to_thread(registry.active)
            switched = False
            step = next_step(active, loaded_id, loaded_sha, failed_sha, started_at)
            if step == "adopt":
                loaded_id, switched, error = active["id"], True, None
            elif step == "load":
                try:
                    processor = await asyncio.to_thread(_processor, app.ctx.agent, active["path"])
                    app.ctx.agent = _agent(app.ctx.agent, processor)
                    loaded_id, loaded_sha, switched, error = active["id"], active["sha256"], True, None
                    logger.info("modèle %s (%s) chargé par ce processus", active["name"], active["id"])
                except Exception as failure:
                    failed_sha, error = active["sha256"], f"{type(failure).__name__}: {failure}"[:500]
                    logger.exception("le modèle %s n'a pas pu être chargé : l'ancien reste en service",
                                     active["name"])
            await asyncio.to_thread(registry.worker_report, worker, loaded_id, loaded_sha, error,
                                    loaded=switched)
        except asyncio.CancelledError:
            raise
        except Exception:  # a database that does not answer: the worker keeps its model and tries again
            logger.exception("suivi du modèle actif")
        await asyncio.sleep(every)
