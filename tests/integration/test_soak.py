"""Weeks of fleet traffic, compressed: cycles of the mixed traffic a fleet
sends an agent, from many source addresses and user names, after each of
which both processes' resident memory (VmRSS, and RssAnon for the trend),
open descriptors and threads are read from /proc.

One cycle: operators log in and out (sessions created and deleted, others
left to expire or refused at their limit), Prometheus scrapes /metrics,
dashboards open event streams and reconnect with Last-Event-ID, a push
subscription is created, delivered to and deleted (and one to a
destination that answers nothing), vendor commands run in the foreground
and as Tasks, an account and the account and session settings are
PATCHed, an account is created and deleted, and scanners try bad
credentials (Basic and logins) from addresses and user names never seen.

The tables' bounds are set small (sessions, replay ring, streams, queues)
so that every one is at its bound within the first cycles. Checked after
every cycle, once the clients are gone: each process's descriptors and
threads are back at their level after the first cycle (the audit journal
is opened by the first command and kept; the pools' idle threads end
within POOL_IDLE_S); the bounds the resources show hold (sessions in all
and per account, Tasks, open streams, queued events, events replayed to a
stream that asks for everything since the first cycle, subscriptions).
After the last cycle, both processes' resident memory together is within
RSS_MARGIN_KIB of what it was after the first warm cycle (the second).

By hand, for the trend (release build; one line per cycle):
    nice python3 tests/integration/test_soak.py --seconds 900 --scanners 40 --csv soak.csv
Measured so (900 s, 53 cycles of about 145 requests, 7,700 in all; then
600 s, 51 cycles, these small bounds): descriptors 9 (broker) and 16
(front), threads 6 and 6 after every cycle; the broker's resident set
7.8 to 8.0 MiB throughout; the front's 10.9 MiB after the second cycle,
then rising as its heap settles and the replay ring fills, to 11.5 MiB
from cycle 40 on with a ring of 32 (no change over the last 11 cycles),
12.3 MiB with the default ring of 1024 (full from cycle 30, then 6 KiB a
cycle). Live heap (malloc_stats) over 40 to 60 repetitions of one part of
the cycle grows by at most 1 KiB a repetition, less each time.
The test suite runs the short form (35 s of traffic, about 45 s)."""
import argparse
import base64
import http.client
import json
import os
import random
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, POLICY_EXAMPLE, Agent, Checker, le32_b64,  # noqa: E402
                      scratch_dir, vendor_command_path, wait_for, write_emulated_profile)
from authlib import seed_accounts  # noqa: E402
from pushlib import Listener  # noqa: E402
from sselib import Stream  # noqa: E402

SESSIONS = "/redfish/v1/SessionService/Sessions"
ACCOUNTS_URI = "/redfish/v1/AccountService/Accounts"
SUBS = "/redfish/v1/EventService/Subscriptions"
TASKS = "/redfish/v1/TaskService/Tasks"
TEST_EVENT = "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent"
ADMIN = ("admin", ADMIN_PASSWORD)
WRITER = ("writer", "writer-password-1")
MONITOR = ("monitor", "monitor-password-1")
SPARE = ("spare", "spare-password-1")
OPERATORS = [("op%d" % i, "op%d-password-1" % i) for i in range(6)]
ROLES = [("Writer", ["Login", "ConfigureSelf", "CxlCommandRead", "CxlCommandWriteFull"])]
# Bounds smaller than the defaults, so that every table reaches its bound
# within the first cycles and what is measured after that is the agent at
# its bounds: the replay ring holds EVENT_RING events (a cycle publishes
# about 35), sessions are refused past MAX_SESSIONS and PER_USER.
MAX_SESSIONS = 16
PER_USER = 4
EVENT_RING = 32
SESSION_TIMEOUT_S = 30
TASKS_MAX = 64
SSE_MAX = 8
QUEUE_LEN = 64
# Streams, scrapes and checks all come from 127.0.0.1, at most 5 at once:
# a connection whose close left its address counted would have it refused
# within a few cycles.
PER_ADDRESS = 8
# How long an idle pool thread lives (password checks, parked requests):
# threads are compared once they have ended.
POOL_IDLE_S = 10
# Growth of both processes' resident memory together, last cycle against
# the second, that is tolerated. The short form measured 320 to 420 KiB
# (the front's heap still settling: the long run levels off 600 KiB above
# the second cycle after some 40 cycles); 1 MiB is 2.5 times the most
# measured. A leak of 3 KiB a request exceeds it (the short form makes
# about 300 requests after its second cycle); slower leaks show in the
# long run's trend, which is what it is for.
RSS_MARGIN_KIB = 1024


class Http:
    """One keep-alive HTTPS connection from a given local address."""

    def __init__(self, a, src="127.0.0.1", timeout=30):
        self.a = a
        self.src = src
        self.ctx = ssl.create_default_context(cafile=a.ca)
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, basic=None, token=None, headers=None):
        hdrs = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if basic:
            hdrs["Authorization"] = "Basic " + base64.b64encode(
                ("%s:%s" % basic).encode()).decode()
        if token:
            hdrs["X-Auth-Token"] = token
        hdrs.update(headers or {})
        if self.conn is None:
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.a.port, context=self.ctx,
                                                    timeout=self.timeout,
                                                    source_address=(self.src, 0))
        try:
            self.conn.request(method, path, body=data, headers=hdrs)
            r = self.conn.getresponse()
            text = r.read().decode(errors="replace")
            out = (r.status, {k.lower(): v for k, v in r.getheaders()}, text)
            if r.will_close:
                self.close()
            return out
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Sources:
    """Source addresses never used before: 127.x.y.z over the whole of
    127/8 but 127.0.0.0/16, one after the other."""

    def __init__(self):
        self.n = 0

    def next(self):
        self.n += 1
        n = self.n
        return "127.%d.%d.%d" % (1 + (n // 62500) % 254, (n // 250) % 250, 1 + n % 250)


def proc_stats(pid):
    stats = {"rss": 0, "anon": 0, "threads": 0, "fds": 0}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                stats["rss"] = int(line.split()[1])
            elif line.startswith("RssAnon:"):
                stats["anon"] = int(line.split()[1])
            elif line.startswith("Threads:"):
                stats["threads"] = int(line.split()[1])
    stats["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    return stats


def fd_targets(pid):
    """What each open descriptor is, for the report when their count differs."""
    out = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            out[int(fd)] = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            pass
    return out


def snapshot(a):
    """{"broker": stats, "front": stats}."""
    front = a.children()
    return {"broker": proc_stats(a.proc.pid), "front": proc_stats(front[0])}


def json_of(text):
    try:
        return json.loads(text)
    except ValueError:
        return {}


def metrics(a, cl):
    """The /metrics samples as {name{labels}: value}."""
    status, _, text = cl.request("GET", "/metrics", basic=MONITOR, headers={"Accept": "*/*"})
    out = {}
    if status != 200:
        return out
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def scrape_once(a):
    cl = Http(a)
    try:
        return metrics(a, cl)
    finally:
        cl.close()


class Soak:
    def __init__(self, c, a, rnd, listener):
        self.c = c
        self.a = a
        self.rnd = rnd
        self.src = Sources()
        self.listener = listener
        self.cycle = 0
        self.statuses = {}
        self.requests = 0
        self.last_event_id = None
        self.first_event_id = None
        self.verbose = False

    def req(self, cl, method, path, ok, **kw):
        """A request whose answer must be one of ok (statuses)."""
        status, hdrs, text = cl.request(method, path, **kw)
        self.requests += 1
        key = "%s %d" % (method, status)
        self.statuses[key] = self.statuses.get(key, 0) + 1
        self.c.check(status in ok, "cycle %d: %s %s answered %d (%s)" % (
            self.cycle, method, path, status, text[:200]))
        return status, hdrs, text

    def sessions(self):
        """Operators log in from addresses of their own, read with the
        token, and log out from half of the sessions; the rest expire."""
        kept = 0
        for user, pw in OPERATORS + [WRITER]:
            cl = Http(self.a, self.src.next())
            status, hdrs, text = self.req(cl, "POST", SESSIONS, (201, 503),
                                          body={"UserName": user, "Password": pw})
            if status == 201:
                token = hdrs.get("x-auth-token")
                self.req(cl, "GET", "/redfish/v1/Systems", (200,), token=token)
                self.req(cl, "GET", "/redfish/v1/SessionService/Sessions", (200,), token=token)
                if self.rnd.random() < 0.5:
                    self.req(cl, "DELETE", hdrs.get("location"), (204,), token=token)
                else:
                    kept += 1
            else:
                self.c.check("SessionLimitExceeded" in text,
                             "a login past the limit is refused as SessionLimitExceeded")
            cl.close()
        return kept

    def scanners(self, n):
        """Bad credentials from addresses and user names never seen, as
        Basic and as logins, and a few more for one real account."""
        for i in range(n):
            cl = Http(self.a, self.src.next())
            name = "scan%d-%d-%d" % (self.cycle, i, self.rnd.randrange(1 << 30))
            self.req(cl, "GET", "/redfish/v1/Managers", (401, 429, 503),
                     basic=(name, "guess-%d" % i))
            self.req(cl, "POST", SESSIONS, (401, 429, 503),
                     body={"UserName": name, "Password": "guess"})
            cl.close()
        # the spare account: its lockout starts and ends
        cl = Http(self.a, self.src.next())
        for i in range(3):
            self.req(cl, "GET", "/redfish/v1/Managers", (401, 429, 503),
                     basic=(SPARE[0], "wrong-%d" % i))
        cl.close()

    def scrape(self, cl):
        m = metrics(self.a, cl)
        self.requests += 1
        self.c.check("cxl_agent_sse_clients" in m, "cycle %d: /metrics scraped" % self.cycle)
        depth = max([v for k, v in m.items() if k.startswith("cxl_agent_event_queue_depth")] or [0])
        self.c.check(depth <= QUEUE_LEN, "cycle %d: a queue holds %d events, bound %d" % (
            self.cycle, depth, QUEUE_LEN))
        self.c.check(m.get("cxl_agent_sse_clients", 0) <= SSE_MAX,
                     "cycle %d: streams within their bound" % self.cycle)
        return m

    def streams(self, admin):
        """Dashboards: streams open, a test event reaches them, they close,
        and one reconnects with the last id it saw."""
        opened = [Stream(self.a, user=MONITOR) for _ in range(3)]
        opened.append(Stream(self.a, filt="MessageId eq 'CxlAgent.1.0.DeviceEventRecord'",
                             user=ADMIN))
        self.req(admin, "POST", TEST_EVENT, (204,),
                 body={"MessageId": "CxlAgent.1.0.DeviceEventRecord",
                       "MessageArgs": ["soak", "cycle", str(self.cycle), "test"]},
                 basic=ADMIN)
        for s in opened:
            got = s.next(10)
            self.c.check(got not in (None, False), "cycle %d: the test event reached a stream"
                         % self.cycle)
            if got:
                self.last_event_id = got[1]
        for i, s in enumerate(opened):
            s.close(reset=(i % 2 == 1))
        again = Stream(self.a, user=MONITOR, last_id=self.last_event_id)
        again.next(1)
        again.close()
        # A dashboard back after a long time: what is replayed is what the
        # ring holds, never more (ids in between were dropped oldest first).
        if self.first_event_id is None:
            self.first_event_id = self.last_event_id
            return
        back = Stream(self.a, user=MONITOR, last_id=self.first_event_id)
        replayed = 0
        # Only the ring's: an event published while this stream reads (the
        # poller's, another cycle part's) comes live, after the replay.
        while True:
            ev = back.next(0.5)
            if not ev:
                break
            replayed += int(ev[1]) <= int(self.last_event_id)
        back.close()
        self.c.check(0 < replayed <= EVENT_RING, "cycle %d: %d events replayed, bound %d" % (
            self.cycle, replayed, EVENT_RING))

    def subscription(self, admin):
        """A push subscription is created, delivered to and deleted; one to
        a destination that answers nothing is created and deleted."""
        status, hdrs, _ = self.req(admin, "POST", SUBS, (201,), basic=ADMIN,
                                   body={"Destination": "https://127.0.0.1:%d/soak"
                                         % self.listener.port, "Protocol": "Redfish",
                                         "Context": "soak-%d" % self.cycle})
        dead = self.req(admin, "POST", SUBS, (201,), basic=ADMIN,
                        body={"Destination": "https://127.0.0.1:9/none", "Protocol": "Redfish"})
        self.req(admin, "POST", TEST_EVENT, (204,), basic=ADMIN,
                 body={"MessageId": "CxlAgent.1.0.DeviceEventRecord",
                       "MessageArgs": ["soak", "push", str(self.cycle), "test"]})
        got = None
        deadline = time.time() + 10
        while time.time() < deadline and got is None:
            ev = self.listener.next(0.5)
            if ev and ("soak-%d" % self.cycle) in json.dumps(ev[2]):
                got = ev
        self.c.check(got is not None, "cycle %d: the subscription was delivered to" % self.cycle)
        for loc in (hdrs.get("location"), dead[1].get("location")):
            if loc:
                self.req(admin, "DELETE", loc, (204,), basic=ADMIN)

    def commands(self, writer):
        devs = self.a.prof["ids"]
        for _ in range(6):
            self.req(writer, "POST", vendor_command_path(self.rnd.choice(devs),
                                                         "emu-read-telemetry", submit=True),
                     (200,), basic=WRITER, body={"Payload": ""})
        # refused by the policy and recorded, from an address never seen:
        # the audit log's denial limit takes a caller more each cycle
        op = Http(self.a, self.src.next())
        self.req(op, "POST", vendor_command_path(devs[0], "emu-set-mode", submit=True), (403,),
                 basic=OPERATORS[self.cycle % len(OPERATORS)], body={"Payload": le32_b64(2)})
        op.close()
        status, hdrs, text = self.req(writer, "POST", vendor_command_path(
            devs[self.cycle % len(devs)], "emu-background-op", submit=True), (202,),
            basic=WRITER, body={"Payload": le32_b64(100)})
        task = json_of(text).get("@odata.id")
        if task:
            done = wait_for(lambda: json_of(writer.request("GET", task, basic=WRITER)[2]).get(
                "TaskState") not in ("Running", None), 10, 0.05)
            self.c.check(done, "cycle %d: the background command's Task ended" % self.cycle)
        status, _, text = self.req(writer, "GET", TASKS, (200,), basic=WRITER)
        n = json_of(text).get("Members@odata.count", 0)
        self.c.check(n <= TASKS_MAX, "cycle %d: %d Tasks, bound %d" % (self.cycle, n, TASKS_MAX))

    def settings(self, admin):
        role = ("Operator", "ReadOnly")[self.cycle % 2]
        self.req(admin, "PATCH", self.a.spare_uri, (200,), basic=ADMIN, body={"RoleId": role})
        self.req(admin, "PATCH", "/redfish/v1/SessionService", (200,), basic=ADMIN,
                 body={"SessionTimeout": SESSION_TIMEOUT_S + self.cycle % 2})
        self.req(admin, "PATCH", "/redfish/v1/AccountService", (200,), basic=ADMIN,
                 body={"AccountLockoutThreshold": 5 + self.cycle % 2})
        status, hdrs, _ = self.req(admin, "POST", ACCOUNTS_URI, (201,), basic=ADMIN,
                                   body={"UserName": "temp%d" % self.cycle,
                                         "Password": "temp-password-%d" % self.cycle,
                                         "RoleId": "ReadOnly"})
        if status == 201:
            self.req(admin, "DELETE", hdrs.get("location"), (204,), basic=ADMIN)

    def reads(self, cl, who):
        for path in ("/redfish/v1", "/redfish/v1/Chassis/host/PCIeDevices?$expand=.",
                     "/redfish/v1/Systems", "/redfish/v1/Managers", "/redfish/v1/EventService",
                     "/redfish/v1/AccountService/Accounts", "/redfish/v1/TaskService"):
            self.req(cl, "GET", path, (200,), basic=who)

    def bounds(self, admin):
        status, _, text = self.req(admin, "GET", SESSIONS + "?$expand=.", (200,), basic=ADMIN)
        members = json_of(text).get("Members", [])
        per = {}
        for m in members:
            per[m.get("UserName")] = per.get(m.get("UserName"), 0) + 1
        self.c.check(len(members) <= MAX_SESSIONS, "cycle %d: %d sessions, bound %d" % (
            self.cycle, len(members), MAX_SESSIONS))
        self.c.check(max(per.values() or [0]) <= PER_USER, "cycle %d: %s sessions per user, "
                     "bound %d" % (self.cycle, per, PER_USER))
        status, _, text = self.req(admin, "GET", SUBS, (200,), basic=ADMIN)
        self.c.eq(json_of(text).get("Members@odata.count"), 0,
                  "cycle %d: no subscription or stream is left" % self.cycle)
        return len(members)

    def run_cycle(self, n_scanners):
        self.cycle += 1
        admin = Http(self.a, self.src.next())
        writer = Http(self.a, self.src.next())
        monitor = Http(self.a, self.src.next())
        took = []

        def timed(fn, *args):
            t = time.time()
            out = fn(*args)
            took.append("%s %.1f" % (fn.__name__, time.time() - t))
            return out
        try:
            kept = timed(self.sessions)
            timed(self.scrape, monitor)
            timed(self.streams, admin)
            timed(self.scanners, n_scanners)
            timed(self.subscription, admin)
            timed(self.commands, writer)
            timed(self.settings, admin)
            timed(self.reads, monitor, MONITOR)
            timed(self.reads, writer, WRITER)
            m = timed(self.scrape, monitor)
        finally:
            admin.close()
            writer.close()
            monitor.close()
        # a stream's end is seen by the front when it next writes to it
        quiet = wait_for(lambda: scrape_once(self.a).get("cxl_agent_sse_clients") == 0, 20)
        self.c.check(quiet, "cycle %d: every stream's end seen" % self.cycle)
        cl = Http(self.a)
        sessions = self.bounds(cl)
        cl.close()
        if self.verbose:
            print("cycle %d took: %s" % (self.cycle, ", ".join(took)))
        return {"kept": kept, "sessions": sessions,
                "published": m.get("cxl_agent_events_published_total", 0)}


def settle(a, idle, timeout, fds=True):
    """Wait until every process's threads and descriptors are back at idle
    (the pools' idle threads end after POOL_IDLE_S), then let the server
    threads give freed memory back (after a whole idle second)."""
    def back():
        s = snapshot(a)
        return all((not fds or s[p]["fds"] == idle[p]["fds"])
                   and s[p]["threads"] == idle[p]["threads"] for p in s)
    ok = wait_for(back, timeout, 0.25)
    time.sleep(1.5)
    return ok, snapshot(a)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=35,
                    help="traffic for at least this long (default 35: the test's short form)")
    ap.add_argument("--scanners", type=int, default=8, help="bad-credential clients per cycle")
    ap.add_argument("--csv", help="write one line per cycle here")
    ap.add_argument("--verbose", action="store_true", help="print each phase's duration")
    ap.add_argument("--no-settle", action="store_true",
                    help="do not wait for the pools' idle threads between cycles")
    args = ap.parse_args()
    c = Checker("soak")
    prof = write_emulated_profile(scratch_dir("cxla-soak-"))
    a = Agent(start=False, config={"emulated_profile": prof["profile"],
                                   "policy_file": POLICY_EXAMPLE, "log_level": "info",
                                   "session_timeout_s": SESSION_TIMEOUT_S,
                                   "max_sessions": MAX_SESSIONS,
                                   "max_sessions_per_user": PER_USER,
                                   "sse_max_streams": SSE_MAX, "event_queue_len": QUEUE_LEN,
                                   "event_replay_size": EVENT_RING,
                                   "connections_per_address": PER_ADDRESS,
                                   "delivery_retry_attempts": 1,
                                   "delivery_retry_interval_s": 1,
                                   "delivery_timeout_s": 2})
    seed_accounts(a, [ADMIN + ("Administrator",), WRITER + ("Writer",),
                      MONITOR + ("ReadOnly",), SPARE + ("Operator",)]
                  + [op + ("Operator",) for op in OPERATORS], roles=ROLES)
    a.config["event_destination_ca"] = a.ca
    with open(a.config_path, "w") as f:
        json.dump(a.config, f)
    rows = []
    with a:
        a.start()
        a.prof = prof
        listener = Listener(a)
        sanitized = a.sanitized()
        accounts = json_of(a.curl("GET", ACCOUNTS_URI + "?$expand=.").body).get("Members", [])
        a.spare_uri = [m["@odata.id"] for m in accounts if m.get("UserName") == SPARE[0]][0]
        soak = Soak(c, a, random.Random(7), listener)
        soak.verbose = args.verbose
        # the broker's start-up readers end after an idle second
        time.sleep(1.5)
        start = snapshot(a)
        print("idle before any traffic: %s" % json.dumps(start))
        t0 = time.time()
        out = open(args.csv, "w") if args.csv else None
        if out:
            out.write("cycle,seconds,requests,broker_rss_kib,front_rss_kib,broker_fds,front_fds,"
                      "broker_threads,front_threads,sessions,settled,broker_anon_kib,"
                      "front_anon_kib,events_published\n")
        level = None
        while True:
            info = soak.run_cycle(args.scanners)
            if args.no_settle:
                time.sleep(1.5)
                ok, s = True, snapshot(a)
            else:
                # The first cycle sets the level: the audit journal is
                # opened by the first command and kept open.
                ok, s = settle(a, level or start, POOL_IDLE_S + 5, fds=level is not None)
            row = (soak.cycle, round(time.time() - t0, 1), soak.requests, s["broker"]["rss"],
                   s["front"]["rss"], s["broker"]["fds"], s["front"]["fds"],
                   s["broker"]["threads"], s["front"]["threads"], info["sessions"], ok,
                   s["broker"]["anon"], s["front"]["anon"], int(info["published"]))
            rows.append(row)
            print("cycle %d %.0fs requests %d rss broker %d front %d KiB, fds %d/%d, threads "
                  "%d/%d, sessions %d, settled %s, anon broker %d front %d KiB, events %d" % row,
                  flush=True)
            if out:
                out.write(",".join(str(x) for x in row) + "\n")
                out.flush()
            if level is None:
                level = s
                c.eq([s[p]["threads"] for p in s], [start[p]["threads"] for p in s],
                     "cycle 1: threads back at their level before any traffic")
                level_fds = {p: fd_targets(pid) for p, pid in (("broker", a.proc.pid),
                                                                ("front", a.children()[0]))}
            elif not args.no_settle:
                for p, pid in (("broker", a.proc.pid), ("front", a.children()[0])):
                    c.eq(s[p]["threads"], level[p]["threads"], "cycle %d: %s threads back at "
                         "their level" % (soak.cycle, p))
                    if s[p]["fds"] != level[p]["fds"]:
                        now = fd_targets(pid)
                        c.check(False, "cycle %d: %s descriptors %d, after the first cycle %d: "
                                "%s" % (soak.cycle, p, s[p]["fds"], level[p]["fds"], sorted(
                                    set(now.items()) ^ set(level_fds[p].items()))))
            if time.time() - t0 >= args.seconds and soak.cycle >= 3:
                break
        if out:
            out.close()
        listener.close()
        print("statuses: %s" % json.dumps(soak.statuses, sort_keys=True))
        warm = rows[1][3] + rows[1][4]
        last = rows[-1][3] + rows[-1][4]
        print("rss both: warm (cycle 2) %d KiB, last (cycle %d) %d KiB, growth %d KiB"
              % (warm, rows[-1][0], last, last - warm))
        if not sanitized:
            c.check(last - warm <= RSS_MARGIN_KIB, "resident memory after the last cycle %d KiB, "
                    "after the first warm one %d KiB: within %d KiB" % (last, warm,
                                                                      RSS_MARGIN_KIB))
        c.check(soak.statuses.get("POST 201", 0) > 0, "logins succeeded")
    c.finish()


if __name__ == "__main__":
    main()
