"""The authorisation matrix, generated from the agent's own route table
(cxl-agent --print-routes): every route and method x every predefined role
x every kind of credential, each with its expected outcome:

  - a client certificate from another CA is refused (401) everywhere, even
    with valid Basic credentials and on public resources;
  - public (NoAuth) routes admit every other kind;
  - no credentials, a wrong password, a locked account and a deleted
    session get 401 everywhere else (an expired session too: that column
    needs time to pass, so tests/unit/auth/test_expiry.c runs it over the
    same route table on a fake clock);
  - Basic, a session token and a mapped client certificate of a role get
    403 where none of the route's privilege alternatives is held by the
    role, and are admitted (the handler answers: neither 401, 403, 429 nor
    5xx) where one is.

A route added later is covered without new test code. Requests that could
change state (POST, PATCH, DELETE) name resources that do not exist or send
an empty object, so an admitted one ends in the handler's 400/404."""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker  # noqa: E402
import agentlib  # noqa: E402
import authlib  # noqa: E402
from authlib import Client, PREDEFINED_ROLES, EXPECTED_ROLE_PRIVILEGES  # noqa: E402

if not authlib.HAVE_CRYPTOGRAPHY:
    agentlib.missing("python3-cryptography")

c = Checker("auth_matrix")
PASSWORD = "matrix-password-%s"
# No session of the matrix may expire while it runs, however loaded the machine.
SESSION_TIMEOUT = 3600
KINDS = ("none", "wrong_password", "locked_account", "deleted_session",
         "basic", "session", "certificate", "foreign_ca_certificate")
MISSING = "matrix-missing"


def user(role, what="user"):
    return "%s-%s" % (role.lower(), what)


def admits(alternatives, held):
    for alt in alternatives:
        if "NoAuth" in alt or set(alt) <= held:
            return True
    return False


def expected(route, kind, held):
    """'401', '403' or 'admitted'."""
    public = any("NoAuth" in alt for alt in route["privileges"])
    if kind == "foreign_ca_certificate":
        return "401"
    if public:
        return "admitted"
    if kind in ("none", "wrong_password", "locked_account", "deleted_session"):
        return "401"
    return "admitted" if admits(route["privileges"], held) else "403"


def outcome(status):
    if status in (401, 403):
        return str(status)
    if status in (429,) or status >= 500:
        return "error %d" % status
    return "admitted"


def fill(pattern, method, params):
    """Concrete path: GET/HEAD use the role's own account/session/role where
    the pattern names one; anything that may write names a missing one."""
    out = []
    for seg in pattern.split("/"):
        if seg.startswith("{") and seg.endswith("}"):
            name = seg[1:-1]
            out.append(params.get(name, MISSING) if method in ("GET", "HEAD") else MISSING)
        else:
            out.append(seg)
    return "/".join(out)


a = Agent(start=False, config={
    "tls_client_ca": None, "tls_client_auth": "optional", "tls_client_identity": "cn",
    "auth_failures_per_minute": 100000, "session_timeout_s": SESSION_TIMEOUT,
    "max_sessions": 256, "max_sessions_per_user": 8})
with a:
    a.config["tls_client_ca"] = a.ca
    with open(a.config_path, "w") as f:
        import json
        json.dump(a.config, f)
    accounts = [("admin", ADMIN_PASSWORD, "Administrator")]
    for role in PREDEFINED_ROLES:
        for what in ("user", "locked", "wrong"):
            accounts.append((user(role, what), PASSWORD % role, role))
    authlib.seed_accounts(a, accounts, settings={
        "AccountLockoutThreshold": 3, "AccountLockoutDuration": 3600,
        "AccountLockoutCounterResetAfter": 3600})
    a.start()

    pki = os.path.join(a.tmp, "pki")
    foreign = authlib.make_ca(os.path.join(a.tmp, "foreign-ca"), "another CA")
    certs, foreign_certs = {}, {}
    for role in PREDEFINED_ROLES:
        certs[role] = authlib.issue_client(a.certs, pki, role, cn=user(role))
        foreign_certs[role] = authlib.issue_client(foreign, pki, "foreign-" + role, cn=user(role))

    admin = Client(a)
    anon = Client(a)

    # Roles as DESIGN.md assigns them, read back from the service.
    held = {}
    for role in PREDEFINED_ROLES:
        r = admin.request("GET", "/redfish/v1/AccountService/Roles/" + role,
                          basic=("admin", ADMIN_PASSWORD))
        c.eq(r.status, 200, "GET role " + role)
        doc = r.json()
        std, oem = EXPECTED_ROLE_PRIVILEGES[role]
        c.eq(set(doc["AssignedPrivileges"]), std, role + " AssignedPrivileges")
        c.eq(set(doc["OemPrivileges"]), oem, role + " OemPrivileges")
        c.eq(doc["IsPredefined"], True, role + " IsPredefined")
        held[role] = set(doc["AssignedPrivileges"]) | set(doc["OemPrivileges"])

    # Lock the "locked" accounts with wrong passwords.
    for role in PREDEFINED_ROLES:
        for _ in range(3):
            anon.request("GET", "/redfish/v1/Managers", basic=(user(role, "locked"), "nope-nope-nope"))
        r = anon.request("GET", "/redfish/v1/Managers", basic=(user(role, "locked"), PASSWORD % role))
        c.eq(r.status, 401, "locked account refuses its correct password (%s)" % role)

    # Valid and deleted sessions; the own-account id of each role user.
    sessions, deleted, own = {}, {}, {}
    for role in PREDEFINED_ROLES:
        r, tok, sid = authlib.login(anon, user(role), PASSWORD % role)
        sessions[role] = (tok, sid)
        r, tok2, sid2 = authlib.login(anon, user(role), PASSWORD % role)
        r = admin.request("DELETE", "/redfish/v1/SessionService/Sessions/" + sid2,
                          basic=("admin", ADMIN_PASSWORD))
        c.eq(r.status, 204, "delete the deleted-session case of " + role)
        deleted[role] = tok2
        r = admin.request("GET", "/redfish/v1/AccountService/Accounts", basic=("admin", ADMIN_PASSWORD))
        for m in r.json()["Members"]:
            doc = admin.request("GET", m["@odata.id"], basic=("admin", ADMIN_PASSWORD)).json()
            if doc["UserName"] == user(role):
                own[role] = doc["Id"]

    clients = {role: {"certificate": Client(a, cert=certs[role]),
                      "foreign_ca_certificate": Client(a, cert=foreign_certs[role])}
               for role in PREDEFINED_ROLES}

    def send(role, kind, method, path):
        body = {} if method in ("POST", "PATCH", "PUT") else None
        cl = clients[role].get(kind, anon)
        kw = {}
        if kind == "wrong_password":
            kw["basic"] = (user(role, "wrong"), "not-the-password")
        elif kind == "locked_account":
            kw["basic"] = (user(role, "locked"), PASSWORD % role)
        elif kind == "deleted_session":
            kw["token"] = deleted[role]
        elif kind == "basic":
            kw["basic"] = (user(role), PASSWORD % role)
        elif kind == "session":
            kw["token"] = sessions[role][0]
        elif kind == "foreign_ca_certificate":
            kw["basic"] = (user(role), PASSWORD % role)
        return cl.request(method, path, body=body, **kw)

    routes = authlib.route_table()
    cases = []
    for route in routes:
        for method in [m.strip() for m in route["methods"].split(",")]:
            for role in PREDEFINED_ROLES:
                for kind in KINDS:
                    cases.append((route, method, role, kind))
    print("matrix: %d routes, %d route-methods, %d roles, %d credential kinds: %d cases" % (
        len(routes), len(cases) // (len(PREDEFINED_ROLES) * len(KINDS)), len(PREDEFINED_ROLES),
        len(KINDS), len(cases)))

    unexpected = []

    def run(case):
        route, method, role, kind = case
        params = {"account": own.get(role, MISSING), "session": sessions[role][1], "role": role}
        path = fill(route["pattern"], method, params)
        r = send(role, kind, method, path)
        want = expected(route, kind, held[role])
        got = outcome(r.status)
        if got != want:
            unexpected.append("%s %s as %s with %s: want %s, got %d %s" % (
                method, path, role, kind, want, r.status, r.body[:160]))
        c.check(got == want, "%s %s as %s with %s: want %s, got %d" % (
            method, path, role, kind, want, r.status))

    for case in cases:
        run(case)

    print("matrix: %d cases, %d unexpected" % (len(cases), len(unexpected)))
    for u in unexpected[:40]:
        print("  unexpected: " + u)
    for cl in [admin, anon] + [x for d in clients.values() for x in d.values()]:
        cl.close()
c.finish()
