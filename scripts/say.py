"""Talk to a running ClaudIA from the terminal: python scripts/say.py LOGIN|- SENDER "message" ..."""
import json
import sys

import requests

from actions import services
from actions.identity import issue_token

URL = "http://127.0.0.1:5005/webhooks/connected/webhook"


def main() -> None:
    login, sender, *texts = sys.argv[1:]
    headers = {}
    if login != "-":
        headers["Authorization"] = "Bearer " + issue_token(login, services.settings().jwt_secret)
    for text in texts:
        print(f">>> {text}")
        reply = requests.post(URL, json={"sender": sender, "message": text}, headers=headers, timeout=60)
        for message in reply.json():
            print(f"[{reply.status_code}] {message.get('text')}")
            for button in message.get("buttons") or []:
                print(f"      [{button['title']}] {button['payload']}")


if __name__ == "__main__":
    main()
