#!/usr/bin/env python3
"""Rebuild the fuzz seed corpora in fuzz/seeds/<target>/ (run from the repo root).

Seeds are real inputs, so the fuzzers start past the parsers' front doors:
UDP payloads captured on loopback from chrony and ntpsec (../shared/vectors,
read-only JSON with `payload_hex`), configuration and keys files from
tests/data/conf, and valid NMEA / Meinberg sentences. .ci/run passes each
directory to `cargo fuzz run <target> corpus/<target> seeds/<target>`; the
grown corpus (fuzz/corpus) stays out of git.
"""
import json
import os
import shutil
import sys

ROOT = os.getcwd()
VECTORS = os.environ.get("SUNDIAL_VECTORS", os.path.join(ROOT, "..", "shared", "vectors"))
SEEDS = os.path.join(ROOT, "fuzz", "seeds")
CONF = os.path.join(ROOT, "tests", "data", "conf")


def packets(name):
    with open(os.path.join(VECTORS, name + ".json")) as f:
        return [p for p in json.load(f)["packets"] if p.get("transport") == "udp"]


def write(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def uniq(pkts, limit):
    """The first `limit` packets with distinct (mode, length)."""
    seen, out = set(), []
    for p in pkts:
        k = (p["mode"], p["length"])
        if k not in seen:
            seen.add(k)
            out.append(p)
    return out[:limit]


def main():
    if not os.path.isdir(VECTORS):
        sys.exit(f"no vectors at {VECTORS}")
    for t in os.listdir(SEEDS):
        if os.path.isdir(os.path.join(SEEDS, t)):
            shutil.rmtree(os.path.join(SEEDS, t))

    ntp = ["a1_chrony_client_chrony_server", "a2_ntpdig_to_chrony_server",
           "b0_ntpsec_unsynced_server_response", "b1_ntpdig_to_ntpsec_server",
           "b2_chrony_client_ntpsec_server", "d1_ntpdig_auth_to_chrony_server",
           "e1_chrony_symmetric_peers_basic", "f3_ntpsec_kod_rate_and_deny"]
    mode6 = ["c1_ntpq_rv_readvar", "c3_ntpq_as_readstat", "c4_ntpq_peers"]

    for cap in ntp:
        for p in uniq(packets(cap), 4):
            raw = bytes.fromhex(p["payload_hex"])
            tag = f"{cap[:2]}-f{p['frame']}-m{p['mode']}-{p['length']}"
            # packet: every NTP payload (client, server, symmetric, KoD, MAC'd).
            write("packet", tag, raw)
            # server_reply: the requests (mode 3, and mode 1 symmetric ones).
            if p["mode"] in (1, 3):
                write("server_reply", tag, raw)
            # association: selector byte, a poll (op 0x04), then the captured
            # server/peer header as a reply-shaped packet (op 0x02: our cookie
            # goes in as origin). Keyed selector 1 signs it with key 1 (op 0x22);
            # selector 0x84 is interleaved with iburst (op 0x12: receive stamp as origin).
            if p["mode"] in (1, 2, 4, 5):
                head = raw[:48]
                sel = 3 if p["mode"] in (1, 2) else 0
                write("association", tag, bytes([sel, 0x04, 0x02]) + head + bytes([0x04, 0x02]) + head)
                if p["mode"] == 4:
                    write("association", tag + "-keyed", bytes([1, 0x04, 0x22]) + head)
                    write("association", tag + "-iburst-xleave", bytes([0x84, 0x04, 0x12]) + head + bytes([0x04, 0x02]) + head)
    # system: records [source][advance, 250 ms units][len][bytes]; an even source is the
    # upstream server, an odd one anyone (clients, ntpq). Requests from clients (plain and
    # MD5 key 1), the captured server replies from upstream, and mode 6 queries.
    def rec(source, advance, raw):
        return bytes([source, advance, len(raw)]) + raw
    reqs = [bytes.fromhex(p["payload_hex"]) for p in packets("a1_chrony_client_chrony_server")[:1]]
    reqs += [bytes.fromhex(p["payload_hex"]) for p in packets("d1_ntpdig_auth_to_chrony_server")
             if p["mode"] == 3 and p["length"] == 68][:1]
    replies = [bytes.fromhex(p["payload_hex"]) for cap in ntp[:5] for p in packets(cap)
               if p["mode"] == 4 and p["length"] == 48]
    queries = [bytes.fromhex(p["payload_hex"]) for cap in mode6 for p in packets(cap)
               if p["length"] == 12]
    for i, r in enumerate(reqs):
        write("system", f"client-request-{i}", rec(1, 4, r) + rec(3, 4, r))
    write("system", "upstream-replies", b"".join(rec(0, 16, r) for r in replies[:6]))
    write("system", "upstream-then-clients", b"".join(rec(0, 16, r) for r in replies[:3])
          + b"".join(rec(5, 1, r) for r in reqs))
    for i, q in enumerate(queries[:3]):
        write("system", f"mode6-{i}", rec(7, 1, q))

    for cap in mode6:
        for p in packets(cap):
            raw = bytes.fromhex(p["payload_hex"])
            tag = f"{cap[:2]}-f{p['frame']}-{p['length']}"
            write("control", tag, raw)
            write("control_responder", tag, raw)

    # control_client: records [flags][len u16][datagram]. flags 0x03 makes each a
    # response to the target's own request (its sequence and opcode, error bit
    # off) while keeping the captured offset, count, more bit and data. One
    # seed per captured request: its fragments in order, and reversed.
    # Also the reassembled data alone (the raw input is read as a variable list).
    def crec(raw):
        return bytes([0x03]) + len(raw).to_bytes(2, "big") + raw
    for cap in mode6:
        by_seq = {}
        for p in packets(cap):
            if p["response"]:
                by_seq.setdefault(p["sequence"], []).append(bytes.fromhex(p["payload_hex"]))
        for seq, frags in sorted(by_seq.items()):
            write("control_client", f"{cap[:2]}-seq{seq}", b"".join(crec(f) for f in frags))
            if len(frags) > 1:
                write("control_client", f"{cap[:2]}-seq{seq}-reversed",
                      b"".join(crec(f) for f in reversed(frags)))
                write("control_client", f"{cap[:2]}-seq{seq}-data",
                      b"".join(f[12:12 + int.from_bytes(f[10:12], "big")] for f in frags))

    # sntp: [flags][t1 offset: 8][cookie: 8][rtt ms: u16][reply]. flags 0x03 echoes the
    # request's cookie as origin and puts server stamps near t1; flags 0x00 keeps the
    # captured reply as is (origin mismatch). Replies: the captured mode 4 ones (KoD too).
    for cap in ntp:
        for p in uniq([q for q in packets(cap) if q["mode"] == 4], 2):
            raw = bytes.fromhex(p["payload_hex"])
            head = bytes(8) + (0x5eed).to_bytes(8, "big") + (12).to_bytes(2, "big")
            write("sntp", f"{cap[:2]}-f{p['frame']}-{p['length']}", bytes([0x03]) + head + raw)
            write("sntp", f"{cap[:2]}-f{p['frame']}-{p['length']}-as-captured", bytes([0x00]) + head + raw)

    # wire_parts: [version][bytes after the 48-byte header] of the captured
    # packets with a trailer (MACs, crypto-NAKs), plus RFC 7822 shapes.
    seen = set()
    for cap in ntp:
        for p in packets(cap):
            raw = bytes.fromhex(p["payload_hex"])
            if len(raw) > 48 and len(raw) not in seen:
                seen.add(len(raw))
                write("wire_parts", f"{cap[:2]}-f{p['frame']}-trailer{len(raw) - 48}",
                      bytes([(raw[0] >> 3) & 7]) + raw[48:])
            if p["mode"] in (2, 4) and "refid" not in seen:
                seen.add("refid")
                write("wire_parts", f"{cap[:2]}-refid", bytes([4]) + raw[12:16])
    ef28 = (0x0104).to_bytes(2, "big") + (28).to_bytes(2, "big") + bytes(range(24))
    ef16 = (0x0204).to_bytes(2, "big") + (16).to_bytes(2, "big") + bytes(12)
    mac20 = (1).to_bytes(4, "big") + bytes(range(16))
    write("wire_parts", "ef28", bytes([4]) + ef28)
    write("wire_parts", "ef16-mac20", bytes([4]) + ef16 + mac20)
    write("wire_parts", "ef16-ef28-nak", bytes([4]) + ef16 + ef28 + bytes(4))
    write("wire_parts", "kiss-rate-deny", bytes([0]) + b"RATEDENYRSTRINIT")

    # decimal: numbers as configuration, drift files and ntpq print them.
    for i, t in enumerate(["0.0500", "-1.5", "128", "+.5", "2.", "-12.345",
                           "0.000000000116415321826934814453125",
                           "0.9999999999999999999999999999999",
                           "2147483647.999999999", "-2147483648", "9223372036854775807",
                           "-0.000123457", "500.000", "1e3", "--1", ""]):
        write("decimal", f"number-{i}", t.encode())

    # refclock_stream: [config][records]; records [op][advance, 1/16 s][len][bytes].
    # Op 0: serial to the NMEA clock, 1: to the Meinberg clock, 2: a PPS edge
    # (op >> 2 picks the clock: 0 NMEA's attached PPS, 2 the type 22 PPS).
    # 40 s of a GPS receiver at 1 Hz whose time matches the fuzz target's
    # start (unix 1_800_000_000 = 2027-01-15 08:00:00 UTC): an edge on the second,
    # then 62.5 ms later the sentence naming it.
    def nmea_cs(body):
        c = 0
        for ch in body.encode():
            c ^= ch
        return f"${body}*{c:02X}\r\n".encode()
    def refrec(op, adv, raw):
        return bytes([op, adv, len(raw)]) + raw
    gps = refrec(3, 1, b"")  # a timer run 1/16 s in: the edges fall on whole seconds
    mbg = refrec(3, 1, b"")
    for sec in range(1, 41):
        hh, mm, ss = 8, sec // 60, sec % 60
        rmc = nmea_cs(f"GPRMC,{hh:02d}{mm:02d}{ss:02d}.00,A,4717.11437,N,00833.91522,E,0.004,77.52,150127,,,A")
        gps += refrec(2, 15, b"") + refrec(2 | (2 << 2), 0, b"") + refrec(0, 1, rmc)
        # Meinberg standard string: local time = UTC+1 (CET), weekday 5 (Friday).
        mstr = f"\x02D:15.01.27;T:5;U:{hh + 1:02d}.{mm:02d}.{ss:02d};    \x03".encode()
        mbg += refrec(2 | (1 << 2), 15, b"") + refrec(1, 1, mstr)
    write("refclock_stream", "gps-pps-40s", bytes([0x10]) + gps)
    write("refclock_stream", "meinberg-pps-40s", bytes([0x80]) + mbg)

    # Every ntp.conf-style file of the tests (chrony's own syntax excluded).
    for f in sorted(f for f in os.listdir(CONF)
                    if f.endswith(".conf") and not f.startswith("chrony")):
        with open(os.path.join(CONF, f), "rb") as src:
            write("config_ntpconf", f, src.read())
    for f in ["ntpsec.keys", "chrony.keys"]:
        with open(os.path.join(CONF, f), "rb") as src:
            write("config_keys", f, src.read())
    with open(os.path.join(VECTORS, "ntp.keys"), "rb") as src:
        write("config_keys", "capture-ntp.keys", src.read())

    nmea = [
        "$GNRMC,083559.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A,V*33\r\n",
        "$GNGGA,092725.00,4717.11399,N,00833.91590,E,1,08,1.01,499.6,M,48.0,M,,*45\r\n",
        "$GNZDA,082710.00,16,09,2002,00,00*7A\r\n",
        "$GNGLL,4717.11364,N,00833.91565,E,092321.00,A,A*7E\r\n",
        "$GPRMC,161229.487,A,3723.2475,N,12158.3416,W,0.13,309.62,120598,,,A*7D\r\n",
        "$GPGGA,002153.000,3342.6618,N,11751.3858,W,1,10,1.2,27.0,M,-34.2,M,,0000*5E\r\n",
        "$GPZDA,181813,14,10,2003,00,00*4F\r\n",
    ]
    for i, s in enumerate(nmea):
        write("nmea", f"sentence-{i}", s.encode())
    write("nmea", "stream", "".join(nmea).encode())
    meinberg = [
        b"\x02D:30.06.15;T:2;U:23.10.00;  UA\x03",
        b"\x02D:01.07.26;T:3;U:14.00.00;# S \x03",
        b"\x02D:01.01.27;T:5;U:00.30.00;    \x03",
        b"\x02D:22.11.26;T:7;U:01.00.00; *  \x03",
    ]
    for i, s in enumerate(meinberg):
        write("meinberg", f"string-{i}", s)
    write("meinberg", "stream", b"".join(meinberg))


if __name__ == "__main__":
    main()
