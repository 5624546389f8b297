#!/usr/bin/python3
"""Round-trip time of a read-scope vendor command (emu-read-telemetry, empty
payload) over one kept-alive TLS connection. A measurement, not a test.

usage: /usr/bin/python3 tests/bench/command_rtt.py [BUILD_DIR] [-n N] [--audit-dir DIR]
                                                   [--wrk CONNS] [--seconds S]
  BUILD_DIR defaults to ./build (the agent is BUILD_DIR/agent/cxl-agent);
  -n requests (default 2000, after 50 warm-up ones); --audit-dir puts the
  audit log elsewhere (e.g. a tmpfs, to see the cost of its syncs).
  --wrk CONNS: instead, wrk drives CONNS kept-alive connections for S
  seconds (default 10), alternating between the two emulated devices, and
  prints commands/s, latency percentiles, and the agent's CPU time and
  context switches per command, broker and front together (figures the
  machine's load disturbs less), with the load average. --wrk 1 is the
  one-connection round trip without the Python client's own cost.
  Either way it ends with what one durable 4 KiB overwrite costs on the
  audit log's file system (as the audit journal makes an intent durable):
  the part of a one-connection round trip no software change removes.
Loopback only. Each request: Basic auth (cached), policy decision, audit
intent (fsynced), mailbox command on the emulated device, audit result
(group-committed), JSON response."""
import argparse
import base64
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from benchlib import command_rtt, pct, use_build  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--audit-dir")
    ap.add_argument("--wrk", type=int, metavar="CONNS")
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    use_build(args.build)
    import agentlib  # after CXLA_AGENT is set
    if not os.access(agentlib.AGENT, os.X_OK):
        sys.exit("build the agent first (%s missing)" % agentlib.AGENT)

    user, password = "operator", "operator-password-1"
    config = {"policy_file": agentlib.POLICY_EXAMPLE, "log_level": "warning"}
    if args.audit_dir:
        config["audit_dir"] = args.audit_dir
    with agentlib.Agent(config=config, accounts=[("admin", agentlib.ADMIN_PASSWORD, "Administrator"),
                                                 (user, password, "Operator")]) as a:
        if args.wrk:
            run_wrk(a, agentlib, user, password, args)
            print_durable_write(a, args)
            return
        device_us, samples = command_rtt(agentlib, a, agentlib.EMU_DEVICE_IDS[0], args.n,
                                         args.warmup, user, password)
        print_durable_write(a, args)
    samples.sort()
    print("emu-read-telemetry over one kept-alive TLS connection, %d requests "
          "(after %d warm-up), audit log in %s" % (args.n, args.warmup,
                                                  args.audit_dir or "state_dir/audit"))
    print("round trip us: min %.0f  median %.0f  mean %.0f  p90 %.0f  p99 %.0f  max %.0f"
          % (samples[0], statistics.median(samples), statistics.fmean(samples),
             pct(samples, 90), pct(samples, 99), samples[-1]))
    print("device DurationUs: median %.0f" % statistics.median(device_us))


WRK_SCRIPT = """
paths = {%s}
n = 0
request = function()
  n = n + 1
  return wrk.format("POST", paths[(n %% #paths) + 1], {
    ["Authorization"] = "%s", ["Content-Type"] = "application/json"}, '{"Payload": ""}')
end
"""


def agent_cpu_us(pid):
    """User and system CPU time of the process, in microseconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1e6 / os.sysconf("SC_CLK_TCK")


def agent_switches(pid):
    """Context switches of the process's threads alive now."""
    n = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                n += sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
        except OSError:
            pass
    return n


def durable_write_us(directory, n=400):
    """Median time of one 4 KiB overwrite made durable (O_DIRECT where the
    file system has it, then fdatasync), in a scratch file in directory."""
    import mmap
    import tempfile
    import time
    fd, path = tempfile.mkstemp(dir=directory)
    try:
        os.write(fd, b"\0" * (64 * 4096))
        os.fsync(fd)
        os.close(fd)
        try:
            fd = os.open(path, os.O_RDWR | os.O_DIRECT)
            kind = "O_DIRECT overwrite + fdatasync"
        except OSError:
            fd = os.open(path, os.O_RDWR)
            kind = "overwrite + fdatasync"
        buf = mmap.mmap(-1, 4096)  # page-aligned, as O_DIRECT needs
        buf.write(b"x" * 4096)
        times = []
        for i in range(n):
            t0 = time.perf_counter()
            os.pwritev(fd, [buf], (i % 64) * 4096)
            os.fdatasync(fd)
            times.append((time.perf_counter() - t0) * 1e6)
        os.close(fd)
    finally:
        os.unlink(path)
    times.sort()
    return kind, statistics.median(times), pct(times, 90)


def print_durable_write(a, args):
    directory = args.audit_dir or a.state
    kind, med, p90 = durable_write_us(directory)
    print("durable 4 KiB write in %s (%s): median %.0f us, p90 %.0f us"
          % (directory, kind, med, p90))


def run_wrk(a, agentlib, user, password, args):
    import subprocess
    import tempfile
    paths = ", ".join('"%s"' % agentlib.vendor_command_path(d, "emu-read-telemetry", submit=True)
                      for d in agentlib.EMU_DEVICE_IDS)
    auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT % (paths, auth))
        script = f.name
    threads = min(args.wrk, 2)
    # The broker and its front: a command's work is split between them.
    pids = [a.proc.pid] + a.children()
    cpu0 = sum(agent_cpu_us(pid) for pid in pids)
    sw0 = sum(agent_switches(pid) for pid in pids)
    p = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % args.wrk, "-d%ds" % args.seconds,
                        "--latency", "-s", script, "https://127.0.0.1:%d" % a.port],
                       capture_output=True, text=True)
    cpu1 = sum(agent_cpu_us(pid) for pid in pids)
    sw1 = sum(agent_switches(pid) for pid in pids)
    os.unlink(script)
    print("emu-read-telemetry on both emulated devices, wrk %d connections for %d s, "
          "audit log in %s" % (args.wrk, args.seconds, args.audit_dir or "state_dir/audit"))
    done = 0
    for line in p.stdout.splitlines():
        if "requests in" in line:
            done = int(line.split()[0])
        if "Requests/sec" in line or "%" in line or "Non-2xx" in line:
            print(line.strip())
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print("agent CPU per command %.0f us, context switches per command %.1f, load average %s"
          % ((cpu1 - cpu0) / max(done, 1), (sw1 - sw0) / max(done, 1), load))


if __name__ == "__main__":
    main()
