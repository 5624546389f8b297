"""SIGKILL the agent in a loop while clients create, delete and resume event
subscriptions and change the session timeout: after every kill both files
parse and hold either the last acknowledged state or the one in flight (a
subscription created or deleted by the request the kill interrupted, never
a mix of two states, never an empty file), the next start serves that state,
and no temporary file is left beside them."""
import json
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker  # noqa: E402
from authlib import Client  # noqa: E402

c = Checker("state_crash")
ROUNDS = int(os.environ.get("CXLA_CRASH_ROUNDS", "8"))
ADMIN = ("admin", ADMIN_PASSWORD)
SUBS = "/redfish/v1/EventService/Subscriptions"


def subscriber(a, st, stop):
    """Create a subscription, resume it, delete every other one: st["acked"]
    is the set of Ids the agent acknowledged, st["inflight"] the change the
    last request was making (("create", None) or ("delete", id))."""
    cl = Client(a, timeout=10)
    n = 0
    while not stop.is_set():
        n += 1
        st["inflight"] = ("create", None)
        try:
            r = cl.request("POST", SUBS, basic=ADMIN, body={
                "Destination": "https://127.0.0.1:9/crash-%d" % n, "Protocol": "Redfish",
                "Context": "crash-%d" % n, "DeliveryRetryPolicy": "SuspendRetries"})
            if r.status == 201:
                sid = r.header("Location").rstrip("/").rsplit("/", 1)[1]
                st["acked"].add(sid)
                r = cl.request("POST", "%s/%s/Actions/EventDestination.ResumeSubscription"
                               % (SUBS, sid), basic=ADMIN, body={})
                if r.status not in (200, 204):
                    st["errors"].append(("resume", r.status))
            elif r.status != 400:  # the limit reached: deletes make room
                st["errors"].append(("create", r.status))
            if st["acked"] and (n % 2 or len(st["acked"]) > 8):
                sid = sorted(st["acked"], key=int)[0]
                st["inflight"] = ("delete", sid)
                r = cl.request("DELETE", "%s/%s" % (SUBS, sid), basic=ADMIN)
                if r.status in (200, 204):
                    st["acked"].discard(sid)
                else:
                    st["errors"].append(("delete", r.status))
        except Exception:
            break
    cl.close()


def timeout_patcher(a, st, stop):
    cl = Client(a, timeout=10)
    n = st["acked"]
    while not stop.is_set():
        n = 60 + (n - 59) % 3000
        st["inflight"] = n
        try:
            r = cl.request("PATCH", "/redfish/v1/SessionService", basic=ADMIN,
                           body={"SessionTimeout": n})
        except Exception:
            break
        if r.status == 200:
            st["acked"] = n
        else:
            st["errors"].append(r.status)
    cl.close()


a = Agent(start=False, config={"delivery_retry_attempts": 0, "delivery_retry_interval_s": 1,
                               "delivery_timeout_s": 1})
with a:
    a.start()
    subs_path = os.path.join(a.state, "subscriptions.json")
    sess_path = os.path.join(a.state, "session-service.json")
    sub = {"acked": set(), "inflight": None, "errors": []}
    sess = {"acked": 1800, "inflight": 1800, "errors": []}
    rng = random.Random(2718)
    for rnd in range(ROUNDS):
        stop = threading.Event()
        threads = [threading.Thread(target=subscriber, args=(a, sub, stop)),
                   threading.Thread(target=timeout_patcher, args=(a, sess, stop))]
        before = (len(sub["acked"]), sess["acked"])
        for t in threads:
            t.start()
        deadline = time.time() + 20
        while ((len(sub["acked"]), sess["acked"]) == before and time.time() < deadline
               and all(t.is_alive() for t in threads)):
            time.sleep(0.02)
        time.sleep(rng.uniform(0.1, 0.8))
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        stop.set()
        for t in threads:
            t.join(20)
        docs = {}
        for path in (subs_path, sess_path):
            try:
                with open(path) as f:
                    docs[path] = json.load(f)
            except (OSError, ValueError) as e:
                c.check(False, "round %d: %s does not parse: %s" % (rnd, path, e))
        if subs_path in docs:
            ids = {s["Id"] for s in docs[subs_path]["Subscriptions"]}
            kind, sid = sub["inflight"] or (None, None)
            ok = ids == sub["acked"]
            if kind == "create":
                ok = ok or (len(ids - sub["acked"]) == 1 and sub["acked"] <= ids)
            elif kind == "delete":
                ok = ok or ids == sub["acked"] - {sid}
            c.check(ok, "round %d: subscriptions on disk %s, acknowledged %s, in flight %r"
                    % (rnd, sorted(ids), sorted(sub["acked"]), sub["inflight"]))
            c.check(all(isinstance(s["Suspended"], bool) for s in docs[subs_path]["Subscriptions"]),
                    "round %d: every entry whole" % rnd)
            sub["acked"] = ids
        if sess_path in docs:
            got = docs[sess_path]["SessionTimeout"]
            c.check(got in (sess["acked"], sess["inflight"]),
                    "round %d: session timeout %s, acknowledged %s, in flight %s"
                    % (rnd, got, sess["acked"], sess["inflight"]))
            sess["acked"] = got
        a.expect_clean_exit = False
        a.log.close()
        a.start()
        left = [f for f in os.listdir(a.state) if ".tmp." in f]
        c.eq(left, [], "round %d: no temporary files after restart" % rnd)
        r = a.curl("GET", SUBS)
        c.eq(r.status, 200, "round %d: the agent serves after the kill" % rnd)
        c.eq({m["@odata.id"].rsplit("/", 1)[1] for m in r.json().get("Members", [])},
             sub["acked"], "round %d: the served subscriptions are the file's" % rnd)
        c.eq(a.curl("GET", "/redfish/v1/SessionService").json().get("SessionTimeout"),
             sess["acked"], "round %d: the served session timeout is the file's" % rnd)
        c.eq(sub["errors"] + sess["errors"], [], "round %d: no failed request" % rnd)
        sub["errors"], sess["errors"] = [], []
    print("state_crash: %d rounds, %d subscriptions, session timeout %d"
          % (ROUNDS, len(sub["acked"]), sess["acked"]))
    a.expect_clean_exit = True
c.finish()
