#!/usr/bin/env python3
"""Record the ClientHello a TLS client sends, byte for byte.

Listens on 127.0.0.1:PORT, accepts COUNT connections, reads each one's TLS
records up to the end of the ClientHello (from the record and handshake
headers), writes them to PREFIX-<n>.bin and closes the connection: no
certificate, no handshake is completed, so clients need no trust setup.

    python3 capture.py PORT PREFIX COUNT
"""

import socket
import struct
import sys


def read_hello(conn):
    buf = b""
    while True:
        data = conn.recv(65536)
        if not data:
            return buf
        buf += data
        off, handshake = 0, b""
        while off + 5 <= len(buf):
            length = struct.unpack(">H", buf[off + 3:off + 5])[0]
            if off + 5 + length > len(buf):
                break
            handshake += buf[off + 5:off + 5 + length]
            off += 5 + length
        if len(handshake) >= 4 and len(handshake) >= 4 + int.from_bytes(handshake[1:4], "big"):
            return buf[:off]


def main():
    port, prefix, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(8)
    server.settimeout(60)
    for i in range(count):
        conn, _ = server.accept()
        conn.settimeout(10)
        records = read_hello(conn)
        with open(f"{prefix}-{i}.bin", "wb") as out:
            out.write(records)
        print(prefix, i, len(records), flush=True)
        conn.close()


if __name__ == "__main__":
    main()
