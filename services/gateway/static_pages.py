"""Static pages (HTML, script, style sheet) served publicly: the console and the driver's page.

The pages hold no data: they log in through `/auth/login` and call the API with the token. The
Content-Security-Policy allows only this origin, so no external or inline script can run, no
tile server or CDN is reached.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from services.gateway.roles import PUBLIC

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
}


COMMON_FOLDER = Path(__file__).resolve().parent / "web"


def common_router() -> APIRouter:
    """`/pages/common.js` (the API client) and `/pages/common.css`: what every page shares."""
    router = APIRouter(tags=["pages"])
    for suffix in ("js", "css"):
        router.add_api_route(
            f"/pages/common.{suffix}",
            lambda suffix=suffix: FileResponse(
                COMMON_FOLDER / f"common.{suffix}", media_type=MEDIA_TYPES[suffix], headers=HEADERS
            ),
            methods=["GET"],
            response_class=FileResponse,
            openapi_extra=PUBLIC,
            name=f"pages_common_{suffix}",
        )
    return router


def page_router(name: str, folder: Path, description: str) -> APIRouter:
    """`/<name>` (the HTML), `/<name>/<name>.js` and `/<name>/<name>.css` from `folder`."""
    router = APIRouter(tags=["pages"])

    def serve(suffix: str) -> FileResponse:
        return FileResponse(
            folder / f"{name}.{suffix}", media_type=MEDIA_TYPES[suffix], headers=HEADERS
        )

    router.add_api_route(
        f"/{name}",
        lambda: serve("html"),
        methods=["GET"],
        response_class=FileResponse,
        openapi_extra=PUBLIC,
        description=description,
        name=f"{name}_page",
    )
    for suffix in ("js", "css"):
        router.add_api_route(
            f"/{name}/{name}.{suffix}",
            lambda suffix=suffix: serve(suffix),
            methods=["GET"],
            response_class=FileResponse,
            openapi_extra=PUBLIC,
            name=f"{name}_{suffix}",
        )
    return router
