#!/usr/bin/env bash
# Side-by-side server load test on loopback: chronyd (127.0.0.1:12300), ntpsec's ntpd
# (127.0.0.1:123) and our ntpd example (127.0.0.1:12500, synchronised to chronyd), same loadgen
# parameters for each. Needs the peers `.ci/run` installs; no daemon may hold those ports.
# Every daemon runs without CAP_SYS_TIME; all are stopped by pid at the end.
# Usage: bash examples/loadtable.sh   (from the repository root)
set -euo pipefail
cargo build --release --example loadgen --example ntpd -q
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
setpriv --bounding-set -sys_time "$CHRONYD" -x -u root -d -f "$D/chrony.conf" >"$D/chronyd.out" 2>&1 &
C=$!; pids+=("$C")
setpriv --bounding-set -sys_time ntpd -n -c "$D/ntp.conf" >"$D/ntpd.out" 2>&1 &
N=$!; pids+=("$N")
sleep 1
setpriv --bounding-set -sys_time target/release/examples/ntpd --virtual-clock --port 12500 \
    --listen 127.0.0.1 --server 127.0.0.1:12300 --minpoll 3 --maxpoll 4 >"$D/ours.out" 2>&1 &
U=$!; pids+=("$U")
sleep 12
rss() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
echo "idle RSS kB: chronyd $(rss $C), ntpd $(rss $N), ours $(rss $U)"
for t in "chronyd 12300 $C" "ntpsec 123 $N" "ours 12500 $U"; do
    set -- $t
    echo "== $1, full rate"
    $L --target "127.0.0.1:$2" --requests 5000000 --duration 5 --server-pid "$3" | tail -2
    echo "== $1, 20000/s"
    $L --target "127.0.0.1:$2" --requests 100000 --rate 20000 --duration 6 --server-pid "$3" | tail -2
done
