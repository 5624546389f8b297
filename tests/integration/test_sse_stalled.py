"""An event stream whose reader never reads (its socket buffers fill) beside
one that reads: a burst of events reaches the reading stream whole and on
time, publishers and other requests are answered at once, the stalled
stream's queue overflows into counted drops (event_drops_total) instead of
memory, and the stalled connection ends (the idle timeout) giving its slot
back."""
import base64
import http.client
import json
import os
import re
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker, wait_for  # noqa: E402
from sselib import Stream  # noqa: E402

TEST_EVENT = "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent"
AUTH = {"Authorization": "Basic " + base64.b64encode(("admin:" + ADMIN_PASSWORD).encode()).decode()}
EVENTS = 1500
# Small enough that the stalled stream overflows well within the burst,
# large enough that the reading stream (a thread of this process, sharing
# the interpreter with the publisher) can fall that far behind on a loaded
# machine without a drop.
QUEUE = 512
# The stalled connection is ended this long after its writes stopped: long
# enough for QUEUE more events to be published first (about 90 a second
# in the sanitizer build on a slow machine, where 5 s ended the stream
# before its queue could overflow).
STALL_TIMEOUT_S = 15


def metric(a, name):
    m = re.search(r"^%s (\S+)$" % re.escape(name), a.curl("GET", "/metrics").body, re.M)
    return float(m.group(1)) if m else None


def stalled_stream(a):
    """An SSE request on a socket that is never read: a small receive
    buffer, so the agent's writes stop at once."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", a.port))
    s = ssl.create_default_context(cafile=a.ca).wrap_socket(raw, server_hostname="localhost")
    s.sendall(("GET /redfish/v1/EventService/SSE HTTP/1.1\r\nHost: localhost\r\n"
               "Authorization: %s\r\n\r\n" % AUTH["Authorization"]).encode())
    return s


def main():
    c = Checker("sse_stalled")
    with Agent(config={"event_queue_len": QUEUE, "event_replay_size": 16,
                       "connection_timeout_s": STALL_TIMEOUT_S, "sse_keepalive_s": 1}) as a:
        stalled = stalled_stream(a)
        reader = Stream(a, "RegistryPrefix eq 'CxlAgent'")
        c.eq(reader.status, 200, "the reading stream opens")
        # The stalled request is never answered where the test can see it:
        # it has opened once the agent counts it.
        wait_for(lambda: metric(a, "cxl_agent_sse_clients") == 2, 10, 0.1)
        c.eq(metric(a, "cxl_agent_sse_clients"), 2, "two streams open")
        rss_before = a.rss_kib()
        drops_before = metric(a, "cxl_agent_event_drops_total")

        conn = http.client.HTTPSConnection("127.0.0.1", a.port, timeout=30,
                                           context=ssl.create_default_context(cafile=a.ca))
        filler = "x" * 4000
        slowest = 0
        start = time.monotonic()
        for i in range(EVENTS):
            t = time.monotonic()
            conn.request("POST", TEST_EVENT, body=json.dumps(
                {"MessageId": "CxlAgent.1.0.DeviceEventRecord", "Message": "%d %s" % (i, filler)}),
                headers=dict(AUTH, **{"Content-Type": "application/json"}))
            r = conn.getresponse()
            r.read()
            slowest = max(slowest, time.monotonic() - t)
            if r.status != 204:
                c.check(False, "SubmitTestEvent %d: %d" % (i, r.status))
                break
        conn.close()
        print("%d events published in %.2f s, slowest %.3f s" %
              (EVENTS, time.monotonic() - start, slowest))
        c.check(slowest < 2, "publishing never waits for the stalled stream (%.3f s)" % slowest)
        t = time.monotonic()
        c.eq(a.curl("GET", "/redfish/v1/").status, 200, "other requests are answered")
        c.check(time.monotonic() - t < 2, "at once")

        got = []
        while len(got) < EVENTS:
            ev = reader.next(10)
            if not ev:
                break
            got.append(int(ev[2]["Events"][0]["Message"].split()[0]))
        c.eq(got, list(range(EVENTS)), "the reading stream gets every event, in order")
        drops = metric(a, "cxl_agent_event_drops_total") - drops_before
        c.check(drops > 0, "the stalled stream's overflow is counted (%d dropped)" % drops)
        rss_after = a.rss_kib()
        # The sanitizer's allocator keeps freed memory in quarantine: sizes
        # are checked in the plain build only.
        c.check(rss_after - rss_before < 32 * 1024 or a.sanitized(),
                "memory stays bounded (%d -> %d KiB)" % (rss_before, rss_after))
        print("drops %d, rss %d -> %d KiB" % (drops, rss_before, rss_after))

        # The stalled connection ends once nothing could be written to it
        # for the idle timeout, and its slot is given back.
        deadline = time.time() + STALL_TIMEOUT_S + 15
        while metric(a, "cxl_agent_sse_clients") != 1 and time.time() < deadline:
            time.sleep(0.5)
        c.eq(metric(a, "cxl_agent_sse_clients"), 1, "the stalled stream's slot is given back")
        reader.close()
        stalled.close()
    c.finish()


if __name__ == "__main__":
    main()
