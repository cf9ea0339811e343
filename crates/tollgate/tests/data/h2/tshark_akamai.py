#!/usr/bin/env python3
"""Akamai HTTP/2 fingerprint of a capture, computed from tshark's own HTTP/2
and HPACK dissection (independent of tollgate's reader).

usage: tshark_akamai.py FILE.pcap [tshark options, e.g. -d tcp.port==8080,http2
       or -o tls.keylog_file:KEYS -Y 'tcp.stream==N']

Reads the client's frames (the side that sent the connection preface) in
order until the first HEADERS frame, and prints
SETTINGS|WINDOW_UPDATE|PRIORITY|pseudo-header order with the conventions of
docs/http2-fingerprint.md: the first SETTINGS frame, the first stream-0
WINDOW_UPDATE or 00, PRIORITY frames as stream:exclusive:dependency:weight
(tshark's weight_real, the wire octet + 1) or 0, pseudo-headers m/a/s/p.
"""
import json
import subprocess
import sys

LETTERS = {":method": "m", ":authority": "a", ":scheme": "s", ":path": "p"}


def as_list(x):
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def frames(pcap, extra):
    out = subprocess.run(
        ["tshark", "-r", pcap, *extra, "-T", "json", "--no-duplicate-keys"],
        check=True, capture_output=True, text=True,
    ).stdout
    client = None
    for pkt in json.loads(out):
        layers = pkt["_source"]["layers"]
        tcp = layers.get("tcp", {})
        flow = (tcp.get("tcp.srcport"), tcp.get("tcp.dstport"))
        for h2 in as_list(layers.get("http2")):
            for stream in as_list(h2.get("http2.stream")):
                if "http2.magic" in stream:
                    client = client or flow
                    continue
                if client is not None and flow == client and "http2.type" in stream:
                    yield stream


def main():
    pcap, extra = sys.argv[1], sys.argv[2:]
    settings, window, priorities, pseudo = None, None, [], None
    for f in frames(pcap, extra):
        kind = f["http2.type"]
        if kind == "4" and settings is None and f.get("http2.flags") == "0x00":
            settings = []
            for s in as_list(f.get("http2.settings")):
                value = [v for k, v in s.items() if k != "http2.settings.id"][0]
                settings.append(f"{s['http2.settings.id']}:{value}")
        elif kind == "8" and f["http2.streamid"] == "0" and window is None:
            window = f["http2.window_update.window_size_increment"]
        elif kind == "2":
            priorities.append(":".join([
                f["http2.streamid"], f["http2.exclusive"], f["http2.stream_dependency"],
                f["http2.headers.weight_real"],
            ]))
        elif kind == "1":
            names = [h["http2.header.name"] for h in as_list(f.get("http2.header"))]
            pseudo = [LETTERS[n] for n in names if n in LETTERS]
            break
    if pseudo is None:
        sys.exit("no HEADERS frame from the client")
    print("|".join([
        ";".join(settings or []), window or "00", ",".join(priorities) or "0", ",".join(pseudo),
    ]))


if __name__ == "__main__":
    main()
