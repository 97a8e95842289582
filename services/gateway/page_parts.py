"""What every page shares, written once: its `<head>` links and its login form.

A page's HTML says where they go with a comment on a line of its own, `<!-- part: head -->`
(the meta tags, the common and the page's own style sheet and script) or
`<!-- part: login -->` (the login heading and form, inside the page's own login section); the
gateway puts the parts in when it loads the page, once. Pure: text in, text out.
"""

from __future__ import annotations

import re
from pathlib import Path

PARTS_FOLDER = Path(__file__).resolve().parent / "web" / "parts"
_MARKER = re.compile(r"^[ \t]*<!-- part: ([a-z]+) -->[ \t]*\n", re.MULTILINE)


class UnknownPart(ValueError):
    pass


def assemble(html: str, page: str, parts: dict[str, str]) -> str:
    """The page with each marker replaced by its part (`{page}` in a part: the page's name)."""

    def part(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in parts:
            raise UnknownPart(f"the page {page} asks for a part {name!r} that does not exist")
        return parts[name].replace("{page}", page)

    return _MARKER.sub(part, html)


def load_parts(folder: Path = PARTS_FOLDER) -> dict[str, str]:
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.html"))}
