"""A real HTTP server on 127.0.0.1 for audio-URL tests: files, redirects, a loop, an endless body; and callbacks."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class AudioServer:
    def __init__(self, files: dict[str, Path]):
        self.files = files
        self.hosts: list[str] = []  # the Host header of every request, in order
        self.posts: list[tuple[str, bytes]] = []  # (path, body) of every POST (callbacks)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                outer.hosts.append(self.headers.get("Host", ""))
                path = self.path.split("?")[0]
                if path in outer.files:
                    data = outer.files[path].read_bytes()
                    self.send_response(200)
                    self.send_header("Content-Type", "audio/wav")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                elif path == "/loop":
                    self._redirect("/loop")
                elif path.startswith("/redirect/"):  # /redirect/<absolute url without scheme>
                    self._redirect("http://" + path[len("/redirect/"):])
                elif path == "/endless":
                    self.send_response(200)
                    self.send_header("Content-Type", "audio/wav")
                    self.end_headers()
                    chunk = b"\0" * 65536
                    try:
                        for _ in range(100_000):  # bounded: 6.5 GB at most, the client stops far sooner
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                elif path == "/missing":
                    self.send_error(404)
                else:
                    self.send_error(404)

            def do_POST(self):
                """Callbacks: /hook answers 204; /flaky-hook answers 500 to its first POST, then 204."""
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                path = self.path.split("?")[0]
                outer.posts.append((path, body))
                first = sum(p == path for p, _ in outer.posts) == 1
                self.send_response(500 if path == "/flaky-hook" and first else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _redirect(self, location: str):
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> AudioServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
