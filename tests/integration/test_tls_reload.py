"""SIGHUP swaps the TLS certificate without a restart: a kept-alive
connection made before the reload goes on answering on the same socket with
the old certificate, a session made before it stays valid, a new connection
gets the new certificate; a bad file keeps the certificate in force and the
log says why; the log level changes with the same reload."""
import hashlib
import http.client
import json
import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker, make_certs  # noqa: E402

c = Checker("tls_reload")


def pem_sha256(path):
    der = ssl.PEM_cert_to_DER_cert(open(path).read())
    return hashlib.sha256(der).hexdigest()


def connect(a, ca):
    ctx = ssl.create_default_context(cafile=ca)
    conn = http.client.HTTPSConnection("127.0.0.1", a.port, context=ctx, timeout=10)
    conn.connect()
    return conn


def peer_sha256(conn):
    return hashlib.sha256(conn.sock.getpeercert(binary_form=True)).hexdigest()


def get(conn, path, headers=None):
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    r.read()
    return r.status


def reload(a, config, wait_for):
    with open(a.config_path + ".new", "w") as f:
        json.dump(config, f)
    os.replace(a.config_path + ".new", a.config_path)
    return a.hup(wait_for)


with Agent() as a:
    old_ca = a.ca
    old_fp = pem_sha256(a.config["tls_certificate"])
    new_dir = make_certs(os.path.join(a.tmp, "certs-new"))
    new_ca = os.path.join(new_dir, "ca.crt")
    new_fp = pem_sha256(os.path.join(new_dir, "server.crt"))
    c.check(old_fp != new_fp, "two different certificates")

    kept = connect(a, old_ca)
    c.eq(peer_sha256(kept), old_fp, "first connection has the old certificate")
    c.eq(get(kept, "/redfish/v1"), 200, "kept-alive connection before reload")
    login = a.curl("POST", "/redfish/v1/SessionService/Sessions",
                   body={"UserName": "admin", "Password": ADMIN_PASSWORD}, user=None)
    c.eq(login.status, 201, "session before reload")
    token = login.header("X-Auth-Token")
    sock_before = kept.sock

    cfg = dict(a.config)
    cfg["tls_certificate"] = os.path.join(new_dir, "server.crt")
    cfg["tls_key"] = os.path.join(new_dir, "server.key")
    log = reload(a, cfg, "new connections get the certificate")
    c.check(new_fp.upper()[:8] in log.replace(":", ""), "the log shows the new fingerprint")

    c.eq(get(kept, "/redfish/v1/Managers/agent", {"X-Auth-Token": token}), 200,
         "kept-alive connection and old session after reload")
    c.check(kept.sock is sock_before, "same socket: the connection was not re-opened")
    c.eq(peer_sha256(kept), old_fp, "kept-alive connection still has the old certificate")

    fresh = connect(a, new_ca)
    c.eq(peer_sha256(fresh), new_fp, "new connection gets the new certificate")
    c.eq(get(fresh, "/redfish/v1/Managers/agent", {"X-Auth-Token": token}), 200,
         "the session made before the reload works on a new connection")
    fresh.close()
    try:
        connect(a, old_ca).close()
        c.check(False, "a client trusting only the old CA must now fail")
    except ssl.SSLCertVerificationError:
        pass

    # A bad file: the certificate in force stays, the log says why.
    bogus = os.path.join(a.tmp, "bogus.crt")
    with open(bogus, "w") as f:
        f.write("not a certificate\n")
    cfg2 = dict(cfg, tls_certificate=bogus)
    log = reload(a, cfg2, "TLS certificate not reloaded")
    c.check("bogus.crt" in log, "the log names the bad file: %s" % log.strip()[-300:])
    fresh = connect(a, new_ca)
    c.eq(peer_sha256(fresh), new_fp, "after a bad reload the new certificate stays in force")
    fresh.close()

    # A broken configuration file: nothing changes at all.
    with open(a.config_path, "w") as f:
        f.write('{"port": 1, "log_level": "error",\n  "no_such_key": 1}\n')
    log = a.hup("configuration not reloaded")
    c.check("config.json:2:" in log,
            "a broken file is refused with file:line:column: %s" % log.strip())
    c.eq(get(kept, "/redfish/v1"), 200, "still serving after a broken file")

    # The log level follows the file: at "warning" the reload's info lines go.
    cfg3 = dict(cfg, log_level="warning", port=cfg["port"] + 1)
    log = reload(a, cfg3, "take effect at the next start")
    c.check("port" in log, "a changed port is named as waiting for a restart")
    c.check("new connections get the certificate" not in log,
            "info lines are gone at log_level warning")
    kept.close()

c.finish()
