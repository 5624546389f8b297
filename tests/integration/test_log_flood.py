"""Anyone who reaches the port can make the agent log: a request with an
unknown session token, or a Basic credential refused by the failed-login
rate limit, each used to be one line. Under journald a flood of them costs
CPU and disk and trips its per-unit rate limit, which then drops the agent's
own errors too. Here 5,000 of each over keep-alive connections leave a few
lines per window and source: the first ones, then a summary with the count
of the rest, whose counts add up to the requests sent; a successful login in
the middle of the flood is still logged. Smaller floods of an unsupported
scheme, of a malformed Basic credential and of requests without the client
certificate the agent requires are counted the same way."""
import http.client
import json
import os
import re
import ssl
import sys
import threading
import time
from base64 import b64encode

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker, wait_for  # noqa: E402

c = Checker("log_flood")
FLOOD = 5000
CONNECTIONS = 2
BURST = 3
WINDOW_S = 2
TOKEN_KIND = "authentication failed (Session)"
LIMITED_KIND = "authentication refused (rate limited)"
SUMMARY = re.compile(r"^<\d>(.+?): (\d+) more like this(?: from (\S+))? in the last (\d+) s$")


def connect(a):
    ctx = ssl.create_default_context(cafile=a.ca)
    return http.client.HTTPSConnection("127.0.0.1", a.port, context=ctx, timeout=60)


def flood(a, n, headers, want_status, errors):
    conn = connect(a)
    try:
        for _ in range(n):
            conn.request("GET", "/redfish/v1/Systems", headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status != want_status:
                errors.append(r.status)
                return
    finally:
        conn.close()


def run_flood(a, headers, want_status, middle=None, total=FLOOD):
    errors = []
    per = total // CONNECTIONS
    threads = [threading.Thread(target=flood, args=(a, per, headers, want_status, errors))
               for _ in range(CONNECTIONS)]
    for t in threads:
        t.start()
    if middle:
        time.sleep(0.5)
        middle()
    for t in threads:
        t.join()
    c.eq(errors, [], "every request of the flood answered %d" % want_status)


def lines_of(text, kind, first):
    """The lines written one by one and the summaries' counts, of one kind."""
    single = [l for l in text.splitlines() if l.startswith(first)]
    counts = []
    for l in text.splitlines():
        m = SUMMARY.match(l)
        if m and m.group(1) == kind:
            counts.append(int(m.group(2)))
            c.eq(m.group(3), "127.0.0.1", "the summary names the source: %r" % l)
    return single, counts


def settled(a, mark, kind, first, total):
    """Waits until the lines and summaries of kind account for the flood."""
    def done():
        single, counts = lines_of(a.logtext()[mark:], kind, first)
        return len(single) + sum(counts) >= total
    wait_for(done, WINDOW_S * 3 + 5)
    return lines_of(a.logtext()[mark:], kind, first)


def login(a):
    conn = connect(a)
    try:
        body = '{"UserName": "admin", "Password": "%s"}' % ADMIN_PASSWORD
        conn.request("POST", "/redfish/v1/SessionService/Sessions", body,
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        c.eq(r.status, 201, "a login in the middle of the flood")
    finally:
        conn.close()


def line_bound(started):
    """Lines a flood may write since started: each window, the burst and
    one summary; a few more (a login, the rate limit's start). The flood
    itself is thousands."""
    windows = int((time.monotonic() - started) // WINDOW_S) + 2
    return (BURST + 1) * windows + 6


def check_flood(a, mark, kind, first, started, total=FLOOD):
    single, counts = settled(a, mark, kind, first, total)
    elapsed = time.monotonic() - started
    windows = int(elapsed // WINDOW_S) + 2
    c.check(1 <= len(single) <= BURST * windows,
            "%d lines of %r written one by one over %.1f s" % (len(single), kind, elapsed))
    c.check(len(counts) >= 1, "a summary of %r with a count" % kind)
    c.eq(len(single) + sum(counts), total, "the lines and the summaries' counts of %r" % kind)


config = {"log_level": "info", "log_burst": BURST, "log_window_s": WINDOW_S,
          "auth_failures_per_minute": 3}
with Agent(config=config) as a:
    # Unknown session tokens, with a successful login in the middle.
    mark = len(a.logtext())
    started = time.monotonic()
    run_flood(a, {"X-Auth-Token": "0123456789abcdef0123456789abcdef"}, 401,
              middle=lambda: login(a))
    check_flood(a, mark, TOKEN_KIND, "<6>authentication failed from 127.0.0.1 (Session)",
                started)
    text = a.logtext()[mark:]
    c.check(re.search(r"session \S+ created for \"admin\" from 127\.0\.0\.1", text),
            "the login in the middle of the flood is logged")
    c.check(len(text.splitlines()) <= line_bound(started),
            "%d lines for %d bad tokens:\n%s" % (len(text.splitlines()), FLOOD, text))

    # A bad Basic credential: after three failures the failed-login rate
    # limit answers 429 at once; then a flood of those.
    mark = len(a.logtext())
    bad = {"Authorization": "Basic " + b64encode(b"mallory:wrong").decode()}
    for _ in range(3):
        r = a.curl("GET", "/redfish/v1/Systems", user=("mallory", "wrong"))
        c.eq(r.status, 401, "a bad password before the rate limit")
    c.check('<4>authentication: 3 failed password attempts for "(not an account)" from 127.0.0.1'
            in a.logtext()[mark:],
            "the rate limit's start is logged")
    started = time.monotonic()
    run_flood(a, bad, 429)
    check_flood(a, mark, LIMITED_KIND, 
                '<4>authentication refused: user "(not an account)" from 127.0.0.1', started)
    text = a.logtext()[mark:]
    c.check(len(text.splitlines()) <= line_bound(started),
            "%d lines for %d rate-limited logins:\n%s" % (len(text.splitlines()), FLOOD, text))

    # Smaller floods of the other kinds a client without a credential can
    # cause: an unsupported scheme and a Basic credential that does not
    # decode.
    for kind, header, first in (
            ("authentication failed (unsupported scheme)", "Bearer abc",
             "<6>authentication failed from 127.0.0.1: unsupported Authorization scheme"),
            ("authentication failed (malformed Basic)", "Basic !!!",
             "<6>authentication failed from 127.0.0.1 (Basic): malformed credentials")):
        mark = len(a.logtext())
        started = time.monotonic()
        run_flood(a, {"Authorization": header}, 401, total=500)
        check_flood(a, mark, kind, first, started, total=500)

# Client certificates required: requests without one, over keep-alive.
a = Agent(start=False, config=dict(config, tls_client_auth="required"))
a.config["tls_client_ca"] = a.ca
with open(a.config_path, "w") as f:
    json.dump(a.config, f)
with a:
    a.start()
    mark = len(a.logtext())
    started = time.monotonic()
    run_flood(a, {}, 401, total=500)
    check_flood(a, mark, "request refused (no client certificate)",
                "<6>request from 127.0.0.1 refused: client certificate required", started,
                total=500)
c.finish()
