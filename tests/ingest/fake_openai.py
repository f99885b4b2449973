"""A local stand-in for the OpenAI embeddings endpoint (POST /v1/embeddings), for tests."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def fake_vector(text: str) -> list[float]:
    """A deterministic 3-d embedding: [length, number of 'a', 1]."""
    return [float(len(text)), float(text.count("a")), 1.0]


class FakeOpenAI:
    """Answers with ``failures`` (status codes, in order) first, then with embeddings."""

    def __init__(self, failures: list[int] | None = None):
        self.failures = list(failures or [])
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body})
                if fake.failures:
                    status = fake.failures.pop(0)
                    self._send(status, {"error": {"message": f"fake {status}", "type": "x"}})
                    return
                inputs = body["input"]
                data = [{"object": "embedding", "index": i, "embedding": fake_vector(t)}
                        for i, t in enumerate(inputs)]  # fmt: skip
                self._send(200, {"object": "list", "data": data, "model": body["model"],
                                 "usage": {"prompt_tokens": 1, "total_tokens": 1}})  # fmt: skip

            def _send(self, status: int, payload: dict) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @property
    def embedding_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/v1/embeddings"]

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
