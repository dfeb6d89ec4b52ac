"""The maintainers' review pages, under /console/revue/ (role « relecteur » only).

Server-rendered with Jinja2 templates (web/templates/review/, autoescaped); the
state-changing forms carry the session's CSRF token and return, after
post/redirect/get, to the page and row they came from.
"""
from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from pathlib import Path
from typing import Optional

import yaml
from aiohttp import web

from claudia.review_queries import Filters
from claudia.review_store import csv_lines
from web.review import Review
from web.review_message_pages import add_message_routes
from web.review_training import intents_of
from web.review_web import (FLASHES, INTENTS, OUTCOME_LABELS, OUTCOME_OPTIONS, REVIEW, back_to, conversation_path,
                            encode, query_dict, render, reviewer_required, setup_templates)

STATIC = Path(__file__).parent / "static" / "review"
INDEXER_TASK = web.AppKey("review_indexer", asyncio.Task)
FILTER_KEYS = ("since", "until", "user", "procedure", "outcome", "intent", "action", "reviewed", "tag",
               "thumbs_down", "low_confidence", "before")


@reviewer_required
async def inbox(request: web.Request) -> web.Response:
    review = request.app[REVIEW]
    await asyncio.to_thread(review.refresh)
    query = {k: request.query.get(k, "") for k in FILTER_KEYS}
    filters = Filters.from_query(query)
    found = await asyncio.to_thread(review.search, filters, query["before"] or None)
    base = {k: v for k, v in query.items() if k != "before"}
    return render(request, "conversations.html", "Revue des conversations", active="/console/revue/",
                  query=query, found=found, intents=request.app[INTENTS], outcomes=OUTCOME_OPTIONS,
                  outcome_labels=OUTCOME_LABELS, export_query=encode(base), first_query=encode(base),
                  next_query=encode({**base, "before": found["next"]}))


@reviewer_required
async def conversation(request: web.Request) -> web.Response:
    cid = request.match_info["cid"]
    detail = await asyncio.to_thread(request.app[REVIEW].detail, cid)
    if detail is None:
        raise web.HTTPNotFound(text="Conversation introuvable.")
    return render(request, "conversation.html", f"Conversation {cid}", detail=detail, path=conversation_path(cid),
                  intents=request.app[INTENTS], outcome_labels=OUTCOME_LABELS)


@reviewer_required
async def marks(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    cid = request.match_info["cid"]
    await asyncio.to_thread(request.app[REVIEW].mark, cid, request["user"].login, form.get("reviewed") == "1",
                            str(form.get("tags", "")).split())
    raise back_to(request, conversation_path(cid), "Marques enregistrées.")


@reviewer_required
async def export_csv(request: web.Request) -> web.StreamResponse:
    """Streamed a chunk at a time: the first bytes leave at once, memory stays flat."""
    review = request.app[REVIEW]
    filters = Filters.from_query(query_dict(request))
    response = web.StreamResponse(headers={"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
                                           "Content-Disposition": 'attachment; filename="conversations.csv"'})
    await response.prepare(request)
    lines = csv_lines(review.queries.iterate(filters))
    while (chunk := await asyncio.to_thread(next, lines, None)) is not None:
        await response.write(chunk.encode("utf-8"))
    await response.write_eof()
    return response


def json_chunks(rows):
    """A JSON array, about 16 kB at a time."""
    yield "["  # the first bytes leave before any row is read
    buffer, first = [], True
    for row in rows:
        buffer.append(("" if first else ",\n") + json.dumps(row, ensure_ascii=False))
        first = False
        if len(buffer) >= 50:
            yield "".join(buffer)
            buffer = []
    yield "".join(buffer) + "]\n"


@reviewer_required
async def export_json(request: web.Request) -> web.StreamResponse:
    review = request.app[REVIEW]
    chunks = json_chunks(review.queries.iterate(Filters.from_query(query_dict(request))))
    response = web.StreamResponse(headers={"Content-Type": "application/json; charset=utf-8",
                                           "Content-Disposition": 'attachment; filename="conversations.json"'})
    await response.prepare(request)
    while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
        await response.write(chunk.encode("utf-8"))
    await response.write_eof()
    return response


@reviewer_required
async def dashboard(request: web.Request) -> web.Response:
    d = await asyncio.to_thread(request.app[REVIEW].dashboard)
    return render(request, "dashboard.html", "Tableau de bord", active="/console/revue/tableau", d=d)


async def _start_indexer(app: web.Application) -> None:
    app[INDEXER_TASK] = asyncio.get_running_loop().create_task(app[REVIEW].run_indexer())


async def _stop_indexer(app: web.Application) -> None:
    task: Optional[asyncio.Task] = app.get(INDEXER_TASK)
    if task:
        task.cancel()


def add_review(app: web.Application, review: Review, domain_file: Path, background: bool = True) -> None:
    app[REVIEW] = review
    app[FLASHES] = OrderedDict()
    app[INTENTS] = intents_of(yaml.safe_load(domain_file.read_text(encoding="utf-8")))
    setup_templates(app)
    app.router.add_get("/console/revue/", inbox)
    app.router.add_get("/console/revue/tableau", dashboard)
    app.router.add_get("/console/revue/export.csv", export_csv)
    app.router.add_get("/console/revue/export.json", export_json)
    app.router.add_get("/console/revue/conversations/{cid}", conversation)
    app.router.add_post("/console/revue/conversations/{cid}/marques", marks)
    add_message_routes(app)
    app.router.add_static("/console/revue/static", STATIC)
    if background:
        app.on_startup.append(_start_indexer)
        app.on_cleanup.append(_stop_indexer)
