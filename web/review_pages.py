"""The maintainers' review pages, under /console/revue/ (role « relecteur » only).

Server-rendered with Jinja2 templates (web/templates/review/, autoescaped); the
state-changing forms carry the session's CSRF token and return, after
post/redirect/get, to the page and row they came from.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from pathlib import Path
from typing import Optional

import yaml
from aiohttp import web

from claudia import params
from claudia.review_queries import Filters
from claudia.review_store import csv_lines
from web import bad_input
from web.review import Review
from web.review_history import add_history_routes
from web.review_message_pages import add_message_routes
from web.review_training import intents_of
from web.review_web import (FLASHES, INTENTS, OUTCOME_LABELS, OUTCOME_OPTIONS, REVIEW, back_to, conversation_path,
                            encode, query_dict, render, reviewer_required, setup_templates)

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static" / "review"
INDEXER_TASK = web.AppKey("review_indexer", asyncio.Task)
FILTER_KEYS = ("since", "until", "user", "procedure", "outcome", "intent", "action", "reviewed", "tag",
               "thumbs_down", "low_confidence", "before")
# Written in place of the rest when an export fails after its first bytes left: no comma, so that it
# is one cell of its own in the CSV; in the JSON it ends the file unclosed, so that no program takes it
# for a whole export.
EXPORT_FAILED = ("EXPORT INTERROMPU : une erreur est survenue pendant l'export. Les lignes ci-dessus sont "
                 "complètes mais les suivantes manquent : relancez l'export.")


@reviewer_required
async def inbox(request: web.Request) -> web.Response:
    review = request.app[REVIEW]
    query = {k: request.query.get(k, "") for k in FILTER_KEYS}
    filters = Filters.from_query(query)  # before any database read: a bad value is a 400
    params.cursor(query["before"])
    await asyncio.to_thread(review.refresh)
    found = await asyncio.to_thread(review.search, filters, query["before"] or None)
    base = {k: v for k, v in query.items() if k != "before"}
    tags = await asyncio.to_thread(review.tags.known)
    return render(request, "conversations.html", "Revue des conversations", active="/console/revue/",
                  query=query, found=found, intents=request.app[INTENTS], outcomes=OUTCOME_OPTIONS,
                  tags=tags if not query["tag"] or query["tag"] in tags else [query["tag"]] + tags,
                  outcome_labels=OUTCOME_LABELS, export_query=encode(base), first_query=encode(base),
                  next_query=encode({**base, "before": found["next"]}))


@reviewer_required
async def conversation(request: web.Request) -> web.Response:
    cid = request.match_info["cid"]
    detail = await asyncio.to_thread(request.app[REVIEW].detail, cid)
    if detail is None:
        raise web.HTTPNotFound(text="Conversation introuvable.")
    known = await asyncio.to_thread(request.app[REVIEW].tags.known)
    return render(request, "conversation.html", f"Conversation {cid}", detail=detail, path=conversation_path(cid),
                  intents=request.app[INTENTS], outcome_labels=OUTCOME_LABELS, known_tags=known)


@reviewer_required
async def marks(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    cid = request.match_info["cid"]
    await asyncio.to_thread(request.app[REVIEW].mark, cid, request["user"].login, form.get("reviewed") == "1")
    raise back_to(request, conversation_path(cid), "Marque enregistrée.")


@reviewer_required
async def add_tag(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    cid = request.match_info["cid"]
    back = conversation_path(cid) + "#etiquettes"
    try:
        tag = await asyncio.to_thread(request.app[REVIEW].add_tag, cid, form.get("tag"), request["user"].login)
    except params.BadParameter as error:
        raise back_to(request, back, str(error), error=True)
    except LookupError:
        raise web.HTTPNotFound(text="Conversation introuvable.")
    raise back_to(request, back, f"Étiquette « {tag} » ajoutée.")


@reviewer_required
async def remove_tag(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    cid, tag = request.match_info["cid"], str(form.get("tag", ""))
    removed = await asyncio.to_thread(request.app[REVIEW].remove_tag, cid, tag)
    said = f"Étiquette « {tag[:40]} » retirée." if removed else "Cette conversation ne portait pas cette étiquette."
    raise back_to(request, conversation_path(cid) + "#etiquettes", said)


async def stream(request: web.Request, kind: str, name: str, chunks, failed_line: str) -> web.StreamResponse:
    """Streamed a chunk at a time: the first bytes leave at once, memory stays flat. Once they
    have left, a failure cannot be a status any more: the file says so on its last line."""
    response = web.StreamResponse(headers={"Content-Type": f"{kind}; charset=utf-8", "Cache-Control": "no-store",
                                           "Content-Disposition": f'attachment; filename="{name}"'})
    await response.prepare(request)
    while True:
        try:
            chunk = await asyncio.to_thread(next, chunks, None)
        except Exception:  # the chunks end on a whole row: the line starts a line of its own
            logger.exception("export %s interrompu", name)
            await response.write(failed_line.encode("utf-8"))
            break
        if chunk is None:
            break
        await response.write(chunk.encode("utf-8", "replace"))
    await response.write_eof()
    return response


@reviewer_required
async def export_csv(request: web.Request) -> web.StreamResponse:
    filters = Filters.from_query(query_dict(request))
    lines = csv_lines(request.app[REVIEW].queries.iterate(filters))
    return await stream(request, "text/csv", "conversations.csv", lines, EXPORT_FAILED + "\r\n")


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
    chunks = json_chunks(request.app[REVIEW].queries.iterate(Filters.from_query(query_dict(request))))
    return await stream(request, "application/json", "conversations.json", chunks, f"\n{EXPORT_FAILED}\n")


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
    bad_input.install(app)
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
    app.router.add_post("/console/revue/conversations/{cid}/etiquettes", add_tag)
    app.router.add_post("/console/revue/conversations/{cid}/etiquettes/retirer", remove_tag)
    add_message_routes(app)
    add_history_routes(app)
    app.router.add_static("/console/revue/static", STATIC)
    if background:
        app.on_startup.append(_start_indexer)
        app.on_cleanup.append(_stop_indexer)
