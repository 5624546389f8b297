"""Event streams opened and ended in every way while new TLS connections
keep arriving: clients that leave with a FIN, with an RST, and streams the
agent ends itself (session deleted), all while events are being written
to them. Every new handshake must succeed and every request must be
answered; every stream slot is given back; the agent exits cleanly (in
the sanitizer build, with no report)."""
import http.client
import json
import os
import re
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker, scratch_dir, write_emulated_profile  # noqa: E402
from sselib import Stream  # noqa: E402

ROUNDS = 5
PER_ROUND = 12      # streams opened and ended per round
CONNECTORS = 2      # threads making fresh TLS connections throughout
MAX_STREAMS = 48
TEST_EVENT = "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent"
AUTH = {"Authorization": "Basic " + __import__("base64").b64encode(
    ("admin:%s" % ADMIN_PASSWORD).encode()).decode()}


def fresh_request(agent, ctx):
    """One request on a new TLS connection: None when it completed its
    handshake and got 200 for the service root, else what went wrong. The
    timeout is generous: on a loaded machine the sanitizer build can take
    seconds for a handshake; a failure must be a refusal, not slowness."""
    req = b"GET /redfish/v1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", agent.port), timeout=30) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(req)
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
    except (OSError, ValueError) as e:
        return repr(e)
    return None if data.startswith(b"HTTP/1.1 200 ") else "answer %r" % data[:40]


class Connector(threading.Thread):
    """Opens a new TLS connection per request until stopped."""

    def __init__(self, agent, stop):
        super().__init__(daemon=True)
        self.agent, self.stop = agent, stop
        self.ok = 0
        self.failures = []

    def run(self):
        ctx = ssl.create_default_context(cafile=self.agent.ca)
        while not self.stop.is_set():
            err = fresh_request(self.agent, ctx)
            if err:
                self.failures.append(err)
            else:
                self.ok += 1


def end_stream(agent, ctx, stream, how, results):
    """End one stream as a client does (FIN or RST) or as the agent does
    (its session deleted), then at once make a new connection, as a client
    that reconnects would: it may get the descriptor number just freed."""
    try:
        if how == "session":
            r = agent.curl("DELETE", stream.session)
            results.append(None if r.status == 204 else "session DELETE %d" % r.status)
            results.append(None if stream.ended.wait(5) else "stream of a deleted session open")
        stream.close(reset=(how == "rst"))
    except (OSError, ValueError, RuntimeError) as e:
        results.append("ending a stream: %r" % e)
    results.append(fresh_request(agent, ctx))


def publisher(agent, stop, counts):
    """Keeps events flowing so that streams are being written when they end.
    A slow answer (a loaded machine) reconnects rather than ends the flow."""
    ctx = ssl.create_default_context(cafile=agent.ca)
    conn = None
    n = 0
    while not stop.is_set():
        body = json.dumps({"MessageId": "ResourceEvent.1.4.ResourceChanged",
                           "Message": "churn %d" % n})
        try:
            if conn is None:
                conn = http.client.HTTPSConnection("127.0.0.1", agent.port, context=ctx,
                                                   timeout=60)
            conn.request("POST", TEST_EVENT, body=body,
                         headers=dict(AUTH, **{"Content-Type": "application/json"}))
            r = conn.getresponse()
            r.read()
            counts.append(r.status)
        except (OSError, http.client.HTTPException) as e:
            counts.append(repr(e))
            conn = None
        n += 1
        time.sleep(0.05)
    if conn:
        conn.close()


def sse_clients(a):
    r = a.curl("GET", "/metrics")
    m = re.search(r"^cxl_agent_sse_clients (\d+)$", r.body, re.M)
    return int(m.group(1)) if m else -1


def login(a):
    r = a.curl("POST", "/redfish/v1/SessionService/Sessions", user=None,
               body={"UserName": "admin", "Password": ADMIN_PASSWORD})
    return r.header("x-auth-token"), r.header("location")


def main():
    c = Checker("sse_churn")
    prof = write_emulated_profile(scratch_dir("cxla-churn-"))
    cfg = {"emulated_profile": prof["profile"], "sse_max_streams": MAX_STREAMS,
           "sse_keepalive_s": 1}
    with Agent(config=cfg) as a:
        stop = threading.Event()
        connectors = [Connector(a, stop) for _ in range(CONNECTORS)]
        statuses = []
        pub = threading.Thread(target=publisher, args=(a, stop, statuses), daemon=True)
        for t in connectors + [pub]:
            t.start()
        ctx = ssl.create_default_context(cafile=a.ca)
        opened = 0
        results = []
        for rnd in range(ROUNDS):
            sessions = [login(a) for _ in range(PER_ROUND // 3)]
            streams = []
            for tok, loc in sessions:
                streams.append(Stream(a, ctx=ctx, token=tok))
                streams[-1].session = loc
            streams += [Stream(a, ctx=ctx) for _ in range(PER_ROUND - len(sessions))]
            good = [s for s in streams if s.status == 200]
            c.eq(len(good), len(streams), "round %d: every stream opens" % rnd)
            opened += len(good)
            # Let events reach them, then end them all at once, three ways.
            got = sum(1 for s in good if s.next(20))
            c.eq(got, len(good), "round %d: every stream gets events" % rnd)
            closers = []
            for i, st in enumerate(streams):
                how = "session" if i < len(sessions) else ("rst" if i % 2 else "fin")
                closers.append(threading.Thread(target=end_stream,
                                                args=(a, ctx, st, how, results)))
            for t in closers:
                t.start()
            for t in closers:
                t.join(30)
        time.sleep(0.5)
        stop.set()
        for t in connectors + [pub]:
            t.join(30)
        ok = sum(t.ok for t in connectors)
        failures = [f for t in connectors for f in t.failures]
        c.check(ok >= 20, "fresh connections made while streams churned (%d)" % ok)
        c.eq(failures[:5], [], "every new TLS connection completes its handshake and is answered")
        c.eq(len(results), ROUNDS * (PER_ROUND + 2 * (PER_ROUND // 3)), "every stream ended")
        c.eq([r for r in results if r][:5], [],
             "every stream ends and the new connection after it is answered")
        c.check(statuses and all(s == 204 for s in statuses),
                "events submitted throughout (%d, not 204: %r)"
                % (len(statuses), [s for s in statuses if s != 204][:3]))
        # Streams whose client left are noticed at the next keepalive write.
        deadline = time.time() + 10
        while sse_clients(a) != 0 and time.time() < deadline:
            time.sleep(0.3)
        c.eq(sse_clients(a), 0, "every stream slot is given back")
        full = [Stream(a, ctx=ctx) for _ in range(MAX_STREAMS)]
        c.eq(sum(1 for s in full if s.status == 200), MAX_STREAMS,
             "the whole stream limit opens again")
        for s in full:
            s.close()
        print("streams opened %d, fresh connections %d, events submitted %d" %
              (opened, ok, len(statuses)))
    c.finish()


if __name__ == "__main__":
    main()
