"""TLS handshakes as common clients make them: no HelloRetryRequest for the
key shares OpenSSL, GnuTLS and curl send first, a SHA-256 suite preferred,
sessions resumed from a ticket (by OpenSSL and curl) that another instance
of the agent does not accept, a handshake the agent refuses answered with a
TLS alert rather than a bare close, no CPU spent while a handshake waits
for the client, and no delayed-ACK wait for a client that leaves Nagle's
algorithm on."""
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import Agent, Checker  # noqa: E402

c = Checker("tls_handshake")
REQUEST = b"GET /redfish/v1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def s_client(a, *args):
    cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % a.port, "-CAfile", a.ca,
           "-servername", "localhost", "-trace", "-ign_eof"] + list(args)
    p = subprocess.run(cmd, input=REQUEST, capture_output=True, timeout=20)
    return p.returncode, p.stdout.decode(errors="replace")


def openssl_key_shares(a):
    # The orders clients use: X25519 first (OpenSSL, curl, GnuTLS), or a
    # client restricted to P-256.
    for groups, want in ((None, "ecdh_x25519"), ("X25519:P-256", "ecdh_x25519"),
                         ("P-256", "secp256r1")):
        rc, out = s_client(a, *(["-groups", groups] if groups else []))
        what = "openssl groups %s" % (groups or "default")
        c.eq(rc, 0, what + ": handshake")
        # A HelloRetryRequest shows as a second ClientHello in the trace.
        c.eq(out.count("ClientHello, Length"), 1, what + ": one ClientHello (no HelloRetryRequest)")
        c.check("HTTP/1.1 200" in out, what + ": request answered")
        # The server's key share is the last NamedGroup in the trace.
        shares = [ln.split(":", 1)[1].strip() for ln in out.splitlines() if "NamedGroup:" in ln]
        c.check(shares and shares[-1].startswith(want), "%s: server key share %s" % (what, shares[-1:]))
    rc, out = s_client(a)
    c.check("TLS_AES_128_GCM_SHA256" in out, "TLS 1.3 suite AES-128-GCM-SHA256 preferred")
    rc, out = s_client(a, "-tls1_2")
    c.check(rc == 0 and "ECDHE-ECDSA-AES128-GCM-SHA256" in out, "TLS 1.2 suite ECDHE-ECDSA-AES128-GCM-SHA256")


def gnutls_and_curl(a):
    p = subprocess.run(["gnutls-cli", "--x509cafile", a.ca, "--port", str(a.port), "localhost"],
                       input=b"", capture_output=True, timeout=20)
    out = p.stdout.decode(errors="replace")
    c.check(p.returncode == 0 and "ECDHE-X25519" in out, "gnutls-cli: X25519 on the first flight")
    p = subprocess.run(["curl", "-sS", "-v", "--cacert", a.ca, "-o", "/dev/null",
                        "https://localhost:%d/redfish/v1" % a.port], capture_output=True, timeout=20)
    err = p.stderr.decode(errors="replace")
    c.check(p.returncode == 0 and "TLS_AES_128_GCM_SHA256" in err,
            "curl: %s" % [ln for ln in err.splitlines() if "SSL connection" in ln])


def ticket_resumption(a, other):
    with tempfile.TemporaryDirectory() as d:
        sess = os.path.join(d, "session.pem")
        rc, out = s_client(a, "-sess_out", sess)
        c.check(rc == 0 and "New, TLSv1.3" in out, "first connection is a full handshake")
        rc, out = s_client(a, "-sess_in", sess)
        c.check(rc == 0 and "Reused, TLSv1.3" in out, "second connection resumes from the ticket")
        c.check("HTTP/1.1 200" in out, "resumed connection is served")
        # Same certificate, another process: another ticket key.
        rc, out = s_client(other, "-sess_in", sess)
        c.check(rc == 0 and "New, TLSv1.3" in out and "HTTP/1.1 200" in out,
                "another agent instance does not accept the ticket: full handshake")
    # curl keeps the ticket between the URLs of one invocation: the second
    # connection shows no Certificate message.
    url = "https://localhost:%d/redfish/v1" % a.port
    p = subprocess.run(["curl", "-sS", "-v", "--cacert", a.ca, "-H", "Connection: close",
                        "-o", "/dev/null", "-o", "/dev/null", url, url],
                       capture_output=True, timeout=20)
    err = p.stderr.decode(errors="replace")
    second = err.split("SSL re-using session ID", 1)
    c.check(p.returncode == 0 and len(second) == 2, "curl offers the ticket on its second connection")
    c.check(len(second) == 2 and "TLS handshake, Certificate (11)" not in second[1]
            and "SSL connection using TLSv1.3" in second[1],
            "curl's second connection resumes (no Certificate message)")


def failed_handshake_alerts(a):
    # (client options, the alert the agent must send before closing)
    for args, alert in ((["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], "protocol version(70)"),
                        (["-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_8_SHA256"],
                         "handshake failure(40)"),
                        (["-tls1_3", "-groups", "ffdhe2048"], "handshake failure(40)"),
                        (["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
                         "handshake failure(40)")):
        rc, out = s_client(a, *args)
        what = "openssl %s" % " ".join(args)
        # -trace prints what arrives: "Received Record ... Alert" then the
        # level and description.
        c.check(rc != 0, what + ": refused")
        c.check("Received Record" in out and "Level=fatal(2), description=%s" % alert in out,
                "%s: agent sent a fatal %s alert (%s)"
                % (what, alert, [ln.strip() for ln in out.splitlines() if "description=" in ln]))
    # The refusals did not disturb the connections that followed.
    rc, out = s_client(a)
    c.check(rc == 0 and "HTTP/1.1 200" in out, "a good handshake after the refused ones")


def cpu_seconds(a):
    """CPU time of the agent and its front (which serves HTTPS)."""
    pids = [a.proc.pid] + a.children()
    c.check(len(pids) > 1, "the front process is found")
    total = 0
    for pid in pids:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()
        total += int(st[11]) + int(st[12])
    return total / os.sysconf("SC_CLK_TCK")


def waiting_handshakes(a):
    # Clients that sent their hello and have not answered the server's
    # flight yet: a server thread polling their sockets until they do burns
    # a core each (libmicrohttpd keeps such a connection ready).
    ctx = ssl.create_default_context(cafile=a.ca)
    held = []
    for _ in range(4):
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", a.port)),
                            server_hostname="localhost", do_handshake_on_connect=False)
        s.setblocking(False)
        try:
            s.do_handshake()
        except ssl.SSLWantReadError:
            pass
        held.append(s)
    time.sleep(0.3)
    t0 = cpu_seconds(a)
    time.sleep(2)
    used = cpu_seconds(a) - t0
    c.check(used < 0.2, "4 handshakes waiting for their clients cost %.2f s of CPU in 2 s" % used)
    t0 = time.monotonic()
    rc, out = s_client(a)
    c.check(rc == 0 and "HTTP/1.1 200" in out and time.monotonic() - t0 < 5,
            "another client is served meanwhile")
    # The waiting ones finish their handshakes and are served.
    for s in held:
        s.setblocking(True)
        s.settimeout(10)
        s.do_handshake()
    held[0].sendall(REQUEST)
    c.check(held[0].recv(64).startswith(b"HTTP/1.1 200"), "a client that waited is served")
    for s in held:
        s.close()


def nagle_client(a):
    # Python's ssl on a plain socket leaves Nagle on, as many clients do:
    # its first request waits behind its unacknowledged Finished until the
    # server acknowledges it, 40 ms when the ACK is delayed.
    ctx = ssl.create_default_context(cafile=a.ca)
    ctx.check_hostname = False
    times = []
    for _ in range(15):
        t0 = time.monotonic()
        with socket.create_connection(("127.0.0.1", a.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(REQUEST)
                ok = s.recv(64).startswith(b"HTTP/1.1 200")
        times.append(time.monotonic() - t0)
        c.check(ok, "Nagle client answered")
    times.sort()
    median = times[len(times) // 2]
    print("new connection and first answer, Nagle on: median %.1f ms" % (median * 1e3))
    c.check(median < 0.035, "no delayed-ACK wait: median %.1f ms" % (median * 1e3))


with Agent() as a, Agent() as other:
    openssl_key_shares(a)
    gnutls_and_curl(a)
    ticket_resumption(a, other)
    failed_handshake_alerts(a)
    waiting_handshakes(a)
    nagle_client(a)
c.finish()
