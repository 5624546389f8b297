"""The agent over real TLS on loopback: protocol entry points, authentication,
errors, limits, TLS versions, IPv6, configuration checks and clean shutdown."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, AGENT, Agent, Checker  # noqa: E402

c = Checker("foundation")


def protocol_entry_points(a):
    r = a.curl("GET", "/redfish", user=None)
    c.eq(r.status, 200, "/redfish")
    c.eq(r.json(), {"v1": "/redfish/v1/"}, "/redfish body")
    for path in ("/redfish/v1", "/redfish/v1/"):
        r = a.curl("GET", path, user=None)
        c.eq(r.status, 200, path + " without credentials")
        root = c.redfish_json(r, path)
        c.check(root and root["Links"]["Sessions"]["@odata.id"] == "/redfish/v1/SessionService/Sessions",
                "ServiceRoot links Sessions")
        c.check(r.header("etag"), "ServiceRoot has an ETag")
    uuid = root["UUID"]
    r = a.curl("GET", "/redfish/v1/odata", user=None)
    c.eq(r.status, 200, "odata")
    doc = r.json()
    c.eq(doc.get("@odata.context"), "/redfish/v1/$metadata", "odata context")
    c.check(any(v.get("url") == "/redfish/v1/" for v in doc.get("value", [])), "odata lists the service")
    r = a.curl("GET", "/redfish/v1/$metadata", user=None)
    c.eq(r.status, 200, "$metadata")
    c.check((r.header("content-type") or "").startswith("application/xml"), "$metadata is XML")
    c.check("<EntityContainer" in r.body and "ServiceRoot_v1.xml" in r.body, "$metadata content")
    return uuid


def authentication(a):
    r = a.curl("GET", "/redfish/v1/Managers", user=None)
    c.error_body(r, 401, "NoValidSession", "Managers without credentials")
    c.check((r.header("www-authenticate") or "").startswith("Basic realm="), "WWW-Authenticate on 401")
    r = a.curl("GET", "/redfish/v1/Managers", user=("admin", "wrong"))
    c.error_body(r, 401, "NoValidSession", "Managers with a wrong password")
    r = a.curl("GET", "/redfish/v1/Managers", user=("nobody", "x"))
    c.error_body(r, 401, "NoValidSession", "Managers with an unknown user")
    r = a.curl("GET", "/redfish/v1/Managers", headers={"Authorization": "Basic !!!"}, user=None)
    c.error_body(r, 401, "NoValidSession", "malformed Basic header")
    r = a.curl("GET", "/redfish/v1/Managers")
    c.eq(r.status, 200, "Managers as admin")
    coll = c.redfish_json(r, "Managers")
    c.eq(coll.get("Members@odata.count"), len(coll.get("Members", [])), "Members@odata.count")
    for m in coll["Members"]:
        r = a.curl("GET", m["@odata.id"])
        c.eq(r.status, 200, m["@odata.id"])
        c.redfish_json(r, m["@odata.id"])
    # ReadOnly may read but not change accounts.
    r = a.curl("GET", "/redfish/v1/Managers", user=("viewer", "viewer-password-1"))
    c.eq(r.status, 200, "Managers as ReadOnly")
    r = a.curl("POST", "/redfish/v1/AccountService/Accounts", user=("viewer", "viewer-password-1"),
               body={"UserName": "x", "Password": "y" * 16, "RoleId": "ReadOnly"})
    c.error_body(r, 403, "InsufficientPrivilege", "ReadOnly creating an account")


def errors_and_limits(a):
    r = a.curl("GET", "/redfish/v1/NoSuchThing")
    c.error_body(r, 404, "ResourceNotFound", "unknown path")
    r = a.curl("GET", "/redfish/v1/Managers/nope")
    c.error_body(r, 404, "ResourceNotFound", "unknown manager")
    r = a.curl("DELETE", "/redfish/v1/Managers")
    c.error_body(r, 405, "OperationNotAllowed", "DELETE on a collection")
    c.eq(r.header("allow"), "GET, HEAD", "Allow on 405")
    r = a.curl("GET", "/redfish/v1/Managers/")
    c.eq(r.status, 200, "trailing slash tolerated")
    r = a.curl("POST", "/redfish/v1/AccountService/Accounts", raw_body=b"x" * 70000,
               headers={"Content-Type": "application/json"})
    c.error_body(r, 413, "PayloadTooLarge", "oversized body")
    r = a.curl("POST", "/redfish/v1/AccountService/Accounts", raw_body=b"UserName=x",
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    c.error_body(r, 415, "GeneralError", "form-encoded body")
    r = a.curl("GET", "/redfish/v1/Managers?$filter=Id%20eq%20'agent'")
    c.error_body(r, 501, "QueryParameterUnsupported", "$filter")
    r = a.curl("GET", "/redfish/v1/Managers?unrelated=1")
    c.eq(r.status, 200, "non-$ query parameters are ignored")
    r = a.curl("HEAD", "/redfish/v1/Managers/agent")
    c.eq(r.status, 200, "HEAD")
    c.eq(r.body, "", "HEAD has no body")
    c.check(r.header("etag") and r.header("odata-version") == "4.0", "HEAD carries the headers")
    r = a.curl("GET", "/redfish/v1/Managers/agent")
    r2 = a.curl("GET", "/redfish/v1", user=None, headers={"If-None-Match": a.curl("GET", "/redfish/v1", user=None).header("etag")})
    c.eq(r2.status, 304, "If-None-Match with the current ETag")


def ipv6(a):
    r = a.curl("GET", "/redfish/v1/Managers", host="::1")
    c.eq(r.status, 200, "Managers over ::1")


def tls_versions(a):
    for version in ("TLS1.0", "TLS1.1"):
        p = subprocess.run(["gnutls-cli", "--x509cafile", a.ca, "--port", str(a.port),
                            "--priority", "NORMAL:-VERS-ALL:+VERS-%s" % version, "localhost"],
                           input=b"", capture_output=True, timeout=20)
        c.check(p.returncode != 0, "%s refused (gnutls-cli rc %d)" % (version, p.returncode))
    for version in ("TLS1.2", "TLS1.3"):
        p = subprocess.run(["gnutls-cli", "--x509cafile", a.ca, "--port", str(a.port),
                            "--priority", "NORMAL:-VERS-ALL:+VERS-%s" % version, "localhost"],
                           input=b"", capture_output=True, timeout=20)
        c.check(p.returncode == 0, "%s accepted: %s" % (version, p.stderr.decode()[-300:]))
    # Plain HTTP to the TLS port: refused cleanly, the agent keeps serving.
    with socket.create_connection(("127.0.0.1", a.port), timeout=5) as s:
        s.sendall(b"GET /redfish/v1 HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = s.recv(4096)
        except (ConnectionResetError, socket.timeout):
            data = b""
        c.check(not data.startswith(b"HTTP/1.1 200"), "plaintext HTTP is not served")
    r = a.curl("GET", "/redfish/v1", user=None)
    c.eq(r.status, 200, "still serving after a plaintext attempt")


def graceful_shutdown(a):
    """SIGTERM while a request is being uploaded: it is answered, exit 0.
    The signal is sent once the agent has taken the request (its 100
    Continue came back), not after a fixed pause: under load the client
    can take a second to connect, and a request that comes after the stop
    began is refused (test_stop_under_load)."""
    body = os.path.join(a.tmp, "upload.json")
    with open(body, "wb") as f:
        f.write(b"[" + b"1," * 12000 + b"1]")
    p = subprocess.Popen(["curl", "-sS", "-v", "--cacert", a.ca, "-u", "admin:" + ADMIN_PASSWORD,
                          "-H", "Content-Type: application/json",
                          "-H", "Expect: 100-continue", "--expect100-timeout", "30",
                          "--limit-rate", "10K", "--data-binary", "@" + body, "-o", "/dev/null",
                          "-w", "%{http_code}", a.url("/redfish/v1/Managers")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    trace = []
    for line in p.stderr:
        trace.append(line)
        if line.startswith(b"< HTTP/1.1 100"):
            break
    c.check(trace and trace[-1].startswith(b"< HTTP/1.1 100"),
            "the upload was taken (100 Continue): %r" % trace[-3:])
    a.proc.send_signal(signal.SIGTERM)
    try:
        out, _ = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    rc = a.proc.wait(20)
    c.eq(p.returncode, 0, "in-flight request completed (curl rc)")
    c.eq(out.decode(), "405", "in-flight request got its answer")
    c.eq(rc, 0, "agent exit status after SIGTERM")


def config_checks(a):
    bad = os.path.join(a.tmp, "bad.json")
    with open(bad, "w") as f:
        f.write('{\n  "port": 8443,\n  "listen_adresses": ["127.0.0.1"]\n}\n')
    p = subprocess.run([AGENT, "--check-config", "-c", bad], capture_output=True, text=True)
    c.check(p.returncode != 0, "--check-config fails on an unknown key")
    c.check("%s:3:3:" % bad in p.stderr and "listen_adresses" in p.stderr,
            "unknown key named with line:column: %r" % p.stderr)
    with open(bad, "w") as f:
        f.write('{"port": "8443"}')
    p = subprocess.run([AGENT, "--check-config", "-c", bad], capture_output=True, text=True)
    c.check(p.returncode != 0 and ":1:10:" in p.stderr, "wrong type located: %r" % p.stderr)
    p = subprocess.run([AGENT, "--check-config", "-c", a.config_path], capture_output=True, text=True)
    c.eq(p.returncode, 0, "--check-config on a good file: " + p.stderr)
    p = subprocess.run([AGENT, "--print-config", "-c", a.config_path], capture_output=True, text=True)
    c.check(p.returncode == 0 and json.loads(p.stdout)["tls_key"] == "(redacted)", "--print-config redacts the key")
    # Mismatched key and certificate are refused at start with a clear message.
    cfg = dict(a.config)
    cfg["tls_key"] = os.path.join(a.certs, "client.key")
    mism = os.path.join(a.tmp, "mismatch.json")
    with open(mism, "w") as f:
        json.dump(cfg, f)
    p = subprocess.run([AGENT, "-c", mism], capture_output=True, text=True, timeout=20)
    c.check(p.returncode != 0 and "does not match" in p.stderr, "key/cert mismatch refused: %r" % p.stderr)
    cfg["tls_key"] = os.path.join(a.certs, "missing.key")
    with open(mism, "w") as f:
        json.dump(cfg, f)
    p = subprocess.run([AGENT, "-c", mism], capture_output=True, text=True, timeout=20)
    c.check(p.returncode != 0 and "missing.key" in p.stderr, "unreadable key refused: %r" % p.stderr)


def stable_uuid(a, uuid):
    a.stop()
    a.start()
    r = a.curl("GET", "/redfish/v1", user=None)
    c.eq(r.json()["UUID"], uuid, "service UUID stable across restarts")


with Agent(accounts=[("admin", ADMIN_PASSWORD, "Administrator"),
                     ("viewer", "viewer-password-1", "ReadOnly")]) as a:
    uuid = protocol_entry_points(a)
    authentication(a)
    errors_and_limits(a)
    ipv6(a)
    tls_versions(a)
    config_checks(a)
    stable_uuid(a, uuid)
    graceful_shutdown(a)
c.finish()
