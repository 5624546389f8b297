"""TLS as a real scanner sees it: Debian's testssl.sh (protocols, cipher
categories, server defaults, vulnerabilities including renegotiation and
compression) against the running agent finds nothing of severity MEDIUM or
above, and the key results are pinned below.

One testssl result is a known misreading and is pinned as such: its client
renegotiation probe counts s_client's exit status, and the agent answers a
renegotiation ClientHello by closing the connection (close_notify) instead
of with an alert, which s_client reports as success. That the agent never
renegotiates is checked here directly: no ServerHello follows the
renegotiation request. (GnuTLS offers no way to refuse with an alert, see
gnutls#1252; libmicrohttpd closes the connection.)"""
import json
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import Agent, Checker, missing  # noqa: E402

c = Checker("tls_scan")
TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")
if not TESTSSL:
    missing("testssl.sh")

# Expected results, by testssl id (finding text starts with the value).
PINNED = {
    "SSLv2": "not offered", "SSLv3": "not offered", "TLS1": "not offered",
    "TLS1_1": "not offered", "TLS1_2": "offered", "TLS1_3": "offered",
    "cipherlist_NULL": "not offered", "cipherlist_aNULL": "not offered",
    "cipherlist_EXPORT": "not offered", "cipherlist_LOW": "not offered",
    "cipherlist_3DES_IDEA": "not offered", "cipherlist_STRONG": "offered",
    "cert_chain_of_trust": "passed", "secure_renego": "supported",
    "CRIME_TLS": "not vulnerable", "heartbleed": "not vulnerable",
    "CCS": "not vulnerable", "ticketbleed": "not vulnerable", "ROBOT": "not vulnerable",
    "POODLE_SSL": "not vulnerable", "fallback_SCSV": "no protocol below TLS 1.2 offered",
    "SWEET32": "not vulnerable", "FREAK": "not vulnerable", "LOGJAM": "not vulnerable",
    "DROWN": "not vulnerable", "BEAST": "not vulnerable", "LUCKY13": "not vulnerable",
}
# Known misreadings: id -> (severity, finding), each backed by its own check.
KNOWN = {"secure_client_renego": ("HIGH", "VULNERABLE, DoS threat")}
SEVERE = ("MEDIUM", "HIGH", "CRITICAL")


def server_cert_with_revocation_info(certs):
    """A server certificate that says where its revocation status lives, as
    a deployment's would (testssl rates a certificate without CRL or OCSP
    URI HIGH, which is about the certificate, not the agent)."""
    ext = os.path.join(certs, "server-crl.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "crlDistributionPoints=URI:http://127.0.0.1:9/ca.crl\n")
    csr = os.path.join(certs, "server.csr")
    subprocess.run(["openssl", "req", "-new", "-key", os.path.join(certs, "server.key"),
                    "-subj", "/CN=localhost", "-out", csr], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", os.path.join(certs, "ca.crt"),
                    "-CAkey", os.path.join(certs, "ca.key"), "-CAcreateserial", "-days", "365",
                    "-sha256", "-extfile", ext, "-out", os.path.join(certs, "server.crt")],
                   check=True, capture_output=True)


def never_renegotiates(a):
    """openssl s_client asks to renegotiate (TLS 1.2): the agent must not
    answer with a ServerHello, and the connection must end. s_client reads
    its commands only once the handshake is done, and its input stays open,
    so the connection ends only if the agent ends it (within 20 s)."""
    p = subprocess.Popen(["openssl", "s_client", "-msg", "-tls1_2",
                          "-connect", "127.0.0.1:%d" % a.port, "-CAfile", a.ca],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    p.stdin.write(b"R\n")
    p.stdin.flush()
    timer = threading.Timer(20, p.kill)
    timer.start()
    out = p.stdout.read().decode(errors="replace")
    timer.cancel()
    p.stdin.close()
    p.wait()
    after = out.split("RENEGOTIATING", 1)
    c.check(len(after) == 2, "s_client asked to renegotiate")
    tail = after[-1]
    c.check("<<< TLS 1.2, Handshake" not in tail and "ServerHello" not in tail,
            "no handshake message answers the renegotiation request")
    c.check("closed" in tail or "Alert" in tail, "the connection ends instead: %r" % tail[-300:])


with Agent(start=False) as a:
    server_cert_with_revocation_info(a.certs)
    a.start()
    never_renegotiates(a)
    out = os.path.join(a.tmp, "testssl.json")
    t0 = time.monotonic()
    p = subprocess.run([TESTSSL, "--quiet", "--color", "0", "--warnings", "off", "--fast",
                        "--connect-timeout", "10", "--openssl-timeout", "10",
                        "--add-ca", a.ca, "--jsonfile", out, "-p", "-s", "-S", "-U",
                        "127.0.0.1:%d" % a.port], capture_output=True, text=True, timeout=720)
    took = time.monotonic() - t0
    with open(out) as f:
        findings = json.load(f)
    by_id = {x["id"]: x for x in findings}
    severe = sorted((x["id"], x["severity"], x["finding"]) for x in findings
                    if x["severity"] in SEVERE)
    print("testssl: %d findings in %.0f s; MEDIUM or above: %r" % (len(findings), took, severe))
    for fid, sev, finding in severe:
        c.check(KNOWN.get(fid) == (sev, finding),
                "no unexpected MEDIUM+ finding: %s %s %s" % (fid, sev, finding))
    for fid, want in PINNED.items():
        got = by_id.get(fid, {}).get("finding", "(missing)")
        c.check(got.startswith(want), "%s: %r, pinned %r" % (fid, got, want))
c.finish()
