"""Password checks run off the HTTP threads: 600 bad logins from 600 source
addresses (127.0.1.0 ... 127.0.3.87, so the per-address limit never
engages) while one client keeps reading with a session token and with a
cached Basic credential. Its GETs stay near their idle latency, because the
KDF runs on a small pool of its own; logins beyond the pool's queue are
answered 503 with Retry-After at once instead of waiting."""
import http.client
import json
import os
import ssl
import statistics
import sys
import threading
import time
from base64 import b64encode
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker  # noqa: E402

c = Checker("login_flood")
LOGINS = 600
CLIENTS = 16


def source(i):
    return "127.0.%d.%d" % (1 + i // 250, 1 + i % 250)


def connect(a, src="127.0.0.1"):
    ctx = ssl.create_default_context(cafile=a.ca)
    return http.client.HTTPSConnection("127.0.0.1", a.port, context=ctx, timeout=60,
                                       source_address=(src, 0))


def bad_login(a, i):
    conn = connect(a, source(i))
    body = json.dumps({"UserName": "nobody%d" % i, "Password": "wrong-password-%d" % i})
    try:
        conn.request("POST", "/redfish/v1/SessionService/Sessions", body,
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        return r.status, r.getheader("Retry-After")
    finally:
        conn.close()


def get_latencies(a, headers, n, stop=None):
    conn = connect(a)
    out = []
    try:
        while len(out) < n and not (stop and stop.is_set()):
            t0 = time.monotonic()
            conn.request("GET", "/redfish/v1/Systems", headers=headers)
            r = conn.getresponse()
            r.read()
            out.append(time.monotonic() - t0)
            if r.status != 200:
                raise RuntimeError("GET answered %d" % r.status)
            time.sleep(0.01)
    finally:
        conn.close()
    return out


def ms(xs, q):
    xs = sorted(xs)
    return 1000 * xs[min(len(xs) - 1, int(q * len(xs)))]


with Agent() as a:
    login = a.curl("POST", "/redfish/v1/SessionService/Sessions",
                   {"UserName": "admin", "Password": ADMIN_PASSWORD}, user=None)
    c.eq(login.status, 201, "admin login")
    token = {"X-Auth-Token": login.header("x-auth-token")}
    basic = {"Authorization": "Basic " + b64encode(("admin:" + ADMIN_PASSWORD).encode()).decode()}
    get_latencies(a, basic, 2)  # the Basic credential is now cached
    idle = get_latencies(a, token, 60) + get_latencies(a, basic, 60)

    stop = threading.Event()
    busy = []

    def reader():
        while not stop.is_set():
            busy.extend(get_latencies(a, token, 20, stop))
            busy.extend(get_latencies(a, basic, 20, stop))

    t = threading.Thread(target=reader)
    t.start()
    t0 = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda i: bad_login(a, i), range(LOGINS)))
    flood_s = time.monotonic() - t0
    stop.set()
    t.join()

    statuses = [s for s, _ in answers]
    n401, n503 = statuses.count(401), statuses.count(503)
    print("logins: %d in %.1f s: %d x 401, %d x 503" % (LOGINS, flood_s, n401, n503))
    print("GET idle:  p50 %.1f ms  p90 %.1f ms  (%d)" % (ms(idle, .5), ms(idle, .9), len(idle)))
    print("GET flood: p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  (%d)"
          % (ms(busy, .5), ms(busy, .9), ms(busy, .99), len(busy)))
    c.eq(n401 + n503, LOGINS, "every bad login is refused (401) or deferred (503)")
    c.check(n401 > 0, "logins were checked")
    c.check(all(ra and int(ra) >= 1 for s, ra in answers if s == 503),
            "every 503 carries Retry-After")
    c.check(len(busy) >= 50, "the reader kept reading during the flood")
    # Near idle: the KDF never runs on an HTTP thread. Before, GETs waited
    # behind the KDF work queued on their thread: median 2 s, p90 4.9 s on
    # this 2-core machine. What remains is the CPU the flood's handshakes
    # take on a loaded machine: tens of milliseconds, never a KDF queue.
    c.check(ms(busy, .5) <= max(3 * ms(idle, .5), ms(idle, .5) + 50),
            "median GET latency under the flood stays near idle")
    c.check(ms(busy, .9) <= ms(idle, .9) + 250, "p90 GET latency under the flood stays near idle")
    # The agent still answers logins after the flood.
    c.eq(a.curl("POST", "/redfish/v1/SessionService/Sessions",
                {"UserName": "admin", "Password": ADMIN_PASSWORD}, user=None).status, 201,
         "admin login after the flood")
c.finish()
