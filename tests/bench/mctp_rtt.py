#!/usr/bin/python3
"""Command round trip over MCTP (DSP0253 serial framing done by the agent on a
pty, to an mctp-responder serving the emulated model) beside the same command
on the in-process emulated backend. A measurement, not a test.

usage: /usr/bin/python3 tests/bench/mctp_rtt.py [BUILD_DIR] [-n N] [--warmup W]
  BUILD_DIR defaults to ./build (BUILD_DIR/agent/cxl-agent and
  BUILD_DIR/tests/mctp/mctp-responder). Each backend gets its own agent with
  the same two-device profile; emu-read-telemetry (C000h, 64-byte reply) is
  sent N times (default 500, after W=20 warm-up ones) to the first device
  over one kept-alive TLS connection. Reported per backend: the device
  layer's DurationUs (the mailbox round trip: for MCTP, framing, the pty in
  both directions, the responder and the reply's validation) and the whole
  HTTPS request, p50 and p99 in microseconds."""
import argparse
import base64
import http.client
import json
import os
import shutil
import ssl
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def measure(agentlib, a, dev, n, warmup):
    import time
    ctx = ssl.create_default_context(cafile=a.ca)
    conn = http.client.HTTPSConnection("127.0.0.1", a.port, context=ctx, timeout=30)
    path = agentlib.vendor_command_path(dev, "emu-read-telemetry", submit=True)
    headers = {"Authorization": "Basic " + base64.b64encode(
                   ("admin:%s" % agentlib.ADMIN_PASSWORD).encode()).decode(),
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    os.environ["CXLA_AGENT"] = os.path.join(build, "agent", "cxl-agent")
    os.environ["CXLA_MCTP_RESPONDER"] = os.path.join(build, "tests", "mctp", "mctp-responder")
    import agentlib  # after CXLA_AGENT is set
    from test_mctp_backend import Line
    for exe in (agentlib.AGENT, os.environ["CXLA_MCTP_RESPONDER"]):
        if not os.access(exe, os.X_OK):
            sys.exit("build first (%s missing)" % exe)

    tmp = tempfile.mkdtemp(prefix="cxla-mctp-bench-")
    prof = agentlib.write_emulated_profile(os.path.join(tmp, "prof"))
    dev = prof["ids"][0]
    common = {"policy_file": agentlib.POLICY_EXAMPLE, "log_level": "warning",
              "refresh_interval_ms": 3600000}
    results = {}
    with agentlib.Agent(dict(common, backend="emulated", emulated_profile=prof["profile"])) as a:
        results["emulated"] = measure(agentlib, a, dev, args.n, args.warmup)
    lines = [Line(tmp, prof, i) for i in range(2)]
    try:
        cfg = dict(common, backend="mctp",
                   mctp_endpoints=["serial:%s,eid=8,name=mctp%d" % (ln.path, i)
                                   for i, ln in enumerate(lines)])
        with agentlib.Agent(cfg) as a:
            results["mctp (serial pty)"] = measure(agentlib, a, dev, args.n, args.warmup)
    finally:
        for ln in lines:
            ln.close()
        shutil.rmtree(tmp, ignore_errors=True)

    print("emu-read-telemetry (C000h), %d requests after %d warm-up, device %s" %
          (args.n, args.warmup, dev))
    print("%-18s %12s %12s %14s %14s" % ("backend", "device p50", "device p99",
                                         "request p50", "request p99"))
    for name, (d, r) in results.items():
        print("%-18s %10.0fus %10.0fus %12.0fus %12.0fus" %
              (name, pct(d, 50), pct(d, 99), pct(r, 50), pct(r, 99)))


if __name__ == "__main__":
    main()
