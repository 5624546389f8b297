"""AccountService over TLS: accounts (create, patch, delete; ConfigureSelf
may change only its own password; Password never returned), password length
rules, ETag / If-Match (412), the last Administrator, roles (predefined ones
read-only; custom ones the only way to CxlCommandWriteFull), lockout after
N failures visible as Locked and lifted by an administrator (lifted after
the duration: tests/unit/auth/test_expiry.c, on a fake clock), the
failed-login rate limit per source address and user name, a corrupt
accounts file refused at start-up, and no password in the log."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, AGENT, Agent, Checker, open_private  # noqa: E402
import authlib  # noqa: E402
from authlib import Client  # noqa: E402

c = Checker("accounts")
ACCOUNTS = "/redfish/v1/AccountService/Accounts"
ROLES = "/redfish/v1/AccountService/Roles"
ADMIN = ("admin", ADMIN_PASSWORD)
VIEWER = ("viewer", "viewer-password-1")
passwords = {ADMIN_PASSWORD, VIEWER[1]}


def find(cl, name):
    for m in cl.request("GET", ACCOUNTS, basic=ADMIN).json()["Members"]:
        doc = cl.request("GET", m["@odata.id"], basic=ADMIN).json()
        if doc["UserName"] == name:
            return m["@odata.id"]
    return None


def crud(cl):
    r = cl.request("GET", "/redfish/v1/AccountService", basic=ADMIN)
    svc = c.redfish_json(r, "AccountService")
    c.eq((svc["MinPasswordLength"], svc["MaxPasswordLength"]), (12, 128), "password length rules")
    r = cl.request("POST", ACCOUNTS, basic=ADMIN,
                   body={"UserName": "alice", "Password": "short", "RoleId": "Operator"})
    c.error_body(r, 400, "PasswordIncorrectLength", "too short a password")
    r = cl.request("POST", ACCOUNTS, basic=ADMIN,
                   body={"UserName": "alice", "Password": "x" * 129, "RoleId": "Operator"})
    c.error_body(r, 400, "PasswordIncorrectLength", "too long a password")
    r = cl.request("POST", ACCOUNTS, basic=ADMIN,
                   body={"UserName": "alice", "Password": "alice-password-1", "RoleId": "Nope"})
    c.error_body(r, 400, "PropertyValueNotInList", "unknown role")
    r = cl.request("POST", ACCOUNTS, basic=ADMIN,
                   body={"UserName": "al ice", "Password": "alice-password-1", "RoleId": "Operator"})
    c.error_body(r, 400, "PropertyValueFormatError", "bad user name")
    r = cl.request("POST", ACCOUNTS, basic=ADMIN, body={"UserName": "alice", "RoleId": "Operator"})
    c.error_body(r, 400, "CreateFailedMissingReqProperties", "no password")
    r = cl.request("POST", ACCOUNTS, basic=ADMIN,
                   body={"UserName": "alice", "Password": "alice-password-1", "RoleId": "Operator",
                         "Bogus": 1})
    c.error_body(r, 400, "PropertyUnknown", "unknown property")
    r = cl.request("POST", ACCOUNTS, basic=ADMIN,
                   body={"UserName": "alice", "Password": "alice-password-1", "RoleId": "Operator"})
    c.eq(r.status, 201, "create alice")
    passwords.add("alice-password-1")
    doc = c.redfish_json(r, "created account")
    loc = r.header("location")
    c.eq(loc, ACCOUNTS + "/" + doc["Id"], "Location of the new account")
    c.check("Password" not in doc, "Password never returned")
    c.check(r.header("etag"), "ETag on the created account")
    r = cl.request("POST", ACCOUNTS, basic=ADMIN,
                   body={"UserName": "alice", "Password": "alice-password-2", "RoleId": "ReadOnly"})
    c.error_body(r, 409, "ResourceAlreadyExists", "duplicate user name")
    r = cl.request("GET", loc, basic=("alice", "alice-password-1"))
    c.eq(r.status, 200, "alice reads her own account")
    c.check("Password" not in r.json(), "Password never returned (GET)")
    r = cl.request("GET", find(cl, "admin"), basic=("alice", "alice-password-1"))
    c.error_body(r, 403, "InsufficientPrivilege", "ConfigureSelf reads another account")
    r = cl.request("GET", ACCOUNTS, basic=("alice", "alice-password-1"))
    c.eq([m["@odata.id"] for m in r.json()["Members"]], [loc], "ConfigureSelf lists itself only")

    # ConfigureSelf: own password only.
    r = cl.request("PATCH", loc, basic=("alice", "alice-password-1"), body={"RoleId": "Administrator"})
    c.error_body(r, 403, "InsufficientPrivilege", "ConfigureSelf promoting itself")
    r = cl.request("PATCH", find(cl, "viewer"), basic=("alice", "alice-password-1"),
                   body={"Password": "hijacked-password-1"})
    c.error_body(r, 403, "InsufficientPrivilege", "ConfigureSelf changing another's password")
    r = cl.request("PATCH", loc, basic=("alice", "alice-password-1"), body={"Password": "alice-password-2"})
    c.eq(r.status, 200, "alice changes her own password")
    passwords.add("alice-password-2")
    r = cl.request("GET", loc, basic=("alice", "alice-password-1"))
    c.eq(r.status, 401, "old password no longer works")
    r = cl.request("GET", loc, basic=("alice", "alice-password-2"))
    c.eq(r.status, 200, "new password works")

    # ETag / If-Match.
    etag = r.header("etag")
    r = cl.request("PATCH", loc, basic=ADMIN, body={"RoleId": "ReadOnly"},
                   headers={"If-Match": '"0000000000000000"'})
    c.error_body(r, 412, "PreconditionFailed", "If-Match with a stale ETag")
    r = cl.request("PATCH", loc, basic=ADMIN, body={"RoleId": "ReadOnly"}, headers={"If-Match": etag})
    c.eq(r.status, 200, "If-Match with the current ETag")
    c.eq(r.json()["RoleId"], "ReadOnly", "role changed")
    c.check(r.header("etag") != etag, "ETag changed with the resource")
    r = cl.request("PATCH", loc, basic=ADMIN, body={"Enabled": True}, headers={"If-Match": etag})
    c.error_body(r, 412, "PreconditionFailed", "the old ETag is stale now")
    r = cl.request("PATCH", loc, basic=ADMIN, body={"Id": "7"})
    c.error_body(r, 400, "PropertyNotWritable", "Id is read-only")
    # DSP0266: what can never be written, beside what can, is left out and
    # named in the 200; the rest is done.
    r = cl.request("PATCH", loc, basic=ADMIN,
                   body={"Password": "alice-password-3", "BogusProp": "foo", "Id": "7"})
    c.eq(r.status, 200, "PATCH of a password with an unknown and a read-only property")
    doc = r.json() if r.status == 200 else {}
    c.eq(doc.get("@odata.id"), loc, "the 200 carries the account")
    c.eq(sorted(m["MessageId"].rsplit(".", 1)[1] + ":" + ",".join(m["MessageArgs"])
                for m in doc.get("@Message.ExtendedInfo", [])),
         ["PropertyNotWritable:Id", "PropertyUnknown:BogusProp"],
         "the 200 names what was left out")
    c.eq(doc.get("Id"), loc.rsplit("/", 1)[1], "Id unchanged")
    passwords.add("alice-password-3")
    c.eq(cl.request("GET", loc, basic=("alice", "alice-password-3")).status, 200,
         "the password beside them was changed")
    r = cl.request("PATCH", loc, basic=ADMIN, body={"BogusProp": "foo"})
    c.error_body(r, 400, "PropertyUnknown", "an unknown property alone")
    c.check("BogusProp" in r.body, "the 400 names it")
    r = cl.request("PATCH", loc, basic=ADMIN, body={"Locked": True})
    c.error_body(r, 400, "PropertyValueIncorrect", "a client cannot lock an account")
    r = cl.request("DELETE", loc, basic=("viewer", VIEWER[1]))
    c.eq(r.status, 403, "ReadOnly deleting an account")
    r = cl.request("DELETE", loc, basic=ADMIN)
    c.eq(r.status, 204, "delete alice")
    r = cl.request("GET", loc, basic=ADMIN)
    c.error_body(r, 404, "ResourceNotFound", "deleted account")
    r = cl.request("GET", "/redfish/v1/Managers", basic=("alice", "alice-password-3"))
    c.eq(r.status, 401, "deleted account cannot log in")


def last_admin(cl):
    admin_uri = find(cl, "admin")
    r = cl.request("DELETE", admin_uri, basic=ADMIN)
    c.error_body(r, 409, "ResourceCannotBeDeleted", "deleting the last Administrator")
    r = cl.request("PATCH", admin_uri, basic=ADMIN, body={"RoleId": "Operator"})
    c.error_body(r, 409, "PropertyValueResourceConflict", "demoting the last Administrator")
    r = cl.request("PATCH", admin_uri, basic=ADMIN, body={"Enabled": False})
    c.error_body(r, 409, "PropertyValueResourceConflict", "disabling the last Administrator")
    r = cl.request("POST", ACCOUNTS, basic=ADMIN,
                   body={"UserName": "admin2", "Password": "admin2-password", "RoleId": "Administrator"})
    c.eq(r.status, 201, "a second Administrator")
    passwords.add("admin2-password")
    second = r.header("location")
    r = cl.request("PATCH", admin_uri, basic=ADMIN, body={"RoleId": "Operator"})
    c.eq(r.status, 200, "demoting one of two Administrators")
    r = cl.request("DELETE", second, basic=("admin2", "admin2-password"))
    c.error_body(r, 409, "ResourceCannotBeDeleted", "admin2 deleting itself, the last Administrator")
    r = cl.request("PATCH", admin_uri, basic=("admin2", "admin2-password"), body={"RoleId": "Administrator"})
    c.eq(r.status, 200, "admin promoted back")
    r = cl.request("DELETE", second, basic=ADMIN)
    c.eq(r.status, 204, "second Administrator removed")


def roles(cl):
    r = cl.request("GET", ROLES, basic=VIEWER)
    c.eq(r.status, 200, "roles readable with Login")
    c.redfish_json(r, "RoleCollection")
    for role in authlib.PREDEFINED_ROLES:
        r = cl.request("GET", ROLES + "/" + role, basic=VIEWER)
        c.redfish_json(r, "Role " + role)
        r = cl.request("PATCH", ROLES + "/" + role, basic=ADMIN,
                       body={"OemPrivileges": ["CxlCommandWriteFull"]})
        c.error_body(r, 400, "PropertyNotWritable", "predefined role %s is read-only" % role)
        r = cl.request("DELETE", ROLES + "/" + role, basic=ADMIN)
        c.error_body(r, 409, "ResourceCannotBeDeleted", "predefined role %s cannot go" % role)
        c.check("CxlCommandWriteFull" not in
                cl.request("GET", ROLES + "/" + role, basic=ADMIN).json()["OemPrivileges"],
                "no predefined role has CxlCommandWriteFull (%s)" % role)
    body = {"RoleId": "DeviceWriter", "AssignedPrivileges": ["Login", "ConfigureSelf"],
            "OemPrivileges": ["CxlCommandRead", "CxlCommandWriteFull"]}
    r = cl.request("POST", ROLES, basic=VIEWER, body=body)
    c.eq(r.status, 403, "ReadOnly cannot create roles")
    r = cl.request("POST", ROLES, basic=ADMIN, body=dict(body, OemPrivileges=["Login"]))
    c.error_body(r, 400, "PropertyValueNotInList", "standard privilege in OemPrivileges")
    r = cl.request("POST", ROLES, basic=ADMIN, body=body)
    c.eq(r.status, 201, "custom role with CxlCommandWriteFull")
    doc = c.redfish_json(r, "custom Role")
    c.eq((doc["IsPredefined"], sorted(doc["OemPrivileges"])),
         (False, ["CxlCommandRead", "CxlCommandWriteFull"]), "custom role content")
    r = cl.request("POST", ROLES, basic=ADMIN, body=body)
    c.error_body(r, 409, "ResourceAlreadyExists", "duplicate role")
    r = cl.request("POST", ACCOUNTS, basic=ADMIN,
                   body={"UserName": "writer", "Password": "writer-password", "RoleId": "DeviceWriter"})
    c.eq(r.status, 201, "account with the custom role")
    passwords.add("writer-password")
    writer = r.header("location")
    r = cl.request("DELETE", ROLES + "/DeviceWriter", basic=ADMIN)
    c.error_body(r, 409, "ResourceInUse", "role in use cannot be deleted")
    etag = cl.request("GET", ROLES + "/DeviceWriter", basic=ADMIN).header("etag")
    r = cl.request("PATCH", ROLES + "/DeviceWriter", basic=ADMIN, headers={"If-Match": '"x"'},
                   body={"OemPrivileges": ["CxlCommandRead"]})
    c.error_body(r, 412, "PreconditionFailed", "role PATCH with a stale ETag")
    r = cl.request("PATCH", ROLES + "/DeviceWriter", basic=ADMIN, headers={"If-Match": etag},
                   body={"OemPrivileges": ["CxlCommandRead"]})
    c.eq((r.status, r.json().get("OemPrivileges")), (200, ["CxlCommandRead"]), "role PATCH")
    cl.request("DELETE", writer, basic=ADMIN)
    r = cl.request("DELETE", ROLES + "/DeviceWriter", basic=ADMIN)
    c.eq(r.status, 204, "unused custom role deleted")


def lockout(cl):
    svc = "/redfish/v1/AccountService"
    etag = cl.request("GET", svc, basic=ADMIN).header("etag")
    r = cl.request("PATCH", svc, basic=ADMIN, headers={"If-Match": etag},
                   body={"AccountLockoutThreshold": 3, "AccountLockoutDuration": 4,
                         "AccountLockoutCounterResetAfter": 5})
    c.error_body(r, 400, "PropertyValueConflict", "reset-after longer than the duration")
    r = cl.request("PATCH", svc, basic=ADMIN, headers={"If-Match": '"stale"'},
                   body={"AccountLockoutThreshold": 3})
    c.error_body(r, 412, "PreconditionFailed", "AccountService PATCH with a stale ETag")
    r = cl.request("PATCH", svc, basic=ADMIN, headers={"If-Match": etag},
                   body={"AccountLockoutThreshold": 3, "AccountLockoutDuration": 4,
                         "AccountLockoutCounterResetAfter": 4})
    c.eq(r.status, 200, "lockout settings changed")
    c.eq((r.json()["AccountLockoutThreshold"], r.json()["AccountLockoutDuration"]), (3, 4),
         "lockout settings shown")
    r = cl.request("PATCH", svc, basic=VIEWER, body={"AccountLockoutThreshold": 0})
    c.eq(r.status, 403, "ReadOnly cannot change lockout settings")
    viewer = find(cl, "viewer")
    for i in range(2):
        cl.request("GET", "/redfish/v1/Managers", basic=("viewer", "wrong-password"))
    c.eq(cl.request("GET", viewer, basic=ADMIN).json()["Locked"], False, "not locked below N")
    cl.request("GET", "/redfish/v1/Managers", basic=("viewer", "wrong-password"))
    c.eq(cl.request("GET", viewer, basic=ADMIN).json()["Locked"], True, "locked after N failures")
    r = cl.request("GET", "/redfish/v1/Managers", basic=VIEWER)
    c.error_body(r, 401, "NoValidSession", "locked account refuses the right password")
    r, _, _ = authlib.login(cl, *VIEWER)
    c.eq(r.status, 401, "locked account cannot log in")
    # The lock ending after AccountLockoutDuration runs on a fake clock in
    # tests/unit/auth/test_expiry.c. An administrator may unlock at once.
    r = cl.request("PATCH", viewer, basic=ADMIN, body={"Locked": False})
    c.eq((r.status, r.json().get("Locked")), (200, False), "administrator unlocks")
    c.eq(cl.request("GET", "/redfish/v1/Managers", basic=VIEWER).status, 200, "works after unlock")
    # Settings persist across a restart.
    return {"AccountLockoutThreshold": 3, "AccountLockoutDuration": 4}


def no_password_in_log(a):
    log = open(a.log_path, "rb").read()
    for p in sorted(passwords):
        c.check(p.encode() not in log, "password %s... not in the log" % p[:3])
    c.check(b"authentication failed" in log, "authentication failures are logged")
    c.check(b"locked for" in log, "lockout is logged")


def rate_limit():
    """Failed logins are counted per (source address, user name): guessing at
    one user from one address gets that pair 429, for the right password
    too, and locks out neither another user from that address (a NAT) nor
    that user from another address."""
    victim = ("victim", "victim-password-1")
    with Agent(config={"auth_failures_per_minute": 3},
               accounts=[("admin", ADMIN[1], "Administrator"),
                         (victim[0], victim[1], "ReadOnly")]) as a:
        cl = Client(a)
        cl6 = Client(a, host="::1")
        for i in range(3):  # below the account lockout threshold (5)
            r = cl.request("GET", "/redfish/v1/Managers", basic=(victim[0], "wrong-%d" % i))
            c.eq(r.status, 401, "failure %d for victim from 127.0.0.1" % i)
        r = cl.request("GET", "/redfish/v1/Managers", basic=victim)
        c.error_body(r, 429, "ServiceTemporarilyUnavailable", "victim's right password, same address")
        c.check(r.header("retry-after") and 0 < int(r.header("retry-after")) <= 60, "Retry-After")
        r, _, _ = authlib.login(cl, *victim)
        c.eq(r.status, 429, "victim's session login from the limited address")
        c.check(r.header("retry-after") and 0 < int(r.header("retry-after")) <= 60,
                "Retry-After on the login")
        r = cl.request("GET", "/redfish/v1/Managers", basic=ADMIN)
        c.eq(r.status, 200, "another user from the same address is not limited")
        r, tok, _ = authlib.login(cl, *ADMIN)
        c.eq(r.status, 201, "another user's session login from the same address")
        for i in range(3):
            r = cl.request("GET", "/redfish/v1/Managers", basic=("nobody-%d" % i, "wrong"))
            c.eq(r.status, 401, "one failure each for other names: not limited (%d)" % i)
        r = cl6.request("GET", "/redfish/v1/Managers", basic=victim)
        c.eq(r.status, 200, "the same user from another address is not limited")
        r = cl.request("GET", "/redfish/v1/Managers", token=tok)
        c.eq(r.status, 200, "a session token still works from the limited address")
        c.check("rate limited" in a.logtext(), "rate limiting is logged")
        cl.close()
        cl6.close()


def corrupt_file():
    a = Agent(start=False)
    with a:
        os.makedirs(a.state, exist_ok=True)
        path = os.path.join(a.state, "accounts.json")
        bad = '{"Version": 1,\n "Accounts": [\n  {"Id": "1", "UserName": "admin", "RoleId": "Root"}\n ]\n}\n'
        with open_private(path) as f:
            f.write(bad)
        p = subprocess.run([AGENT, "-c", a.config_path], capture_output=True, text=True, timeout=20,
                           env=a.env)
        c.check(p.returncode != 0, "corrupt accounts file refused at start-up")
        c.check(path in p.stderr and ":3:" in p.stderr, "message names file and line: %r" % p.stderr)
        with open(path) as f:
            c.eq(f.read(), bad, "the corrupt file is left untouched")
        with open(path, "w") as f:
            f.write('{"Version": 1, "Accounts": [')
        p = subprocess.run([AGENT, "-c", a.config_path], capture_output=True, text=True, timeout=20,
                           env=a.env)
        c.check(p.returncode != 0 and path in p.stderr, "truncated file refused: %r" % p.stderr)
        a.expect_clean_exit = False


with Agent(start=False) as a:
    authlib.seed_accounts(a, [("admin", ADMIN_PASSWORD, "Administrator"),
                              ("viewer", VIEWER[1], "ReadOnly")])
    a.start()
    cl = Client(a)
    crud(cl)
    last_admin(cl)
    roles(cl)
    want = lockout(cl)
    cl.close()
    no_password_in_log(a)
    a.stop()
    a.start()
    r = a.curl("GET", "/redfish/v1/AccountService")
    got = r.json()
    c.eq({k: got[k] for k in want}, want, "lockout settings persist across a restart")
    r = a.curl("POST", "/redfish/v1/AccountService/Accounts",
               body={"UserName": "cost-check", "Password": "cost-check-password-1",
                     "RoleId": "ReadOnly"})
    c.eq(r.status, 201, "account created for the cost check")
    with open(os.path.join(a.state, "accounts.json")) as f:
        doc = json.load(f)
    c.check(all(acc["PasswordHash"].startswith("pbkdf2-sha256$") for acc in doc["Accounts"]),
            "only hashes in the accounts file")
    made = [acc for acc in doc["Accounts"] if acc["UserName"] not in ("admin", "viewer")]
    c.check(made and all(acc["PasswordHash"].startswith("pbkdf2-sha256$210000$") for acc in made),
            "accounts the agent created carry the production cost (210000 iterations): %r"
            % [acc["PasswordHash"].split("$")[1] for acc in made])
rate_limit()
corrupt_file()
c.finish()
