#!/usr/bin/env bash
# Usage: deploy/gen-certs.sh DIR
#
# Creates a self-signed test CA and certificates signed by it in DIR:
#   ca.pem, ca-key.pem                  the CA
#   server-cert.pem, server-key.pem     CN causeway-sandbox-server, SAN localhost,
#                                       127.0.0.1, ::1 (MariaDB backends and causeway)
#   client-cert.pem, client-key.pem     CN causeway-sandbox-client (for mutual-TLS tests)
# Idempotent: when every file is there, the certificates verify against the CA and stay
# valid for at least another day, it does nothing. Otherwise it regenerates all of them.
# For tests only: the keys are unencrypted.
set -euo pipefail

deploy_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=deploy/lib.sh
source "$deploy_dir/lib.sh"
CW_PROG=gen-certs

[[ $# -eq 1 && "$1" != -* ]] || {
  echo "usage: $0 DIR" >&2
  exit 2
}
cw_require_tools openssl
dir=$(cw_abs_path "$1")
files=(ca.pem ca-key.pem server-cert.pem server-key.pem client-cert.pem client-key.pem)

certs_valid() {
  local f
  for f in "${files[@]}"; do [[ -s "$dir/$f" ]] || return 1; done
  for f in ca.pem server-cert.pem client-cert.pem; do
    openssl x509 -checkend 86400 -noout -in "$dir/$f" >/dev/null 2>&1 || return 1
  done
  openssl verify -CAfile "$dir/ca.pem" "$dir/server-cert.pem" "$dir/client-cert.pem" \
    >/dev/null 2>&1
}

if certs_valid; then
  cw_log "certificates in $dir are present and valid"
  exit 0
fi

mkdir -p "$dir"
# Build in a scratch directory next to the target and move the files in at the end, so
# an interrupted run never leaves a half-written set behind.
work=$(mktemp -d "$dir/.gen.XXXXXX")
trap 'rm -rf "$work"' EXIT

days=3650
openssl_q() { openssl "$@" 2>"$work/openssl.err" || {
  cat "$work/openssl.err" >&2
  cw_die "openssl $1 failed"
}; }

openssl_q req -x509 -newkey rsa:2048 -nodes -days "$days" -sha256 \
  -subj "/CN=causeway-sandbox-ca" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$work/ca-key.pem" -out "$work/ca.pem"

# issue NAME CN EXTENSIONS: key + certificate signed by the CA.
issue() {
  local name=$1 cn=$2 ext=$3
  printf '%s\n' "$ext" >"$work/$name.ext"
  openssl_q req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=$cn" \
    -keyout "$work/$name-key.pem" -out "$work/$name.csr"
  openssl_q x509 -req -in "$work/$name.csr" -CA "$work/ca.pem" -CAkey "$work/ca-key.pem" \
    -CAcreateserial -days "$days" -sha256 -extfile "$work/$name.ext" \
    -out "$work/$name-cert.pem"
}

issue server causeway-sandbox-server "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
issue client causeway-sandbox-client "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"

chmod 600 "$work"/*-key.pem
chmod 644 "$work/ca.pem" "$work"/*-cert.pem
for f in "${files[@]}"; do mv -f "$work/$f" "$dir/$f"; done
cw_log "wrote CA and server/client certificates to $dir"
