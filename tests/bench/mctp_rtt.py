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
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from benchlib import command_rtt, pct, use_build  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    use_build(args.build, mctp=True)
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
        results["emulated"] = command_rtt(agentlib, a, dev, args.n, args.warmup)
    lines = [Line(tmp, prof, i) for i in range(2)]
    try:
        cfg = dict(common, backend="mctp",
                   mctp_endpoints=["serial:%s,eid=8,name=mctp%d" % (ln.path, i)
                                   for i, ln in enumerate(lines)])
        with agentlib.Agent(cfg) as a:
            results["mctp (serial pty)"] = command_rtt(agentlib, a, dev, args.n, args.warmup)
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
