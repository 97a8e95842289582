"""Static pages (HTML, script, style sheet) served publicly: the console and the driver's page.

The pages hold no data: they log in through `/auth/login` and call the API with the token. The
Content-Security-Policy allows only this origin, so no external or inline script can run, no
tile server or CDN is reached.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from services.gateway.page_parts import assemble, load_parts
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


def _file_endpoint(path: Path, suffix: str) -> Callable[[], FileResponse]:
    # A closure with no parameters: FastAPI turns every parameter of an endpoint into a query
    # parameter, so a `suffix=` default here once let `?suffix=html` choose the file (and an
    # unknown suffix answer 500).
    def serve() -> FileResponse:
        return FileResponse(path, media_type=MEDIA_TYPES[suffix], headers=HEADERS)

    return serve


def _page_endpoint(path: Path, page: str) -> Callable[[], Response]:
    """The page's HTML with the shared parts put in, assembled once (`page_parts.py`)."""
    html = assemble(path.read_text(encoding="utf-8"), page, load_parts()).encode()

    def serve() -> Response:
        return Response(html, media_type=MEDIA_TYPES["html"], headers=HEADERS)

    return serve


def _add(
    router: APIRouter,
    url: str,
    file: Path,
    suffix: str,
    name: str,
    description: str = "",
    page: str | None = None,
) -> None:
    endpoint = _page_endpoint(file, page) if page else _file_endpoint(file, suffix)
    router.add_api_route(
        url,
        endpoint,
        methods=["GET"],
        response_class=Response if page else FileResponse,
        responses={200: {"content": {MEDIA_TYPES[suffix].split(";")[0]: {}}}},
        openapi_extra=PUBLIC,
        description=description or None,
        name=name,
    )


def common_router() -> APIRouter:
    """`/pages/common.js` (the API client) and `/pages/common.css`: what every page shares."""
    router = APIRouter(tags=["pages"])
    for suffix in ("js", "css"):
        _add(router, f"/pages/common.{suffix}", COMMON_FOLDER / f"common.{suffix}", suffix,
             f"pages_common_{suffix}")  # fmt: skip
    return router


def page_router(name: str, folder: Path, description: str) -> APIRouter:
    """`/<name>` (the HTML), `/<name>/<name>.js` and `/<name>/<name>.css` from `folder`."""
    router = APIRouter(tags=["pages"])
    _add(router, f"/{name}", folder / f"{name}.html", "html", f"{name}_page", description, name)
    for suffix in ("js", "css"):
        _add(router, f"/{name}/{name}.{suffix}", folder / f"{name}.{suffix}", suffix,
             f"{name}_{suffix}")  # fmt: skip
    return router
