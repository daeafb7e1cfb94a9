#!/usr/bin/env bash
# Run the test suite: scripts/test.sh [pytest arguments...]
#
# First makes sure .venv exists and holds an editable install of clawtown with its test
# extras. That step is skipped while setup.cfg and pyproject.toml are unchanged since the
# last install, so repeated runs start at once. `scripts/test.sh --install-only` stops there.
# The editable install uses compat mode: with the flat layout it is the only editable mode in
# which twistd can discover twisted/plugins/clawtown_plugin.py.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-python3}" -m venv .venv
fi
stamp=.venv/.clawtown-installed
wanted="$(cat setup.cfg pyproject.toml | sha256sum)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    .venv/bin/python -m pip install -q -e '.[test]' --config-settings editable_mode=compat
    echo "$wanted" > "$stamp"
fi
if [ "${1:-}" = "--install-only" ]; then
    exit 0
fi

exec .venv/bin/python -m pytest -q "$@"
