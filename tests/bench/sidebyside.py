#!/usr/bin/python3
"""The agent against nginx 1.22 serving the same bytes, side by side, as
ratios. A measurement, not a test: nothing here passes or fails.

usage: /usr/bin/python3 tests/bench/sidebyside.py [BUILD_DIR] [FIGURE ...]
                        [--rounds R] [--seconds S] [--stall-runs N] [--stall-conns "N ..."]
FIGUREs (default: all): get1 get16 get128 basic16 basic128 handshake stall idle
  get1           GET of a memory device with a session token over one
                 kept-alive connection: the round trip of the HTTPS stack
                 alone (compare tests/bench/command_rtt.py --wrk 1)
  get16/get128   the same over 16 / 128 connections: req/s, p99
  basic16/128    the same with a (cached) Basic credential
  handshake      new TLS 1.3 connections/s (Connection: close, 16 conns)
  stall          agent only: for each of --stall-conns, that many
                 connections made ready at once; time until all are answered
  idle           the idle-connection figures (tests/bench/idle_conns.py)
Rounds alternate agent and nginx, and only one of them runs at a time: each
round starts its server, measures, and stops it. Prints per figure the
median of each side and the ratio median/median with the per-round
min-max of the ratio. The machine may be shared: rerun before trusting a
single figure.

Both servers: TLS 1.3, the same EC P-256 certificate, session tickets on,
byte-identical bodies; nginx with 2 worker processes, the agent with its
default configuration (2 server threads). Needs wrk and nginx-light;
loopback only."""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import ssl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from benchlib import cpu_ticks, need, read_response, thread_cpu, use_build  # noqa: E402

DEVICE = "/redfish/v1/Systems/host/Memory/1000000000000001"
USER, PASSWORD = "admin", "bench-password-123"


class Servers:
    """Starts one server at a time on its own port, same certificate."""

    def __init__(self, agentlib, work):
        self.agentlib = agentlib
        self.work = work
        self.certs = agentlib.make_certs(os.path.join(work, "certs"))
        self.ca = os.path.join(self.certs, "ca.crt")
        self.www = os.path.join(work, "www")
        # nginx's workers run as www-data: they must be able to read the body.
        os.chmod(work, 0o755)
        self.token = None
        self.basic = None
        a = self.agent()
        try:
            self.capture(a)
        finally:
            self.stop_agent(a)

    def agent(self, config=None):
        cfg = {"log_level": "warning", "listen_addresses": ["127.0.0.1"]}
        cfg.update(config or {})
        a = self.agentlib.Agent(config=cfg, accounts=[(USER, PASSWORD, "Administrator")])
        # Same certificate as nginx, so the handshakes cost the same.
        a.stop()
        shutil.rmtree(a.certs)
        shutil.copytree(self.certs, a.certs)
        a.start()
        ctx = ssl.create_default_context(cafile=self.ca)
        req = urllib.request.Request(a.url("/redfish/v1/SessionService/Sessions"),
                                     data=json.dumps({"UserName": USER,
                                                      "Password": PASSWORD}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=ctx) as r:
            a.token = r.headers["X-Auth-Token"]
        return a

    def stop_agent(self, a):
        a.__exit__(None, None, None)

    def capture(self, a):
        import base64
        ctx = ssl.create_default_context(cafile=self.ca)
        self.basic = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
        os.makedirs(os.path.join(self.www), exist_ok=True)
        req = urllib.request.Request(a.url(DEVICE), headers={"X-Auth-Token": a.token})
        with urllib.request.urlopen(req, context=ctx) as r:
            body = r.read()
        with open(os.path.join(self.www, "memory.json"), "wb") as f:
            f.write(body)

    def nginx(self):
        port = self.agentlib.free_port()
        conf = os.path.join(self.work, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""worker_processes 2;
pid %(w)s/nginx.pid;
error_log %(w)s/nginx-error.log;
events { worker_connections 20000; }
worker_rlimit_nofile 20000;
http {
  access_log off;
  server {
    listen 127.0.0.1:%(p)d ssl;
    ssl_certificate %(c)s/server.crt;
    ssl_certificate_key %(c)s/server.key;
    ssl_protocols TLSv1.3;
    ssl_session_tickets on;
    keepalive_requests 1000000;
    keepalive_timeout 600s;
    location = %(d)s { default_type application/json; alias %(www)s/memory.json; }
  }
}
""" % {"w": self.work, "p": port, "c": self.certs, "d": DEVICE, "www": self.www})
        p = subprocess.Popen(["nginx", "-c", conf, "-g", "daemon off;"],
                             stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                import socket
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        p.port = port
        return p

    @staticmethod
    def stop_nginx(p):
        p.terminate()
        p.wait(10)


def wrk(url, conns, seconds, headers=(), script=None):
    """Returns (req/s, p99 in ms, errors)."""
    cmd = ["wrk", "-t%d" % min(2, conns), "-c%d" % conns, "-d%ds" % seconds, "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else float("nan")
    errs = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p99, (errs.group(1) if errs else "") + (" non2xx " + non2xx.group(1) if non2xx else "")


FIGURES = {
    # name: (description, conns, header kind, close)
    "get1": ("GET device, session token, keep-alive, 1 conn", 1, "token", False),
    "get16": ("GET device, session token, keep-alive, 16 conns", 16, "token", False),
    "get128": ("GET device, session token, keep-alive, 128 conns", 128, "token", False),
    "basic16": ("GET device, Basic, keep-alive, 16 conns", 16, "basic", False),
    "basic128": ("GET device, Basic, keep-alive, 128 conns", 128, "basic", False),
    "handshake": ("new TLS connections/s (Connection: close, 16 conns)", 16, "token", True),
}


def headers_for(kind, servers, agent):
    if kind == "token":
        return ["X-Auth-Token: " + (agent.token if agent else "x")]
    return ["Authorization: " + servers.basic]


def round_trip(servers, name, seconds, side):
    desc, conns, kind, close = FIGURES[name]
    if side == "agent":
        srv = servers.agent()
        url, pid = srv.url(DEVICE), srv.proc.pid
    else:
        srv = servers.nginx()
        url, pid = "https://127.0.0.1:%d%s" % (srv.port, DEVICE), srv.pid
    try:
        hdrs = headers_for(kind, servers, srv if side == "agent" else None)
        if close:
            hdrs.append("Connection: close")
        wrk(url, conns, 1, hdrs)  # warm-up: caches, session tickets, threads
        t0 = cpu_ticks(pid)
        rate, p99, errs = wrk(url, conns, seconds, hdrs)
        cpu_us = (cpu_ticks(pid) - t0) * 1e6 / os.sysconf("SC_CLK_TCK")
    finally:
        servers.stop_agent(srv) if side == "agent" else servers.stop_nginx(srv)
    return {"rate": rate, "p99": p99, "errs": errs, "cpu_us": cpu_us / max(1, rate * seconds)}


def fmt_range(xs):
    return "%.2f (%.2f-%.2f)" % (statistics.median(xs), min(xs), max(xs))


def compare(servers, names, rounds, seconds):
    print("%-52s %11s %11s %18s %9s %9s %12s" % ("figure", "agent", "nginx", "ratio med (min-max)",
                                                 "p99 a ms", "p99 n ms", "CPU/req a/n"))
    for name in names:
        res = {"agent": [], "nginx": []}
        for r in range(rounds):
            order = ("agent", "nginx") if r % 2 == 0 else ("nginx", "agent")
            for side in order:
                res[side].append(round_trip(servers, name, seconds, side))
        a = [x["rate"] for x in res["agent"]]
        n = [x["rate"] for x in res["nginx"]]
        ratios = [x / y for x, y in zip(a, n)]
        errs = "; ".join("agent " + x["errs"] for x in res["agent"] if x["errs"])
        errs += "; ".join("nginx " + x["errs"] for x in res["nginx"] if x["errs"])
        print("%-52s %11.0f %11.0f %18s %9.2f %9.2f %5.0f/%-5.0fus%s" % (
            FIGURES[name][0], statistics.median(a), statistics.median(n),
            "%.2f (%.2f-%.2f)" % (statistics.median(a) / statistics.median(n), min(ratios),
                                  max(ratios)),
            statistics.median(x["p99"] for x in res["agent"]),
            statistics.median(x["p99"] for x in res["nginx"]),
            statistics.median(x["cpu_us"] for x in res["agent"]),
            statistics.median(x["cpu_us"] for x in res["nginx"]),
            "  errors: " + errs if errs else ""), flush=True)


def stall(servers, runs, conns_list, threads=None):
    """N kept-alive connections, each answered once; then, with the agent
    stopped (SIGSTOP), a request on every one of them, so that its threads'
    waits return them all at once; time from SIGCONT until every one is
    answered. A server thread that stalls (libmicrohttpd 0.9.75's own epoll
    loop, when one wait returns exactly 128 events) shows as the connection
    timeout (the client gives up after 30 s). Also the share of the connections each server
    thread's CPU time suggests (handshakes included)."""
    import signal
    import socket
    for conns in conns_list:
        cfg = {"connections_per_address": 4096, "connection_timeout_s": 120}
        if threads:
            cfg["threads"] = threads
        srv = servers.agent(cfg)
        try:
            ctx = ssl.create_default_context(cafile=servers.ca)
            req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: %s\r\n\r\n"
                   % (DEVICE, srv.token)).encode()
            socks = []
            # the front serves HTTPS: the process to stop and to read
            front = (srv.children() or [srv.proc.pid])[0]
            before = thread_cpu(front, "https")
            for _ in range(conns):
                sk = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port)),
                                     server_hostname="127.0.0.1")
                sk.settimeout(30)
                sk.sendall(req)
                read_response(sk)
                socks.append(sk)
            times, failed = [], 0
            for _ in range(runs):
                os.kill(front, signal.SIGSTOP)
                try:
                    for sk in socks:
                        sk.sendall(req)
                    time.sleep(0.2)
                except OSError:
                    break  # a connection closed after a stall: the rounds end here
                finally:
                    os.kill(front, signal.SIGCONT)
                t0 = time.monotonic()
                for sk in socks:
                    try:
                        failed += read_response(sk) != 200
                    except (OSError, ConnectionError):
                        failed += 1
                times.append((time.monotonic() - t0) * 1000)
            after = thread_cpu(front, "https")
            for sk in socks:
                sk.close()
            used = {k: after[k] - before.get(k, 0) for k in after}
            total = max(1, sum(used.values()))
            share = " ".join("%d%%" % (100 * v / total) for _, v in sorted(used.items()))
            print("%4d connections ready at once, %d rounds: all answered in ms min %.0f median "
                  "%.0f max %.0f; failed %d; CPU share of the server threads: %s"
                  % (conns, runs, min(times), statistics.median(times), max(times), failed,
                     share or "n/a (unnamed threads)"), flush=True)
        finally:
            servers.stop_agent(srv)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("figures", nargs="*")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--stall-runs", type=int, default=5)
    ap.add_argument("--stall-conns", default="1 16 64 127 128 129 256 512 1000")
    ap.add_argument("--stall-threads", type=int, help="server threads (default: the agent's)")
    args = ap.parse_args()
    if args.build in FIGURES or args.build in ("stall", "idle"):
        args.figures.insert(0, args.build)
        args.build = os.path.join(HERE, "..", "..", "build")
    use_build(args.build)
    need("wrk", "wrk")
    need("nginx", "nginx-light")
    import agentlib
    if not os.access(agentlib.AGENT, os.X_OK):
        sys.exit("build the agent first (%s missing)" % agentlib.AGENT)
    names = args.figures or list(FIGURES) + ["stall", "idle"]
    work = tempfile.mkdtemp(prefix="cxla-bench-")
    try:
        servers = Servers(agentlib, work)
        print("rounds %d x %d s, alternating agent and nginx, one server at a time; "
              "machine load when starting: %s" % (args.rounds, args.seconds,
                                                  open("/proc/loadavg").read().split()[0]))
        cmp = [n for n in names if n in FIGURES]
        if cmp:
            compare(servers, cmp, args.rounds, args.seconds)
        if "stall" in names:
            stall(servers, args.stall_runs, [int(c) for c in args.stall_conns.split()],
                  args.stall_threads)
        if "idle" in names:
            subprocess.run([sys.executable, os.path.join(HERE, "idle_conns.py"), args.build])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
