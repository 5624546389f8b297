"""The agent speaks systemd's notify protocol to the socket in NOTIFY_SOCKET:
READY=1 only once HTTPS answers, watchdog pings at about half of
WATCHDOG_USEC, RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1
on SIGTERM. The test plays the service manager with its own datagram socket."""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import Agent, Checker  # noqa: E402

c = Checker("service_notify")


SENDERS = set()


def recv(sock):
    """One datagram; its sender's pid goes to SENDERS (the unit says
    NotifyAccess=main: only the process started may speak)."""
    msg, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(12))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            SENDERS.add(struct.unpack("iII", data[:12])[0])
    return msg


def messages(sock, until, timeout=10):
    """Datagrams received until one contains `until`."""
    got = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        sock.settimeout(max(0.01, deadline - time.time()))
        try:
            msg = recv(sock).decode()
        except socket.timeout:
            break
        got.append(msg)
        if until in msg:
            return got
    raise AssertionError("no %r within %ss; got %r" % (until, timeout, got))


def start_notified(a, **env):
    """The agent started as the service manager starts it, with env added:
    the socket it notifies (with its senders' credentials)."""
    path = os.path.join(a.tmp, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.bind(path)
    a.env.update(env, NOTIFY_SOCKET=path)
    a.log = open(a.log_path, "ab")
    a.proc = subprocess.Popen([os.environ.get("CXLA_AGENT"), "-c", a.config_path], stdout=a.log,
                              stderr=subprocess.STDOUT, env=a.env)
    return sock


with Agent(start=False) as a:
    sock = start_notified(a, WATCHDOG_USEC="400000")
    got = messages(sock, "READY=1", timeout=20)
    ready = [m for m in got if "READY=1" in m][0]
    # Readiness means listening: the first request right after it succeeds.
    r = a.curl("GET", "/redfish/v1", user=None)
    c.eq(r.status, 200, "service root right after READY=1")
    c.check("STATUS=serving 2 emulated device(s)" in ready, "READY carries a status: %r" % ready)

    # Drop what queued up meanwhile, then count pings over one second.
    sock.setblocking(False)
    try:
        while sock.recv(4096):
            pass
    except BlockingIOError:
        pass
    pings = 0
    deadline = time.time() + 1.0
    while time.time() < deadline:
        sock.settimeout(max(0.01, deadline - time.time()))
        try:
            pings += recv(sock).decode() == "WATCHDOG=1"
        except socket.timeout:
            break
    c.check(2 <= pings <= 7, "watchdog pinged every ~0.2 s (%d pings in 1 s)" % pings)

    a.proc.send_signal(signal.SIGHUP)
    got = messages(sock, "READY=1")
    order = [m for m in got if "RELOADING=1" in m or "READY=1" in m]
    c.check(len(order) == 2 and "RELOADING=1" in order[0] and "MONOTONIC_USEC=" in order[0],
            "SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1 (%r)" % order)

    a.proc.send_signal(signal.SIGTERM)
    messages(sock, "STOPPING=1")
    c.eq(a.proc.wait(15), 0, "clean exit after STOPPING=1")
    c.eq(SENDERS, {a.proc.pid}, "every notification from the main process (the broker)")
    sock.close()

# A front that ends on its own (killed here) ends the broker with a failure,
# and the unit's status line says why, not the last "serving ..." status.
with Agent(start=False) as a:
    sock = start_notified(a)
    a.expect_clean_exit = False
    messages(sock, "READY=1", timeout=20)
    kids = a.children()
    c.eq(len(kids), 1, "one front")
    os.kill(kids[0], signal.SIGKILL)
    got = messages(sock, "STATUS=the front")
    c.check(any("STATUS=the front was killed by signal 9" in m and "ERRNO=" in m for m in got),
            "the status says the front was killed: %r" % got)
    c.eq(a.proc.wait(15), 1, "the broker exits with 1")
    sock.close()

# A start that fails says why to the service manager (systemctl status shows
# STATUS=) and leaves the state directory alone. A configuration, catalogue
# or profile that does not load exits with EX_CONFIG (78), which the unit does
# not restart, since no later try would load it; a port taken by another
# process may be free on the next try, so that start exits with 1.
EX_CONFIG = 78
for name, text, where in (("config", '{"port": 8443,\n  "port2": 1}\n', "config.json:2:"),
                          ("catalogue", '{"version": 1,\n "commands": 7}\n', "policy.json:2:"),
                          ("profile", '{"devices":\n  7}\n', "profile.json:2:"),
                          ("port", None, "Address already in use")):
    with Agent(start=False) as a:
        path = os.path.join(a.tmp, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        holder = None
        if name == "config":
            with open(a.config_path, "w") as f:
                f.write(text)
        elif name == "port":
            holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            holder.bind(("127.0.0.1", a.port))
            holder.listen(1)
        else:
            key = {"catalogue": "policy_file", "profile": "emulated_profile"}[name]
            doc = os.path.join(a.tmp, where.split(":")[0])
            with open(doc, "w") as f:
                f.write(text)
            a.config[key] = doc
            with open(a.config_path, "w") as f:
                f.write(json.dumps(a.config))
        env = dict(a.env, NOTIFY_SOCKET=path)
        r = subprocess.run([os.environ.get("CXLA_AGENT"), "-c", a.config_path], env=env,
                           capture_output=True, text=True, timeout=30)
        c.eq(r.returncode, 1 if name == "port" else EX_CONFIG,
             "broken %s: start fails with its status" % name)
        c.check(where in r.stderr, "broken %s: stderr names %s (%s)" % (name, where, r.stderr.strip()))
        got = messages(sock, "STATUS=")
        c.check(any(where in m and "ERRNO=" in m for m in got),
                "broken %s: STATUS= carries %s (%r)" % (name, where, got))
        if holder:
            holder.close()
        else:
            c.check(not os.path.exists(a.state),
                    "broken %s: state directory not created" % name)
        sock.close()

c.finish()
