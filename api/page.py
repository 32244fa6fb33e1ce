"""The try-it page at ``/``: static files from ``web/`` (no build step).

The page calls the API by paths relative to itself, so under a route prefix (an application at
``/keyed``) it calls its own application; Starlette redirects ``/keyed`` to ``/keyed/``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

WEB = Path(__file__).resolve().parent.parent / "web"


def mount(app: FastAPI) -> None:
    app.mount("/web", StaticFiles(directory=WEB), name="web")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB / "index.html", media_type="text/html")

    @app.get("/index.html", include_in_schema=False)
    async def index_html() -> RedirectResponse:
        return RedirectResponse("./")  # relative: stays under the application's route prefix
