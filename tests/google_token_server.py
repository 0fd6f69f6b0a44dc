"""Google's OAuth token endpoint on loopback, and service-account key files that point at it.

The server checks the service account's signed JWT grant (RS256, against the key's public half)
and answers an access token whose payload names the impersonated user, as the Classroom
emulator reads it. Each token carries a fresh nonce, so a test can look for it afterwards.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SERVICE_ACCOUNT = "littlesis-sync@district-project.iam.gserviceaccount.com"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


def keyfile(key: rsa.RSAPrivateKey, token_uri: str = GOOGLE_TOKEN_URI) -> dict[str, str]:
    """A service-account key file (the JSON a Google admin downloads) for ``key``."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": "district-project", "private_key_id": "k1",
            "private_key": pem, "client_email": SERVICE_ACCOUNT, "client_id": "1234567890", "token_uri": token_uri}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenServer:
    """Records each grant it checked and each access token it gave."""

    def __init__(self, public_key: rsa.RSAPublicKey) -> None:
        self.grants: list[dict[str, Any]] = []
        self.tokens: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                header, payload, signature = form["assertion"][0].split(".")
                public_key.verify(_unb64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(),
                                  hashes.SHA256())
                claims = json.loads(_unb64(payload))
                server.grants.append({"grant_type": form["grant_type"][0], **claims})
                subject = json.dumps({"sub": claims["sub"], "nonce": uuid.uuid4().hex}).encode()
                token = ".".join([_b64(b'{"alg":"none"}'), _b64(subject), "x"])
                server.tokens.append(token)
                body = json.dumps({"access_token": token, "expires_in": 3600, "token_type": "Bearer"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.httpd.server_address[1]}/token"


@contextmanager
def running_token_server(public_key: rsa.RSAPublicKey) -> Iterator[TokenServer]:
    server = TokenServer(public_key)
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
