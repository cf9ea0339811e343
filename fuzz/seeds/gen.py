#!/usr/bin/env python3
"""Writes the seed corpora for the fuzz targets, reproducibly.

    python3 fuzz/seeds/gen.py [OUT_DIR]        # default: fuzz/corpus

Each target gets OUT_DIR/<target>/seed-<name> files in the input layout its
fuzz target documents (a control byte first where it has one). Besides a
few ordinary inputs, the ClientHello, HTTP/2 preface and client-IP targets
get adversarial shapes: a ClientHello near 64 KiB with ~16,000 distinct
extensions, thousands of duplicate extensions, hellos split into 1-byte
records; SETTINGS and HPACK floods, CONTINUATION floods and Huffman edge
cases; forwarding headers with thousands of hops, very long values, IPv6
zone ids, odd ports and quoting.

Real inputs are added from the repository's test data and from
$TOLLGATE_TESTDATA (default /work/shared/testdata) when present; without
them the generated seeds are still written. Output is deterministic.
"""

import json
import os
import random
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fuzz" / "corpus"
TESTDATA = Path(os.environ.get("TOLLGATE_TESTDATA", "/work/shared/testdata"))
RNG = random.Random(13)


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data)


def u8(n):
    return struct.pack(">B", n)


def u16(n):
    return struct.pack(">H", n)


def u24(n):
    return struct.pack(">I", n)[1:]


def u32(n):
    return struct.pack(">I", n)


def jsonl(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# ---------------------------------------------------------------- TLS

GREASE = [0x0A0A + 0x1010 * i for i in range(16)]


def ext(kind, data=b""):
    return u16(kind) + u16(len(data)) + data


def vec16(data):
    return u16(len(data)) + data


def vec8(data):
    return u8(len(data)) + data


def core_extensions(sni=b"example.com"):
    """The extensions a browser sends, so JA4 sees every part."""
    name = u8(0) + vec16(sni)
    return [
        ext(0x0000, vec16(name)),
        ext(0x0017),
        ext(0xFF01, b"\x00"),
        ext(0x000A, vec16(b"".join(u16(g) for g in [0x001D, 0x0017, 0x0018]))),
        ext(0x000B, vec8(b"\x00")),
        ext(0x0023),
        ext(0x0010, vec16(vec8(b"h2") + vec8(b"http/1.1"))),
        ext(0x0005, b"\x01\x00\x00\x00\x00"),
        ext(0x000D, vec16(b"".join(u16(s) for s in [0x0403, 0x0804, 0x0401, 0x0503]))),
        ext(0x0012),
        ext(0x0033, vec16(u16(0x001D) + vec16(bytes(32)))),
        ext(0x002D, vec8(b"\x01")),
        ext(0x002B, vec8(u16(0x0304) + u16(0x0303))),
    ]


def client_hello(exts, ciphers=(0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F), sid=32):
    """A bare ClientHello handshake message (type 0x01)."""
    body = (
        u16(0x0303)
        + bytes(RNG.randrange(256) for _ in range(32))
        + vec8(bytes(sid))
        + vec16(b"".join(u16(c) for c in ciphers))
        + vec8(b"\x00")
        + vec16(b"".join(exts))
    )
    return b"\x01" + u24(len(body)) + body


def records(msg, size):
    """`msg` framed into TLS handshake records of `size` bytes."""
    out = b""
    for i in range(0, len(msg), size):
        chunk = msg[i : i + size]
        out += b"\x16\x03\x01" + u16(len(chunk)) + chunk
    return out


def client_hello_seeds():
    t = "client_hello"
    # Real hellos: the project's captures and FoxIO's test pcaps.
    for i, rec in enumerate(jsonl(ROOT / "crates/tollgate/tests/data/clienthellos_local.jsonl")):
        if "records_hex" in rec:
            write(t, f"local-{i}", b"\x00" + bytes.fromhex(rec["records_hex"]))
    for i, rec in enumerate(jsonl(TESTDATA / "ja4/clienthellos.jsonl")[::7]):
        write(t, f"foxio-{i}", u8(i) + bytes.fromhex(rec["client_hello_hex"]))

    plain = client_hello(core_extensions())
    write(t, "plain-bare", b"\x0f" + plain)
    write(t, "plain-records", b"\xff" + records(plain, 16384))
    write(t, "plain-1byte-records", b"\x00" + records(plain, 1))

    # ~16,000 distinct extensions filling a 64 KiB message.
    core = core_extensions()
    room = 65536 - 4 - len(client_hello(core)) + 2
    n = (room - 2) // 4
    distinct = [ext(0x1000 + i) for i in range(n)]
    msg = client_hello(core + distinct)
    assert len(msg) <= 65536, len(msg)
    write(t, "distinct-16k-bare", b"\xff" + msg)
    write(t, "distinct-16k-records", b"\x00" + records(msg, 16384))
    # The same count with the known extensions spread among them, and GREASE.
    mixed = [ext(0x1000 + i) for i in range(n - 32)]
    for j, e in enumerate(core + [ext(g) for g in GREASE]):
        mixed.insert(j * 500, e)
    write(t, "distinct-16k-mixed", b"\x07" + client_hello(mixed))
    # Every type from 0 up, empty: known types with wrong (empty) bodies.
    write(t, "types-from-zero", b"\x03" + client_hello([ext(i) for i in range(n)]))

    # Thousands of duplicates: of an empty extension, of SNI, alternating.
    write(t, "dup-ems-15k", b"\x01" + client_hello(core + [ext(0x0017)] * 15000))
    write(t, "dup-sni-3k", b"\x02" + client_hello(core + [core[0]] * 3000))
    write(t, "dup-grease-12k", b"\x04" + client_hello(core + [ext(GREASE[i % 16]) for i in range(12000)]))
    write(t, "dup-alternating", b"\x05" + client_hello([core[i % len(core)] for i in range(3000)]))

    # Split into 1-byte records: 2,500 distinct extensions (~10 KB message,
    # ~60 KB of records), and a padded hello just under the records cap.
    msg = client_hello(core + [ext(0x2000 + i) for i in range(2500)])
    write(t, "distinct-2500-1byte-records", b"\x00" + records(msg, 1))
    pad = ext(0x0015, bytes(11000))
    msg = client_hello(core + [pad])
    write(t, "padded-1byte-records", b"\x00" + records(msg, 1))
    write(t, "padded-7byte-records", b"\x06" + records(msg, 7))
    # Zero-length records in between (RFC 8446 forbids them).
    zero = b"\x16\x03\x01\x00\x00"
    write(t, "zero-length-records", b"\x00" + b"".join(zero + records(plain[i : i + 1], 1) for i in range(len(plain))))

    # Other long lists: cipher suites, ALPN, signature algorithms, versions.
    write(t, "ciphers-32k", b"\x09" + client_hello(core, ciphers=[0x0100 + i for i in range(32000)]))
    write(t, "ciphers-grease", b"\x09" + client_hello(core, ciphers=[GREASE[i % 16] for i in range(16000)]))
    alpn = b"".join(vec8(b"p%d" % i) for i in range(9000))
    write(t, "alpn-9000", b"\x0a" + client_hello(core[:6] + [ext(0x0010, vec16(alpn))] + core[7:]))
    sig = b"".join(u16(i) for i in range(30000))
    write(t, "sigalgs-30k", b"\x0b" + client_hello(core[:8] + [ext(0x000D, vec16(sig))] + core[9:]))
    vers = b"".join(u16(0x0300 + i) for i in range(127))
    write(t, "versions-127", b"\x0c" + client_hello(core[:-1] + [ext(0x002B, vec8(vers))]))
    write(t, "sni-long", b"\x0d" + client_hello(core_extensions(b"a" * 60000)[:1] + core[1:]))
    # Exactly at and one past the 64 KiB cap.
    base = client_hello(core + [ext(0x0015)])
    exact = client_hello(core + [ext(0x0015, bytes(65536 - len(base)))])
    assert len(exact) == 65536
    write(t, "exact-64k", b"\x10" + exact)
    write(t, "over-64k", b"\x10" + client_hello(core + [ext(0x0015, bytes(65537 - len(base)))]))


# ---------------------------------------------------------------- HTTP/2

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# RFC 7541 Appendix B code lengths, symbols 0..=256; the code is canonical.
HUFFMAN_LENGTHS = [
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28,
    28, 28, 28, 28, 28, 28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5,
    6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6,
    7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23,
    23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22,
    22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22,
    23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27,
    27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25,
    24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
]


def huffman_codes():
    codes, code, prev = {}, 0, 0
    for length, sym in sorted((l, s) for s, l in enumerate(HUFFMAN_LENGTHS)):
        code <<= length - prev
        codes[sym] = (code, length)
        code += 1
        prev = length
    return codes


CODES = huffman_codes()
assert CODES[ord("a")] == (0x3, 5) and CODES[256] == (0x3FFFFFFF, 30)


def huffman(data, symbols=None, pad_bits=None):
    """Huffman-codes `data` (or raw `symbols`, EOS allowed), padded with ones."""
    acc, n = 0, 0
    for s in symbols if symbols is not None else data:
        code, length = CODES[s]
        acc, n = (acc << length) | code, n + length
    pad = (-n) % 8 if pad_bits is None else pad_bits
    acc, n = (acc << pad) | ((1 << pad) - 1), n + pad
    if n % 8:
        acc, n = acc << (8 - n % 8), n + (8 - n % 8)
    return acc.to_bytes(n // 8, "big") if n else b""


def hint(value, prefix_bits, first):
    """An HPACK integer with an N-bit prefix; `first` holds the flag bits."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return u8(first | value)
    out, value = [first | limit], value - limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    return bytes(out + [value])


def hstr(s, huff=False):
    if huff:
        s = huffman(s)
    return hint(len(s), 7, 0x80 if huff else 0) + s


def literal(name, value, index=False, huff=False):
    """A literal header with a new name (with or without indexing)."""
    return (b"\x40" if index else b"\x00") + hstr(name, huff) + hstr(value, huff)


def frame(kind, flags, stream, payload):
    return u24(len(payload)) + u8(kind) + u8(flags) + u32(stream) + payload


def settings(pairs):
    return frame(4, 0, 0, b"".join(u16(k) + u32(v) for k, v in pairs))


BASIC_SETTINGS = settings([(1, 65536), (2, 0), (4, 6291456), (6, 262144)])
WINDOW = frame(8, 0, 0, u32(15663105))
PSEUDO = b"\x82\x41\x01a\x87\x84"  # :method GET, :authority a, :scheme https, :path /


def headers(block, flags=0x05, stream=1):
    return frame(1, flags, stream, block)


def h2_seeds():
    t = "http2_preface"
    for p in sorted((ROOT / "crates/tollgate/tests/data/h2").glob("*.bin")):
        data = p.read_bytes()
        write(t, f"capture-{p.stem}", b"\x01" + data)
        if data.startswith(PREFACE):
            write(t, f"capture-{p.stem}-1byte", b"\x00" + data[len(PREFACE) :])

    def seed(name, frames, control=0x00):
        # control 0: preface prepended, fed one byte at a time.
        write(t, name, u8(control) + frames)

    seed("basic", BASIC_SETTINGS + WINDOW + headers(PSEUDO), 0x20)
    seed("basic-1byte", BASIC_SETTINGS + WINDOW + headers(PSEUDO))

    # SETTINGS: one frame of 2,730 entries (16,380 bytes), one of 10,000
    # entries (over the default max frame size), three of 2,730, and 62
    # one-entry frames (the frame cap is 64).
    many = [(i % 7 + 1, i) for i in range(2730)]
    seed("settings-2730", settings(many) + headers(PSEUDO), 0x40)
    seed("settings-10000", settings([(i % 65536, i) for i in range(10000)]) + headers(PSEUDO), 0x80)
    seed("settings-3x2730", settings(many) * 3 + headers(PSEUDO), 0x42)
    seed("settings-62-frames", b"".join(settings([(i, i)]) for i in range(62)) + headers(PSEUDO))
    seed("settings-unknown-ids", settings([(0xFFFF - i, 0xFFFFFFFF) for i in range(20)]) + headers(PSEUDO), 0x10)
    seed("settings-ack-payload", frame(4, 1, 0, u16(1) + u32(1)) + headers(PSEUDO))

    # HPACK: thousands of new-name literals split over CONTINUATIONs;
    # indexed fields; dynamic table growth, evictions and size updates.
    block = PSEUDO + b"".join(literal(b"x-%d" % i, b"v%d" % i, index=i % 2 == 0) for i in range(4000))
    parts = [block[i : i + 16000] for i in range(0, len(block), 16000)]
    cont = headers(parts[0], 0x01) + b"".join(
        frame(9, 0x04 if i == len(parts) - 1 else 0, 1, p) for i, p in enumerate(parts[1:], 1)
    )
    seed("hpack-4000-literals", BASIC_SETTINGS + cont, 0x7E)
    seed("hpack-indexed-16k", BASIC_SETTINGS + headers(b"\x82" * 16000), 0xFE)
    grow = b"".join(literal(b"n%d" % i, b"v" * 4000, index=True) for i in range(15))
    seed("hpack-table-evictions", BASIC_SETTINGS + headers(grow + b"\xbe" * 10 + PSEUDO), 0x12)
    updates = b"\x3f\xe1\x1f" * 100 + b"\x20" + hint(65536, 5, 0x20) + hint(65537, 5, 0x20)
    seed("hpack-size-updates", BASIC_SETTINGS + headers(updates + PSEUDO), 0x14)
    seed("hpack-size-update-after-field", BASIC_SETTINGS + headers(PSEUDO + b"\x20"), 0x16)
    seed("hpack-huge-int", BASIC_SETTINGS + headers(b"\xff" + b"\xff" * 12 + b"\x01"), 0x18)
    seed("hpack-index-past-table", BASIC_SETTINGS + headers(hint(70, 7, 0x80) + PSEUDO), 0x1A)
    seed("hpack-name-ref-literals", BASIC_SETTINGS + headers(b"\x44\x01/" * 8000), 0x1C)

    # CONTINUATION floods: 1-byte and empty fragments, past the frame cap,
    # and within it; a CONTINUATION for another stream; one with no HEADERS.
    flood = headers(PSEUDO[:1], 0x01) + b"".join(frame(9, 0, 1, PSEUDO[i : i + 1]) for i in range(1, 6))
    seed("continuation-1byte", BASIC_SETTINGS + flood + frame(9, 4, 1, b""), 0x02)
    seed("continuation-flood-empty", BASIC_SETTINGS + headers(PSEUDO, 0x01) + frame(9, 0, 1, b"") * 5000)
    seed("continuation-61", BASIC_SETTINGS + headers(PSEUDO, 0x01) + frame(9, 0, 1, b"") * 60 + frame(9, 4, 1, b""))
    seed("continuation-other-stream", BASIC_SETTINGS + headers(PSEUDO, 0x01) + frame(9, 4, 3, b""), 0x04)
    seed("continuation-alone", BASIC_SETTINGS + frame(9, 4, 1, PSEUDO), 0x06)

    # Huffman in header names (values are skipped, names are decoded):
    # every symbol, the 30-bit codes, padding of 0 to 8 ones, zeros as
    # padding, EOS inside, all ones, empty, a long name, pseudo-headers.
    def huff_name(coded, control):
        return BASIC_SETTINGS + headers(PSEUDO + b"\x00" + hint(len(coded), 7, 0x80) + coded + b"\x01v"), control

    def huff_seed(name, coded, control):
        seed(name, *huff_name(coded, control))

    huff_seed("huffman-every-symbol", huffman(None, symbols=list(range(256))), 0x08)
    huff_seed("huffman-30bit", huffman(None, symbols=[10, 13, 22] * 200), 0x0A)
    for pad in range(9):
        # "a" is 5 bits: pick a count that ends on a byte with `pad` ones.
        huff_seed(f"huffman-pad-{pad}", huffman(None, symbols=[ord("a")] * (-pad * 5 % 8), pad_bits=pad), 0x0C)
    huff_seed("huffman-zero-padding", b"\x18", 0x0E)
    huff_seed("huffman-eos", huffman(None, symbols=[ord("a"), 256, ord("b")]), 0x0E)
    huff_seed("huffman-eos-alone", huffman(None, symbols=[256]), 0x0E)
    huff_seed("huffman-all-ones-4", b"\xff\xff\xff\xff", 0x10)
    huff_seed("huffman-empty", b"", 0x10)
    huff_seed("huffman-15k", huffman(b"x" * 15000), 0x22)
    seed("huffman-pseudo-names", BASIC_SETTINGS + headers(b"".join(b"\x00" + hstr(n, True) + hstr(b"v", True) for n in [b":method", b":authority", b":scheme", b":path", b":protocol", b":"] * 3)), 0x24)
    seed("huffman-names", BASIC_SETTINGS + headers(b"".join(literal(b"user-agent", b"curl/8.0", huff=True) for _ in range(50)) + PSEUDO), 0x24)

    # Frames around the request: PRIORITY floods, padding, WINDOW_UPDATE 0,
    # DATA and PUSH_PROMISE, unknown types, huge declared lengths.
    prio = b"".join(frame(2, 0, 2 * i + 3, u32(i) + u8(i % 256)) for i in range(60))
    seed("priority-60", BASIC_SETTINGS + prio + headers(PSEUDO))
    seed("headers-priority-padded", BASIC_SETTINGS + headers(b"\x10" + u32(0x80000003) + u8(200) + PSEUDO + bytes(16), 0x2D), 0x26)
    seed("headers-bad-padding", BASIC_SETTINGS + headers(b"\xff" + PSEUDO, 0x0D), 0x26)
    seed("window-zero", BASIC_SETTINGS + frame(8, 0, 0, u32(0)) + headers(PSEUDO), 0x28)
    seed("unknown-frames", BASIC_SETTINGS + frame(0xFA, 0xFF, 7, bytes(100)) * 50 + headers(PSEUDO), 0x2A)
    seed("declared-16m", BASIC_SETTINGS + b"\xff\xff\xff\x01\x05\x00\x00\x00\x01" + PSEUDO, 0x2C)
    seed("data-first", BASIC_SETTINGS + frame(0, 1, 1, b"x"), 0x2E)
    seed("headers-stream-0", BASIC_SETTINGS + headers(PSEUDO, stream=0), 0x30)
    seed("preface-only", b"", 0x00)
    write(t, "bad-preface", b"\x01PRI * HTTP/1.1\r\n\r\n")


# ---------------------------------------------------------------- client IP

# Layout: switches (bits 0-2: X-Real-IP, Forwarded, X-Forwarded-For; bits
# 3-5 pick the peer: 0 = 10.0.0.2, 1 = ::ffff:10.0.0.2, 2 = 2001:db8:ff::2,
# 3 = 198.51.100.1 (untrusted), 5 = 10.255.255.255), then `\n`-separated
# lines of a name byte (0 X-Forwarded-For, 1 forwarded, 2 X-Real-IP,
# 3 x-forwarded-for, 4 FORWARDED, 5 Via) and the value.
XFF, FWD, XRI, XFF_LOWER, FWD_UPPER, VIA = range(6)
ALL_TRUSTED_V4, ALL_TRUSTED_MAPPED, ALL_TRUSTED_V6, ALL_UNTRUSTED = 0x07, 0x0F, 0x17, 0x1F


def client_ip(switches, *lines):
    return u8(switches) + b"\n".join(u8(name) + value for name, value in lines)


def ip_seeds():
    t = "client_ip"

    def seed(name, switches, *lines):
        write(t, name, client_ip(switches, *[(n, v.encode() if isinstance(v, str) else v) for n, v in lines]))

    seed("xff-simple", ALL_TRUSTED_V4, (XFF, "198.51.100.9, 203.0.113.7, 10.0.0.1"))
    seed("fwd-simple", ALL_TRUSTED_V4, (FWD, 'for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"'))
    seed("xri-simple", 0x01, (XRI, "203.0.113.7"))
    seed("untrusted", ALL_UNTRUSTED, (XFF, "1.2.3.4"), (FWD, "for=1.2.3.4"))
    seed("conflict", ALL_TRUSTED_V6, (FWD, "for=203.0.113.1"), (XFF, "203.0.113.2"))

    # Thousands of hops: distinct public hops, all-trusted hops, and the
    # same in many repeated header lines.
    hops = ", ".join(f"198.{i // 256 % 256}.{i % 256}.{i % 200 + 1}" for i in range(4000))
    seed("xff-4000-hops", ALL_TRUSTED_V4, (XFF, hops))
    trusted = ", ".join(f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}" for i in range(4000))
    seed("xff-4000-trusted-hops", ALL_TRUSTED_V4, (XFF, "203.0.113.9, " + trusted))
    seed("xff-3000-lines", ALL_TRUSTED_V4, *[(XFF if i % 2 else XFF_LOWER, f"10.0.{i // 256 % 256}.{i % 256}") for i in range(3000)])
    fwd = ", ".join(f'for="[2001:db8:ff::{i:x}]:{i}";proto=https;by=_p{i}' for i in range(1300))
    seed("fwd-1300-elements", ALL_TRUSTED_V6, (FWD, fwd))
    seed("fwd-4000-lines", ALL_TRUSTED_V4, *[(FWD_UPPER, f"for=10.1.{i // 256 % 256}.{i % 256}") for i in range(4000)])
    seed("xff-empty-elements", ALL_TRUSTED_V4, (XFF, "," * 20000 + "203.0.113.5" + ", ," * 5000))

    # Very long values: one huge token, spaces, a long hop past 8 KiB.
    seed("xff-long-token", ALL_TRUSTED_V4, (XFF, "1" * 60000))
    seed("xff-long-spaces", ALL_TRUSTED_V4, (XFF, "203.0.113.8" + " \t" * 30000 + ", 10.0.0.9"))
    seed("xff-past-8k", ALL_TRUSTED_V4, (XFF, "203.0.113.8, " + "10.0.0.1," * 1000 + "10.0.0.2"))
    seed("fwd-long-quoted", ALL_TRUSTED_V4, (FWD, 'for="' + "\\a" * 20000 + '"'))
    seed("fwd-long-params", ALL_TRUSTED_V4, (FWD, "for=203.0.113.4" + ";x=y" * 10000))

    # IPv6 zone ids, brackets, mapped and compatible forms.
    zones = [
        "fe80::1%eth0", "[fe80::1%eth0]", "[fe80::1%25eth0]:443", "fe80::1%", "fe80::1%%",
        "[fe80::1%]:1", "::ffff:203.0.113.1", "[::ffff:203.0.113.1]:80", "::203.0.113.1",
        "[2001:db8::1", "2001:db8::1]", "[[2001:db8::1]]", "[2001:db8::1]:", "[]", "[::]:0",
        "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1:2:3:4:5:6:7", "::", "[v1.x]",
    ]
    seed("xff-zones", ALL_TRUSTED_V6, *[(XFF, z) for z in zones])
    seed("fwd-zones", ALL_TRUSTED_V6, *[(FWD, f'for="{z}"') for z in zones])
    seed("fwd-zones-unquoted", ALL_TRUSTED_MAPPED, *[(FWD, f"for={z}") for z in zones])
    seed("xri-zone", 0x01, (XRI, "fe80::1%eth0"))

    # Odd ports.
    ports = [
        "203.0.113.1:0", "203.0.113.1:65535", "203.0.113.1:65536", "203.0.113.1:99999999999",
        "203.0.113.1:", "203.0.113.1::80", "203.0.113.1:+80", "203.0.113.1:-1", "203.0.113.1:0080",
        "203.0.113.1:_port", "203.0.113.1:_", "203.0.113.1:80:80", "[2001:db8::1]:_x",
        "[2001:db8::1]:65536", "2001:db8::1:80", "203.0.113.1: 80", "203.0.113.1:8\u0660",
    ]
    seed("xff-ports", ALL_TRUSTED_V4, *[(XFF, p) for p in ports])
    seed("fwd-ports", ALL_TRUSTED_V4, *[(FWD, f'for="{p}"') for p in ports])

    # Quoting and Forwarded syntax.
    quoting = [
        'for="203.0.113.1"', 'for="203.0.113.1', 'for=203.0.113.1"', 'for=""', 'for="\\"203.0.113.1\\""',
        'for="203.0.113.1, 203.0.113.2"', 'for="203.0.113.1;by=x"', 'for="2\\03.0.113.1"',
        'for="[2001:db8::1]\\"', 'for=\\"203.0.113.1', 'FOR=203.0.113.1', 'For = 203.0.113.1',
        "for=203.0.113.1;for=203.0.113.2", "by=203.0.113.1", ";;;for=203.0.113.1;;", "for",
        "for=", "=203.0.113.1", "for=unknown", 'for="_hidden"', "for=_a.b-c_d", "for=_",
        'for="unknown:80"', "for=203.0.113.1;proto=\"http\";host=\"a,b\"", 'for="a\\', "\"\"\"\"",
        "for=203.0.113.1,", ",for=203.0.113.1", "for=203.0.113.1 ;proto=http", "for=\t203.0.113.1",
        "for=203.0.113.1\x00", "for=\xc3\xa9", "for=\xff\xfe",
    ]
    seed("fwd-quoting", ALL_TRUSTED_V4, *[(FWD, q) for q in quoting])
    seed("fwd-quoting-one-line", ALL_TRUSTED_V4, (FWD, ", ".join(quoting)))
    seed("xff-garbage", ALL_TRUSTED_V4, *[(XFF, q) for q in ["unknown", "_hidden", "", " ", "\t,\t", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "0x7f.0.0.1", "203.0.113.1 203.0.113.2"]])
    seed("via-and-xri", ALL_TRUSTED_V4 | 0x01, (VIA, "1.1 203.0.113.1"), (XRI, " 203.0.113.7 "), (XRI, "203.0.113.8"))
    for peer in range(8):
        seed(f"peer-{peer}", (peer << 3) | 0x07, (XFF, "203.0.113.1, 10.0.0.3, 2001:db8:ff::9"), (FWD, "for=198.51.100.3"))


# ---------------------------------------------------------------- the rest


def other_seeds():
    events = [
        '{"kind":"login","at":1700000000000,"ip":"203.0.113.7","user":"alice"}',
        '{"kind":"otp_send","channel":"sms","at":1700000000500,"user":"alice","phone":"+447700900123"}',
        '{"kind":"login","at":1700000001000,"ip":"203.0.113.7","user":"alice","outcome":"failed"}',
        '{"kind":"login","at":1700000001000,"ip":"2001:db8::1","user":"ALICE","outcome":"succeeded"}',
    ]
    for i, e in enumerate(events):
        write("event_json", f"doc-{i}", e)
    # Events quoted in the docs.
    for doc in sorted((ROOT / "docs").glob("*.md")):
        for i, line in enumerate(doc.read_text().splitlines()):
            if line.startswith('{"kind"'):
                write("event_json", f"{doc.stem}-{i}", line)

    # Policies: the demo policy and every TOML block of the docs.
    demo = ROOT / "examples/demo-policy.toml"
    if demo.exists():
        write("policy", "demo", demo.read_bytes())
    for doc in sorted((ROOT / "docs").glob("*.md")):
        block, inside = [], False
        for i, line in enumerate(doc.read_text().splitlines()):
            if line.strip() == "```toml":
                block, inside = [], True
            elif inside and line.strip() == "```":
                write("policy", f"{doc.stem}-{i}", "\n".join(block) + "\n")
                inside = False
            elif inside:
                block.append(line)

    fields = [
        "t13d1516h2_8daaf6152771_e5627efa2ab1", "q13d0310h3_55b375c5d22e_cd85d2d88918",
        "e7d705a3286e19ea42f587b344ee6865", "+447700900123", "GB", "AS13335", "13335",
        "user-agent", "c4f1e2a9", "1:65536;4:131072;5:16384|12517377|3:0:0:201|m,p,a,s",
        "5/min", "30/s", "1000/day", "ip", "user", "phone", "ipv6_prefix", "asn", "ja4",
    ]
    for i, f in enumerate(fields):
        write("fields", f"{i}", f)

    write("ip_list", "mixed", "# list\n203.0.113.0/24\n198.51.100.7\n2001:db8::/32\n::ffff:10.0.0.0/104\n0.0.0.0/0 # all\n\n")
    write("ip_list", "ranges", "\n".join(f"10.{i}.0.0/16" for i in range(200)) + "\n")
    write("ip_list", "v6", "\n".join(f"2001:db8:{i:x}::/48" for i in range(200)) + "\n::/0\n")

    write("fingerprint_list", "doc", (
        "# bots seen on 2026-11-20\n"
        "t13d190900_9dc949149365_97f8aa674fd9      # Go net/http\n"
        "ja3:e7d705a3286e19ea42f587b344ee6865\n"
        "http2:1:65536;4:131072;5:16384|12517377|3:0:0:201|m,p,a,s\n"
        "header:c4f1e2a9\n"
        "chromium t13d1516h2_8daaf6152771_e5627efa2ab1\n"
    ))
    write("fingerprint_list", "bom", "\ufeffsafari t13d2014h2_a09f3c656075_14788d8d241b\r\nfirefox ja3:00000000000000000000000000000000\r\n")

    regions = [None, "GB", "US", "DE", "RU", "KZ", "FR", "IT", "AR", "BY", "IR", "ZZ"]
    phones = ["+447700900123", "07700 900123", "(202) 555-0143", "+1 202-555-0143", "8 (701) 123-45-67", "00 33 6 12 34 56 78", "112", "+", "+0", "１２３"]
    for i, p in enumerate(phones):
        write("phone", f"typed-{i}", u8(i % len(regions)) + p.encode())
    examples = jsonl(TESTDATA / "phone/libphonenumber_examples.jsonl")
    for i, rec in enumerate(examples[::40]):
        region = rec.get("region")
        switch = regions.index(region) if region in regions else 0
        number = rec.get("national_example") if switch else rec.get("e164")
        if number:
            write("phone", f"lpn-{i}", u8(switch) + number.encode())

    mmdb = TESTDATA / "mmdb/test-data"
    if mmdb.exists():
        for i, p in enumerate(sorted(mmdb.glob("*.mmdb"))):
            if p.stat().st_size <= 32768:
                write("mmdb", p.stem, u8(0x80 | i) + p.read_bytes())

    for i in range(8):
        write("pwned_filter", f"keys-{i}", u8(i * 0x11) + bytes(RNG.randrange(256) for _ in range(4 + 8 * (1 + i * 20))))


def pow_seeds():
    import base64
    t = "pow_payload"
    # altcha-lib 2.3.1's payload for the salt and number in crates/tollgate/src/pow/tests.rs.
    good = {
        "algorithm": "SHA-256",
        "challenge": "4bcf8444f1bdc21e62222c3b685b80229353a266bfde4d1169fd781d9877fadb",
        "number": 12345,
        "salt": "070707070707070707070707?expires=1700000300&event=login&",
        "signature": "dcdfedaecfb9f9f13994ac1de12924772dab27950d83ecd440a8c2f57461203b",
        "took": 5,
    }
    variants = {
        "altcha": good,
        "no-params": dict(good, salt="0707&"),
        "expires-garbage": dict(good, salt="07?expires=1e99&event=login&expires=&event&"),
        "huge-number": dict(good, number=2**64 - 1),
        "float-number": dict(good, number=1.5),
        "sha1": dict(good, algorithm="SHA-1"),
        "upper-hex": dict(good, signature=good["signature"].upper()),
        "long-salt": dict(good, salt="a" * 1500 + "?expires=1700000300&event=login&"),
    }
    for name, payload in variants.items():
        raw = json.dumps(payload).encode()
        write(t, f"{name}-json", raw)
        b64 = base64.b64encode(raw)
        write(t, f"{name}-b64", b64)
        write(t, f"{name}-b64-unpadded", b64.rstrip(b"="))
    write(t, "empty-object", base64.b64encode(b"{}"))
    write(t, "nested", base64.b64encode(b"[" * 2000 + b"]" * 2000))


if __name__ == "__main__":
    client_hello_seeds()
    h2_seeds()
    ip_seeds()
    other_seeds()
    pow_seeds()
    for d in sorted(OUT.iterdir()):
        files = list(d.glob("seed-*"))
        print(f"{d.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")
