"""Reading the data repository's history (claudia.data_versions): commits newest first, one
commit, its changes as unified-diff lines. Only `git log`, `git cat-file` and `git show`, with a
commit id checked to be 40 hexadecimal digits first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

LOG_FORMAT = "--format=%H%x00%an%x00%ae%x00%aI%x00%B%x1e"


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    email: str
    date: datetime
    message: str

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]

    @property
    def body(self) -> str:
        return self.message.split("\n", 1)[1].strip("\n") if "\n" in self.message else ""


def _commits(output: str) -> List[Commit]:
    found = []
    for record in output.split("\x1e"):
        parts = record.strip("\n").split("\x00")
        if len(parts) == 5:
            found.append(Commit(parts[0], parts[1], parts[2], datetime.fromisoformat(parts[3]), parts[4].strip("\n")))
    return found


class HistoryReader:
    """What DataVersions reads; it provides `repo` and `git(*args, check=…)`."""

    def _exists(self) -> bool:
        return (self.repo / ".git").is_dir()

    def count(self) -> int:
        if not self._exists():
            return 0
        done = self.git("rev-list", "--count", "HEAD", check=False)
        return int(done.stdout.strip() or 0) if done.returncode == 0 else 0

    def log(self, skip: int = 0, limit: int = 20) -> List[Commit]:
        """Commits, newest first."""
        if not self._exists():
            return []
        done = self.git("log", f"--skip={int(skip)}", f"--max-count={int(limit)}", LOG_FORMAT, check=False)
        return _commits(done.stdout) if done.returncode == 0 else []

    def commit(self, sha: str) -> Optional[Commit]:
        """The commit of this full id, or None (not an id, or not in the repository)."""
        if not re.fullmatch(r"[0-9a-f]{40}", sha or "") or not self._exists():
            return None
        if self.git("cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode != 0:
            return None
        done = self.git("log", "-1", LOG_FORMAT, sha, "--", check=False)
        found = _commits(done.stdout) if done.returncode == 0 else []
        return found[0] if found else None

    def diff(self, sha: str) -> List[str]:
        """The commit's changes as unified-diff lines (the first commit: against nothing)."""
        done = self.git("show", "--no-color", "--no-ext-diff", "--format=", "--patch", "-M", sha, "--")
        return done.stdout.splitlines()
