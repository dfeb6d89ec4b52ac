"""The review's « Modèles » pages, under /console/revue/modeles (role « relecteur » only).

- the list: train a candidate (one at a time; its progress bar, stage, log, « Annuler »), every
  model with who trained it, from which data version, when, its measures; the active model,
  what each Rasa worker serves, the activations, and « Revenir au modèle précédent »;
- one model's page: the candidate against the active model (held-out accuracy per intent, the
  story tests, the real messages whose predicted intent changes), and its activation, which
  needs a written reason when the candidate failed a story test or lost held-out accuracy.

The progress bar is a `<progress>` refreshed by models.js from `progression.json` (the page
works without it: reloading shows the same).
"""
from __future__ import annotations

import asyncio
from typing import Optional

from aiohttp import web

from claudia import params
from claudia.db import Database
from claudia.model_registry import ModelRegistry
from web.model_jobs import alive
from web.model_settings import ModelSettings
from web.model_service import ModelService, ReasonRequired
from web.review_web import back_to, render, reviewer_required

MODELS = web.AppKey("models", ModelService)
LIST = "/console/revue/modeles"


def _id(request: web.Request) -> int:
    return params.whole_number(request.match_info["model_id"], "modèle", lowest=1)


@reviewer_required
async def models_page(request: web.Request) -> web.Response:
    service = request.app[MODELS]
    await asyncio.to_thread(service.ensure_initial)
    await asyncio.to_thread(service.registry.interrupt_stale, service.trainer.host, alive)
    overview = await asyncio.to_thread(service.overview)
    return render(request, "models.html", "Modèles", active=LIST, o=overview,
                  days=service.settings.changes_days)


@reviewer_required
async def progress(request: web.Request) -> web.Response:
    training = await asyncio.to_thread(request.app[MODELS].registry.training)
    if training is None:
        return web.json_response({"training": None}, headers={"Cache-Control": "no-store"})
    return web.json_response({"training": {k: training[k] for k in ("id", "name", "stage", "progress", "status")}},
                             headers={"Cache-Control": "no-store"})


@reviewer_required
async def train(request: web.Request) -> web.StreamResponse:
    service = request.app[MODELS]
    await asyncio.to_thread(service.ensure_initial)
    model_id = service.trainer.start(request["user"].login)
    if model_id is None:
        raise back_to(request, LIST, "Un entraînement est déjà en cours : attendez sa fin ou annulez-le.", error=True)
    raise back_to(request, LIST + "#entrainement", "Entraînement lancé à partir des données actuelles.")


@reviewer_required
async def cancel(request: web.Request) -> web.StreamResponse:
    done = await asyncio.to_thread(request.app[MODELS].registry.request_cancel, _id(request))
    raise back_to(request, LIST, "Annulation demandée : l'entraînement s'arrête." if done
                  else "Cet entraînement n'est plus en cours.", error=not done)


@reviewer_required
async def model_page(request: web.Request) -> web.Response:
    judged = await asyncio.to_thread(request.app[MODELS].judge, _id(request))
    if judged is None:
        raise web.HTTPNotFound(text="Modèle introuvable.")
    name = judged["model"]["name"]
    return render(request, "model.html", f"Modèle {name} comparé au modèle actif", active=LIST, j=judged)


@reviewer_required
async def log_page(request: web.Request) -> web.Response:
    text = await asyncio.to_thread(request.app[MODELS].log_tail, _id(request))
    if text is None:
        raise web.HTTPNotFound(text="Modèle introuvable.")
    return web.Response(text=text or "(journal vide)", content_type="text/plain", charset="utf-8",
                        headers={"Cache-Control": "no-store"})


@reviewer_required
async def activate(request: web.Request) -> web.StreamResponse:
    model_id = _id(request)
    form = await request.post()
    reason = str(form.get("raison", ""))
    here = f"{LIST}/{model_id}"
    try:
        previous, recorded = await asyncio.to_thread(request.app[MODELS].activate, model_id,
                                                   request["user"].login, reason)
    except ReasonRequired as refusal:
        raise back_to(request, here + "#activation", "Activation refusée : ce modèle ne peut être activé "
                      "qu'avec une raison écrite. " + " ".join(refusal.blockers), error=True)
    except LookupError:
        raise back_to(request, here, "Ce modèle ne peut pas être activé (pas prêt, ou son fichier a disparu).",
                      error=True)
    said = (f"Modèle n° {model_id} activé : chaque processus de Rasa le charge dans les secondes qui viennent, "
            "les conversations en cours continuent.")
    if previous:
        said += f" Le modèle précédent (n° {previous}) reste à un clic."
    if not recorded:
        said += " Attention : l'activation n'a pas pu être enregistrée dans l'historique des données."
    raise back_to(request, LIST + "#actif", said)


def add_model_pages(app: web.Application, database: Database, settings: Optional[ModelSettings] = None) -> ModelService:
    service = ModelService(ModelRegistry(database), settings or ModelSettings.from_environment())
    app[MODELS] = service
    app.router.add_get(LIST, models_page)
    app.router.add_get(LIST + "/progression.json", progress)
    app.router.add_post(LIST + "/entrainer", train)
    app.router.add_get(LIST + "/{model_id}", model_page)
    app.router.add_get(LIST + "/{model_id}/journal", log_page)
    app.router.add_post(LIST + "/{model_id}/annuler", cancel)
    app.router.add_post(LIST + "/{model_id}/activer", activate)

    async def _stop_training(_app: web.Application) -> None:
        service.trainer.stop()

    app.on_shutdown.append(_stop_training)
    return service


__all__ = ["add_model_pages", "MODELS"]
