#!/usr/bin/env bash
# make bench: the detector's throughput against its floor (gzip decompression
# alone), on one pinned core, plus the Go micro-benchmarks and `gzip -dc | jq`.
#
#   SIZE=512 ./scripts/bench.sh      # MiB of uncompressed CloudTrail JSON (default 512)
#
# The input comes from the ctgen generator (realistic CloudTrail records); set
# CTGEN to its main.go when it is not at ../shared/tools/ctgen/main.go.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${SIZE:-512}
CTGEN=${CTGEN:-../shared/tools/ctgen/main.go}
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/trailwatch-bench}
FILE="$DIR/ct-${SIZE}m.json.gz"
PIN=()
command -v taskset >/dev/null && PIN=(taskset -c 0)

if [ ! -f "$FILE" ]; then
	if [ ! -f "$CTGEN" ]; then
		echo "bench: the generator $CTGEN is missing; set CTGEN=path/to/ctgen/main.go" >&2
		exit 1
	fi
	mkdir -p "$DIR"
	echo "generating $FILE ..."
	go run "$CTGEN" -out "$DIR" -seed 1 -sizes "$SIZE" >/dev/null
	rm -f "$DIR/ct-${SIZE}m.json"
fi

echo "## Go micro-benchmarks"
go test -run '^$' -bench . -benchmem -benchtime "${BENCHTIME:-3x}" ./lambda/filterpattern ./lambda/cloudtrail ./lambda/detect 2>&1 | grep -E '^(Benchmark|ok|FAIL|---)' || true

echo
echo "## One pinned core, $(basename "$FILE")"
go build -o "$DIR/bench" ./scripts/bench
"${PIN[@]}" "$DIR/bench" -file "$FILE"

if command -v jq >/dev/null; then
	echo
	echo "## gzip -dc | jq with the 14 CIS rules (same core)"
	/usr/bin/time -f "gzip -dc | jq: %e s wall, %U s user + %S s sys, peak RSS of the largest process %M KB" \
		"${PIN[@]}" bash -c "gzip -dc '$FILE' | jq -c -f scripts/cis.jq | wc -l"
fi
