"""Request log, failure injection and rate-limit headers of the fake's REST API."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from aiohttp import web

from .latency import Latency
from .rest import API, error, json_response


class RequestRecord(NamedTuple):
    """One REST request: path relative to the API base, without the query string; its JSON
    payload (a multipart request's payload_json), if it had one."""

    method: str
    path: str
    status: int
    body: Any = None


async def payload_of(request: web.Request) -> Any:
    """The request's JSON payload, read again after its handler (aiohttp keeps the body; once
    read, `can_read_body` is False, so ask whether there was one)."""
    if not request.body_exists:
        return None
    try:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            return json.loads(str(form["payload_json"])) if "payload_json" in form else None
        return await request.json()
    except (ValueError, KeyError):
        return None


class Unhandled(NamedTuple):
    """A request no route matched (answered 404, code 0)."""

    method: str
    path: str
    body: Any


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    count: int
    headers: dict[str, str]


class Traffic:
    """Middleware that logs every API request and answers injected failures first."""

    def __init__(self) -> None:
        self.requests: list[RequestRecord] = []
        self.unhandled: list[Unhandled] = []
        self.seen_tokens: list[str] = []
        self.token = ""  # the bot's: Discord answers 401 to any other
        self._failures: list[_Failure] = []
        # Discord's global limit (50 a second for bots); None lets everything through.
        self.global_limit: int | None = None
        self.global_429s = 0
        self._recent: deque[float] = deque()
        # The network's round trip added to every request (benchmarks); None adds nothing.
        self.latency: Latency | None = None

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        json_body: dict[str, Any] | None = None,
        count: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Queue an injected answer for the next ``count`` matching requests."""
        body = dict(json_body or {"message": f"injected {status}", "code": 0})
        extra = dict(headers or {})
        if status == 429:
            # Without Via discord.py takes a 429 for a Cloudflare ban and gives up.
            body.setdefault("retry_after", 0.01)
            body.setdefault("global", False)
            extra.setdefault("Via", "1.1 google")
            extra.setdefault("Retry-After", str(body["retry_after"]))
            extra.setdefault("X-RateLimit-Scope", "user")
        pattern = re.compile(path_regex)
        self._failures.append(_Failure(method.upper(), pattern, status, body, count, extra))

    def _take_failure(self, method: str, path: str) -> web.Response | None:
        for failure in self._failures:
            if failure.method in (method, "*") and failure.pattern.search(path):
                failure.count -= 1
                if failure.count <= 0:
                    self._failures.remove(failure)
                response = json_response(failure.body, failure.status)
                response.headers.update(failure.headers)
                return response
        return None

    def _over_global_limit(self) -> web.Response | None:
        """Discord's global limit (`global_limit` requests a second), when one is set."""
        if self.global_limit is None:
            return None
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) < self.global_limit:
            self._recent.append(now)
            return None
        self.global_429s += 1
        retry_after = round(1.0 - (now - self._recent[0]), 3)
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": True,
        }
        response = json_response(body, 429)
        response.headers.update(
            {
                "Via": "1.1 google",
                "Retry-After": str(retry_after),
                "X-RateLimit-Global": "true",
                "X-RateLimit-Scope": "global",
            }
        )
        return response

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        """aiohttp middleware for every route under /api/v10."""
        if not request.path.startswith(API):
            return await handler(request)
        path = request.path[len(API) :]
        half_trip = self.latency.round_trip() / 2 if self.latency else 0.0
        if half_trip:
            await asyncio.sleep(half_trip)  # the request on its way to Discord
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bot ") and auth[4:] not in self.seen_tokens:
            self.seen_tokens.append(auth[4:])
        # Interaction callbacks and webhooks are authorised by the token in their path.
        hook = path.startswith(("/webhooks/", "/interactions/"))
        response = self._take_failure(request.method, path)
        if response is None and not hook:  # interactions are outside the global limit
            response = self._over_global_limit()
        if response is not None:
            pass
        elif request.match_info.http_exception is not None:
            body: Any = await request.text()
            with contextlib.suppress(ValueError):
                body = json.loads(body)
            self.unhandled.append(Unhandled(request.method, path, body))
            response = error(404, 0, "404: Not Found")
        elif not hook and (not auth.startswith("Bot ") or auth[4:] != self.token):
            response = error(401, 0, "401: Unauthorized")
        else:
            response = await handler(request)
        resource = request.match_info.route.resource
        template = resource.canonical if resource is not None else path
        route = f"{request.method} {template}".encode()
        bucket = hashlib.md5(route, usedforsecurity=False).hexdigest()  # a name, not a secret
        # Plenty remaining and a short reset: discord.py never waits pre-emptively.
        response.headers.update(
            {
                "X-RateLimit-Limit": "50",
                "X-RateLimit-Remaining": "49",
                "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
                "X-RateLimit-Reset-After": "1.000",
                "X-RateLimit-Bucket": bucket,
            }
        )
        body = await payload_of(request)
        self.requests.append(RequestRecord(request.method, path, response.status, body))
        if half_trip:
            await asyncio.sleep(half_trip)  # and the answer on its way back
        return response
