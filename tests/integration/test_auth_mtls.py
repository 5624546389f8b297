"""Mutual TLS: a client certificate that chains to tls_client_ca maps to an
account by subject CN or by subjectAltName (tls_client_identity); expired,
not-yet-valid, wrong-CA, wrong-purpose and unmapped certificates are
refused; tls_client_auth off / optional / required; and the README's fleet
example with the certificate made by certs/gen-dev-certs, driven by curl."""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker  # noqa: E402
import agentlib  # noqa: E402
import authlib  # noqa: E402
from authlib import Client  # noqa: E402

if not authlib.HAVE_CRYPTOGRAPHY:
    agentlib.missing("python3-cryptography")

c = Checker("auth_mtls")
ADMIN = ("admin", ADMIN_PASSWORD)
DAY = datetime.timedelta(days=1)
MANAGERS = "/redfish/v1/Managers"


def agent(mode, identity="cn"):
    a = Agent(start=False, config={"tls_client_auth": mode, "tls_client_identity": identity})
    a.config["tls_client_ca"] = a.ca
    with open(a.config_path, "w") as f:
        json.dump(a.config, f)
    authlib.seed_accounts(a, [("admin", ADMIN_PASSWORD, "Administrator"),
                              ("fleet-client", "fleet-password-1", "Operator"),
                              ("ops@example.org", "ops-password-12", "ReadOnly")])
    return a


def certs(a):
    d = os.path.join(a.tmp, "pki")
    foreign = authlib.make_ca(os.path.join(a.tmp, "other-ca"), "other CA")
    return {
        "good": authlib.issue_client(a.certs, d, "good", cn="fleet-client"),
        "san": authlib.issue_client(a.certs, d, "san", cn="nobody", emails=["ops@example.org"]),
        "expired": authlib.issue_client(a.certs, d, "expired", cn="fleet-client",
                                        valid_from=-3 * DAY, valid_to=-DAY),
        "future": authlib.issue_client(a.certs, d, "future", cn="fleet-client",
                                       valid_from=DAY, valid_to=3 * DAY),
        "foreign": authlib.issue_client(foreign, d, "foreign", cn="fleet-client"),
        "unmapped": authlib.issue_client(a.certs, d, "unmapped", cn="no-such-account"),
        "server-purpose": authlib.issue_client(a.certs, d, "server-purpose", cn="fleet-client",
                                               client_auth=False),
    }


def status(a, cert, path=MANAGERS, **kw):
    cl = Client(a, cert=cert)
    try:
        return cl.request("GET", path, **kw)
    finally:
        cl.close()


# optional, CN
with agent("optional") as a:
    a.start()
    k = certs(a)
    r = status(a, k["good"])
    c.eq(r.status, 200, "optional: mapped certificate authenticates")
    r = status(a, k["good"], path="/redfish/v1/AccountService/Accounts")
    names = [Client(a, cert=k["good"]).request("GET", m["@odata.id"]).json()["UserName"]
             for m in r.json()["Members"]]
    c.eq(names, ["fleet-client"], "certificate identity is the mapped account")
    r = status(a, k["good"], path="/redfish/v1/AccountService")
    c.eq(r.status, 200, "Operator by certificate reads AccountService")
    cl = Client(a, cert=k["good"])
    r = cl.request("POST", "/redfish/v1/AccountService/Roles", body={"RoleId": "X"})
    c.eq(r.status, 403, "certificate identity carries the account's role")
    cl.close()
    for name in ("expired", "future", "foreign", "unmapped", "server-purpose"):
        r = status(a, k[name])
        c.error_body(r, 401, "NoValidSession", "optional: %s certificate refused" % name)
        r = status(a, k[name], basic=ADMIN)
        c.eq(r.status, 401, "optional: %s certificate refused even with valid Basic" % name)
        r = status(a, k[name], path="/redfish/v1")
        c.eq(r.status, 401, "optional: %s certificate refused on public resources" % name)
    r = status(a, k["san"])
    c.eq(r.status, 401, "cn mode ignores the SAN")
    r = status(a, None)
    c.eq(r.status, 401, "optional: no certificate and no credentials")
    r = status(a, None, basic=ADMIN)
    c.eq(r.status, 200, "optional: no certificate, Basic works")
    r = status(a, None, path="/redfish/v1")
    c.eq(r.status, 200, "optional: public resources without a certificate")
    svc = status(a, k["good"], path="/redfish/v1/AccountService").json()
    c.eq(svc["MultiFactorAuth"]["ClientCertificate"],
         {"Enabled": True, "CertificateMappingAttribute": "CommonName"}, "AccountService shows mTLS")
    log = a.logtext()
    for reason in ("certificate expired", "not yet valid", "unknown issuer", "maps to no enabled account",
                   "not for client authentication"):
        c.check(reason in log, "refusal reason logged: " + reason)

# SAN mapping
with agent("optional", "san") as a:
    a.start()
    k = certs(a)
    r = status(a, k["san"])
    c.eq(r.status, 200, "san: email SAN maps to the account")
    r = status(a, k["good"])
    c.eq(r.status, 401, "san: the CN alone does not map (gen-dev-certs SAN is not an account)")

# required
with agent("required") as a:
    a.start()
    k = certs(a)
    r = status(a, None, path="/redfish/v1")
    c.error_body(r, 401, "NoValidSession", "required: no certificate, even for the service root")
    r = status(a, None, basic=ADMIN)
    c.eq(r.status, 401, "required: Basic without a certificate")
    r = status(a, k["good"], path="/redfish/v1")
    c.eq(r.status, 200, "required: certificate opens the service root")
    r = status(a, k["good"], basic=ADMIN)
    c.eq(r.status, 200, "required: certificate plus Basic (the Basic identity is used)")
    cl = Client(a, cert=k["good"])
    r, tok, _ = authlib.login(cl, "fleet-client", "fleet-password-1")
    c.eq(r.status, 201, "required: session login over a certificate connection")
    cl.close()
    r = status(a, k["foreign"], path="/redfish/v1")
    c.eq(r.status, 401, "required: certificate from another CA")

# off: certificates are ignored
with agent("off") as a:
    a.start()
    k = certs(a)
    r = status(a, k["good"])
    c.eq(r.status, 401, "off: a certificate is not a credential")
    r = status(a, k["foreign"], basic=ADMIN)
    c.eq(r.status, 200, "off: a foreign certificate is ignored")

# The README's fleet example: the certificate from certs/gen-dev-certs, with curl.
with agent("required") as a:
    a.start()
    r = a.curl("GET", MANAGERS, user=None,
               extra=["--cert", os.path.join(a.certs, "client.crt"),
                      "--key", os.path.join(a.certs, "client.key")])
    c.eq(r.status, 200, "gen-dev-certs client certificate (CN fleet-client) with curl")
    r = a.curl("GET", MANAGERS, user=None)
    c.eq(r.status, 401, "curl without the certificate")
c.finish()
