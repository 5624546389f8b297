"""A server-sent event client for the tests: one raw TLS connection to
the agent's SSE URI, read on its own thread.

Closing a stream that another thread is reading needs care. A socket
closed while its reader is blocked in recv() keeps the connection open
(the blocked call holds the file), and the reader's TLS object goes on
reading by descriptor number; once the number is reused by the next
connection this process opens, that reader takes bytes from it and the
new handshake fails (WRONG_VERSION_NUMBER). So close() shuts the socket
down, which ends the blocked read, waits for the reader, and only then
releases the descriptor."""
import base64
import json
import queue
import socket
import ssl
import threading
import time
import urllib.parse

from agentlib import ADMIN_PASSWORD

SSE = "/redfish/v1/EventService/SSE"


class Stream:
    """An SSE client: events go to a queue as (arrival time, id, parsed
    data); end of stream puts None and sets ended."""

    def __init__(self, agent, filt=None, user=("admin", ADMIN_PASSWORD), token=None,
                 last_id=None, ctx=None):
        path = SSE
        if filt is not None:
            path += "?" + urllib.parse.urlencode({"$filter": filt}, quote_via=urllib.parse.quote)
        ctx = ctx or ssl.create_default_context(cafile=agent.ca)
        # Generous: the sanitizer build on a loaded machine is slow to answer.
        raw = socket.create_connection(("127.0.0.1", agent.port), timeout=30)
        # As curl and http.client do: else the request waits behind the
        # handshake's last flight for its delayed ACK (40 ms).
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.thread = None
        self.closed = False
        req = "GET %s HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n" % path
        if token:
            req += "X-Auth-Token: %s\r\n" % token
        elif user:
            req += "Authorization: Basic %s\r\n" % base64.b64encode(
                ("%s:%s" % user).encode()).decode()
        if last_id is not None:
            req += "Last-Event-ID: %s\r\n" % last_id
        self.sock.sendall((req + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, v in
                        (line.split(":", 1) for line in lines[1:] if ":" in line)}
        self.events = queue.Queue()
        self.ended = threading.Event()
        if self.status == 200:
            self.sock.settimeout(None)
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        else:
            want = int(self.headers.get("content-length", "0"))
            while len(self.buf) < want:
                chunk = self.sock.recv(4096)
                if not chunk:
                    break
                self.buf += chunk
            self.body = self.buf

    def _chunks(self):
        """Undo chunked transfer coding, yielding payload bytes."""
        data = self.buf
        chunked = self.headers.get("transfer-encoding", "") == "chunked"
        while True:
            if not chunked:
                if data:
                    yield data
                data = self.sock.recv(65536)
                if not data:
                    return
                continue
            while b"\r\n" not in data:
                more = self.sock.recv(65536)
                if not more:
                    return
                data += more
            size_line, _, data = data.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                return
            while len(data) < size + 2:
                more = self.sock.recv(65536)
                if not more:
                    return
                data += more
            yield data[:size]
            data = data[size + 2:]

    def _run(self):
        text = ""
        try:
            for chunk in self._chunks():
                text += chunk.decode()
                while "\n\n" in text:
                    block, text = text.split("\n\n", 1)
                    ev_id, data = None, []
                    for line in block.split("\n"):
                        if line.startswith("id: "):
                            ev_id = line[4:]
                        elif line.startswith("data: "):
                            data.append(line[6:])
                    if data:
                        self.events.put((time.time(), ev_id, json.loads("\n".join(data))))
        except (OSError, ValueError):
            pass
        self.ended.set()
        self.events.put(None)

    def next(self, timeout):
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return False

    def close(self, reset=False):
        """Go away as a client does: with a FIN, or with reset=True an RST.
        Returns once no thread reads the socket any more."""
        if self.closed:
            return
        self.closed = True
        try:
            if reset:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if self.thread:
            self.thread.join(10)
            if self.thread.is_alive():
                raise RuntimeError("SSE reader did not end after shutdown")
        try:
            self.sock.close()
        except OSError:
            pass


def open_stream(agent, *args, **kw):
    """A stream, waiting while closed ones still count against the limit
    (a closed client is noticed at the next keepalive write)."""
    deadline = time.time() + 8
    st = Stream(agent, *args, **kw)
    while st.status == 503 and time.time() < deadline:
        st.close()
        time.sleep(0.3)
        st = Stream(agent, *args, **kw)
    return st
