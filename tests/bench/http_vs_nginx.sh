#!/bin/sh
# Throughput of the agent against nginx serving the same bytes over TLS 1.3
# with the same EC P-256 certificate, as ratios, alternating agent and nginx
# rounds and never running both at once. A measurement, not a test.
#
# usage: tests/bench/http_vs_nginx.sh [BUILD_DIR]   (default: build)
# Environment: DURATION (s, default 10), ROUNDS (default 3)
# tests/bench/all.sh prints every figure; this prints the keep-alive GETs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/sidebyside.py" "${1:-$here/../../build}" get16 get128 basic16 basic128 \
	--rounds "${ROUNDS:-3}" --seconds "${DURATION:-10}"
