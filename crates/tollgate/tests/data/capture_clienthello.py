#!/usr/bin/env python3
"""Capture real ClientHellos on this machine and record expected fingerprints
obtained without tollgate's code.

Each client connects to a TCP listener of ours on 127.0.0.1, which reads the
TLS records up to the end of the ClientHello (from the record and handshake
headers), stores them as hex, and closes the connection: no server
certificate, no handshake is ever completed.

Expected values, independent of tollgate:
  * ja3, ja3_full: Wireshark's tshark (`tls.handshake.ja3`, `ja3_full`) on a
    pcap that text2pcap builds from the captured bytes (TCP port 443).
  * ja4, ja4_r: the `ja4plus` package from PyPI (`generate_ja4`,
    `get_raw_fingerprint`) fed the same bytes.
  * sni, alpn: tshark (`tls.handshake.extensions_server_name`,
    `tls.handshake.extensions_alpn_str`).

Run with a Python that has `ja4plus` installed and tshark/text2pcap on PATH:
    python3 -m venv /tmp/v && /tmp/v/bin/pip install ja4plus
    /tmp/v/bin/python capture_clienthello.py > clienthellos_local.jsonl
Clients: curl, openssl s_client, python's ssl module, chromium (headless).
"""

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
from importlib.metadata import version

from ja4plus.fingerprinters.ja4 import generate_ja4, get_raw_fingerprint
from ja4plus.utils.tls_utils import parse_tls_handshake


def read_client_hello(conn):
    """The records carrying the first handshake message, as sent."""
    data = b""
    conn.settimeout(20)
    while True:
        handshake = b""
        pos = 0
        while pos + 5 <= len(data):
            length = int.from_bytes(data[pos + 3 : pos + 5], "big")
            handshake += data[pos + 5 : pos + 5 + length]
            end = pos + 5 + length
            if len(handshake) >= 4:
                need = 4 + int.from_bytes(handshake[1:4], "big")
                if len(handshake) >= need and end <= len(data):
                    return data[:end]
            pos = end
        chunk = conn.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed before the ClientHello ended")
        data += chunk


def capture(name, argv_for_port, python_client=None):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    client = None
    if python_client:
        thread = threading.Thread(target=python_client, args=(port,), daemon=True)
        thread.start()
    else:
        client = subprocess.Popen(
            argv_for_port(port),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        conn, _ = listener.accept()
        with conn:
            records = read_client_hello(conn)
    finally:
        listener.close()
        if client:
            # Chromium forks helpers: end the client's whole process group.
            os.killpg(client.pid, 9)
            client.wait()
    return records


def tshark_fields(records):
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "hello.txt")
        pcap = os.path.join(tmp, "hello.pcap")
        with open(dump, "w") as f:
            for off in range(0, len(records), 16):
                chunk = records[off : off + 16]
                f.write(f"{off:06x} " + " ".join(f"{b:02x}" for b in chunk) + "\n")
        subprocess.run(["text2pcap", "-q", "-T", "50000,443", dump, pcap], check=True)
        fields = ["tls.handshake.ja3", "tls.handshake.ja3_full", "tls.handshake.extensions_server_name",
                  "tls.handshake.extensions_alpn_str"]
        cmd = ["tshark", "-r", pcap, "-Y", "tls.handshake.type == 1", "-T", "fields", "-E", "separator=\t",
               "-E", "aggregator=,"]
        for field in fields:
            cmd += ["-e", field]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().split("\t")
    ja3, ja3_full, sni, alpn = (out + [""] * 4)[:4]
    return ja3, ja3_full, sni or None, [a for a in alpn.split(",") if a]


def python_ssl_client(alpn):
    def run(port):
        ctx = ssl.create_default_context()
        if alpn:
            ctx.set_alpn_protocols(alpn)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                with ctx.wrap_socket(sock, server_hostname="localhost"):
                    pass
        except OSError:
            pass

    return run


def first_line(argv):
    return subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[0]


def main():
    chromium_dir = tempfile.mkdtemp()
    curl = first_line(["curl", "--version"]).split(" (")[0]
    openssl = first_line(["openssl", "version"])
    chromium = first_line(["chromium", "--version"]).split(" built")[0]
    clients = [
        ("curl TLS 1.3, SNI localhost", curl, "curl -sk --tlsv1.3 https://localhost:PORT/",
         lambda p: ["curl", "-sk", "--tlsv1.3", "--max-time", "10", f"https://localhost:{p}/"], None),
        ("curl TLS 1.2 only, to an IP address (no SNI)", curl, "curl -sk --tlsv1.2 --tls-max 1.2 https://127.0.0.1:PORT/",
         lambda p: ["curl", "-sk", "--tlsv1.2", "--tls-max", "1.2", "--max-time", "10", f"https://127.0.0.1:{p}/"], None),
        ("openssl s_client, SNI and ALPN h2,http/1.1", openssl,
         "openssl s_client -connect 127.0.0.1:PORT -servername example.test -alpn h2,http/1.1",
         lambda p: ["openssl", "s_client", "-connect", f"127.0.0.1:{p}", "-servername", "example.test", "-alpn",
                    "h2,http/1.1"], None),
        ("openssl s_client TLS 1.2, no SNI", openssl, "openssl s_client -connect 127.0.0.1:PORT -tls1_2 -noservername",
         lambda p: ["openssl", "s_client", "-connect", f"127.0.0.1:{p}", "-tls1_2", "-noservername"], None),
        ("python ssl default context", f"Python {sys.version.split()[0]}, {ssl.OPENSSL_VERSION}",
         "ssl.create_default_context().wrap_socket(sock, server_hostname='localhost')", None, python_ssl_client(None)),
        ("python ssl with ALPN http/1.1", f"Python {sys.version.split()[0]}, {ssl.OPENSSL_VERSION}",
         "ctx.set_alpn_protocols(['http/1.1']); ctx.wrap_socket(sock, server_hostname='localhost')", None,
         python_ssl_client(["http/1.1"])),
        ("chromium headless", chromium, "chromium --headless --no-sandbox https://localhost:PORT/",
         lambda p: ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={chromium_dir}",
                    "--no-first-run", f"https://localhost:{p}/"], None),
    ]
    try:
        for name, client_version, command, argv, python_client in clients:
            records = capture(name, argv, python_client)
            info = parse_tls_handshake(records)
            ja3, ja3_full, sni, alpn = tshark_fields(records)
            print(json.dumps({
                "client": name,
                "client_version": client_version,
                "command": command,
                "transport": "tcp",
                "records_hex": records.hex(),
                "sni": sni,
                "alpn": alpn,
                "ja4": generate_ja4(info),
                "ja4_r": get_raw_fingerprint(info),
                "ja3": ja3,
                "ja3_full": ja3_full,
                "expected_from": f"ja4, ja4_r: ja4plus {version('ja4plus')} (PyPI); ja3, ja3_full, sni, alpn: "
                                 f"{first_line(['tshark', '--version'])} on a text2pcap wrap of records_hex",
            }))
    finally:
        shutil.rmtree(chromium_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
