"""What the benchmarks share: the build they measure, the tools they need,
a server's processes, CPU and memory as /proc reports them, percentiles,
and the timed vendor-command loop. Import it before agentlib; use_build()
sets the environment agentlib reads when it is imported."""
import base64
import json
import os
import shutil
import ssl
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

# Re-exported for the benchmarks, which reach them through this module.
from rawlib import read_response, thread_cpu  # noqa: E402

__all__ = ["read_response", "thread_cpu", "use_build", "need", "process_tree", "cpu_ticks",
           "rss_kib", "pct", "command_rtt"]

def use_build(build, mctp=False):
    """Points agentlib (imported afterwards) at BUILD's agent and, with
    mctp, at its MCTP responder and serial link. Returns BUILD absolute."""
    build = os.path.abspath(build)
    os.environ["CXLA_AGENT"] = os.path.join(build, "agent", "cxl-agent")
    if mctp:
        os.environ["CXLA_MCTP_RESPONDER"] = os.path.join(build, "tests", "mctp", "mctp-responder")
        os.environ["CXLA_MCTP_LINK"] = os.path.join(build, "tests", "mctp", "mctp-serial-link")
    return build


def need(tool, package):
    if shutil.which(tool) is None:
        sys.exit("%s is missing: apt-get install %s" % (tool, package))


def process_tree(pid):
    """pid and its children still running (nginx's workers)."""
    pids = [pid]
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            pids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return pids


def cpu_ticks(pid):
    """utime+stime of a process and its children still running."""
    total = 0
    for p in process_tree(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                st = f.read().rsplit(")", 1)[1].split()
            total += int(st[11]) + int(st[12])
        except OSError:
            pass
    return total


def rss_kib(pid):
    """VmRSS summed over a process and its children."""
    total = 0
    for p in process_tree(pid):
        with open("/proc/%d/status" % p) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def command_rtt(agentlib, a, dev, n, warmup, user=None, password=None):
    """emu-read-telemetry sent warmup + n times to dev over one kept-alive
    TLS connection (Basic, admin unless user is given). Returns the device
    layer's DurationUs and the whole request's time in microseconds, one
    each per measured request."""
    import http.client
    user = user or "admin"
    password = password or agentlib.ADMIN_PASSWORD
    ctx = ssl.create_default_context(cafile=a.ca)
    conn = http.client.HTTPSConnection("127.0.0.1", a.port, context=ctx, timeout=30)
    path = agentlib.vendor_command_path(dev, "emu-read-telemetry", submit=True)
    headers = {"Authorization": "Basic " + base64.b64encode(
                   ("%s:%s" % (user, password)).encode()).decode(),
               "Content-Type": "application/json"}
    body = json.dumps({"Payload": ""})
    dev_us, req_us = [], []
    for i in range(warmup + n):
        t0 = time.perf_counter_ns()
        conn.request("POST", path, body, headers)
        r = conn.getresponse()
        data = r.read()
        t1 = time.perf_counter_ns()
        if r.status != 200:
            sys.exit("unexpected %d: %s" % (r.status, data[:300]))
        if i >= warmup:
            dev_us.append(json.loads(data)["DurationUs"])
            req_us.append((t1 - t0) / 1000.0)
    conn.close()
    return dev_us, req_us
