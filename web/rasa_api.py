"""The few calls the console makes to Rasa's HTTP API (enabled with a token, through the proxy)."""
from __future__ import annotations

from typing import Any, Dict, List
from urllib.parse import quote

import aiohttp
from aiohttp import web

from claudia import log_format
from web.rasa_client import rasa_address


class RasaApi:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0):
        self.address = rasa_address(base_url)
        self.base_url = self.address.base_url
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    def _url(self, conversation_id: str, path: str) -> str:
        return f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/{path}"

    async def _call(self, method: str, url: str, **kwargs) -> Any:
        params = {"token": self.token, **kwargs.pop("params", {})}
        async with self.address.session(self.timeout) as session:
            # The request id of the console's request goes on to Rasa (claudia/log_format.py).
            async with session.request(method, url, params=params, headers=log_format.outgoing_headers(),
                                       **kwargs) as response:
                response.raise_for_status()
                return await response.json()

    async def events(self, conversation_id: str) -> List[Dict[str, Any]]:
        tracker = await self._call("GET", self._url(conversation_id, "tracker"))
        return tracker.get("events") or []

    async def append(self, conversation_id: str, events: List[Dict[str, Any]]) -> None:
        await self._call("POST", self._url(conversation_id, "tracker/events"), json=events,
                         params={"include_events": "NONE"})

    async def execute(self, conversation_id: str, action: str) -> List[Dict[str, Any]]:
        """Runs an action in the conversation; returns the messages it produced."""
        result = await self._call("POST", self._url(conversation_id, "execute"), json={"name": action},
                                  params={"include_events": "NONE"})
        return result.get("messages") or []


RASA = web.AppKey("rasa", RasaApi)
