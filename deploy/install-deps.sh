#!/usr/bin/env bash
# Installs every Debian package that causeway's build, tests, benchmarks and quickstart
# need. Idempotent: does nothing when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev libmariadb-dev libyaml-cpp-dev libfmt-dev catch2 libssl-dev
  libre2-dev libspdlog-dev libzstd-dev zlib1g-dev
  clang libclang-rt-14-dev
  mariadb-server mariadb-client mariadb-backup
  sysbench haproxy openssl procps psmisc
  python3 python3-pymysql
  nodejs npm
  # The dashboard suite drives the status page in headless Chromium; a font so that its
  # screenshot has text (fonts are only recommended by chromium, and we skip those).
  chromium fonts-dejavu-core
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# node and npm may come from outside Debian's packages on some images; accept them there.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do
    [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p")
  done
  missing=("${filtered[@]}")
fi

if ((${#missing[@]} == 0)); then
  echo "install-deps: all packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian mariadb-server package may start a system server; causeway's sandbox starts
# its own, so stop the system one to free resources (ignore failures: no init here).
if command -v service >/dev/null 2>&1; then $SUDO service mariadb stop >/dev/null 2>&1 || true; fi
echo "install-deps: done"
