"""Runs the console: python -m console [--host H] [--port P].

CLAUDIA_RASA_URL and CLAUDIA_RASA_API_TOKEN say where Rasa's HTTP API is and
its token; CONSOLE_SECURE_COOKIES=1 marks cookies Secure (behind HTTPS).
"""
import argparse
import logging
import os

from aiohttp import web

from console.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default=os.environ.get("CONSOLE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CONSOLE_PORT", "5080")))
    args = parser.parse_args()
    token = os.environ.get("CLAUDIA_RASA_API_TOKEN")
    if not token:
        raise SystemExit("CLAUDIA_RASA_API_TOKEN est requis pour joindre l'API de Rasa.")
    logging.basicConfig(level=logging.INFO)
    app = create_app(os.environ.get("CLAUDIA_RASA_URL", "http://127.0.0.1:5005"), token,
                     os.environ.get("CONSOLE_SECURE_COOKIES") == "1")
    print(f"Console des conseillers : http://{args.host}:{args.port}/console/", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
