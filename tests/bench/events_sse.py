#!/usr/bin/python3
"""Event streams under load. A measurement, not a test: nothing passes or fails.

Starts the agent (emulated devices), opens N server-sent event streams
(default 200), publishes a burst of M events (default 10,000) through
SubmitTestEvent from 4 keep-alive connections, and reports:
  - delivery latency (POST sent -> "id:" line read by each stream), p50/p99/max
  - events received per stream and drops the agent counted (/metrics)
  - agent RSS and CPU time over the burst
  - GET throughput (wrk, the Memory resource http_vs_nginx.sh uses) with the
    streams open and without them.

usage: tests/bench/events_sse.py [BUILD_DIR]
Environment: STREAMS (200), EVENTS (10000), DURATION (wrk seconds, 10), CONNS (wrk, 32)
Loopback only. The numbers depend on the machine; on a shared machine they are noisy."""
import base64
import http.client
import json
import multiprocessing
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
AGENT = os.path.join(BUILD, "agent", "cxl-agent")
STREAMS = int(os.environ.get("STREAMS", "200"))
EVENTS = int(os.environ.get("EVENTS", "10000"))
DURATION = int(os.environ.get("DURATION", "10"))
CONNS = int(os.environ.get("CONNS", "32"))
PASSWORD = "bench-password-123"
AUTH = "Basic " + base64.b64encode(("admin:" + PASSWORD).encode()).decode()
DEV = "/redfish/v1/Systems/host/Memory/1000000000000001"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_stats(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return cpu, rss


class Stream(threading.Thread):
    """Reads one event stream; records (event id, arrival time). The mapper
    stream also records which burst sequence number each id carries."""

    def __init__(self, ctx, port, mapper=False):
        super().__init__(daemon=True)
        raw = socket.create_connection(("127.0.0.1", port))
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.sock.sendall(("GET /redfish/v1/EventService/SSE HTTP/1.1\r\nHost: localhost\r\n"
                           "Authorization: %s\r\n\r\n" % AUTH).encode())
        self.mapper = mapper
        self.arrivals = []
        self.seq_of = {}
        self.status = None

    def end(self):
        """Shut down, wait for the reader, then release the descriptor: a
        descriptor closed under a blocked reader is reused by the next
        connection while the reader's TLS object still reads by number."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.join(10)
        self.sock.close()

    def run(self):
        buf = b""
        seq_re = re.compile(rb'"Message":"bench (\d+)"')
        while True:
            try:
                data = self.sock.recv(262144)
            except OSError:
                return
            if not data:
                return
            now = time.time()
            buf += data
            if self.status is None and b"\r\n" in buf:
                self.status = int(buf.split(b" ", 2)[1])
            lines = buf.split(b"\n")
            buf = lines.pop()
            last_id = None
            for line in lines:
                if line.startswith(b"id: "):
                    last_id = int(line[4:])
                    self.arrivals.append((last_id, now))
                elif self.mapper and line.startswith(b"data: ") and last_id is not None:
                    m = seq_re.search(line)
                    if m:
                        self.seq_of[last_id] = int(m.group(1))


def reader_group(port, ca, n, mapper, ready, results):
    """n streams in this process (the client, not the agent, is the
    bottleneck in one Python process)."""
    ctx = ssl.create_default_context(cafile=ca)
    streams = [Stream(ctx, port, mapper=(mapper and i == 0)) for i in range(n)]
    for st in streams:
        st.start()
    time.sleep(1)
    ready.put(sum(1 for st in streams if st.status == 200))
    deadline = time.time() + 300
    while time.time() < deadline and any(len(st.arrivals) < EVENTS for st in streams):
        time.sleep(0.5)
    results.put(([st.arrivals for st in streams], streams[0].seq_of if mapper else {}))
    for st in streams:
        st.end()


def publisher(port, ca, seqs, out):
    ctx = ssl.create_default_context(cafile=ca)
    sent = {}
    publish(port, ctx, seqs, sent)
    out.put(sent)


def publish(port, ctx, seqs, sent):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    for n in seqs:
        body = json.dumps({"MessageId": "ResourceEvent.1.4.ResourceChanged",
                           "Message": "bench %d" % n})
        sent[n] = time.time()
        conn.request("POST", "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent",
                     body=body, headers={"Authorization": AUTH,
                                         "Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status != 204:
            raise RuntimeError("SubmitTestEvent: %d" % r.status)
    conn.close()


def wrk(port, ca_dir):
    out = subprocess.run(["wrk", "-t2", "-c%d" % CONNS, "-d%ds" % DURATION, "-H",
                          "Authorization: " + AUTH, "https://127.0.0.1:%d%s" % (port, DEV)],
                         capture_output=True, text=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(m.group(1)) if m else float("nan")


def hold_streams(port, ca, n, ready, stop):
    ctx = ssl.create_default_context(cafile=ca)
    streams = [Stream(ctx, port) for _ in range(n)]
    for st in streams:
        st.start()
    time.sleep(1)
    ready.put(sum(1 for st in streams if st.status == 200))
    stop.get()
    for st in streams:
        st.end()


def wrk_with_streams(port, ca):
    ready, stop = multiprocessing.Queue(), multiprocessing.Queue()
    p = multiprocessing.Process(target=hold_streams, args=(port, ca, STREAMS, ready, stop))
    p.start()
    ready.get(timeout=120)
    rps = wrk(port, None)
    stop.put(1)
    p.join()
    return rps


def sse_clients(port, ca):
    out = subprocess.run(["curl", "-s", "--cacert", ca, "-H", "Authorization: " + AUTH,
                          "https://127.0.0.1:%d/metrics" % port],
                         capture_output=True, text=True).stdout
    m = re.search(r"^cxl_agent_sse_clients (\d+)", out, re.M)
    return int(m.group(1)) if m else -1


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, int(p / 100.0 * len(sorted_vals)))]


def main():
    work = tempfile.mkdtemp(prefix="cxla-bench-ev-")
    subprocess.run([os.path.join(ROOT, "certs", "gen-dev-certs"), work + "/certs"],
                   check=True, capture_output=True)
    port = free_port()
    cfg = {"listen_addresses": ["127.0.0.1"], "port": port,
           "tls_certificate": work + "/certs/server.crt", "tls_key": work + "/certs/server.key",
           "state_dir": work + "/state", "backend": "emulated", "log_level": "warning",
           "connection_limit": 4096, "connections_per_address": 4096,
           "sse_max_streams": STREAMS + 8,
           "event_queue_len": EVENTS + 100, "event_replay_size": 1024}
    with open(work + "/agent.json", "w") as f:
        json.dump(cfg, f)
    env = dict(os.environ, CXLA_INITIAL_ADMIN_PASSWORD=PASSWORD)
    log = open(work + "/agent.log", "wb")
    agent = subprocess.Popen([AGENT, "-c", work + "/agent.json"], stdout=log,
                             stderr=subprocess.STDOUT, env=env)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        ctx = ssl.create_default_context(cafile=work + "/certs/ca.crt")
        subprocess.run(["wrk", "-t2", "-c%d" % CONNS, "-d2s", "-H", "Authorization: " + AUTH,
                        "https://127.0.0.1:%d%s" % (port, DEV)], capture_output=True)  # warm-up
        base_rps = wrk(port, work)
        cpu0, rss0 = proc_stats(agent.pid)
        ca = work + "/certs/ca.crt"
        groups = 4
        ready, results, sent_q = (multiprocessing.Queue() for _ in range(3))
        readers = [multiprocessing.Process(target=reader_group, args=(
            port, ca, STREAMS // groups + (1 if g < STREAMS % groups else 0), g == 0, ready,
            results)) for g in range(groups)]
        for r in readers:
            r.start()
        opened = sum(ready.get(timeout=120) for _ in readers)
        time.sleep(1)
        cpu1, rss1 = proc_stats(agent.pid)
        t0 = time.time()
        per = (EVENTS + 3) // 4
        pubs = [multiprocessing.Process(target=publisher, args=(
            port, ca, range(i * per, min(EVENTS, (i + 1) * per)), sent_q)) for i in range(4)]
        for p in pubs:
            p.start()
        sent = {}
        for _ in pubs:
            sent.update(sent_q.get(timeout=600))
        t_pub = time.time() - t0
        arrivals, seq_of = [], {}
        for _ in readers:
            arr, m = results.get(timeout=600)
            arrivals.extend(arr)
            seq_of.update(m)
        t_all = max((a[-1][1] for a in arrivals if a), default=time.time()) - t0
        cpu2, rss2 = proc_stats(agent.pid)
        for r in readers + pubs:
            r.join()
        time.sleep(3)
        after_rps = None
        lat = sorted((t - sent[seq_of[i]]) * 1000 for arr in arrivals for i, t in arr
                     if i in seq_of and seq_of[i] in sent)
        got = sorted(len(a) for a in arrivals)
        metrics = subprocess.run(["curl", "-s", "--cacert", work + "/certs/ca.crt", "-H",
                                  "Authorization: " + AUTH, "https://127.0.0.1:%d/metrics" % port],
                                 capture_output=True, text=True).stdout
        drops = re.search(r"^cxl_agent_event_drops_total (\d+)", metrics, re.M)
        print("streams open: %d of %d; events published: %d in %.2f s (%.0f/s)"
              % (opened, STREAMS, EVENTS, t_pub, EVENTS / t_pub))
        print("all deliveries done after %.2f s; events per stream: min %d, median %d, max %d"
              % (t_all, got[0], got[len(got) // 2], got[-1]))
        print("delivery latency over %d deliveries: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (len(lat), pct(lat, 50), pct(lat, 99), lat[-1] if lat else float("nan")))
        print("agent drops counted: %s" % (drops.group(1) if drops else "?"))
        print("agent RSS: %.1f MiB idle, %.1f MiB with %d streams, %.1f MiB after the burst"
              % (rss0 / 1024, rss1 / 1024, STREAMS, rss2 / 1024))
        print("agent CPU during the burst: %.2f s (%.0f%% of one core over %.2f s)"
              % (cpu2 - cpu1, 100 * (cpu2 - cpu1) / t_all, t_all))
        # A closed stream is noticed at its next write: wait until the agent
        # has let go of the burst's streams before opening the next set.
        for _ in range(60):
            if sse_clients(port, ca) == 0:
                break
            time.sleep(0.5)
        after_rps = wrk(port, work)
        open_rps = wrk_with_streams(port, ca)
        print("GET %s (wrk -c%d, %ds): %.0f req/s before the streams, %.0f req/s after they "
              "closed, %.0f req/s with %d idle streams open"
              % (DEV, CONNS, DURATION, base_rps, after_rps, open_rps, STREAMS))
    finally:
        agent.terminate()
        agent.wait(30)
        log.close()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
