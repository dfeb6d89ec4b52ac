"""Chat with a running ClaudIA from the terminal, through the connected channel.

  python -m scripts.chat [--login marie.dupont | --anonymous] [--sender ID] ["message" ...]

Without messages it is interactive: type your messages, or a button's number
to click it; Ctrl-D to quit. The token is signed with CLAUDIA_JWT_SECRET, as
the portal would sign it.
"""
from __future__ import annotations

import argparse
import os
import sys
import uuid
from typing import List

import requests

from claudia import services
from claudia.identity import issue_token


def show(replies: List[dict]) -> List[str]:
    payloads = []
    for reply in replies:
        if reply.get("text"):
            print(f"ClaudIA : {reply['text']}")
        for button in reply.get("buttons") or []:
            payloads.append(button["payload"])
            print(f"   [{len(payloads)}] {button['title']}")
    return payloads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--login", default="marie.dupont")
    parser.add_argument("--anonymous", action="store_true", help="sans jeton (mode non connecté)")
    parser.add_argument("--sender", default=f"terminal-{uuid.uuid4().hex[:8]}")
    parser.add_argument("--url", default=os.environ.get(
        "CLAUDIA_URL", f"http://127.0.0.1:{os.environ.get('CLAUDIA_PORT', '5005')}/webhooks/connected/webhook"))
    parser.add_argument("messages", nargs="*")
    args = parser.parse_args()
    headers = {} if args.anonymous else {
        "Authorization": "Bearer " + issue_token(args.login, services.settings().jwt_secret)}

    def send(text: str) -> List[str]:
        response = requests.post(args.url, json={"sender": args.sender, "message": text},
                                 headers=headers, timeout=60)
        return show(response.json())

    if args.messages:
        for text in args.messages:
            print(f"Vous : {text}")
            send(text)
        return
    print(f"Conversation {args.sender} ({'non connecté' if args.anonymous else args.login}). Ctrl-D pour quitter.")
    payloads: List[str] = []
    for line in sys.stdin:
        text = line.strip()
        if text.isdigit() and 0 < int(text) <= len(payloads):
            text = payloads[int(text) - 1]
        payloads = send(text)


if __name__ == "__main__":
    main()
