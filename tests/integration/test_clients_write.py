"""Real Redfish clients from Debian doing what a fleet does with them, each
flow checked by its effect on the agent:
 - redfishtool 1.1.5: session login and logout, AccountService (adduser,
   setpassword, useradmin disable/enable/setRoleId, setusername,
   deleteuser, Roles), SessionService (setSessionTimeout, Sessions, login,
   logout), raw POST/PATCH (with If-Match)/DELETE/HEAD, a vendor command
   POSTed through raw and found in the audit LogService, Systems / Chassis /
   Managers members, AccountService patch; -vv (up to -vvvv -ss) shows none
   of the secrets;
 - python3-sushy 4.3.3 (a /usr/bin/python3 subprocess, run while
   redfishtool works): SessionAuth and SessionOrBasicAuth, a PATCH with the
   resource's ETag and a stale one (412), the session refreshed after the
   agent expired it (SessionTimeout 30, the shortest), logout on close, the
   SessionService, accounts, the EventService's subscriptions (an event
   stream's SSE-<n> member among them) and a subscription created as
   OpenStack creates them (EventTypes ["Alert"]), read back and deleted, the
   System with what it lacks, Manager and Chassis, and the task monitor of a
   background vendor command."""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, CHASSIS_DEVICES, EMU_DEVICE_IDS, POLICY_EXAMPLE, Agent, Checker, missing, vendor_command_path, wait_for  # noqa: E402
from test_clients import client_env, have_sushy  # noqa: E402

c = Checker("clients_write")
FLEET = ("fleet", "fleet-admin-password-1")  # redfishtool's Administrator
WRITER = ("writer", "writer-password-0001")  # holds CxlCommandWriteFull
WRITER_ROLE = ("CxlWriter", ["Login", "ConfigureSelf", "CxlCommandRead", "CxlCommandConfigure",
                             "CxlCommandWriteFull"])
SESSIONS = "/redfish/v1/SessionService/Sessions"
ACCOUNTS = "/redfish/v1/AccountService/Accounts"
TOKEN_RE = re.compile(r"\b[0-9a-f]{64}\b")


def redfishtool(a, args, user=FLEET, auth="Session", verbose=None):
    cmd = ["redfishtool", "-r", "127.0.0.1:%d" % a.port, "-S", "Always", "-T", "20"]
    if user:
        cmd += ["-u", user[0], "-p", user[1]]
    if auth:
        cmd += ["-A", auth]
    cmd += (verbose or []) + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=90, env=client_env())
    doc = None
    if p.returncode == 0 and not verbose:
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            pass
    return p, doc


def rt_ok(a, args, what, **kw):
    p, doc = redfishtool(a, args, **kw)
    c.eq(p.returncode, 0, "redfishtool %s exit status (stderr %r)" % (what, p.stderr[-400:]))
    return doc or {}


def can_login(a, user, password):
    return a.curl("GET", "/redfish/v1/Systems", user=(user, password)).status == 200


def account_by_name(a, name):
    """The account's resource as the agent shows it, or None."""
    coll = a.curl("GET", ACCOUNTS + "?$expand=.").json()
    for m in coll.get("Members", []):
        if m.get("UserName") == name:
            return m
    return None


def sessions_of(a, user):
    coll = a.curl("GET", SESSIONS + "?$expand=.").json()
    return [m["Id"] for m in coll.get("Members", []) if m.get("UserName") == user]


def check_rt_sessions(a):
    """-A Session logs in and out around every call; SessionService login
    hands out a token that -t uses and logout ends."""
    rt_ok(a, ["Systems", "list"], "-A Session Systems list")
    c.eq(sessions_of(a, FLEET[0]), [], "redfishtool -A Session logged out after its call")
    doc = rt_ok(a, ["Chassis", "list"], "-A Basic Chassis list", auth="Basic")
    c.eq(doc.get("_Path"), "/redfish/v1/Chassis", "redfishtool -A Basic Chassis list")
    c.eq(sessions_of(a, FLEET[0]), [], "redfishtool -A Basic opens no session")
    login = rt_ok(a, ["SessionService", "login"], "SessionService login", auth="Basic")
    sid, token = login.get("SessionId"), login.get("X-Auth-Token", "")
    c.eq(sessions_of(a, FLEET[0]), [sid], "redfishtool SessionService login left its session")
    doc = rt_ok(a, ["-t", token, "Systems", "list"], "-t TOKEN Systems list", user=None)
    c.eq(doc.get("_Path"), "/redfish/v1/Systems", "redfishtool -t TOKEN reads")
    doc = rt_ok(a, ["SessionService", "Sessions", "list"], "SessionService Sessions list")
    c.check(sid in [m.get("Id") for m in doc.get("Members", [])],
            "redfishtool Sessions list shows the login's session: %r" % doc)
    p, _ = redfishtool(a, ["-t", token, "SessionService", "logout", "-i" + sid], user=None)
    c.eq(p.returncode, 0, "redfishtool SessionService logout (stderr %r)" % p.stderr[-300:])
    c.eq(sessions_of(a, FLEET[0]), [], "redfishtool SessionService logout ended the session")
    p, _ = redfishtool(a, ["-t", token, "Systems", "list"], user=None)
    c.check(p.returncode != 0 and "401" in p.stderr,
            "the logged-out token is refused: rc %d %r" % (p.returncode, p.stderr[-200:]))


def check_rt_accounts(a):
    old, new = "fleet-user-password-1", "fleet-user-password-2"
    doc = rt_ok(a, ["AccountService", "adduser", "rack7", old, "ReadOnly"], "adduser")
    acct = account_by_name(a, "rack7")
    c.check(acct is not None and acct.get("RoleId") == "ReadOnly" and acct.get("Enabled") is True,
            "redfishtool adduser made the account: %r" % acct)
    c.eq(doc.get("UserName"), "rack7", "redfishtool adduser prints the account")
    c.check(can_login(a, "rack7", old), "the added account logs in")
    rt_ok(a, ["AccountService", "setpassword", "rack7", new], "setpassword")
    c.check(can_login(a, "rack7", new), "setpassword: the new password logs in")
    c.check(not can_login(a, "rack7", old), "setpassword: the old password is refused")
    rt_ok(a, ["AccountService", "useradmin", "rack7", "disable"], "useradmin disable")
    c.eq((account_by_name(a, "rack7") or {}).get("Enabled"), False, "useradmin disable")
    c.check(not can_login(a, "rack7", new), "a disabled account is refused")
    rt_ok(a, ["AccountService", "useradmin", "rack7", "enable"], "useradmin enable")
    c.check(can_login(a, "rack7", new), "useradmin enable: the account logs in again")
    rt_ok(a, ["AccountService", "useradmin", "rack7", "setRoleId", "Operator"], "setRoleId")
    c.eq((account_by_name(a, "rack7") or {}).get("RoleId"), "Operator", "useradmin setRoleId")
    rt_ok(a, ["AccountService", "setusername", acct["Id"] if acct else "0", "rack8"],
          "setusername")
    c.check(account_by_name(a, "rack7") is None and account_by_name(a, "rack8") is not None,
            "setusername renamed the account")
    c.check(can_login(a, "rack8", new), "the renamed account logs in by its new name")
    doc = rt_ok(a, ["AccountService", "Accounts", "list"], "Accounts list")
    c.check({"admin", "fleet", "writer", "rack8"} <= {m.get("UserName") for m in
                                                      doc.get("Members", [])},
            "redfishtool Accounts list: %r" % doc)
    rt_ok(a, ["AccountService", "deleteuser", "rack8"], "deleteuser")
    c.check(account_by_name(a, "rack8") is None, "redfishtool deleteuser removed the account")
    with open(os.path.join(a.state, "accounts.json")) as f:
        names = [x["UserName"] for x in json.load(f)["Accounts"]]
    c.check("rack8" not in names and "rack7" not in names,
            "accounts.json no longer holds the deleted account: %r" % names)
    # AccountService patch reads the service first and PATCHes with its ETag.
    was = a.curl("GET", "/redfish/v1/AccountService").json().get("AccountLockoutThreshold", 0)
    rt_ok(a, ["AccountService", "patch", json.dumps({"AccountLockoutThreshold": was + 1})],
          "AccountService patch")
    c.eq(a.curl("GET", "/redfish/v1/AccountService").json().get("AccountLockoutThreshold"),
         was + 1, "redfishtool AccountService patch applied")
    doc = rt_ok(a, ["AccountService", "Roles", "list"], "Roles list")
    c.eq(sorted(m.get("Id") for m in doc.get("Members", [])),
         ["Administrator", "CxlWriter", "Operator", "ReadOnly"], "redfishtool Roles list")


def check_rt_raw(a):
    body = json.dumps({"UserName": "rawuser", "Password": "raw-user-password-1",
                       "RoleId": "Operator"})
    doc = rt_ok(a, ["raw", "POST", ACCOUNTS, "-d", body], "raw POST account")
    uri = doc.get("@odata.id", ACCOUNTS + "/none")
    c.eq((account_by_name(a, "rawuser") or {}).get("@odata.id"), uri, "raw POST made the account")
    # raw PATCH reads the resource first and sends its ETag as If-Match.
    p, _ = redfishtool(a, ["raw", "PATCH", uri, "-d", '{"RoleId": "ReadOnly"}'],
                       verbose=["-vvvvv", "-ssss"])
    c.eq(p.returncode, 0, "redfishtool raw PATCH exit status (stderr %r)" % p.stderr[-300:])
    etag = a.curl("GET", uri).header("etag") or "none"
    sent = re.findall(r"'if-match': '([^']*)'", p.stdout + p.stderr)
    c.check(len(sent) == 1, "redfishtool raw PATCH sent one If-Match: %r" % sent)
    c.eq((account_by_name(a, "rawuser") or {}).get("RoleId"), "ReadOnly", "raw PATCH applied")
    c.check(sent and sent[0] != etag, "the account's ETag changed with the PATCH: %r" % etag)
    stale = a.curl("PATCH", uri, body={"RoleId": "Operator"}, headers={"If-Match": sent[0]}
                   if sent else {})
    c.eq(stale.status, 412, "a PATCH with the If-Match redfishtool sent, now stale")
    rt_ok(a, ["raw", "DELETE", uri], "raw DELETE account")
    c.eq(a.curl("GET", uri).status, 404, "raw DELETE removed the account")
    p, _ = redfishtool(a, ["raw", "HEAD", "/redfish/v1/Systems/host"])
    c.eq(p.returncode, 0, "redfishtool raw HEAD (stderr %r)" % p.stderr[-300:])
    doc = rt_ok(a, ["raw", "GET", "/redfish/v1/Systems/host/Memory"], "raw GET Memory")
    c.eq(sorted(m["@odata.id"].rsplit("/", 1)[1] for m in doc.get("Members", [])),
         sorted(EMU_DEVICE_IDS), "redfishtool raw GET Memory members")
    # A vendor command: an Administrator holds CxlCommandConfigure.
    action = vendor_command_path(EMU_DEVICE_IDS[0], "emu-set-config-after-reset", submit=True)
    res = rt_ok(a, ["raw", "POST", action, "-d", '{"PayloadHex": "07000000"}'],
                "raw POST vendor command")
    c.eq(res.get("MailboxReturnCode"), 0, "raw POST vendor command ran: %r" % res)
    return res.get("AuditRecordId")


def check_rt_resources(a, record):
    doc = rt_ok(a, ["Systems", "-I", "host"], "Systems -I host")
    c.eq(doc.get("@odata.id"), "/redfish/v1/Systems/host", "redfishtool Systems -I host")
    c.check(doc.get("MemorySummary", {}).get("TotalSystemMemoryGiB", 0) > 0,
            "redfishtool Systems -I host shows the MemorySummary: %r" % doc.get("MemorySummary"))
    doc = rt_ok(a, ["Chassis", "-I", "host"], "Chassis -I host")
    c.eq(doc.get("PCIeDevices", {}).get("@odata.id"), CHASSIS_DEVICES, "Chassis -I host")
    doc = rt_ok(a, ["Managers", "-I", "agent"], "Managers -I agent")
    c.eq(doc.get("ManagerType"), "Service", "redfishtool Managers -I agent")
    doc = rt_ok(a, ["Managers", "-I", "agent", "Logs", "list"], "Managers Logs list")
    c.eq([m.get("Id") for m in doc.get("Members", [])], ["Audit"], "redfishtool Managers Logs")
    doc = rt_ok(a, ["Managers", "-I", "agent", "Logs", "-iAudit", "--Entries"],
                "Managers Logs -iAudit --Entries")
    ids = [m.get("Id") for m in doc.get("Members", [])]
    c.check(record and record in ids,
            "the vendor command's audit record %r is among the entries %r" % (record, ids))


def check_rt_verbose(a):
    """-vv (and up to -vvvv with -ss) of a session login and an account
    creation: no password and no token in the output."""
    for n, flags in enumerate((["-vv"], ["-vvvv", "-ss"])):
        pw, name = "verbose-user-password-%d" % n, "vvuser%d" % n
        p, _ = redfishtool(a, ["raw", "POST", ACCOUNTS, "-d", json.dumps(
            {"UserName": name, "Password": pw, "RoleId": "ReadOnly"})], verbose=flags)
        out = p.stdout + p.stderr
        what = "redfishtool %s" % " ".join(flags)
        c.eq(p.returncode, 0, "%s raw POST (stderr %r)" % (what, p.stderr[-300:]))
        c.check('"UserName": "%s"' % name in out, "%s prints the answer: %r" % (what, out[:300]))
        c.check(account_by_name(a, name) is not None, what + " made the account")
        for secret in (pw, FLEET[1]):
            c.check(secret not in out, what + " output shows a password")
        c.check(not TOKEN_RE.search(out), what + " output shows a session token")


# Run by /usr/bin/python3 with Debian's python3-sushy. argv: base URL, CA
# file, state directory, user, password, writer, writer's password.
# Prints one JSON object of step -> result or error.
SUSHY_SCRIPT = r"""
import json, logging, os, sys, time
import sushy
from sushy import auth, connector, taskmonitor
logging.basicConfig(level=logging.CRITICAL)
url, ca, state, user, password, wuser, wpassword = sys.argv[1:8]
out = {}
seen = []
def step(name, fn):
    try:
        out[name] = {"ok": fn()}
    except Exception as e:
        out[name] = {"error": "%s: %s" % (type(e).__name__, e)}
def record(r):
    seen.append([r.request.method, r.request.path_url, r.status_code])
def client(a):
    return sushy.Sushy(url, verify=ca, auth=a,
                       connector=connector.Connector(url, verify=ca, response_callback=record))
def file_ids():
    with open(os.path.join(state, "subscriptions.json")) as f:
        return sorted(x["Id"] for x in json.load(f)["Subscriptions"])
SS = "/redfish/v1/SessionService"

# The session that is left idle until the agent expires it.
idle = auth.SessionAuth(username=user, password=password)
x = client(idle)
def etag_patch():
    etag = x._conn.get(SS).headers.get("ETag")
    r = x._conn.patch(SS, data={"SessionTimeout": 30}, etag=etag)
    mark = len(seen)
    x._conn.patch(SS, data={"SessionTimeout": 30}, etag='"0123456789abcdef"')
    stale = [st for m, p, st in seen[mark:] if m == "PATCH"]
    try:
        x._conn.patch(SS, data={"SessionTimeout": 31}, headers={"If-Match": '"0123456789abcdef"'})
        strict = "applied"
    except Exception as e:
        strict = getattr(e, "status_code", type(e).__name__)
    return {"etag": etag, "status": r.status_code, "stale": stale, "strict": strict,
            "timeout": x.get_session_service().session_timeout}
step("etag_patch", etag_patch)
idle_since = time.monotonic()
idle_session = idle.get_session_resource_id()

sa = auth.SessionAuth(username=user, password=password)
s = client(sa)
def session_service():
    ss = s.get_session_service()
    return {"Id": ss.identity, "timeout": ss.session_timeout,
            "sessions": sorted(ss.sessions.members_identities),
            "mine": sa.get_session_resource_id()}
step("session_service", session_service)
def either():
    ea = auth.SessionOrBasicAuth(username=user, password=password)
    e = client(ea)
    sid = ea.get_session_resource_id()
    r = {"session": sid, "system": e.get_system("/redfish/v1/Systems/host").identity}
    ea.close()
    return r
step("either_auth", either)
def with_close():
    with auth.SessionAuth(username=user, password=password) as a:
        t = client(a)
        sid = a.get_session_resource_id()
        ident = t.get_chassis("/redfish/v1/Chassis/host").identity
    return {"session": sid, "chassis": ident}
step("with_close", with_close)
def accounts():
    coll = s._conn.get("/redfish/v1/AccountService/Accounts").json()
    names = [s._conn.get(m["@odata.id"]).json()["UserName"] for m in coll["Members"]]
    return {"get_account_service": hasattr(s, "get_account_service"), "names": sorted(names)}
step("accounts", accounts)
es = None
def event_service():
    global es
    es = s.get_event_service()
    return {"Id": es.identity, "enabled": es.service_enabled,
            "event_types": sorted(t.value for t in es.get_event_types_for_subscription()),
            "members": sorted(es.subscriptions.members_identities),
            "parsed": sorted([m.identity, m.name, m.protocol, m.context]
                             for m in es.subscriptions.get_members())}
step("event_service", event_service)
def subscription():
    sub = es.subscriptions.create({"Destination": "https://127.0.0.1:9/events",
                                   "Protocol": "Redfish", "Context": "node-7",
                                   "EventTypes": ["Alert"]})
    r = {"id": sub.identity, "context": sub.context, "destination": sub.destination,
         "event_types": sub.event_types, "members": sorted(es.subscriptions.members_identities),
         "file": file_ids()}
    sub.delete()
    es.subscriptions.refresh()
    r["members_after"] = sorted(es.subscriptions.members_identities)
    r["file_after"] = file_ids()
    return r
step("subscription", subscription)
def system():
    sy = s.get_system("/redfish/v1/Systems/host")
    r = {"Id": sy.identity, "memory_gib": sy.memory_summary.size_gib,
         "memory_health": str(sy.memory_summary.health),
         "memory": s._conn.get(sy.path + "/Memory").json()["Members@odata.count"],
         "managers": [m.identity for m in sy.managers], "chassis": [h.identity for h in sy.chassis]}
    for attr in ("processors", "storage", "simple_storage"):
        try:
            r[attr] = str(getattr(sy, attr))
        except Exception as e:
            r[attr] = type(e).__name__
    try:
        sy.reset_system("ForceRestart")
        r["reset"] = "sent"
    except Exception as e:
        r["reset"] = "%s: %s" % (type(e).__name__, e)
    try:
        s._conn.post(sy.path + "/Actions/ComputerSystem.Reset", data={"ResetType": "On"})
        r["reset_post"] = "accepted"
    except Exception as e:
        r["reset_post"] = [getattr(e, "status_code", None), getattr(e, "code", type(e).__name__)]
    return r
step("system", system)
step("manager", lambda: [s.get_manager().identity, str(s.get_manager().manager_type)])
step("chassis", lambda: [s.get_chassis().identity, str(s.get_chassis().chassis_type)])
def task():
    wa = auth.SessionOrBasicAuth(username=wuser, password=wpassword)
    w = client(wa)
    action = ("/redfish/v1/Chassis/host/PCIeDevices/1000000000000001/Oem/CxlAgent/"
              "VendorCommands/emu-background-op/Actions/CxlAgent.Submit")
    r = w._conn.post(action, data={"PayloadHex": "c8000000"})
    out = {"status": r.status_code, "task": r.json().get("@odata.id"),
           "location": r.headers.get("Location")}
    try:
        w.get_task_monitor(out["location"])
        out["get_task_monitor"] = "ok"
    except Exception as e:
        out["get_task_monitor"] = type(e).__name__
    m = taskmonitor.TaskMonitor(w._conn, out["location"])
    m.wait(30)
    out["final"] = m.response.status_code
    out["result"] = m.response.json()
    wa.close()
    return out
step("task", task)
sa.close()
out["closed"] = sa.get_session_resource_id() is None

# The idle session: past SessionTimeout the agent has dropped it; sushy
# answers the 401 by logging in again and repeating the request.
time.sleep(max(0, 32 - (time.monotonic() - idle_since)))
def refresh():
    mark = len(seen)
    ident = x.get_system("/redfish/v1/Systems/host").identity
    return {"before": idle_session, "after": idle.get_session_resource_id(), "system": ident,
            "statuses": [st for m, p, st in seen[mark:]]}
step("refresh", refresh)
refreshed = idle.get_session_resource_id()
idle.close()
out["refreshed_closed"] = refreshed
print(json.dumps(out))
"""


def start_sushy(a):
    return subprocess.Popen(["/usr/bin/python3", "-c", SUSHY_SCRIPT, a.url("/redfish/v1"), a.ca,
                             a.state, "admin", ADMIN_PASSWORD, WRITER[0], WRITER[1]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=client_env())


def sushy_results(proc):
    try:
        stdout, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    c.eq(proc.returncode, 0, "sushy script ran (stderr %r)" % stderr[-1500:])
    try:
        out = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        c.check(False, "sushy script output: %r %r" % (stdout[-500:], stderr[-1500:]))
        return None
    print("sushy:", json.dumps(out, indent=1))
    return out


def check_sushy(a, out, stream_id):
    def ok(step):
        r = out.get(step, {"error": "not run"})
        c.check("ok" in r, "sushy %s: %s" % (step, r.get("error")))
        return r.get("ok") or {}

    def gone(session, what):
        c.check(session and a.curl("GET", session).status == 404,
                "%s: session %r is gone from the agent" % (what, session))
    p = ok("etag_patch")
    c.eq(p.get("status"), 200, "sushy PATCH with the ETag")
    c.eq(p.get("timeout"), 30, "sushy PATCH SessionTimeout applied")
    # The agent refuses the stale ETag; sushy then repeats the PATCH
    # without If-Match (its connector's choice, README: Clients).
    c.eq(p.get("stale"), [412, 200], "sushy PATCH with a stale ETag: the agent's answers")
    # If-Match among the headers instead: the 412 reaches the caller.
    c.eq(p.get("strict"), 412, "sushy PATCH with a stale If-Match header")
    ss = ok("session_service")
    c.eq(ss.get("timeout"), 30, "sushy SessionService SessionTimeout")
    c.check(ss.get("mine") in ss.get("sessions", []),
            "sushy SessionService lists its session: %r" % ss)
    e = ok("either_auth")
    c.check(e.get("session", "").startswith(SESSIONS + "/"),
            "SessionOrBasicAuth logged in with a session: %r" % e)
    c.eq(e.get("system"), "host", "SessionOrBasicAuth read the System")
    gone(e.get("session"), "SessionOrBasicAuth close")
    w = ok("with_close")
    c.eq(w.get("chassis"), "host", "sushy in a SessionAuth context read the Chassis")
    gone(w.get("session"), "leaving the SessionAuth context")
    acc = ok("accounts")
    # sushy 4.3.3 has no get_account_service(): its connector reads them.
    c.check({"admin", FLEET[0], WRITER[0]} <= set(acc.get("names", [])),
            "sushy reads the accounts: %r" % acc)
    ev = ok("event_service")
    c.eq(ev.get("Id"), "EventService", "sushy EventService")
    # What sushy offers to subscribe with is what the agent accepts.
    c.eq(ev.get("event_types"), sorted(["StatusChange", "ResourceUpdated", "ResourceAdded",
                                        "ResourceRemoved", "Alert", "Other"]),
         "sushy get_event_types_for_subscription()")
    c.check(stream_id in ev.get("members", []),
            "sushy lists the open event stream %s: %r" % (stream_id, ev))
    c.check([stream_id.rsplit("/", 1)[1], "Event stream", "Redfish", ""] in ev.get("parsed", []),
            "sushy parses the event stream member: %r" % ev.get("parsed"))
    sub = ok("subscription")
    sid = sub.get("id")
    c.check(sid and sid in sub.get("file", []),
            "the subscription sushy created is in subscriptions.json: %r" % sub)
    c.eq(sub.get("context"), "node-7", "sushy reads back the subscription's Context")
    c.eq(sub.get("destination"), "https://127.0.0.1:9/events", "sushy reads back Destination")
    c.eq(sub.get("event_types"), ["Alert"], "sushy reads back EventTypes")
    c.check(sid and "/redfish/v1/EventService/Subscriptions/" + sid in sub.get("members", []),
            "the collection lists the new subscription: %r" % sub.get("members"))
    c.check(sid and sid not in sub.get("file_after", ["?"]),
            "sushy's delete removed it from subscriptions.json: %r" % sub.get("file_after"))
    c.eq(sub.get("members_after"), [stream_id], "after the delete only the event stream is left")
    sy = ok("system")
    root = a.curl("GET", "/redfish/v1/Systems/host").json()
    c.eq(sy.get("memory_gib"), root["MemorySummary"]["TotalSystemMemoryGiB"],
         "sushy MemorySummary size")
    c.eq(sy.get("memory"), len(EMU_DEVICE_IDS), "the System's Memory collection")
    c.eq([sy.get(k) for k in ("processors", "storage", "simple_storage")],
         ["MissingAttributeError"] * 3, "sushy: the absent Processors/Storage are told clearly")
    c.check(sy.get("reset", "").startswith("MissingActionError"),
            "sushy reset_system: no Reset action, said clearly: %r" % sy.get("reset"))
    # Sent anyway, the action is a Redfish error sushy reads.
    rp = sy.get("reset_post") or [None, ""]
    c.check(rp[0] == 404 and str(rp[1]).endswith(".ResourceNotFound"),
            "a Reset POSTed through sushy's connector: %r" % rp)
    c.eq([sy.get("managers"), sy.get("chassis")], [["agent"], ["host"]], "sushy System links")
    c.eq(ok("manager"), ["agent", "ManagerType.SERVICE"], "sushy get_manager()")
    c.eq(ok("chassis"), ["host", "ChassisType.OTHER"], "sushy get_chassis()")
    t = ok("task")
    c.eq(t.get("status"), 202, "background vendor command through sushy's connector")
    # Debian's package lacks sushy's standard registries, which
    # get_task_monitor() loads first (README: Clients): the monitor is
    # made directly.
    c.eq(t.get("final"), 200, "sushy TaskMonitor.wait() ends with the command's answer")
    c.eq(t.get("result", {}).get("MailboxReturnCode"), 0, "the background command's result")
    task = a.curl("GET", t.get("task") or "/redfish/v1/TaskService/Tasks/none").json()
    c.eq(task.get("TaskState"), "Completed", "the Task sushy waited on")
    c.check(out.get("closed") is True, "sushy SessionAuth.close() forgot its session")
    c.eq(sessions_of(a, "admin"), [], "no sushy session is left on the agent")
    r = ok("refresh")
    c.check(401 in r.get("statuses", []) and r.get("before") != r.get("after"),
            "sushy met the expired session's 401 and logged in again: %r" % r)
    c.eq(r.get("system"), "host", "sushy's repeated read after the refresh")
    gone(r.get("before"), "the idle session")
    gone(out.get("refreshed_closed"), "the refreshed session after close")


def open_stream(a):
    """An event stream held open by curl; its member's URI."""
    before = set(m["@odata.id"] for m in a.curl(
        "GET", "/redfish/v1/EventService/Subscriptions").json()["Members"])
    proc = subprocess.Popen(["curl", "-sN", "--cacert", a.ca, "-u", "admin:" + ADMIN_PASSWORD,
                             a.url("/redfish/v1/EventService/SSE")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def opened():
        now = set(m["@odata.id"] for m in a.curl(
            "GET", "/redfish/v1/EventService/Subscriptions").json()["Members"])
        return sorted(now - before)
    new = wait_for(opened, 10, 0.1)
    c.check(len(new) == 1 and "/SSE-" in new[0], "the event stream's member: %r" % new)
    return proc, new[0] if new else "/redfish/v1/EventService/Subscriptions/SSE-none"


def main():
    if shutil.which("redfishtool") is None:
        missing("redfishtool")
    if not have_sushy():
        missing("python3-sushy")
    with Agent(config={"policy_file": POLICY_EXAMPLE},
               accounts=[("admin", ADMIN_PASSWORD, "Administrator"),
                         (FLEET[0], FLEET[1], "Administrator"),
                         (WRITER[0], WRITER[1], WRITER_ROLE[0])], roles=[WRITER_ROLE]) as a:
        rt_ok(a, ["SessionService", "setSessionTimeout", "1200"], "setSessionTimeout")
        c.eq(a.curl("GET", "/redfish/v1/SessionService").json().get("SessionTimeout"), 1200,
             "redfishtool setSessionTimeout applied")
        stream, stream_id = open_stream(a)
        sushy = start_sushy(a)
        try:
            check_rt_sessions(a)
            check_rt_accounts(a)
            record = check_rt_raw(a)
            check_rt_resources(a, record)
            check_rt_verbose(a)
            out = sushy_results(sushy)
            if out:
                check_sushy(a, out, stream_id)
        finally:
            for proc in (sushy, stream):
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
    c.finish()


if __name__ == "__main__":
    main()
