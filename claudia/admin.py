"""Administration of the registry: `python -m claudia.admin COMMAND`.

  load FILE.yml     replace the registry's structures, users and roles with the file's
                    (--if-empty: only when the registry has no structure yet)
  show SIRET        one structure as JSON
  journal           the audit journal, one JSON object per line
  token LOGIN       a short-lived portal token for LOGIN (demo and tests only)
  feedback          the evaluations, one JSON object per line
  operators FILE.yml  create or update console accounts (operators, reviewers)
  backup DIR        an online copy of every database (SQLite's backup API, or pg_dump) and
                    its manifest (claudia/backup.py, docs/operations.md)
  restore DIR       checks DIR's manifest and puts the databases back (--force: even if in use)
  purge             deletes what is older than its retention period (claudia/retention.py);
                    --loop: again every CLAUDIA_PURGE_EVERY_SECONDS (the supervised job)
"""
from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import subprocess
import sys
from typing import List, Optional

import yaml
from sqlalchemy.exc import SQLAlchemyError

from claudia import services
from claudia.identity import issue_token
from claudia.siret import read_siret


def _load(args: argparse.Namespace) -> int:
    if args.if_empty and services.registry().is_empty() is False:
        print(json.dumps({"skipped": "le registre contient déjà des structures"}, ensure_ascii=False))
        return 0
    with open(args.file, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    try:
        counts = services.registry().replace_all(data)
    except ValueError as exc:
        print(f"Fichier refusé : {exc}", file=sys.stderr)
        return 2
    print(json.dumps(counts))
    return 0


def _show(args: argparse.Namespace) -> int:
    reading = read_siret(args.siret)
    structure = services.registry().structure(reading.siret) if reading.is_valid else None
    if structure is None:
        print(f"Aucune structure pour le SIRET {args.siret}", file=sys.stderr)
        return 1
    print(json.dumps(structure, ensure_ascii=False))
    return 0


def _journal(args: argparse.Namespace) -> int:
    for entry in services.registry().journal(args.conversation):
        print(json.dumps(entry, ensure_ascii=False))
    return 0


def _token(args: argparse.Namespace) -> int:
    settings = services.settings()
    print(issue_token(args.login, settings.jwt_secret, args.ttl, settings.jwt_audience))
    return 0


def _feedback(args: argparse.Namespace) -> int:
    for entry in services.feedback().all():
        print(json.dumps(entry, ensure_ascii=False))
    return 0


def _operators(args: argparse.Namespace) -> int:
    from claudia.accounts import Accounts  # the console is optional for the assistant itself

    accounts = Accounts(services.handoffs().db)
    if args.if_empty and accounts.count():
        print(json.dumps({"skipped": "des comptes existent déjà"}, ensure_ascii=False))
        return 0
    with open(args.file, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    try:
        for item in data.get("operators") or []:
            accounts.upsert(str(item["login"]), str(item.get("name") or item["login"]),
                            str(item["password"]), str(item.get("role") or "operateur"))
    except (KeyError, ValueError) as exc:
        print(f"Fichier refusé : {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"operators": len(data.get("operators") or [])}))
    return 0


def _backup(args: argparse.Namespace) -> int:
    from claudia import backup  # (imports kept to the commands that need them)

    return _backup_command("Sauvegarde", lambda targets: backup.backup(args.directory, targets))


def _restore(args: argparse.Namespace) -> int:
    from claudia import backup

    return _backup_command("Restauration", lambda targets: backup.restore(args.directory, targets, force=args.force))


def _backup_command(what: str, run) -> int:
    """Runs a backup or a restore on every database; a refusal or failure is a French line, exit 2."""
    from claudia import backup

    try:
        result = run(backup.targets(services.settings()))
    except (backup.BackupError, sqlite3.Error, SQLAlchemyError, OSError, subprocess.SubprocessError) as exc:
        print(f"{what} impossible : {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _purge(args: argparse.Namespace) -> int:
    from claudia import retention
    from claudia.db import get_database

    settings = services.settings()
    policy = retention.Retention.from_settings(settings)

    def one_pass() -> dict:
        return retention.purge(get_database(settings.db_url), settings.tracker_db_url, policy)

    if not args.loop:
        print(json.dumps(one_pass()))
        return 0
    # The supervised job logs like the servers (claudia/log_format.py): one line per pass, its
    # counts (or its error) as fields.
    from claudia import log_format

    log_format.configure("purge")
    passes = logging.getLogger("claudia.retention")

    def say(line: str) -> None:
        fields = json.loads(line)
        passes.log(logging.WARNING if "error" in fields else logging.INFO, "retention pass", extra=fields)

    retention.purge_periodically(one_pass, settings.purge_every_seconds, say)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m claudia.admin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="remplace le registre par le contenu d'un fichier YAML")
    load.add_argument("file")
    load.add_argument("--if-empty", action="store_true",
                      help="ne charge le fichier que si le registre est vide (premier démarrage)")
    load.set_defaults(run=_load)
    show = commands.add_parser("show", help="affiche une structure en JSON")
    show.add_argument("siret")
    show.set_defaults(run=_show)
    journal = commands.add_parser("journal", help="affiche le journal d'audit (JSON lines)")
    journal.add_argument("--conversation", help="seulement cette conversation")
    journal.set_defaults(run=_journal)
    token = commands.add_parser("token", help="émet un jeton de démonstration")
    token.add_argument("login")
    token.add_argument("--ttl", type=int, default=3600, help="durée de validité en secondes")
    token.set_defaults(run=_token)
    feedback = commands.add_parser("feedback", help="affiche les évaluations (JSON lines)")
    feedback.set_defaults(run=_feedback)
    operators = commands.add_parser("operators", help="crée ou met à jour des comptes de la console")
    operators.add_argument("file")
    operators.add_argument("--if-empty", action="store_true", help="seulement s'il n'y a aucun compte")
    operators.set_defaults(run=_operators)
    backup = commands.add_parser("backup", help="sauvegarde à chaud de toutes les bases dans un nouveau dossier")
    backup.add_argument("directory")
    backup.set_defaults(run=_backup)
    restore = commands.add_parser("restore", help="restaure une sauvegarde après avoir vérifié son manifeste")
    restore.add_argument("directory")
    restore.add_argument("--force", action="store_true",
                         help="restaure même si une base est ouverte par un serveur (arrêtez plutôt ClaudIA)")
    restore.set_defaults(run=_restore)
    purge = commands.add_parser("purge", help="supprime ce qui a dépassé sa durée de conservation")
    purge.add_argument("--loop", action="store_true",
                       help="recommence toutes les CLAUDIA_PURGE_EVERY_SECONDS secondes (programme supervisé)")
    purge.set_defaults(run=_purge)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
