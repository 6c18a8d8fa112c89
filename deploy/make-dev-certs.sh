#!/usr/bin/env bash
# Make the development PKI of the deploy stack in deploy/certs/ (git-ignored):
# a CA, one server certificate per TLS endpoint and one client certificate for
# the apps (used only if the Collector is switched to mutual TLS, docs/deploy.md).
# Development only: production gets its certificates from the company PKI or
# cert-manager. Existing files are kept; pass --force to make new ones. CERTS_DIR=DIR
# writes them elsewhere (the backbone tests and bin/stack do).
set -euo pipefail

CERTS_DIR="${CERTS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/certs}"
DAYS="${CERT_DAYS:-825}"
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

# name -> subjectAltName of the server certificates
declare -A SERVERS=(
    [otel-collector]="DNS:otel-collector,DNS:otel-collector.alexandrite.svc,DNS:localhost,IP:127.0.0.1"
    [jaeger]="DNS:jaeger,DNS:jaeger.alexandrite.svc,DNS:localhost,IP:127.0.0.1"
    [proxy]="DNS:${TRACING_HOST:-tracing.example.internal},DNS:localhost,IP:127.0.0.1"
    [shop-proxy]="DNS:${SHOP_HOST:-shop.example.internal},DNS:localhost,IP:127.0.0.1"
)

log() { echo "[make-dev-certs] $*"; }

make_ca() {
    if [[ -f ca.pem && $FORCE -eq 0 ]]; then
        log "keeping existing CA (ca.pem)"
        return
    fi
    log "making the development CA"
    openssl req -x509 -new -nodes -newkey rsa:3072 -sha256 -days "$DAYS" \
        -subj "/O=Alexandrite development/CN=Alexandrite dev CA" \
        -keyout ca-key.pem -out ca.pem 2>/dev/null
}

# sign NAME EXTENSIONS: key NAME-key.pem and certificate NAME.pem signed by the CA
sign() {
    local name="$1" extensions="$2"
    if [[ -f "$name.pem" && $FORCE -eq 0 ]]; then
        log "keeping existing $name.pem"
        return
    fi
    log "making $name.pem"
    openssl req -new -nodes -newkey rsa:2048 -sha256 \
        -subj "/O=Alexandrite development/CN=$name" \
        -keyout "$name-key.pem" -out "$name.csr" 2>/dev/null
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
        -days "$DAYS" -sha256 -extfile <(printf '%s\n' "$extensions") \
        -out "$name.pem" 2>/dev/null
    rm -f "$name.csr"
}

mkdir -p "$CERTS_DIR"
cd "$CERTS_DIR"
make_ca
for name in "${!SERVERS[@]}"; do
    sign "$name" "subjectAltName=${SERVERS[$name]}
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature,keyEncipherment"
done
sign app-client "subjectAltName=DNS:alexandrite-app
extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature,keyEncipherment"

# The containers run as unprivileged users (collector and Jaeger as uid 10001,
# nginx workers as nginx) that are not the owner of these bind-mounted files.
chmod 0644 ./*.pem
chmod 0600 ca-key.pem
log "done: $(ls "$CERTS_DIR" | tr '\n' ' ')"
