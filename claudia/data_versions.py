"""The training data under version control: every change the review makes is a git commit.

The data repository is a git repository of its own (CLAUDIA_DATA_REPO, `var/data-repo` by
default), apart from the project's: developers' commits and CI clones never mix with the
reviewers'. Its work tree holds copies of the files the review writes, at the paths they have
in the project (`data/nlu/corrections.yml`, `tests/stories/test_revues.yml`), and
`models/activations.yml`, the record of model activations. A change is recorded so:

1. `recording(reviewer)` takes the lock (a thread lock, then an exclusive `flock` on
   `<repo>.lock`, so that web fronts and processes sharing the repository take turns), copies
   the files in, and commits what changed outside the review (hand edits) under ClaudIA's name;
2. the review writes its file as before;
3. `describe()` says what and why; leaving the block copies the files in again and commits,
   with the reviewer as author (`login <login@CLAUDIA_DATA_EMAIL_DOMAIN>`). If that commit
   fails, the review's files are put back as they were: no change without its version.

Only the `git` command is run, its arguments always a list (never a shell), the message given
on standard input, hooks and signing off, and only the file/git/http(s)/ssh transports
allowed (no `ext::` command remote). Pushing to CLAUDIA_DATA_REMOTE is optional; a failed push
is logged and retried with the next commit, the data stay committed locally.
"""
from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Iterator, Optional, Tuple

from claudia.data_commits import (DEFAULT_EMAIL_DOMAIN, Recording, author_of,  # noqa: F401 (re-exported)
                                  email_domain, one_line)
from claudia.data_history import Commit, HistoryReader  # noqa: F401 (Commit re-exported)

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]
BRANCH = "main"
ACTIVATIONS = "models/activations.yml"
SYSTEM_AUTHOR = ("ClaudIA", "claudia")
GIT_TIMEOUT = 60
OUTSIDE_CHANGES = ("Modifications faites hors de la revue\n\nLes fichiers de la revue ont été modifiés sur le "
                   "serveur sans passer par elle ; ces modifications sont enregistrées telles quelles.\n")
_thread_locks: Dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


class VersioningError(RuntimeError):
    """The data repository could not record a change; the message is French, for the reviewer."""


def _remote_or_none(raw: Optional[str]) -> Optional[str]:
    remote = (raw or "").strip()
    if not remote:
        return None
    if remote.startswith("-") or "::" in remote.split("/", 1)[0] or any(ord(c) < 32 for c in remote):
        raise ValueError("CLAUDIA_DATA_REMOTE doit être une adresse de dépôt git (chemin, file://, https://, ssh://).")
    return remote


class DataVersions(HistoryReader):
    def __init__(self, repo: Path, files: Dict[str, Path], domain: str = DEFAULT_EMAIL_DOMAIN,
                 remote: Optional[str] = None, timeout: float = GIT_TIMEOUT):
        self.repo = Path(repo).resolve()
        self.files = {name: Path(path) for name, path in files.items()}
        self.domain = email_domain(domain)
        self.remote = _remote_or_none(remote)
        self.timeout = timeout
        self.last_push: Optional[Tuple[bool, str]] = None  # (pushed, what git said) of the latest push
        with _thread_locks_guard:
            self._thread_lock = _thread_locks.setdefault(str(self.repo), threading.Lock())

    @classmethod
    def from_environment(cls, corrections_file: Optional[Path] = None,
                         stories_file: Optional[Path] = None) -> Optional["DataVersions"]:
        """From CLAUDIA_DATA_REPO (empty or `off`: no versioning), CLAUDIA_DATA_EMAIL_DOMAIN and
        CLAUDIA_DATA_REMOTE; the files are the review's (CLAUDIA_CORRECTIONS_FILE…)."""
        repo = os.environ.get("CLAUDIA_DATA_REPO", str(ROOT / "var" / "data-repo")).strip()
        if not repo or repo.lower() == "off":
            return None
        corrections = corrections_file or Path(os.environ.get("CLAUDIA_CORRECTIONS_FILE",
                                                              ROOT / "data" / "nlu" / "corrections.yml"))
        stories = stories_file or Path(os.environ.get("CLAUDIA_REVIEW_STORIES_FILE",
                                                      ROOT / "tests" / "stories" / "test_revues.yml"))
        return cls(Path(repo), {"data/nlu/corrections.yml": corrections, "tests/stories/test_revues.yml": stories},
                   os.environ.get("CLAUDIA_DATA_EMAIL_DOMAIN", DEFAULT_EMAIL_DOMAIN),
                   os.environ.get("CLAUDIA_DATA_REMOTE"))

    # -- running git -------------------------------------------------------------------------------
    def _env(self, author: Optional[Tuple[str, str]] = None) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        name, email = author or (SYSTEM_AUTHOR[0], f"{SYSTEM_AUTHOR[1]}@{self.domain}")
        env.update(GIT_TERMINAL_PROMPT="0", GIT_ALLOW_PROTOCOL="file:git:http:https:ssh", LC_ALL="C",
                   GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
                   GIT_COMMITTER_NAME=SYSTEM_AUTHOR[0], GIT_COMMITTER_EMAIL=f"{SYSTEM_AUTHOR[1]}@{self.domain}")
        return env

    def git(self, *args: str, stdin: Optional[str] = None, author: Optional[Tuple[str, str]] = None,
            check: bool = True) -> subprocess.CompletedProcess:
        command = ["git", "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgSign=false",
                   "-c", "core.quotePath=false", "-C", str(self.repo), *args]
        try:
            done = subprocess.run(command, input=stdin, capture_output=True, text=True, env=self._env(author),
                                  timeout=self.timeout, encoding="utf-8", errors="replace")
        except (OSError, subprocess.TimeoutExpired) as error:
            raise VersioningError(f"Le dépôt des données ne répond pas (git : {one_line(error, 120)}).") from error
        if check and done.returncode != 0:
            raise VersioningError(f"Le dépôt des données a refusé l'opération (git : "
                                  f"{one_line(done.stderr or done.stdout, 200)}).")
        return done

    # -- the repository ----------------------------------------------------------------------------
    def ensure(self) -> None:
        """Creates the repository on first use (branch `main`), with the files as they are."""
        if (self.repo / ".git").is_dir():
            return
        self.repo.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.git("init", "-q", "-b", BRANCH)
        (self.repo / "README.md").write_text(
            "Données d'entraînement de ClaudIA modifiées par la revue des conversations.\n"
            "Chaque commit est une correction, une histoire de test ou une activation de modèle, "
            "avec le relecteur pour auteur.\n", encoding="utf-8")
        self._copy_in()
        self.git("add", "-A", "--", ".")
        self.git("commit", "-q", "--cleanup=verbatim", "-F", "-",
                 stdin="Données initiales\n\nÉtat des fichiers de la revue à la création du dépôt.\n")

    def _copy_in(self) -> None:
        """The review's files copied into the work tree (a file that does not exist is removed)."""
        for name, source in self.files.items():
            target = self.repo / name
            if source.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                data = source.read_bytes()
                if not target.exists() or target.read_bytes() != data:
                    temporary = target.with_name(f".{target.name}.copie")
                    temporary.write_bytes(data)
                    os.replace(temporary, target)
            elif target.exists():
                target.unlink()

    def _commit_if_changed(self, message: str, author: Optional[Tuple[str, str]]) -> Optional[str]:
        self.git("add", "-A", "--", ".")
        if self.git("diff", "--cached", "--quiet", check=False).returncode == 0:
            return None
        self.git("commit", "-q", "--cleanup=verbatim", "-F", "-", stdin=message, author=author)
        return self.git("rev-parse", "HEAD").stdout.strip()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            self.repo.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with open(self.repo.parent / f".{self.repo.name}.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def recording(self, reviewer: str, reviewer_name: Optional[str] = None) -> Iterator["Recording"]:
        """The block in which the review changes its files; leaving it commits the change."""
        with self._locked():
            self.ensure()
            self._copy_in()
            self._commit_if_changed(OUTSIDE_CHANGES, None)
            before = {name: (path.read_bytes() if path.exists() else None) for name, path in self.files.items()}
            record = Recording(author_of(reviewer, reviewer_name, self.domain), reviewer)
            yield record
            try:
                self._copy_in()
                record.sha = self._commit_if_changed(record.message(), record.author) if record.subject else None
            except VersioningError:
                self._put_back(before)
                raise
        if record.sha:
            self.push()

    def current_version(self) -> str:
        """The commit of the data as they are now (a change made outside the review is committed
        first): what a model trained now is trained from."""
        with self._locked():
            self.ensure()
            self._copy_in()
            self._commit_if_changed(OUTSIDE_CHANGES, None)
            return self.git("rev-parse", "HEAD").stdout.strip()

    def _put_back(self, before: Dict[str, Optional[bytes]]) -> None:
        """The review's files as they were before the change that could not be committed."""
        for name, data in before.items():
            path = self.files[name]
            if data is None:
                path.unlink(missing_ok=True)
            else:
                temporary = path.with_name(f".{path.name}.restauration")
                temporary.write_bytes(data)
                os.replace(temporary, path)
        self._copy_in()
        self.git("reset", "-q", check=False)
        logger.error("données : commit impossible, les fichiers de la revue ont été remis en l'état")

    def record_activation(self, model_id: str, reviewer: str, reason: str,
                          reviewer_name: Optional[str] = None) -> str:
        """Commits `models/activations.yml` saying that `model_id` is now the active model, who
        decided it and why (the latest activation first). Returns the commit's id."""
        import yaml

        model = one_line(model_id, 200)
        why = one_line(reason, 1000) or "aucune raison donnée"
        if not model:
            raise ValueError("Identifiant de modèle vide.")
        with self._locked():
            self.ensure()
            path = self.repo / ACTIVATIONS
            history = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}
            previous = (history.get("actif") or {}).get("modele")
            entry = {"modele": model, "par": one_line(reviewer, 128), "raison": why,
                     "le": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
            history = {"actif": entry, "precedents": ([history["actif"]] if history.get("actif") else [])
                       + list(history.get("precedents") or [])}
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(history, allow_unicode=True, sort_keys=False), encoding="utf-8")
            subject = f"Activation du modèle {model}" + (f" (remplace {one_line(previous, 80)})" if previous else "")
            message = f"{subject}\n\nPourquoi : {why}\n\nRelecteur : {one_line(reviewer, 128)}\n"
            sha = self._commit_if_changed(message, author_of(reviewer, reviewer_name, self.domain))
            if sha is None:  # the same model activated again with the same reason in the same second
                self.git("commit", "-q", "--allow-empty", "--cleanup=verbatim", "-F", "-", stdin=message,
                         author=author_of(reviewer, reviewer_name, self.domain))
                sha = self.git("rev-parse", "HEAD").stdout.strip()
        self.push()
        return sha

    def push(self) -> Optional[bool]:
        """Pushes `main` to CLAUDIA_DATA_REMOTE, if one is set; never raises (the commit is kept)."""
        if not self.remote:
            return None
        with self._locked():
            done = self.git("push", "--porcelain", self.remote, f"HEAD:refs/heads/{BRANCH}", check=False) \
                if (self.repo / ".git").is_dir() else None
        if done is None:
            return None
        pushed = done.returncode == 0
        self.last_push = (pushed, one_line(done.stderr or done.stdout, 300))
        if not pushed:
            logger.warning("données : envoi vers le dépôt distant en échec : %s", self.last_push[1])
        return pushed

def record_activation(model_id: str, reviewer: str, reason: str) -> Optional[str]:
    """A model activation as a commit of the data repository (configured from the environment);
    None when versioning is off (CLAUDIA_DATA_REPO empty or `off`). Raises VersioningError."""
    versions = DataVersions.from_environment()
    return versions.record_activation(model_id, reviewer, reason) if versions else None
