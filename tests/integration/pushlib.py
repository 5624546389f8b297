"""An HTTPS event destination for push subscription tests: a Python
http.server on 127.0.0.1 with a certificate from a test CA, collecting each
POSTed Event in a queue."""
import http.server
import json
import os
import queue
import ssl
import threading
import time

# Longest a client may take over its TLS handshake or its request.
CONNECTION_S = 10


class Listener:
    """Events POSTed to https://127.0.0.1:<port>/..., as (path, content
    type, body, headers) in arrival order. port 0 takes a free one, bound
    at once (a port looked up first could be taken before it is bound).

    The listening socket is plain: each connection's TLS handshake runs on
    that connection's own thread, bounded by CONNECTION_S. Wrapped as a
    whole, the listening socket would shake hands inside accept(), on the
    one serving thread, and a slow or silent client would hold up every
    connection after it, which then looks like a late delivery."""

    def __init__(self, agent, port=0, certs=None):
        certs = certs or agent.certs
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(certs, "server.crt"), os.path.join(certs, "server.key"))
        self.events = queue.Queue()
        self.arrivals = []  # time.time() of each Event queued
        self.refused = []  # (time.time(), reason) of each failed handshake
        got = self.events
        arrivals = self.arrivals
        refused = self.refused

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                arrivals.append(time.time())
                got.put((self.path, self.headers.get("Content-Type"), json.loads(body),
                         self.headers))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 64

            def finish_request(self, request, client_address):
                # On the connection's thread (ThreadingMixIn); the server
                # closes the plain socket, this closes the TLS one.
                request.settimeout(CONNECTION_S)
                try:
                    tls = ctx.wrap_socket(request, server_side=True)
                except OSError as e:
                    refused.append((time.time(), str(e)))
                    return
                try:
                    self.RequestHandlerClass(tls, client_address, self)
                finally:
                    tls.close()

        self.httpd = Server(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def next(self, timeout):
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
