#!/usr/bin/env bash
# Run a Clawtown server in the foreground: scripts/serve.sh [twistd clawtown options...]
# e.g. scripts/serve.sh --listen tcp:8080:interface=0.0.0.0 --data-dir ./.data
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/test.sh --install-only   # creates .venv and installs clawtown when needed
exec .venv/bin/twistd --nodaemon --pidfile= clawtown "$@"
