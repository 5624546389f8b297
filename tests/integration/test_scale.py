"""Many devices: the agent at its limit of 64 emulated memory devices
(CXL_MAX_DEVICES, agent/cxl/backend.h) and one past it.

At 64: every device listed in Chassis, Memory and the metrics, a crawl of
every link from /redfish/v1 within a bound, every payload valid against the
DMTF and OEM schemas, an event from each of the 64 devices at once reaching
an SSE stream, and an idle agent (64 refresher threads) that burns almost no
CPU. At 65: a profile of 65 is refused at start, pointing at the profile's
list of devices and naming the limit; 64 devices and an MCTP endpoint
beside them start with the 64, the endpoint named as left out.

Bounds, from the release build on two shared cores: a crawl of the 860
resources took 0.2 s over one connection, the idle agent 0.2 % of a core
(both processes, 10 s). The sanitizer build is several times slower, and
the machine is shared, hence 10 s for the crawl and 5 % of a core."""
import base64
import http.client
import json
import os
import shutil
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, POLICY_EXAMPLE, Agent, Checker,  # noqa: E402
                      scratch_dir, set_fault, write_emulated_profile)
from sselib import Stream  # noqa: E402

MAX_DEVICES = 64
CRAWL_BOUND_S = 10.0
IDLE_CPU_BOUND = 0.05  # of one core, both processes together
REFRESH_MS = 1000       # a fifth of the default: more refreshes than in service

c = Checker("scale")


class Client:
    """One kept-alive HTTPS connection with Basic credentials: a crawl of
    hundreds of resources measures the agent, not a TLS handshake each."""

    def __init__(self, a):
        self.a = a
        self.ctx = ssl.create_default_context(cafile=a.ca)
        self.auth = "Basic " + base64.b64encode(("admin:" + ADMIN_PASSWORD).encode()).decode()
        self.conn = None

    def get(self, path):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection("127.0.0.1", self.a.port,
                                                        context=self.ctx, timeout=30)
            try:
                self.conn.request("GET", path, headers={"Authorization": self.auth})
                r = self.conn.getresponse()
                return r.status, r.read()
            except (OSError, http.client.HTTPException):
                # The agent may close an idle connection: one new try.
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        return None

    def close(self):
        if self.conn:
            self.conn.close()


def links_in(doc, out):
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == "@odata.id" and isinstance(v, str):
                out.append(v.split("#", 1)[0])
            else:
                links_in(v, out)
    elif isinstance(doc, list):
        for v in doc:
            links_in(v, out)


def crawl(cl):
    """Every resource reachable from /redfish/v1: {path: doc}."""
    docs, todo = {}, ["/redfish/v1"]
    while todo:
        path = todo.pop(0)
        if path in docs:
            continue
        status, body = cl.get(path)
        c.eq(status, 200, "crawl: %s" % path)
        docs[path] = None
        if status != 200:
            continue
        try:
            doc = json.loads(body)
        except ValueError:
            c.check(False, "crawl: %s is not JSON" % path)
            continue
        docs[path] = doc
        c.payloads.append((path, doc))
        out = []
        links_in(doc, out)
        todo += [p for p in out if p not in docs]
    return docs


def members(docs, path):
    doc = docs.get(path) or {}
    c.eq(doc.get("Members@odata.count"), len(doc.get("Members", [])), path + " count")
    return {m["@odata.id"].rsplit("/", 1)[-1] for m in doc.get("Members", [])}


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def threads(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(next(line.split()[1] for line in f if line.startswith("Threads:")))


def at_the_limit(prof):
    cfg = {"emulated_profile": prof["profile"], "policy_file": POLICY_EXAMPLE,
           "refresh_interval_ms": REFRESH_MS, "log_level": "info"}
    with Agent(config=cfg) as a:
        ids = set(prof["ids"])
        cl = Client(a)
        # Every device's first refresh happens at start; the broker pushes
        # them all before the front answers.
        t0 = time.time()
        docs = crawl(cl)
        took = time.time() - t0
        print("crawl of %d resources: %.2f s" % (len(docs), took))
        c.check(took < CRAWL_BOUND_S, "crawl of %d resources took %.1f s (bound %.0f s)"
                % (len(docs), took, CRAWL_BOUND_S))
        c.eq(members(docs, "/redfish/v1/Chassis/host/PCIeDevices"), ids,
             "every device is a PCIeDevice")
        memory = members(docs, "/redfish/v1/Systems/host/Memory")
        c.eq(len(memory), MAX_DEVICES, "every device is a Memory resource")
        for dev in prof["ids"]:
            p = "/redfish/v1/Chassis/host/PCIeDevices/" + dev
            c.check(docs.get(p) and docs[p].get("Id") == dev, "%s reached and named" % p)

        # $expand of the collections holds every device in one answer.
        for coll in ("/redfish/v1/Systems/host/Memory", "/redfish/v1/Chassis/host/PCIeDevices"):
            status, body = cl.get(coll + "?$expand=.($levels=1)")
            c.eq(status, 200, coll + " $expand")
            if status == 200:
                got = json.loads(body).get("Members", [])
                c.eq(len(got), MAX_DEVICES, coll + " $expand: members")
                c.check(all("Id" in m for m in got), coll + " $expand: members expanded")

        status, body = cl.get("/metrics")
        c.eq(status, 200, "/metrics")
        text = body.decode(errors="replace")
        c.check(all(dev in text for dev in prof["ids"]), "/metrics names every device")
        cl.close()

        # Idle: 64 refresher threads waiting on their interval.
        broker = a.proc.pid
        c.check(threads(broker) >= MAX_DEVICES, "one refresher per device (%d threads)"
                % threads(broker))
        pids = a.pids()
        hz = os.sysconf("SC_CLK_TCK")
        t0, before = time.time(), cpu_ticks(pids)
        time.sleep(5)
        used = (cpu_ticks(pids) - before) / hz / (time.time() - t0)
        print("idle CPU with %d devices: %.1f %% of a core" % (MAX_DEVICES, used * 100))
        c.check(used < IDLE_CPU_BOUND, "idle agent with %d devices used %.1f %% of a core"
                % (MAX_DEVICES, used * 100))

        # An event on every device at once: each reaches the stream.
        s = Stream(a, filt="MessageId eq 'CxlAgent.1.0.DeviceEventRecord'")
        c.eq(s.status, 200, "event stream opens")
        for f in prof["fault"]:
            set_fault(f, "none", event="warn")
        origins = set()
        deadline = time.time() + 10 * REFRESH_MS / 1000.0
        while len(origins) < MAX_DEVICES and time.time() < deadline:
            got = s.next(timeout=max(0.1, deadline - time.time()))
            if not got:
                break
            for ev in got[2].get("Events", []):
                c.payloads.append(("device event", got[2]))
                origins.add(ev.get("OriginOfCondition", {}).get("@odata.id", "").rsplit("/", 1)[-1])
        s.close()
        c.eq(origins, ids, "an event from every device")
        c.check("drop" not in a.logtext().lower(), "no event dropped")


def past_the_limit(d):
    prof = write_emulated_profile(d, devices=MAX_DEVICES + 1)
    a = Agent(config={"emulated_profile": prof["profile"], "policy_file": POLICY_EXAMPLE},
              start=False)
    try:
        a.start()
        c.check(False, "an agent with %d devices started" % (MAX_DEVICES + 1))
    except RuntimeError:
        pass
    a.stop()
    log = a.logtext()
    shutil.rmtree(a.tmp, ignore_errors=True)
    c.eq(a.proc.returncode, 78, "%d devices: a profile that does not load, status 78 (EX_CONFIG)"
         % (MAX_DEVICES + 1))
    c.check(prof["profile"] + ":2:" in log and "1 to %d devices" % MAX_DEVICES in log,
            "%d devices: the refusal names the profile's list and the limit: %r"
            % (MAX_DEVICES + 1, log[-400:]))


def beside_a_full_backend(d):
    """64 emulated devices and an MCTP endpoint beside them (on a line
    nobody answers): the agent serves the 64 and names the endpoint it
    leaves out, rather than dropping it without a word."""
    prof = write_emulated_profile(d, devices=MAX_DEVICES)
    master, slave = os.openpty()
    try:
        cfg = {"emulated_profile": prof["profile"], "policy_file": POLICY_EXAMPLE,
               "mctp_endpoints": ["serial:%s,eid=8,name=sideband65,timeout_ms=100,retries=0"
                                  % os.ttyname(slave)]}
        with Agent(config=cfg) as a:
            r = a.curl("GET", "/redfish/v1/Chassis/host/PCIeDevices")
            c.eq(r.status, 200, "PCIeDevices beside a full backend")
            if r.status == 200:
                c.eq(r.json().get("Members@odata.count"), MAX_DEVICES,
                     "the first %d devices are served" % MAX_DEVICES)
            log = a.logtext()
            c.check("mctp device sideband65 left out" in log and
                    "at most %d devices" % MAX_DEVICES in log,
                    "the endpoint past the limit is named in the log: %r" % log[-600:])
    finally:
        os.close(master)
        os.close(slave)


def main():
    d = scratch_dir("scale")
    at_the_limit(write_emulated_profile(os.path.join(d, "limit"), devices=MAX_DEVICES))
    past_the_limit(os.path.join(d, "past"))
    beside_a_full_backend(os.path.join(d, "beside"))
    c.finish()


main()
