#!/bin/sh
# Run every fuzz target for a long time and print the executions of each and
# the total. A finding stops that target, leaves its crash-* input in the
# build tree and makes the script fail.
#   usage: tests/fuzz/run-long.sh [SECONDS_PER_TARGET] [PARALLEL] [TARGET...]
#   (defaults: 600 seconds, 2 at a time, every target)
# Build first: cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang \
#   -DCXLA_TESTS=OFF -DCXLA_FUZZ=ON && cmake --build build-fuzz
# (BUILD_FUZZ=dir chooses another build tree.)
set -eu

src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../.." && pwd)
build=${BUILD_FUZZ:-$root/build-fuzz}/tests/fuzz
seconds=${1:-600}
parallel=${2:-2}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
targets=${*:-$(sed -n 's/^set(FUZZ_TARGETS \(.*\)/\1/p; s/^    \([a-z_ ]*\))$/\1/p' "$src/CMakeLists.txt")}

logs=$build/long
mkdir -p "$logs"
for t in $targets; do
	[ -x "$build/fuzz_$t" ] || { echo "run-long: $build/fuzz_$t is not built" >&2; exit 2; }
	mkdir -p "$build/corpus/$t"
done

run_one() { # TARGET
	t=$1
	dict=
	[ -f "$src/$t/dict" ] && dict=-dict=$src/$t/dict
	# shellcheck disable=SC2086
	if CXLA_SOURCE_DIR=$root ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$build/fuzz_$t" -max_total_time="$seconds" -timeout=20 -print_final_stats=1 \
		$dict -artifact_prefix="$build/fuzz_$t-" "$build/corpus/$t" "$src/$t/seeds" \
		>"$logs/$t.log" 2>&1; then
		echo ok >"$logs/$t.status"
	else
		echo FINDING >"$logs/$t.status"
	fi
}

echo "Fuzzing $(echo $targets | wc -w) targets for ${seconds}s each, $parallel at a time; logs in $logs"
running=0
for t in $targets; do
	rm -f "$logs/$t.status"
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$parallel" ]; then
		wait
		running=0
	fi
done
wait

total=0
status=0
printf '%-16s %14s %10s %s\n' target executions exec/s result
for t in $targets; do
	n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
	r=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$t.log" | tail -1)
	res=$(cat "$logs/$t.status" 2>/dev/null || echo FINDING)
	[ "$res" = ok ] || status=1
	printf '%-16s %14s %10s %s\n' "$t" "${n:-?}" "${r:-?}" "$res"
	total=$((total + ${n:-0}))
done
printf '%-16s %14s\n' total "$total"
exit $status
