"""Redfish sessions end to end over TLS: login (201, X-Auth-Token, Location,
full body; an Authorization header on the login is tolerated), who may see
and end which session, redfishtool -A Session and python3-sushy session auth,
the per-user and total limits (SessionLimitExceeded), the configured idle
timeout as the service reports it, no session surviving a restart, and no
token or password in clear text in the state directory or the log. The idle
timeout itself (sliding with use, expired sessions refused, gone from the
collection and from the limits) is a matter of time passing: it runs on a
fake clock in tests/unit/auth/test_expiry.c."""
import os
import re
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker  # noqa: E402
import agentlib  # noqa: E402
import authlib  # noqa: E402
from authlib import Client, login  # noqa: E402

c = Checker("sessions")
SESSIONS = "/redfish/v1/SessionService/Sessions"
TIMEOUT = 30
VIEWER = ("viewer", "viewer-password-1")
OPERATOR = ("operator", "operator-password-1")
ADMIN = ("admin", ADMIN_PASSWORD)
secrets_seen = {ADMIN_PASSWORD, VIEWER[1], OPERATOR[1]}


def login_shape(cl):
    r, tok, sid = login(cl, *ADMIN)
    c.eq(r.status, 201, "login status")
    doc = c.redfish_json(r, "Session after login")
    c.check(tok and re.fullmatch(r"[0-9a-f]{64}", tok), "token is 256 bits of hex: %r" % tok)
    c.eq(r.header("location"), SESSIONS + "/" + sid, "Location names the session")
    c.eq(doc.get("@odata.id"), SESSIONS + "/" + sid, "body is the full session")
    c.eq(doc.get("UserName"), "admin", "session UserName")
    c.check("Password" not in doc, "no Password in the session body")
    secrets_seen.add(tok)
    r = cl.request("GET", SESSIONS + "/" + sid, token=tok)
    c.eq(r.status, 200, "GET own session with its token")
    c.redfish_json(r, "Session")
    r = cl.request("GET", "/redfish/v1/SessionService", token=tok)
    c.eq(r.status, 200, "SessionService")
    c.eq(c.redfish_json(r, "SessionService").get("SessionTimeout"), TIMEOUT, "SessionTimeout")
    r = cl.request("GET", SESSIONS, token=tok)
    c.redfish_json(r, "SessionCollection")
    # A login that carries an Authorization header (even a wrong one) works.
    r, tok2, sid2 = login(cl, *ADMIN, headers={"Authorization": authlib.basic_header("x", "y")})
    c.eq(r.status, 201, "login tolerates an Authorization header")
    secrets_seen.add(tok2 or "")
    r = cl.request("POST", SESSIONS, body={"UserName": "admin", "Password": "wrong-password"})
    c.error_body(r, 401, "NoValidSession", "login with a wrong password")
    r = cl.request("POST", SESSIONS, body={"UserName": "admin"})
    c.error_body(r, 400, "CreateFailedMissingReqProperties", "login without a password")
    r = cl.request("POST", SESSIONS, body={"UserName": "admin", "Password": "x", "Extra": 1})
    c.error_body(r, 400, "PropertyUnknown", "login with an unknown property")
    r = cl.request("DELETE", SESSIONS + "/" + sid2, token=tok2)
    c.eq(r.status, 204, "logout (DELETE own session)")
    r = cl.request("GET", "/redfish/v1/Managers", token=tok2)
    c.error_body(r, 401, "NoValidSession", "token after logout")
    return tok, sid


def visibility(cl, admin_tok, admin_sid):
    r, vtok, vsid = login(cl, *VIEWER)
    c.eq(r.status, 201, "viewer login")
    secrets_seen.add(vtok)
    r = cl.request("GET", SESSIONS, token=vtok)
    ids = [m["@odata.id"] for m in r.json()["Members"]]
    c.eq(ids, [SESSIONS + "/" + vsid], "ReadOnly sees only its own sessions")
    r = cl.request("GET", SESSIONS + "/" + admin_sid, token=vtok)
    c.error_body(r, 403, "InsufficientPrivilege", "ReadOnly reading another's session")
    r = cl.request("DELETE", SESSIONS + "/" + admin_sid, token=vtok)
    c.error_body(r, 403, "InsufficientPrivilege", "ReadOnly ending another's session")
    r = cl.request("GET", SESSIONS, token=admin_tok)
    ids = [m["@odata.id"] for m in r.json()["Members"]]
    c.check(SESSIONS + "/" + vsid in ids and SESSIONS + "/" + admin_sid in ids,
            "ConfigureManager sees every session")
    r = cl.request("GET", SESSIONS + "/" + vsid, token=admin_tok)
    c.eq(r.status, 200, "ConfigureManager reads another's session")
    r = cl.request("DELETE", SESSIONS + "/" + vsid, token=admin_tok)
    c.eq(r.status, 204, "ConfigureManager ends another's session")
    r = cl.request("GET", SESSIONS, token=vtok)
    c.eq(r.status, 401, "ended session is gone")
    # Basic-authenticated callers may use the session routes too.
    r, vtok, vsid = login(cl, *VIEWER)
    r = cl.request("DELETE", SESSIONS + "/" + vsid, basic=VIEWER)
    c.eq(r.status, 204, "ReadOnly ends its own session with Basic")


def account_changes_end_sessions(cl, admin_tok):
    r, otok, _ = login(cl, *OPERATOR)
    r = cl.request("GET", "/redfish/v1/AccountService/Accounts", token=admin_tok)
    op = [m["@odata.id"] for m in r.json()["Members"]]
    target = None
    for uri in op:
        if cl.request("GET", uri, token=admin_tok).json()["UserName"] == "operator":
            target = uri
    r = cl.request("PATCH", target, body={"Enabled": False}, token=admin_tok)
    c.eq(r.status, 200, "disable the operator")
    r = cl.request("GET", "/redfish/v1/Managers", token=otok)
    c.eq(r.status, 401, "a disabled account's session ends")
    r = cl.request("PATCH", target, body={"Enabled": True}, token=admin_tok)
    r, otok, _ = login(cl, *OPERATOR)
    r = cl.request("PATCH", target, body={"RoleId": "ReadOnly"}, token=admin_tok)
    r = cl.request("GET", "/redfish/v1/AccountService/Accounts/" + target.rsplit("/", 1)[1],
                   token=otok)
    c.eq(r.status, 200, "a role change keeps the session")
    r = cl.request("POST", "/redfish/v1/AccountService/Roles", body={"RoleId": "X"}, token=otok)
    c.eq(r.status, 403, "and its privileges follow the new role at once")
    cl.request("PATCH", target, body={"RoleId": "Operator"}, token=admin_tok)
    r = cl.request("GET", SESSIONS, token=otok)
    for m in r.json()["Members"]:
        c.eq(cl.request("DELETE", m["@odata.id"], token=otok).status, 204, "operator logout")


def clients(a):
    base = "127.0.0.1:%d" % a.port
    # redfishtool: login, list the sessions, logout (it deletes its session).
    p = subprocess.run(["redfishtool", "-r", base, "-S", "Always", "-A", "Session", "-u", "admin",
                        "-p", ADMIN_PASSWORD, "SessionService", "Sessions"],
                       capture_output=True, text=True, timeout=60)
    c.eq(p.returncode, 0, "redfishtool -A Session SessionService Sessions: " + p.stderr[-500:])
    c.check("/redfish/v1/SessionService/Sessions/" in p.stdout, "redfishtool listed sessions")
    p = subprocess.run(["redfishtool", "-r", base, "-S", "Always", "-A", "Session", "-u", "viewer",
                        "-p", VIEWER[1], "raw", "GET", "/redfish/v1/SessionService"],
                       capture_output=True, text=True, timeout=60)
    c.eq(p.returncode, 0, "redfishtool raw GET as ReadOnly: " + p.stderr[-500:])
    r = a.curl("GET", SESSIONS, user=VIEWER)
    c.eq(r.json()["Members@odata.count"], 0, "redfishtool logged out (no viewer session left)")

    # python3-sushy: SessionOrBasicAuth must end up with a session.
    try:
        import sushy
        from sushy import auth as sushy_auth
    except ImportError:
        agentlib.missing("python3-sushy")
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's
    # verify= path: drop them so sushy checks against the test CA.
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        os.environ.pop(var, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        au = sushy_auth.SessionAuth(username="operator", password=OPERATOR[1])
        s = sushy.Sushy("https://127.0.0.1:%d/redfish/v1" % a.port, auth=au, verify=a.ca)
        c.check(au.get_session_key() is not None, "sushy SessionAuth got a token")
        secrets_seen.add(au.get_session_key() or "")
        sid = au.get_session_resource_id()
        c.check(sid and sid.startswith(SESSIONS + "/"), "sushy knows its session: %r" % sid)
        sess = s.get_session_service()
        c.eq(sess.session_timeout, TIMEOUT, "sushy reads SessionTimeout")
        members = sess.sessions.get_members()
        c.check(any(m.username == "operator" for m in members), "sushy lists its session")
        s2 = sushy.Sushy("https://127.0.0.1:%d/redfish/v1" % a.port, username="viewer",
                         password=VIEWER[1], verify=a.ca)
        c.check(s2.get_session_service().identity == "SessionService",
                "sushy SessionOrBasicAuth works")
        c.check(s2._auth.get_session_key() is not None, "SessionOrBasicAuth chose a session")
        secrets_seen.add(s2._auth.get_session_key() or "")
        au.close()
        s2._auth.close()
    r = a.curl("GET", SESSIONS, user=ADMIN)
    users = []
    for m in r.json()["Members"]:
        users.append(a.curl("GET", m["@odata.id"]).json()["UserName"])
    c.check("operator" not in users and "viewer" not in users,
            "sushy closed its sessions: %r" % users)


def limits():
    with Agent(config={"max_sessions": 5, "max_sessions_per_user": 2}) as a:
        cl = Client(a)
        a.curl("POST", "/redfish/v1/AccountService/Accounts",
               body={"UserName": "u2", "Password": "u2-password-123", "RoleId": "ReadOnly"})
        a.curl("POST", "/redfish/v1/AccountService/Accounts",
               body={"UserName": "u3", "Password": "u3-password-123", "RoleId": "ReadOnly"})
        a.curl("POST", "/redfish/v1/AccountService/Accounts",
               body={"UserName": "u4", "Password": "u4-password-123", "RoleId": "Operator"})
        for i in range(2):
            r, _, _ = login(cl, "u2", "u2-password-123")
            c.eq(r.status, 201, "u2 session %d within the per-user limit" % i)
        r, _, _ = login(cl, "u2", "u2-password-123")
        c.error_body(r, 503, "SessionLimitExceeded", "third u2 session")
        for i in range(2):
            r, _, _ = login(cl, "u3", "u3-password-123")
            c.eq(r.status, 201, "u3 session %d" % i)
        # The last place of the five is kept for administrators.
        r, _, _ = login(cl, "u4", "u4-password-123")
        c.error_body(r, 503, "SessionLimitExceeded", "an Operator does not get the reserved place")
        r, _, _ = login(cl, *ADMIN)
        c.eq(r.status, 201, "the administrator gets the reserved place (fifth in total)")
        r, _, _ = login(cl, *ADMIN)
        c.error_body(r, 503, "SessionLimitExceeded", "sixth session in total")
        cl.close()


def restart():
    with Agent(config={"session_timeout_s": TIMEOUT}) as a:
        cl = Client(a)
        r, tok, _ = login(cl, *ADMIN)
        c.eq(r.status, 201, "login before the restart")
        r = cl.request("GET", "/redfish/v1/Managers", token=tok)
        c.eq(r.status, 200, "session works before the restart")
        cl.close()
        # Sessions live in memory only: a restart ends them all.
        a.stop()
        a.start()
        cl = Client(a)
        r = cl.request("GET", "/redfish/v1/Managers", token=tok)
        c.error_body(r, 401, "NoValidSession", "no session survives a restart")
        r = cl.request("GET", SESSIONS, basic=ADMIN)
        c.eq(r.json()["Members@odata.count"], 0, "no session in the collection after a restart")
        # SessionTimeout set over the API does survive, over the configured one.
        r = cl.request("PATCH", "/redfish/v1/SessionService", body={"SessionTimeout": 900},
                       basic=ADMIN)
        c.eq(r.status, 200, "PATCH SessionTimeout")
        r = cl.request("PATCH", "/redfish/v1/SessionService", body={"SessionTimeout": 10},
                       basic=ADMIN)
        c.error_body(r, 400, "PropertyValueOutOfRange", "SessionTimeout below 30 s")
        cl.close()
        a.stop()
        a.start()
        cl = Client(a)
        r = cl.request("GET", "/redfish/v1/SessionService", basic=ADMIN)
        c.eq(r.json().get("SessionTimeout"), 900, "SessionTimeout after a restart")
        cl.close()


def no_secrets_on_disk(a):
    """Neither tokens nor passwords in clear text under the state directory
    (nor in the log)."""
    blobs = []
    for root, _, files in os.walk(a.state):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                blobs.append((os.path.join(root, f), fh.read()))
    blobs.append(("agent log", open(a.log_path, "rb").read()))
    for secret in sorted(s for s in secrets_seen if s):
        for name, data in blobs:
            c.check(secret.encode() not in data, "a secret (%s...) in clear text in %s" % (
                secret[:4], name))
    c.check(len(blobs) > 1, "state directory has files to grep")


with Agent(config={"session_timeout_s": TIMEOUT}, start=False) as a:
    authlib.seed_accounts(a, [("admin", ADMIN_PASSWORD, "Administrator"),
                              ("viewer", VIEWER[1], "ReadOnly"),
                              ("operator", OPERATOR[1], "Operator")])
    a.start()
    cl = Client(a)
    tok, sid = login_shape(cl)
    visibility(cl, tok, sid)
    account_changes_end_sessions(cl, tok)
    clients(a)
    cl.close()
    no_secrets_on_disk(a)
limits()
restart()
c.finish()
