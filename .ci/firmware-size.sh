#!/usr/bin/env bash
# Footprint of the firmware (issue 9): panic sites, flash/RAM sizes, stack depth.
#
# Builds the size variants in examples/firmware/src/bin (empty baseline, one-shot
# SNTP query, SNTP-style client, GPS+PPS stratum-1 server) for thumbv7m (M3),
# thumbv7em (M4F) and thumbv6m (M0), release profile (opt-level "z" with the aes
# crate at "s", LTO, panic = "abort"). The server twice: `server` as a firmware
# engineer builds it (sundial's default features off: no mode 6 responder, MD5
# keys only, the NMEA driver only) and `server-full`
# (the firmware crate's `full` feature: mode 6, SHA-1 and AES-CMAC too). Then:
#
# 1. No panic sites. An ELF passes when it contains none of these symbols:
#      rust_begin_unwind            the #[panic_handler]: `--gc-sections` drops it
#                                   unless reachable code can call it
#      core::panicking::*           panic, panic_fmt, panic_const_*, panic_bounds_check,
#                                   assert_failed, panic_nounwind...
#      *_fail, unwrap_failed, expect_failed, len_mismatch_fail, panic_on_ord_violation
#                                   (slice index, Option/Result unwrap, copy_from_slice,
#                                   sort) — the entry points that lead to panic_fmt
#    Every panic in core funnels into panic_fmt and then the handler, so the handler's
#    absence alone proves that nothing reachable from the reset vector can panic; the
#    list names the kind. On failure the call sites are printed with their inlined
#    source chain (llvm-symbolizer, if installed). The handler itself is defined in
#    every binary (no_std needs one): it is the linking of it that fails the check.
#    Also refused: the compiler's 128-bit division routines (see DIV128_RE).
# 2. Sizes (llvm-size -A): flash = .vector_table + .text + .rodata + .data (its load
#    image), static RAM = .data + .bss + .uninit. The query path is measured as
#    sntp_query minus empty, the way sntpc's footprint is quoted.
# 3. Stack: the server build runs in QEMU with its stack painted and prints the
#    high-water mark.
#
# Exit status: non-zero when a panic site appears, a size target below is missed or a
# build or the QEMU run fails. Needs `rustup component add llvm-tools`, the three
# targets and qemu-system-arm (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/../examples/firmware"

host=$(rustc -vV | sed -n 's/^host: //p')
tools="$(rustc --print sysroot)/lib/rustlib/$host/bin"
NM="$tools/llvm-nm"
SIZE="$tools/llvm-size"
OBJDUMP="$tools/llvm-objdump"
if [ ! -x "$NM" ] || [ ! -x "$SIZE" ] || [ ! -x "$OBJDUMP" ]; then
    # No llvm-tools component (rustup could not fetch it): a system LLVM reads the
    # same ELF files.
    if command -v llvm-nm >/dev/null && command -v llvm-size >/dev/null &&
        command -v llvm-objdump >/dev/null; then
        echo "llvm-tools not in $tools: using $(command -v llvm-nm) and friends"
        NM=llvm-nm SIZE=llvm-size OBJDUMP=llvm-objdump
    else
        echo "llvm-nm/llvm-size not found: rustup component add llvm-tools" >&2
        exit 1
    fi
fi

# FW_TARGETS / FW_BINS narrow a local run (e.g. FW_BINS="empty sntp_query"); CI runs all
# (sundial-firmware is the board of src/main.rs: panic-checked and sized like the rest).
read -r -a TARGETS <<<"${FW_TARGETS:-thumbv7m-none-eabi thumbv7em-none-eabihf thumbv6m-none-eabi}"
read -r -a BINS <<<"${FW_BINS:-empty sntp_query client server sundial-firmware}"
# Targets (bytes). The issue's goals for the server are 64 KiB flash / 16 KiB RAM.
# Both are met on `server` and enforced. A build also fails above its ceiling
# (today's size + ~2 %, below the goal for `server`), so nothing grows unnoticed;
# between ceiling and goal a miss would print as MISSED. `server-full` (over the
# goal: everything ntpd offers) has a ceiling of its own.
SERVER_FLASH_GOAL=65536
SERVER_RAM_GOAL=16384
SERVER_FLASH_MAX=${SERVER_FLASH_MAX:-62700}
SERVER_FULL_FLASH_MAX=${SERVER_FULL_FLASH_MAX:-82000}
SERVER_RAM_MAX=${SERVER_RAM_MAX:-16384}
# RAM the server really needs: static RAM + the deeper of its two stack marks (the
# core lives on the stack, so static RAM alone says little). Ceilings today + ~2 %.
SERVER_RAM_NEEDED_MAX=${SERVER_RAM_NEEDED_MAX:-21400}
SERVER_FULL_RAM_NEEDED_MAX=${SERVER_FULL_RAM_NEEDED_MAX:-24000}
CLIENT_FLASH_MAX=${CLIENT_FLASH_MAX:-24576}
# sntpc 0.11 adds 3.6 KB (thumbv7m) / 4.0 KB (thumbv6m) over an empty firmware; ≤ 1.2×.
QUERY_MAX_thumbv7m_none_eabi=4300
QUERY_MAX_thumbv7em_none_eabihf=4300
QUERY_MAX_thumbv6m_none_eabi=4800

# The link script must be passed for every target (the crate's .cargo/config.toml
# may only know some of them).
for t in "${TARGETS[@]}"; do
    if ! grep -q "^\[target\.$t\]" .cargo/config.toml; then
        var="CARGO_TARGET_$(echo "$t" | tr 'a-z-' 'A-Z_')_RUSTFLAGS"
        export "$var=-C link-arg=-Tlink.x"
    fi
done

failed=0
fail() {
    echo "FAIL: $*"
    failed=1
}

# section NAME → "flash ram"
sizes() {
    "$SIZE" -A "$1" | awk '
        $1 == ".vector_table" || $1 == ".text" || $1 == ".rodata" { flash += $2 }
        $1 == ".data" { flash += $2; ram += $2 }
        $1 == ".bss" || $1 == ".uninit" { ram += $2 }
        END { print flash + 0, ram + 0 }'
}

# 128-bit quotients go through sundial's own out-of-line shift-and-subtract
# (src/int128.rs); the compiler's routines (__divti3 & co. over u128_div_rem, 1.3 KB
# on a 32-bit core, pulled in e.g. by an `i128 / 4` that opt-level "z" leaves as a
# call) must not be linked.
DIV128_RE='__u?(div|mod)ti3|u128_div_rem'

PANIC_RE='rust_begin_unwind|core::panicking::|_fail$|unwrap_failed|expect_failed|panic_on_ord_violation|panic_bounds_check'

panic_sites() {
    local elf=$1
    "$OBJDUMP" -d -C --no-show-raw-insn "$elf" | awk -v pat="$PANIC_RE" '
        /^[0-9a-f]+ <.*>:$/ { fn = $0; sub(/^[0-9a-f]+ /, "", fn); next }
        $2 ~ /^b/ && match($0, /<[^>+]*[>+]/) {
            tgt = substr($0, RSTART + 1, RLENGTH - 2)
            if (tgt ~ pat && fn !~ pat) print $1, fn, "->", tgt
        }' | while read -r addr rest; do
        echo "    0x${addr%:} $rest"
        if command -v llvm-symbolizer >/dev/null 2>&1; then
            llvm-symbolizer --obj="$elf" --inlining --functions=short "0x${addr%:}" |
                paste - - | grep -v '^\s*$' | grep -v '/rustc/' | head -4 | sed 's/^/        /'
        fi
    done
}

# The full server is built first and its ELF kept as server-full: the build
# without the feature then relinks `server` in place.
SIZED=("${BINS[@]}")
for b in "${BINS[@]}"; do [ "$b" = server ] && SIZED+=(server-full); done

declare -A FLASH RAM
for t in "${TARGETS[@]}"; do
    if [[ " ${SIZED[*]} " == *" server-full "* ]]; then
        echo "--- building server --features full for $t"
        cargo build --release --quiet --target "$t" --features full --bin server
        cp "target/$t/release/server" "target/$t/release/server-full"
    fi
    echo "--- building ${BINS[*]} for $t"
    args=()
    for b in "${BINS[@]}"; do args+=(--bin "$b"); done
    cargo build --release --quiet --target "$t" "${args[@]}"
    for b in "${SIZED[@]}"; do
        elf="target/$t/release/$b"
        read -r f r < <(sizes "$elf")
        FLASH[$t/$b]=$f
        RAM[$t/$b]=$r
        found=$("$NM" -C "$elf" | awk '{ $1 = ""; $2 = ""; print }' | grep -E "$PANIC_RE" || true)
        if [ -n "$found" ]; then
            fail "$t/$b links panic machinery:"
            echo "$found" | sed 's/^ */    /'
            echo "  call sites:"
            panic_sites "$elf"
        fi
        div128=$("$NM" -C "$elf" | awk '{ $1 = ""; $2 = ""; print }' | grep -E "$DIV128_RE" || true)
        if [ -n "$div128" ]; then
            fail "$t/$b links the compiler's 128-bit division (use crate::int128):"
            echo "$div128" | sed 's/^ */    /'
        fi
    done
done

kib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }

echo
echo "Firmware footprint (bytes; flash = vector table + text + rodata + data, RAM = static data + bss)"
printf '%-26s' "build"
for t in "${TARGETS[@]}"; do printf '%24s' "$t"; done
echo
for b in "${SIZED[@]}"; do
    printf '%-26s' "$b"
    for t in "${TARGETS[@]}"; do
        printf '%24s' "${FLASH[$t/$b]} / ${RAM[$t/$b]}"
    done
    echo
done
have() { [ -n "${FLASH[$1]:-}" ]; }
printf '%-26s' "query (sntp_query - empty)"
for t in "${TARGETS[@]}"; do
    have "$t/sntp_query" && have "$t/empty" || continue
    df=$((FLASH[$t/sntp_query] - FLASH[$t/empty]))
    dr=$((RAM[$t/sntp_query] - RAM[$t/empty]))
    printf '%24s' "$df / $dr"
done
echo
echo

check() { # name value max
    if [ "$2" -le "$3" ]; then
        echo "ok:   $1 = $2 bytes ($(kib "$2") KiB) <= $3"
    else
        fail "$1 = $2 bytes ($(kib "$2") KiB) > $3"
    fi
}
goal() { # name value goal ceiling: fails above the ceiling, whether it is below the goal or above
    if [ "$2" -gt "$4" ]; then
        fail "$1 = $2 bytes ($(kib "$2") KiB) > ceiling $4 (goal $3)"
    elif [ "$2" -le "$3" ]; then
        echo "ok:   $1 = $2 bytes ($(kib "$2") KiB) <= $3 (ceiling $4)"
    else
        echo "MISSED: $1 = $2 bytes ($(kib "$2") KiB) > goal $3 (ceiling $4)"
    fi
}
m3=thumbv7m-none-eabi
if have $m3/server; then
    goal "server flash ($m3)" "${FLASH[$m3/server]}" "$SERVER_FLASH_GOAL" "$SERVER_FLASH_MAX"
    goal "server static RAM ($m3)" "${RAM[$m3/server]}" "$SERVER_RAM_GOAL" "$SERVER_RAM_MAX"
fi
if have $m3/server-full; then
    goal "server-full flash ($m3)" "${FLASH[$m3/server-full]}" "$SERVER_FLASH_GOAL" "$SERVER_FULL_FLASH_MAX"
    goal "server-full static RAM ($m3)" "${RAM[$m3/server-full]}" "$SERVER_RAM_GOAL" "$SERVER_RAM_MAX"
fi
if have $m3/client; then
    check "client flash ($m3)" "${FLASH[$m3/client]}" "$CLIENT_FLASH_MAX"
fi
for t in "${TARGETS[@]}"; do
    have "$t/sntp_query" && have "$t/empty" || continue
    max_var="QUERY_MAX_${t//-/_}"
    check "query path flash ($t)" $((FLASH[$t/sntp_query] - FLASH[$t/empty])) "${!max_var}"
    check "query path static RAM ($t)" $((RAM[$t/sntp_query] - RAM[$t/empty])) 0
done

# Stack depth: the server scenario in QEMU on the Cortex-M3 (LM3S6965: 64 KiB RAM).
# Two marks: building and configuring the core and running it (painted again after
# setup, read at the end). The core lives in main's frame (built straight into it),
# so both marks include it and the static RAM above does not: RAM needed = the larger
# mark + static RAM.
t=$m3
for b in server server-full; do
    have "$t/$b" || continue
    echo
    echo "--- $b scenario in QEMU ($t on lm3s6965evb): stack painted"
    if out=$(timeout 120 qemu-system-arm -cpu cortex-m3 -machine lm3s6965evb -nographic \
        -semihosting-config enable=on,target=native -icount shift=0 \
        -kernel "target/$t/release/$b" 2>&1); then
        echo "$out"
        marks=$(echo "$out" | sed -n 's/^stack high-water: \([0-9]*\) bytes running, \([0-9]*\) bytes in setup.*/\1 \2/p')
        if [ -n "$marks" ]; then
            read -r running setup <<<"$marks"
            deepest=$((running > setup ? running : setup))
            max=$SERVER_RAM_NEEDED_MAX
            [ "$b" = server-full ] && max=$SERVER_FULL_RAM_NEEDED_MAX
            check "$b RAM needed ($t: static ${RAM[$t/$b]} + stack $deepest)" \
                $((RAM[$t/$b] + deepest)) "$max"
        else
            fail "$b scenario printed no stack high-water line"
        fi
    else
        echo "$out"
        fail "$b scenario in QEMU"
    fi
done

if [ "$failed" -ne 0 ]; then
    echo "firmware footprint: FAILED"
    exit 1
fi
echo "firmware footprint: all checks passed"
