#!/usr/bin/env bash
# install-deps.sh — installs the Debian 12 packages automl needs to build, run
# and be tested (run as root or with sudo).  Used by test/check.sh and test/demo.sh.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES="build-essential pkg-config postgresql-15 postgresql-server-dev-15 libopenblas-dev
libjson-c-dev libcurl4-openssl-dev libmicrohttpd-dev chromium python3-websocket libipc-run-perl python3 ca-certificates"
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
