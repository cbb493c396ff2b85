"""REST routes for interaction callbacks, follow-ups and @original edits."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .interactions import ALLOWED_CALLBACKS, InteractionResult, callback_answer
from .limits import choices_problems, message_problems
from .messages import EPHEMERAL, LOADING, FakeMessage
from .rest import API, apply_edit, error, json_response, no_content, read_body, too_big

if TYPE_CHECKING:
    from .server import FakeDiscord

TRUE = ("1", "true", "True")


class InteractionApi:
    """Interaction callback and webhook routes."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def routes(self) -> list[tuple[str, str, Any]]:
        """(method, path, handler) for every route."""
        hook = "/webhooks/{app_id}/{token}"
        table = [
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.callback),
            ("POST", hook, self.followup),
            ("GET", f"{hook}/messages/{{message_id}}", self.get_message),
            ("PATCH", f"{hook}/messages/{{message_id}}", self.edit_message),
            ("DELETE", f"{hook}/messages/{{message_id}}", self.delete_message),
        ]
        return [(method, API + path, handler) for method, path, handler in table]

    def _reject(self, result: InteractionResult, status: int, code: int, text: str) -> web.Response:
        result.rejected.append((status, code))
        self.fake.changes.notify()
        return error(status, code, text)

    async def callback(self, request: web.Request) -> web.Response:
        """``POST /interactions/{id}/{token}/callback``: the first response, once, in time."""
        fake = self.fake
        result = fake.interactions.get(int(request.match_info["interaction_id"]))
        if result is None or result.token != request.match_info["token"]:
            return error(404, 10062, "Unknown interaction")
        if result.acknowledged:
            fake.already_acknowledged.append(result.id)
            return self._reject(result, 400, 40060, "Interaction has already been acknowledged.")
        if asyncio.get_running_loop().time() - result.created > fake.interaction_deadline:
            return self._reject(result, 404, 10062, "Unknown interaction")
        payload, files = await read_body(request)
        kind, data = payload.get("type"), payload.get("data") or {}
        if kind not in ALLOWED_CALLBACKS.get(result.type, set()):
            return self._reject(result, 400, 50035, f"Interaction response type {kind} invalid")
        if kind in (6, 7) and result.source_message is None:
            return self._reject(result, 400, 50035, "No message to update for this interaction")
        problems = choices_problems(data) if kind == 8 else message_problems(data)
        if problems:
            return self._reject(result, 400, 50035, "Invalid Form Body: " + "; ".join(problems))
        if kind == 4:
            result.original = await fake.create_message(result.channel, data, files, result)
        elif kind == 5:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            result.original = await fake.create_message(
                result.channel, {"flags": flags}, [], result
            )
        elif kind in (6, 7):
            result.original = result.source_message
        elif kind == 8:
            result.choices = list(data.get("choices") or [])
        elif kind == 9:
            result.modal = data
            fake.modals.append(result)
        result._acknowledge(kind)
        if kind == 7 and result.original is not None:
            result.original.edit(data, files, fake.ids.next)
            fake.message_changed(result.original, edited=True)
        fake.changes.notify()
        if request.query.get("with_response") in TRUE:
            return json_response(callback_answer(result, kind))
        return no_content()

    def _result(self, request: web.Request) -> InteractionResult | None:
        result = self.fake.interactions_by_token.get(request.match_info["token"])
        if result is None or request.match_info["app_id"] != str(self.fake.application_id):
            return None
        return result if result.acknowledged else None

    async def followup(self, request: web.Request) -> web.Response:
        """``POST /webhooks/{app}/{token}``: a follow-up; the first one fills a thinking defer."""
        result = self._result(request)
        if result is None:
            return error(404, 10015, "Unknown Webhook")
        payload, files = await read_body(request)
        if problems := message_problems(payload):
            return too_big(problems)
        original = result.original
        if result.response_type == 5 and original is not None and original.loading:
            original.edit(payload, files, self.fake.ids.next)
            self.fake.message_changed(original, edited=True)
            message = original
        else:
            fields = ("content", "embeds", "components", "poll")
            if not files and not any(payload.get(k) for k in fields):
                return error(400, 50006, "Cannot send an empty message")
            message = await self.fake.create_message(result.channel, payload, files, result)
        result.followups.append(message)
        if result.answered_at is None:
            result.answered_at = asyncio.get_running_loop().time()
        self.fake.changes.notify()
        if request.query.get("wait") in TRUE:
            return json_response(message.payload())
        return no_content()

    def _message(self, request: web.Request) -> FakeMessage | None:
        result = self._result(request)
        if result is None:
            return None
        ref = request.match_info["message_id"]
        if ref == "@original":
            return result.original
        candidates = [result.original, *result.followups]
        return next((m for m in candidates if m is not None and str(m.id) == ref), None)

    async def get_message(self, request: web.Request) -> web.Response:
        """``GET /webhooks/{app}/{token}/messages/{id|@original}``."""
        message = self._message(request)
        if message is None or message.deleted:
            return error(404, 10008, "Unknown Message")
        return json_response(message.payload())

    async def edit_message(self, request: web.Request) -> web.Response:
        """``PATCH /webhooks/{app}/{token}/messages/{id|@original}``; edits the same object."""
        message = self._message(request)
        if message is None or message.deleted:
            return error(404, 10008, "Unknown Message")
        result = self._result(request)
        if result is not None and message is result.original and result.answered_at is None:
            result.answered_at = asyncio.get_running_loop().time()
        return await apply_edit(self.fake, message, request)

    async def delete_message(self, request: web.Request) -> web.Response:
        """``DELETE /webhooks/{app}/{token}/messages/{id|@original}``."""
        message = self._message(request)
        if message is None or message.deleted:
            return error(404, 10008, "Unknown Message")
        message.deleted = True
        self.fake.changes.notify()
        return no_content()
