#!/usr/bin/env bash
# Print the path of a Python 3.12 interpreter, the one the project runs on:
#   1. the one given as argument (make install PYTHON=...), which must be a 3.12;
#   2. `python3.12` when it runs (a pyenv shim exists but fails when 3.12 is not selected);
#   3. pyenv's build, $(pyenv root)/versions/3.12.*/bin/python3.12 (the newest);
# otherwise say the one command that installs it and exit 1. Usage: find-python.sh [PYTHON]
set -euo pipefail

want=3.12
is_wanted() {  # is_wanted CMD: CMD runs and is Python $want
  [ -n "$1" ] && "$1" -c "import sys; sys.exit('%d.%d' % sys.version_info[:2] != '$want')" >/dev/null 2>&1
}

if [ $# -gt 0 ] && [ -n "$1" ]; then
  if is_wanted "$1"; then command -v "$1"; exit 0; fi
  echo "find-python: $1 is not a working Python $want" >&2
  exit 1
fi
if is_wanted python$want; then
  command -v python$want
  exit 0
fi
pyenv_root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
for candidate in $(ls -d "$pyenv_root"/versions/$want.*/bin/python$want 2>/dev/null | sort -rV); do
  if is_wanted "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done
if command -v pyenv >/dev/null 2>&1; then
  echo "find-python: no Python $want here; install it with:  pyenv install $want" >&2
else
  echo "find-python: no Python $want here; install it with pyenv (https://github.com/pyenv/pyenv#installation), then:  pyenv install $want" >&2
fi
exit 1
