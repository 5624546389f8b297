#!/usr/bin/python3
"""Memory and responsiveness with many idle TLS connections, the agent
(default configuration, two emulated devices) against nginx with the same
certificate. A measurement, not a test.

usage: /usr/bin/python3 tests/bench/idle_conns.py [BUILD_DIR] [--conns N ...] [--per-address K]
                                                  [--no-nginx]
For each N (default 1000 10000): start the server, let it settle, read its
resident memory; open N TLS 1.3 connections from 127.0.1.x source addresses
(K per address, default 200, below the agent's default per-address limit),
each sending one keep-alive GET and then staying idle; read the memory
again; time a GET from another address (127.0.0.254) over a new connection
while they are held; close them all, wait 3 s and read the memory once
more. Memory is VmRSS summed over the server's processes; per connection
is (held - idle) / N, N counting the connections still open then. The
agent's idle timeout is raised to nginx's 600 s (opening 10,000 connections
takes longer than its default 60 s here); nothing else is configured. Only one server runs at a time. Loopback only."""
import argparse
import asyncio
import os
import resource
import shutil
import ssl
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from benchlib import rss_kib, use_build  # noqa: E402


async def one(ctx, host, port, src, path, headers, hold, opened, sem):
    async with sem:
        r, w = await asyncio.open_connection(host, port, ssl=ctx, local_addr=(src, 0))
        req = "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (path, host, "".join(
            "%s: %s\r\n" % h for h in headers))
        w.write(req.encode())
        await w.drain()
        head = await r.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await r.readexactly(length)
        opened.append((r, w))
    await hold.wait()
    w.close()


async def probe(ctx, host, port, path, headers):
    t0 = time.monotonic()
    r, w = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=ctx,
                                                          local_addr=("127.0.0.254", 0)), 5)
    w.write(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s\r\n" % (
        path, host, "".join("%s: %s\r\n" % h for h in headers))).encode())
    status = (await asyncio.wait_for(r.readline(), 5)).split()[1].decode()
    w.close()
    return status, (time.monotonic() - t0) * 1000


async def measure(pid, ca, port, n, per_address, path, headers):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    await asyncio.sleep(1)
    idle = rss_kib(pid)
    hold = asyncio.Event()
    opened = []
    sem = asyncio.Semaphore(64)
    t0 = time.monotonic()
    tasks = [asyncio.create_task(one(ctx, "127.0.0.1", port,
                                     "127.0.%d.%d" % (1 + i // per_address // 250,
                                                      1 + (i // per_address) % 250),
                                     path, headers, hold, opened, sem)) for i in range(n)]
    while len(opened) < n:
        done = [t for t in tasks if t.done() and t.exception()]
        if done:
            hold.set()
            raise done[0].exception()
        await asyncio.sleep(0.1)
    setup = time.monotonic() - t0
    await asyncio.sleep(1)
    held = rss_kib(pid)
    alive = sum(1 for r, w in opened if not r.at_eof() and not w.is_closing())
    probes = [await probe(ctx, "127.0.0.1", port, path, headers) for _ in range(5)]
    hold.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(3)
    after = rss_kib(pid)
    return idle, held, after, setup, probes, alive


def report(name, n, res):
    idle, held, after, setup, probes, alive = res
    n = alive
    ms = sorted(p[1] for p in probes)
    print("%-6s %6d conns held: idle %6.1f MiB, held %6.1f MiB (%5.1f KiB/conn), "
          "3 s after closing %6.1f MiB (%+.0f%% of idle); opened in %.1f s; "
          "new client from 127.0.0.254: %s in %.0f ms (median of 5, max %.0f)"
          % (name, n, idle / 1024, held / 1024, (held - idle) / n, after / 1024,
             100.0 * (after - idle) / idle, setup, "/".join(sorted({p[0] for p in probes})),
             ms[len(ms) // 2], ms[-1]), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--conns", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--per-address", type=int, default=200)
    ap.add_argument("--no-nginx", action="store_true")
    args = ap.parse_args()
    use_build(args.build)
    import agentlib
    import sidebyside
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if max(args.conns) + 100 > hard:
        sys.exit("the descriptor limit (%d) is too low for %d connections" % (hard, max(args.conns)))
    work = tempfile.mkdtemp(prefix="cxla-idle-")
    try:
        servers = sidebyside.Servers(agentlib, work)
        for n in args.conns:
            # The default configuration, but for the idle timeout (60 s):
            # opening 10,000 connections from one Python process takes
            # longer than that on a small machine.
            a = servers.agent({"connection_timeout_s": 600})
            try:
                res = asyncio.run(measure(a.proc.pid, servers.ca, a.port, n, args.per_address,
                                          sidebyside.DEVICE, [("X-Auth-Token", a.token)]))
            finally:
                servers.stop_agent(a)
            report("agent", n, res)
            if args.no_nginx:
                continue
            ng = servers.nginx()
            try:
                res = asyncio.run(measure(ng.pid, servers.ca, ng.port, n, args.per_address,
                                          sidebyside.DEVICE, []))
            finally:
                servers.stop_nginx(ng)
            report("nginx", n, res)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
