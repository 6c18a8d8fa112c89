#!/usr/bin/env bash
# Bring the whole stack up: development certificates if there are none yet,
# then every service, built and started. Extra arguments go to
# `docker compose up` (e.g. deploy/up.sh --wait). Production runs the same
# compose command with its own env file instead of dev.env:
#   ALEXANDRITE_ENV_FILE=/etc/alexandrite/prod.env deploy/up.sh
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENV_FILE="${ALEXANDRITE_ENV_FILE:-$DEPLOY_DIR/dev.env}"

[[ -f "$DEPLOY_DIR/certs/ca.pem" ]] || "$DEPLOY_DIR/make-dev-certs.sh"

exec docker compose \
    --env-file "$DEPLOY_DIR/versions.env" \
    --env-file "$ENV_FILE" \
    -f "$DEPLOY_DIR/compose.yaml" \
    up -d --build "$@"
