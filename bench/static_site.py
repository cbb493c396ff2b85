"""`python -m bench.static_site PORT`: a page of the public page's size from a process of its
own, the control of the crowd benchmark (what the crowd costs this machine wherever it loads)."""

from __future__ import annotations

import sys

from aiohttp import web

PAGE = b"<!doctype html>" + b"x" * 10_700


async def page(request: web.Request) -> web.Response:
    return web.Response(body=PAGE, content_type="text/html")


if __name__ == "__main__":
    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), backlog=1024, print=None)
