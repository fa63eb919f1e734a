#!/usr/bin/env bash
# Side-by-side benchmarks: greenvm against Lua 5.4, CPython, Java -Xint, Go
# and Erlang, all measured in this one run on this machine.
#
#   bash vm/benches/compare.sh [RUNS]        (default 5 runs each; medians)
#
# Needs: apt-get install -y golang-go erlang-base lua5.4 hyperfine time default-jdk-headless
# (the script installs them when missing and apt-get is available).
# Results go to stdout as a markdown table; docs/performance.md quotes them.
set -euo pipefail
runs=${1:-5}
top=$(cd "$(dirname "$0")/../.." && pwd)
peers="$top/vm/benches/peers"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

need=()
for cmd in go erl lua5.4 hyperfine java /usr/bin/time; do command -v "$cmd" >/dev/null || need+=("$cmd"); done
if ((${#need[@]})); then
  echo "installing peers: ${need[*]}" >&2
  apt-get update -qq &&
    apt-get install -y -qq golang-go erlang-base lua5.4 hyperfine time default-jdk-headless >/dev/null
fi

cargo build --release -q --manifest-path "$top/Cargo.toml" -p greenvm
gvm="$top/target/release/greenvm"
for p in skynet threadring pingpong parked parallelsum; do
  (cd "$work" && go build -o "$work/$p-go" "$peers/$p.go")
  erlc -o "$work" "$peers/$p.erl"
done


# median of the wall-clock times of a command, in seconds
median_time() {
  hyperfine -N --runs "$runs" --warmup 1 --export-json "$work/h.json" "$1" >/dev/null 2>&1
  python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/h.json"
}
# median of the first number after a marker in the command's output
median_figure() {
  local cmd=$1 pattern=$2 vals=()
  for _ in $(seq "$runs"); do vals+=("$(bash -c "$cmd" 2>&1 | grep -oE "$pattern" | grep -oE '[0-9.]+' | head -1)"); done
  printf '%s\n' "${vals[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
# peak resident set size (MiB) of one run
peak_mib() { /usr/bin/time -f '%M' bash -c "$1 >/dev/null 2>&1" 2>&1 | tail -1 | awk '{printf "%.0f", $1/1024}'; }

erl_cmd() { echo "erl -noshell $3 -pa $work -run $1 main $2 -s init stop"; }
# medians of a figure printed by each peer
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

echo "| benchmark | greenvm | peers |"
echo "|---|---|---|"
echo "| fib(32), s | $(median_time "$gvm run $top/programs/fib.gasm -- 32") | Lua 5.4 $(median_time "lua5.4 $peers/fib.lua 32"), CPython $(median_time "python3 $peers/fib.py 32"), Java -Xint $(median_time "java -Xint $peers/Fib.java 32") |"

# ---- threads -------------------------------------------------------------
pp_gvm=$(median_figure "$gvm run --workers 1 $top/programs/ping-pong.gasm -- 1000000" '[0-9.]+ ns')
pp_go=$(median_figure "GOMAXPROCS=1 $work/pingpong-go 1000000" '[0-9.]+ ns')
pp_lua=$(median_figure "lua5.4 $peers/pingpong.lua 1000000" '[0-9.]+ ns')
pp_erl=$(median_figure "$(erl_cmd pingpong 1000000 '+S 1')" '[0-9.]+ ns')
echo "| ping-pong, ns per switch, 1 worker | $pp_gvm | Go $pp_go, Lua coroutines $pp_lua, Erlang $pp_erl |"

sk_gvm=$(median_time "$gvm run --workers 2 $top/programs/skynet.gasm -- 1000000")
sk_go=$(median_time "$work/skynet-go 1000000")
sk_erl=$(median_time "$(erl_cmd skynet 1000000 '+S 2 +P 4000000')")
echo "| skynet 1,000,000 threads, 2 workers, s | $sk_gvm | Go $sk_go, Erlang $sk_erl |"
echo "| skynet peak RSS, MiB | $(peak_mib "$gvm run --workers 2 $top/programs/skynet.gasm -- 1000000") | Go $(peak_mib "$work/skynet-go 1000000"), Erlang $(peak_mib "$(erl_cmd skynet 1000000 '+S 2 +P 4000000')") |"

tr_gvm=$(median_time "$gvm run --workers 2 $top/programs/thread-ring.gasm -- 10000000")
tr_go=$(median_time "$work/threadring-go 10000000")
tr_erl=$(median_time "$(erl_cmd threadring 10000000 '+S 2')")
echo "| thread-ring 503 x 10,000,000, 2 workers, s | $tr_gvm | Go $tr_go, Erlang $tr_erl |"

pk_gvm=$(median_figure "$gvm run --workers 2 $top/programs/parked.gasm -- 1000000" '[0-9.]+ KiB')
pk_go=$(median_figure "$work/parked-go 1000000" '[0-9.]+ KiB')
pk_erl=$(median_figure "$(erl_cmd parked 1000000 '+S 2 +P 2000000')" '[0-9.]+ KiB')
pk_lua=$(median_figure "lua5.4 $peers/parked.lua 1000000" '[0-9.]+ KiB')
echo "| 1,000,000 parked, KiB resident each | $pk_gvm | Go $pk_go, Erlang $pk_erl, Lua coroutines $pk_lua |"

n=100000000
ps1=$(median_time "$gvm run --workers 1 $top/programs/parallel-sum.gasm -- $n 16")
ps2=$(median_time "$gvm run --workers 2 $top/programs/parallel-sum.gasm -- $n 16")
go1=$(median_time "env GOMAXPROCS=1 $work/parallelsum-go $n")
go2=$(median_time "env GOMAXPROCS=2 $work/parallelsum-go $n")
er1=$(median_time "$(erl_cmd parallelsum $n '+S 1')")
er2=$(median_time "$(erl_cmd parallelsum $n '+S 2')")
echo "| parallel-sum 1e8 over 16 threads: 1 worker / 2 workers, s (speed-up) | $ps1 / $ps2 ($(ratio "$ps1" "$ps2")x) | Go $go1 / $go2 ($(ratio "$go1" "$go2")x), Erlang $er1 / $er2 ($(ratio "$er1" "$er2")x) |"
