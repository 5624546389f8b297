#!/bin/sh
# Every performance figure, the agent against nginx where nginx does the same
# work, in one run (about 25 minutes). Measurements, not tests: nothing here
# passes or fails. Rounds alternate agent and nginx and only one of them runs
# at a time; each figure prints the median of each side and the ratio with its
# per-round min-max. On a machine shared with other work, rerun before
# trusting a single figure.
#
# usage: tests/bench/all.sh [BUILD_DIR]   (default: build)
# Environment: ROUNDS (default 3), DURATION (s per round, default 10),
#              STALL_CONNS (default "1 16 64 127 128 129 256 512 1000"),
#              IDLE_CONNS (default "1000 10000")
# Needs wrk and nginx-light. Loopback only.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
py=/usr/bin/python3
rounds=${ROUNDS:-3}
duration=${DURATION:-10}

echo "== throughput, latency, CPU and handshakes (sidebyside.py)"
$py "$here/sidebyside.py" "$build" get1 get16 get128 basic16 basic128 handshake \
	--rounds "$rounds" --seconds "$duration"
echo "== stalls and spread over the server threads (agent only)"
$py "$here/sidebyside.py" "$build" stall --stall-runs 5 \
	--stall-conns "${STALL_CONNS:-1 16 64 127 128 129 256 512 1000}"
# One server thread: every connection is its own, so exactly 128 of them
# ready at once happens for sure.
$py "$here/sidebyside.py" "$build" stall --stall-runs 3 --stall-threads 1 --stall-conns "127 128 129"
echo "== idle connections and memory (idle_conns.py)"
# shellcheck disable=SC2086
$py "$here/idle_conns.py" "$build" --conns ${IDLE_CONNS:-1000 10000}
echo "== read-scope vendor command (command_rtt.py)"
$py "$here/command_rtt.py" "$build" -n 2000
$py "$here/command_rtt.py" "$build" --wrk 1 --seconds "$duration"
$py "$here/command_rtt.py" "$build" --wrk 16 --seconds "$duration"
