"""Training a candidate model in the background, then measuring it against the active model.

One training at a time for every web front sharing the database (claudia/model_registry.py).
The job, in the web front that started it:

1. copies the current training data apart (data directory, the review's corrections, config,
   domain, test stories; claudia/model_judging.py) and records its hash;
2. runs `rasa train` on that copy (its own process group, under `nice`), its output written to
   the training's log and read line by line for the stages shown by the progress bar;
3. predicts the held-out messages and the real messages of the last days with the candidate and
   the active model (scripts/model_predict.py);
4. runs the story tests (`rasa test core`) on the candidate: without `--fail-on-prediction-errors`,
   which stops at the first failure, so that every failed story is named; any failure (a story
   in `failed_test_stories.yml`, fewer stories correct than run) fails the candidate as the flag
   would.

« Annuler » sets a flag in the database (any web front may); the job checks it every second and
stops its process group. A web front stopped mid-way leaves its training « interrompu ».
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Dict, Optional

import yaml

from claudia import model_judging as judging
from claudia.file_digest import file_sha256
from claudia.model_registry import CANCELLED, FAILED, READY, ModelRegistry
from web.model_settings import ModelSettings, data_commit

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]


# Rasa's training log → (stage, percent reached). Components are counted as they finish.
VALIDATING = re.compile(r"Started validating domain and training data")
COMPONENT_STARTS = re.compile(r"Starting to train component '([^']+)'")
COMPONENT_DONE = re.compile(r"(Finished training|Restored) component '([^']+)'")
SAVED = re.compile(r"Your Rasa model is trained and saved")
TRAIN_START, TRAIN_END, PREDICT_END = 10, 60, 80


def trained_components(config: Path) -> int:
    """How many components of the configuration train (tokenizers and the fallback do not)."""
    loaded = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    names = [str(c.get("name", "")) for c in (loaded.get("pipeline") or []) + (loaded.get("policies") or [])]
    return max(1, sum(1 for n in names if not n.endswith("Tokenizer") and n != "FallbackClassifier"))


def stage_of(line: str, done: int, expected: int):
    """(stage, percent, components done) that a log line announces, or None."""
    if VALIDATING.search(line):
        return "Validation des données", 5, done
    if match := COMPONENT_STARTS.search(line):
        return f"Entraînement : {match.group(1)}", TRAIN_START + (TRAIN_END - TRAIN_START) * done // expected, done
    if match := COMPONENT_DONE.search(line):
        done += 1
        how = "terminé" if match.group(1).startswith("Finished") else "repris du cache"
        return (f"Entraînement : {match.group(2)} {how}",
                TRAIN_START + (TRAIN_END - TRAIN_START) * min(done, expected) // expected, done)
    if SAVED.search(line):
        return "Modèle enregistré", TRAIN_END, done
    return None


def alive(pid: Optional[int]) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Cancelled(Exception):
    pass


class ModelTrainer:
    def __init__(self, registry: ModelRegistry, settings: ModelSettings, recent_db=None):
        self.registry = registry
        self.settings = settings
        self.recent_db = recent_db or registry.db
        self.host = socket.gethostname()
        self.task: Optional[asyncio.Task] = None
        self.process = None  # the training's current subprocess, stopped with the web front

    def stop(self) -> None:
        """The web front stops: its training's process group stops too (the row ends « interrompu »
        when a web front starts again or a training is asked for)."""
        if self.process is not None and self.process.returncode is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def env(self) -> Dict[str, str]:
        return dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false",
                    LOG_LEVEL="INFO")

    def start(self, reviewer: str) -> Optional[int]:
        """Starts a training in the background; None when one is already running."""
        self.registry.interrupt_stale(self.host, alive)
        name = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + os.urandom(3).hex()
        work = self.settings.work_dir / name
        work.mkdir(parents=True, mode=0o700)
        model_id = self.registry.start_training(name, reviewer, str(work / "entrainement.log"), self.host, os.getpid())
        if model_id is None:
            shutil.rmtree(work, ignore_errors=True)
            return None
        self.task = asyncio.get_running_loop().create_task(self._run(model_id, name, work))
        return model_id

    async def _run(self, model_id: int, name: str, work: Path) -> None:
        log = (work / "entrainement.log").open("a", encoding="utf-8")
        try:
            await self._train_and_measure(model_id, name, work, log)
        except Cancelled:
            log.write("\n== Entraînement annulé.\n")
            self.registry.finish(model_id, CANCELLED, stage="Annulé")
        except Exception as error:  # any failure ends the training as failed, with its reason
            logger.exception("entraînement du modèle %s", name)
            log.write(f"\n== Échec : {error}\n")
            self.registry.finish(model_id, FAILED, stage="Échec", error=str(error)[:2000])
        finally:
            log.close()
            shutil.rmtree(work / "donnees", ignore_errors=True)

    async def _train_and_measure(self, model_id: int, name: str, work: Path, log) -> None:
        s = self.settings
        snapshot = work / "donnees"
        snapshot.mkdir()
        data_hash = await asyncio.to_thread(judging.snapshot, snapshot, s.data_dir, s.config, s.domain,
                                            s.stories_dir, s.corrections_file, s.review_stories_file)
        self.registry.update(model_id, data_hash=data_hash, data_commit=data_commit())
        log.write(f"== Données copiées (version {data_hash[:12]})\n")
        candidates = s.models_dir / "candidates"
        candidates.mkdir(parents=True, exist_ok=True)
        expected, done = trained_components(snapshot / "config.yml"), 0
        shown = {"percent": 1, "cap": 5}  # within a long stage the bar creeps on, short of the next one

        def on_line(line: str) -> None:
            nonlocal done
            found = stage_of(line, done, expected)
            if found:
                stage, percent, done = found
                ongoing = stage.startswith("Entraînement") and not stage.endswith(("terminé", "cache"))
                cap = TRAIN_START + (TRAIN_END - TRAIN_START) * min(done + 1, expected) // expected if ongoing \
                    else TRAIN_START if percent < TRAIN_START else percent
                shown.update(percent=percent, cap=cap)
                self.registry.update(model_id, stage=stage, progress=percent)

        async def creep() -> None:
            while True:
                await asyncio.sleep(3.0)
                if shown["percent"] < shown["cap"] - 1:
                    shown["percent"] += 1
                    await asyncio.to_thread(self.registry.update, model_id, progress=shown["percent"])

        creeping = asyncio.get_running_loop().create_task(creep())
        try:
            await self._process(model_id, log, on_line, "-m", "rasa", "train", "--config",
                                str(snapshot / "config.yml"), "--domain", str(snapshot / "domain.yml"),
                                "--data", str(snapshot / "data"), "--out", str(candidates), "--fixed-model-name", name)
        finally:
            creeping.cancel()
        model = candidates / f"{name}.tar.gz"
        if not model.exists():
            raise RuntimeError("rasa train n'a pas produit de modèle")
        self.registry.update(model_id, path=str(model), sha256=await asyncio.to_thread(file_sha256, model),
                             stage="Prédictions : messages réservés et messages récents", progress=TRAIN_END + 2)
        measures, comparison = await self._compare(model_id, model, work, log)
        self.registry.update(model_id, stage="Histoires de test", progress=PREDICT_END, comparison=comparison)
        measures["stories"] = await self._stories(model_id, model, snapshot / "stories", work, log)
        self.registry.finish(model_id, READY, stage="Terminé", progress=100, measures=measures)
        log.write("== Terminé.\n")

    async def _compare(self, model_id: int, model: Path, work: Path, log):
        active = self.registry.active()
        against = Path(active["path"]) if active and active.get("path") else self.settings.active_model
        messages = await asyncio.to_thread(judging.recent_messages, self.recent_db, self.settings.changes_days)
        request = work / "predictions-demande.json"
        request.write_text(json.dumps({"heldout": str(self.settings.heldout),
                                       "texts": [m["text"] for m in messages]}), encoding="utf-8")
        out = work / "predictions.json"
        await self._process(model_id, log, None, "-m", "scripts.model_predict", "--model", str(model),
                            "--model", str(against), "--input", str(request), "--out", str(out))
        found = json.loads(out.read_text(encoding="utf-8"))
        gold = found["heldout"]["gold"]
        new, old = found["models"]
        measures = {"heldout": judging.heldout_summary(gold, [p[0] for p in new["heldout"]])}
        comparison = {"against": active["id"] if active else None, "against_path": str(against),
                      "heldout_active": judging.heldout_summary(gold, [p[0] for p in old["heldout"]]),
                      "days": self.settings.changes_days, "looked_at": len(messages),
                      "changes": judging.changed_predictions(messages, old["texts"], new["texts"])}
        return measures, comparison

    async def _stories(self, model_id: int, model: Path, stories: Path, work: Path, log) -> dict:
        out = work / "histoires"
        code = await self._process(model_id, log, None, "-m", "rasa", "test", "core", "--model", str(model),
                                   "--stories", str(stories), "--out", str(out), check=False)
        report = out / "story_report.json"
        failed_file = out / "failed_test_stories.yml"
        failed = judging.failed_story_names(((yaml.safe_load(failed_file.read_text(encoding="utf-8")) or {})
                                             .get("stories") or []) if failed_file.exists() else [])
        text = (work / "entrainement.log").read_text(encoding="utf-8", errors="replace")
        text = text[text.rfind(" test core "):]  # this run's output; its first count is per conversation
        match = re.search(r"Correct:\s+(\d+) / (\d+)", text)
        correct, total = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        if not report.exists() and code != 0 and not failed:
            raise RuntimeError("les histoires de test n'ont pas pu être passées (voir le journal)")
        passed = code == 0 and not failed and match is not None and correct == total
        return {"passed": passed, "correct": correct, "total": total, "failed": failed}

    async def _process(self, model_id: int, log, on_line, *args: str, check: bool = True) -> int:
        nice = [shutil.which("nice"), "-n", "10"] if shutil.which("nice") else []
        command = [*nice, sys.executable, *args]
        log.write("$ " + " ".join(Path(a).name if a == sys.executable else a for a in command) + "\n")
        log.flush()
        process = await asyncio.create_subprocess_exec(*command, cwd=str(ROOT), env=self.env(),
                                                       stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        self.process = process
        watcher = asyncio.get_running_loop().create_task(self._watch_cancel(model_id, process))
        try:
            assert process.stdout is not None
            async for raw in process.stdout:
                line = raw.decode("utf-8", "replace").replace("\r", "\n")
                log.write(line)
                log.flush()
                if on_line:
                    for part in line.splitlines():
                        await asyncio.to_thread(on_line, part)
            code = await process.wait()
        finally:
            watcher.cancel()
        if watcher.done() and not watcher.cancelled() and watcher.result():
            raise Cancelled()
        if self.registry.get(model_id)["cancel_requested"]:
            raise Cancelled()
        if check and code != 0:
            raise RuntimeError(f"{args[1]} a échoué (code {code}, voir le journal)")
        return code

    async def _watch_cancel(self, model_id: int, process) -> bool:
        while process.returncode is None:
            await asyncio.sleep(1.0)
            row = await asyncio.to_thread(self.registry.get, model_id)
            if row and row["cancel_requested"] and process.returncode is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                return True
        return False
