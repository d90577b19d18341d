#!/usr/bin/env bash
# Side-by-side server load test on loopback: chronyd (127.0.0.1:12300), ntpsec's ntpd
# (127.0.0.1:123) and our ntpd example (127.0.0.1:12500, synchronised to chronyd; the same with
# --coalesce-us 0 on 12502; also a static musl build on 127.0.0.1:12501 when the
# x86_64-unknown-linux-musl target is installed), same
# loadgen parameters for each (4 sockets, batches of 32, at most 192 requests in flight): full
# rate for 5 s, then a fixed 100 000 requests/s for 5 s, ROUNDS times (default 3) in turn, with
# the load average at each run. Prints every run, then the medians and ratios to chronyd.
# Needs the peers `.ci/run` installs; no daemon may hold those ports. Every daemon runs without
# CAP_SYS_TIME; all are stopped by pid at the end.
# FIFO=1 runs every server and the generator under SCHED_FIFO (chrt -f 20), so other work on a
# shared machine cannot starve them (the kernel still keeps 5 % for everything else); every
# wake-up is then immediate, which favours no server.
# Usage: bash examples/loadtable.sh   (from the repository root)
set -euo pipefail
ROUNDS=${ROUNDS:-3}
RT=()
if [ "${FIFO:-0}" = 1 ]; then RT=(chrt -f 20); fi
cargo build --release --example loadgen --example ntpd -q
MUSL=x86_64-unknown-linux-musl
OURS_MUSL=""
if rustup target list --installed 2>/dev/null | grep -qx "$MUSL"; then
    cargo build --release --target "$MUSL" --example ntpd -q 2>/dev/null &&
        OURS_MUSL=target/$MUSL/release/examples/ntpd
fi
CHRONYD=${SUNDIAL_CHRONYD:-$HOME/.cache/sundial/peers/chrony-root/usr/sbin/chronyd}
D=$(mktemp -d)
chmod 700 "$D"
L=target/release/examples/loadgen
printf 'port 12300\nbindaddress 127.0.0.1\ncmdport 0\nlocal stratum 1\nallow 127.0.0.1\npidfile %s/chronyd.pid\n' "$D" >"$D/chrony.conf"
printf 'logfile %s/ntpd.log\ninterface ignore all\ninterface listen 127.0.0.1\ndisable kernel\nrefclock local stratum 10 minpoll 3 maxpoll 3\ntos orphanwait 1\nrestrict default ignore\nrestrict 127.0.0.1\n' "$D" >"$D/ntp.conf"
exec 9>/tmp/sundial-interop.lock
flock 9
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$D"; }
trap cleanup EXIT
${RT[@]+"${RT[@]}"} setpriv --bounding-set -sys_time "$CHRONYD" -x -u root -d -f "$D/chrony.conf" >"$D/chronyd.out" 2>&1 &
C=$!; pids+=("$C")
${RT[@]+"${RT[@]}"} setpriv --bounding-set -sys_time ntpd -n -c "$D/ntp.conf" >"$D/ntpd.out" 2>&1 &
N=$!; pids+=("$N")
sleep 1
ours() {
    ${RT[@]+"${RT[@]}"} setpriv --bounding-set -sys_time "$1" --virtual-clock --port "$2" --listen 127.0.0.1 \
        --server 127.0.0.1:12300 --minpoll 3 --maxpoll 4 "${@:3}" >"$D/ours-$2.out" 2>&1 &
    pids+=("$!")
}
ours target/release/examples/ntpd 12500
servers=("chronyd 12300 $C" "ntpsec 123 $N" "ours 12500 ${pids[-1]}")
# The same build without receive coalescing (what it saves, in the same run).
ours target/release/examples/ntpd 12502 --coalesce-us 0
servers+=("ours-nocoal 12502 ${pids[-1]}")
if [ -n "$OURS_MUSL" ]; then
    ours "$OURS_MUSL" 12501
    servers+=("ours-musl 12501 ${pids[-1]}")
fi
sleep 12
rss() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
echo "idle RSS kB:"
for t in "${servers[@]}"; do set -- $t; echo "  $1 $(rss "$3")"; done
R="$D/runs"
: >"$R"
json() { sed -n "s/.*\"$1\":\([-0-9.]*\).*/\1/p"; }
for round in $(seq "$ROUNDS"); do
    for t in "${servers[@]}"; do
        set -- $t
        for mode in full 100k; do
            if [ $mode = full ]; then
                args=(--requests 5000000 --duration 5)
            else
                args=(--requests 500000 --rate 100000 --duration 5)
            fi
            out=$(${RT[@]+"${RT[@]}"} $L --target "127.0.0.1:$2" "${args[@]}" --server-pid "$3" --json)
            load=$(cut -d' ' -f1 /proc/loadavg)
            line="$round $1 $mode $(echo "$out" | json replies_per_second) $(echo "$out" | json server_cpu_us_per_request) $(echo "$out" | json loss_percent) $load"
            echo "$line" >>"$R"
            echo "run $line   (round server mode replies/s us/request loss% load)"
        done
    done
done
echo
echo "medians over $ROUNDS rounds${RT[@]+ (SCHED_FIFO)} (replies/s, µs CPU per request; ratio = median of per-round ratios to chronyd):"
for mode in full 100k; do
    for t in "${servers[@]}"; do
        set -- $t
        med() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
        rps=$(awk -v s="$1" -v m=$mode '$2==s && $3==m {print $4}' "$R" | med)
        cpu=$(awk -v s="$1" -v m=$mode '$2==s && $3==m {print $5}' "$R" | med)
        ratio=$(awk -v s="$1" -v m=$mode '$3==m && $2=="chronyd" {c[$1]=$4} $3==m && $2==s {o[$1]=$4}
            END {for (r in o) if (c[r] > 0) print o[r]/c[r]}' "$R" | med)
        load=$(awk -v s="$1" -v m=$mode '$2==s && $3==m {print $7}' "$R" | med)
        printf '%-5s %-10s %9.0f replies/s  ratio %.2f  %5.2f us/request  load %s\n' \
            "$mode" "$1" "$rps" "$ratio" "$cpu" "$load"
    done
done
