"""`ssh-add -l` for an image without openssh-client: the SHA256 fingerprint of each key the
agent at $SSH_AUTH_SOCK holds, one a line (the agent protocol's REQUEST_IDENTITIES, 11, answered
by IDENTITIES_ANSWER, 12: a count, then each key's blob and comment as length-prefixed strings)."""

import base64
import hashlib
import os
import socket
import struct


def recv_exactly(conn, size):
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise SystemExit("agent closed the connection")
        data += chunk
    return data


def string(body, offset):
    (size,) = struct.unpack(">I", body[offset:offset + 4])
    return body[offset + 4:offset + 4 + size], offset + 4 + size


conn = socket.socket(socket.AF_UNIX)
conn.connect(os.environ["SSH_AUTH_SOCK"])
conn.sendall(struct.pack(">IB", 1, 11))
(size,) = struct.unpack(">I", recv_exactly(conn, 4))
body = recv_exactly(conn, size)
if body[0] != 12:
    raise SystemExit(f"agent answered message {body[0]}")
(count,) = struct.unpack(">I", body[1:5])
offset = 5
for _ in range(count):
    blob, offset = string(body, offset)
    _comment, offset = string(body, offset)
    print("SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("="))
