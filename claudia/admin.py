"""Administration of the registry: `python -m claudia.admin COMMAND`.

  load FILE.yml     replace the registry's structures, users and roles with the file's
                    (--if-empty: only when the registry has no structure yet)
  show SIRET        one structure as JSON
  journal           the audit journal, one JSON object per line
  token LOGIN       a short-lived portal token for LOGIN (demo and tests only)
  feedback          the evaluations, one JSON object per line
  operators FILE.yml  create or update console accounts (operators, reviewers)
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

import yaml

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
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
