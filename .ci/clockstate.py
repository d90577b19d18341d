#!/usr/bin/env python3
"""Read (never set) the kernel clock discipline state, for CI's before/after check.

`clockstate.py save FILE` records adjtimex(2) state with modes = 0 (a pure read) and the
CLOCK_REALTIME - CLOCK_MONOTONIC difference; `clockstate.py check FILE` reads them again and
fails if the system clock was stepped (> 50 ms jump of realtime against monotonic), its
frequency moved by more than 1 ppm, or its status word changed. Nothing here writes the clock.
"""
import ctypes
import json
import sys
import time

# struct timex on Linux (x86_64/aarch64: long = 8 bytes). We only read the leading fields.
class Timex(ctypes.Structure):
    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("tv_sec", ctypes.c_long),
        ("tv_usec", ctypes.c_long),
        ("tick", ctypes.c_long),
        ("rest", ctypes.c_byte * 256),
    ]


def read_state():
    libc = ctypes.CDLL(None, use_errno=True)
    tx = Timex()
    tx.modes = 0  # read only
    state = libc.adjtimex(ctypes.byref(tx))
    if state < 0:
        raise OSError(ctypes.get_errno(), "adjtimex")
    # realtime - monotonic, sampled tightly; a step of the system clock shows as a jump here.
    diffs = []
    for _ in range(5):
        m0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        r = time.clock_gettime_ns(time.CLOCK_REALTIME)
        m1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        diffs.append((m1 - m0, r - (m0 + m1) // 2))
    diffs.sort()
    return {
        "state": state,
        "status": tx.status,
        "offset": tx.offset,
        "freq_ppm": tx.freq / 65536.0,
        "tick": tx.tick,
        "maxerror_us": tx.maxerror,
        "realtime_minus_monotonic_ns": diffs[0][1],
        "monotonic_ns": time.clock_gettime_ns(time.CLOCK_MONOTONIC),
    }


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("save", "check"):
        print("usage: clockstate.py save|check FILE", file=sys.stderr)
        return 2
    now = read_state()
    print("clock state: " + json.dumps(now))
    if sys.argv[1] == "save":
        with open(sys.argv[2], "w") as f:
            json.dump(now, f)
        return 0
    with open(sys.argv[2]) as f:
        before = json.load(f)
    problems = []
    # Host-side NTP (outside this VM/container) may legitimately slew the clock a little;
    # a step or a large frequency change is what a misbehaving test would cause.
    jump_ns = now["realtime_minus_monotonic_ns"] - before["realtime_minus_monotonic_ns"]
    elapsed_s = max(1e-9, (now["monotonic_ns"] - before["monotonic_ns"]) / 1e9)
    # Allow 500 ppm of slew over the elapsed time plus 50 ms.
    if abs(jump_ns) > 50_000_000 + 500e3 * elapsed_s:
        problems.append(f"system clock moved by {jump_ns / 1e9:+.6f} s against CLOCK_MONOTONIC")
    if abs(now["freq_ppm"] - before["freq_ppm"]) > 1.0:
        problems.append(f"kernel frequency changed {before['freq_ppm']:.3f} -> {now['freq_ppm']:.3f} ppm")
    if now["status"] != before["status"]:
        problems.append(f"kernel status word changed {before['status']:#x} -> {now['status']:#x}")
    if now["tick"] != before["tick"]:
        problems.append(f"kernel tick changed {before['tick']} -> {now['tick']}")
    print(f"clock check over {elapsed_s:.0f} s: realtime-monotonic moved {jump_ns / 1e6:+.3f} ms")
    if problems:
        for p in problems:
            print("CLOCK CHANGED: " + p)
        return 1
    print("clock untouched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
