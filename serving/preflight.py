"""The servers' start-up checks, run by serving/run.sh before it starts supervisord.

  python -m serving.preflight [ENDPOINTS_FILE]

Each server refuses to start with an unsafe configuration, but under supervisord that
refusal is a traceback in var/log/<server>.log, retried until supervisord gives up, while
`make run` stays in the foreground as if all were well. Here the same checks run first, on
the terminal: production secrets and settings (claudia/config.py `check_production`), the
demo portal refused in production (web/__main__.py), database and lock locations another
account could tamper with (serving/private_files.py, claudia/safe_paths.py). Nothing to say:
exit 0, silently; otherwise the reason in French, then English, on stderr, and exit 1.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import List, Optional

from claudia.config import InsecureConfiguration, check_production, load_settings
from serving.private_files import endpoint_lock_files, make_private


def _insecure(error: InsecureConfiguration) -> str:
    names = sorted(set(re.findall(r"\b(?:CLAUDIA|INSEE|SIRENE)_[A-Z_]+\b", str(error))))
    return ("Démarrage refusé : en production (CLAUDIA_ENV=production), ces réglages manquent ou ne "
            f"conviennent pas : {', '.join(names) or str(error)}. Donnez-les dans l'environnement "
            "(secrets aléatoires et longs, jamais ceux de développement).\n"
            "Start-up refused: in production (CLAUDIA_ENV=production), "
            + str(error).replace("production mode refused: ", "") + ".")


def refusal(endpoints: Optional[Path]) -> Optional[str]:
    """Why the servers would refuse to start, in French then English; None if they would start."""
    try:
        settings = load_settings()
        check_production(settings)
    except InsecureConfiguration as error:
        return _insecure(error)
    if settings.environment == "production":
        return ("Démarrage refusé : le portail de démonstration, que `make run` démarre, ne démarre pas "
                "en production (CLAUDIA_ENV=production) : il remplace la connexion de Chorus Pro pour les "
                "essais seulement.\n"
                "Start-up refused: the demo portal, which `make run` starts, does not start in production "
                "(CLAUDIA_ENV=production): it stands in for Chorus Pro's sign-in, for trials only.")
    try:
        make_private([settings.db_url, settings.tracker_db_url], lock_files=endpoint_lock_files(endpoints))
    except SystemExit as refused:  # already French, then English
        return str(refused.code)
    return None


def main(argv: Optional[List[str]] = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    reason = refusal(Path(args[0]) if args else None)
    if reason:
        print(reason, file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
