"""Print the dependencies pyproject.toml declares (and those of the extras named), one a line.

The Dockerfile installs them in a layer of their own, so that a change of code rebuilds only the
layers after it. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import sys
import tomllib


def requirements(pyproject: dict[str, object], extras: list[str]) -> list[str]:
    project = pyproject["project"]
    assert isinstance(project, dict)
    wanted = list(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise SystemExit(f"pyproject.toml has no extra {extra!r}")
        wanted.extend(optional[extra])
    return wanted


def main(argv: list[str]) -> int:
    with open(argv[1], "rb") as file:
        print("\n".join(requirements(tomllib.load(file), argv[2:])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
