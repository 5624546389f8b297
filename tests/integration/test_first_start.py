"""A first start with no TLS files and no initial password configured: the
agent makes a self-signed certificate for the host's names and addresses,
logs its fingerprint, writes the administrator's password to a file only its
owner can read, and never logs the password. A restart reuses both and does
not bring a deleted password file back. A reload (SIGHUP) reads the generated
pair again and makes nothing: the front, which serves TLS, may not create
files, so a removed pair is made again only by the next start."""
import os
import re
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import Agent, Checker  # noqa: E402

c = Checker("first_start")


def fingerprint(path):
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", path],
                         check=True, capture_output=True, text=True).stdout
    return out.strip().split("=", 1)[1]


with Agent(config={"tls_certificate": None, "tls_key": None}, start=False, seed_admin=False) as a:
    del a.env["CXLA_INITIAL_ADMIN_PASSWORD"]
    a.start()
    cert = os.path.join(a.state, "tls", "server.crt")
    key = os.path.join(a.state, "tls", "server.key")
    pwfile = os.path.join(a.state, "initial-admin-password")
    c.eq(stat.S_IMODE(os.stat(key).st_mode), 0o600, "generated key mode")
    c.eq(stat.S_IMODE(os.stat(os.path.join(a.state, "tls")).st_mode), 0o700, "tls dir mode")
    c.eq(stat.S_IMODE(os.stat(pwfile).st_mode), 0o600, "password file mode")
    password = open(pwfile).read().strip()
    c.check(len(password) >= 12, "generated password is long enough")

    fp = fingerprint(cert)
    log = a.logtext()
    c.check(fp in log, "the log shows the certificate's SHA-256 fingerprint")
    c.check(password not in log, "the password is never logged")
    c.check(pwfile in log, "the log says where the password is")

    # The generated certificate is the trust anchor, and its SANs name the
    # host by every way a client on this machine reaches it.
    a.ca = cert
    for host in ("127.0.0.1", "::1", "localhost"):
        r = a.curl("GET", "/redfish/v1/Managers/agent", user=("admin", password), host=host)
        c.eq(r.status, 200, "admin with the file's password over %s" % host)
    san = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", cert],
                         check=True, capture_output=True, text=True).stdout
    c.check(re.search(r"DNS:%s\b" % re.escape(os.uname().nodename.split(".")[0]), san) is not None,
            "SAN names the host: %s" % san.strip())

    # A restart keeps the certificate; a deleted password file stays deleted.
    os.unlink(pwfile)
    c.eq(a.stop(), 0, "clean stop")
    a.start()
    c.eq(fingerprint(cert), fp, "the certificate survives a restart")
    c.check(not os.path.exists(pwfile), "the password file is not written again")
    r = a.curl("GET", "/redfish/v1/Managers/agent", user=("admin", password))
    c.eq(r.status, 200, "the account survives a restart")
    c.check(a.logtext().count("created a self-signed certificate") == 1,
            "the certificate was created once")

    # Reload with the generated pair: read again, the front goes on.
    new = a.hup("SIGHUP: new connections get the certificate")
    c.check(fp in new, "the reload names the same certificate: %s" % new.strip())
    r = a.curl("GET", "/redfish/v1/Managers/agent", user=("admin", password))
    c.eq(r.status, 200, "still answering after a reload of the generated pair")
    # Removed: the reload keeps the pair in force and says so; the next
    # start makes a new one.
    a.ca = os.path.join(a.state, "..", "first-cert.pem")
    with open(a.ca, "w") as f:
        f.write(open(cert).read())
    os.unlink(cert)
    os.unlink(key)
    new = a.hup("TLS certificate not reloaded")
    c.check("next start" in new, "the log says the next start makes it: %s" % new.strip())
    r = a.curl("GET", "/redfish/v1/Managers/agent", user=("admin", password))
    c.eq(r.status, 200, "the previous pair stays in force")
    c.check(not os.path.exists(cert), "a reload makes no file")
    c.eq(a.stop(), 0, "clean stop after the reloads")
    a.start()
    c.check(os.path.exists(cert) and fingerprint(cert) != fp, "the next start makes a new pair")
    a.ca = cert
    r = a.curl("GET", "/redfish/v1/Managers/agent", user=("admin", password))
    c.eq(r.status, 200, "served with the new pair")

c.finish()
