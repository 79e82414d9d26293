"""A plain HTTP client for one lane: one kept-open HTTP/1.1 connection (Python's http.client), a POST per batch;
an answer that is not 2xx raises with the store's body, so conflicts in it are tried again (race.py)."""

import http.client
from urllib.parse import urlsplit


class HttpLane:
    def __init__(self, url):
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise SystemExit(f"--url {url!r} is not allowed: give the server's http://host:port")
        self.base = parts.path.rstrip("/")
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=300)

    def post(self, path, content_type, body):
        """POSTs `body` to the server's `path`; returns the answer's text."""
        self.connection.request("POST", self.base + path, body=body.encode("utf-8"), headers={"Content-Type": content_type})
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        if not 200 <= response.status < 300:
            raise RuntimeError(f"{response.status}: {text[:2000]}")
        return text

    def close(self):
        self.connection.close()
