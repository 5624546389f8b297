"""Real Redfish clients from Debian against the TLS agent, Basic auth:
 - redfishtool 1.1.5: Chassis list, Systems list, Managers list, raw GET of
   a PCIeDevice; a wrong password fails;
 - python3-sushy 4.3.3 (in a /usr/bin/python3 subprocess): connect with the
   test CA, read the service root, list Chassis/Systems/Managers and read a
   member of each.
Both clients are prerequisites of the suite: a missing one fails the test."""
import json
import os
import shutil
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, CHASSIS_DEVICES, EMU_DEVICE_IDS, Agent, Checker, missing  # noqa: E402

c = Checker("clients")


def have_sushy():
    p = subprocess.run(["/usr/bin/python3", "-c", "import sushy"], capture_output=True)
    return p.returncode == 0


def client_env():
    """requests (under both clients) prefers REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE
    from the environment over a session's verify= (psf/requests#3829), and
    loopback must never go through a proxy."""
    env = dict(os.environ)
    for k in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTPS_PROXY", "https_proxy",
              "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(k, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,::1,localhost"
    return env


def redfishtool(a, args, password=ADMIN_PASSWORD):
    cmd = ["redfishtool", "-r", "127.0.0.1:%d" % a.port, "-u", "admin", "-p", password,
           "-S", "Always", "-A", "Basic", "-T", "20"] + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=90, env=client_env())
    doc = None
    if p.returncode == 0:
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            pass
    return p, doc


def check_redfishtool(a):
    for sub, coll, member in (("Chassis", "/redfish/v1/Chassis", "/redfish/v1/Chassis/host"),
                              ("Systems", "/redfish/v1/Systems", "/redfish/v1/Systems/host"),
                              ("Managers", "/redfish/v1/Managers", "/redfish/v1/Managers/agent")):
        p, doc = redfishtool(a, [sub, "list"])
        what = "redfishtool %s list" % sub
        c.eq(p.returncode, 0, what + " exit status (stderr %r)" % p.stderr[-500:])
        c.check(doc is not None, what + " prints JSON: %r" % p.stdout[:300])
        if doc is None:
            continue
        c.eq(doc.get("_Path"), coll, what + " path")
        members = [m.get("@odata.id") for m in doc.get("Members", [])]
        c.check(member in members, "%s lists %s: %r" % (what, member, members))
        c.eq(doc.get("Members@odata.count"), len(members), what + " count")
    path = "%s/%s" % (CHASSIS_DEVICES, EMU_DEVICE_IDS[0])
    p, doc = redfishtool(a, ["raw", "GET", path])
    c.eq(p.returncode, 0, "redfishtool raw GET PCIeDevice exit status (stderr %r)" % p.stderr[-500:])
    c.check(doc is not None, "redfishtool raw GET prints JSON: %r" % p.stdout[:300])
    if doc:
        c.eq(doc.get("@odata.id"), path, "redfishtool raw GET @odata.id")
        c.eq(doc.get("@odata.type"), "#PCIeDevice.v1_21_0.PCIeDevice", "redfishtool raw GET type")
        c.eq(doc.get("CXLDevice", {}).get("DeviceType"), "Type3", "redfishtool raw GET CXLDevice")
        c.check(doc.get("Oem", {}).get("CxlAgent", {}).get("CommandEffectsLog"),
                "redfishtool raw GET shows the OEM CEL link")
    p, doc = redfishtool(a, ["Chassis", "list"], password="wrong-password-123")
    c.check(p.returncode != 0, "redfishtool with a wrong password fails (rc %d)" % p.returncode)


# Run by /usr/bin/python3 with Debian's python3-sushy. argv: base URL, CA
# file, user, password. Prints one JSON object of step -> result or error.
SUSHY_SCRIPT = r"""
import json, logging, sys, traceback
import sushy
from sushy import auth
logging.basicConfig(level=logging.ERROR)
url, ca, user, password = sys.argv[1:5]
out = {}
def step(name, fn):
    try:
        out[name] = {"ok": fn()}
    except Exception as e:
        out[name] = {"error": "%s: %s" % (type(e).__name__, e)}
s = None
def connect():
    global s
    s = sushy.Sushy(url, verify=ca, auth=auth.BasicAuth(username=user, password=password))
    return {"Id": s.identity, "Name": s.name, "UUID": s.uuid, "Product": s.product,
            "RedfishVersion": s.redfish_version}
step("connect", connect)
if s is not None:
    step("chassis_list", lambda: sorted(s.get_chassis_collection().members_identities))
    step("systems_list", lambda: sorted(s.get_system_collection().members_identities))
    step("managers_list", lambda: sorted(s.get_manager_collection().members_identities))
    def chassis():
        ident = sorted(s.get_chassis_collection().members_identities)[0]
        ch = s.get_chassis(ident)
        return {"Id": ch.identity, "Name": ch.name, "ChassisType": str(ch.chassis_type),
                "State": str(ch.status.state) if ch.status else None}
    step("chassis_member", chassis)
    def system():
        ident = sorted(s.get_system_collection().members_identities)[0]
        sy = s.get_system(ident)
        return {"Id": sy.identity, "Name": sy.name, "SystemType": str(sy.system_type),
                "HostName": sy.hostname}
    step("system_member", system)
    def manager():
        ident = sorted(s.get_manager_collection().members_identities)[0]
        m = s.get_manager(ident)
        return {"Id": m.identity, "Name": m.name, "ManagerType": str(m.manager_type),
                "FirmwareVersion": m.firmware_version, "UUID": m.uuid}
    step("manager_member", manager)
def bad_password():
    b = sushy.Sushy(url, verify=ca, auth=auth.BasicAuth(username=user, password="wrong-password-123"))
    b.get_chassis_collection()
    return "accepted"
step("bad_password", bad_password)
print(json.dumps(out))
"""


def check_sushy(a):
    p = subprocess.run(["/usr/bin/python3", "-c", SUSHY_SCRIPT, a.url("/redfish/v1"), a.ca,
                        "admin", ADMIN_PASSWORD], capture_output=True, text=True, timeout=120,
                       env=client_env())
    c.eq(p.returncode, 0, "sushy script ran (stderr %r)" % p.stderr[-1500:])
    try:
        out = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        c.check(False, "sushy script output: %r %r" % (p.stdout[-500:], p.stderr[-1500:]))
        return
    print("sushy:", json.dumps(out, indent=1))

    def ok(step):
        r = out.get(step, {"error": "not run"})
        c.check("ok" in r, "sushy %s: %s" % (step, r.get("error")))
        return r.get("ok")
    root = a.curl("GET", "/redfish/v1", user=None).json()
    conn = ok("connect")
    if conn:
        c.eq(conn["Id"], root["Id"], "sushy ServiceRoot Id")
        c.eq(conn["UUID"], root["UUID"], "sushy ServiceRoot UUID")
        c.eq(conn["RedfishVersion"], root["RedfishVersion"], "sushy RedfishVersion")
        c.eq(conn["Product"], root["Product"], "sushy Product")
    c.eq(ok("chassis_list"), ["/redfish/v1/Chassis/host"], "sushy Chassis members")
    c.eq(ok("systems_list"), ["/redfish/v1/Systems/host"], "sushy Systems members")
    c.eq(ok("managers_list"), ["/redfish/v1/Managers/agent"], "sushy Managers members")
    ch = ok("chassis_member")
    if ch:
        c.eq(ch["Id"], "host", "sushy Chassis member Id")
    sy = ok("system_member")
    if sy:
        c.eq(sy["Id"], "host", "sushy System member Id")
        # Read from this host's /proc by the confined front (no CXLA_HOST_ROOT).
        c.eq(sy["HostName"], socket.gethostname(), "sushy System HostName")
    m = ok("manager_member")
    if m:
        c.eq(m["Id"], "agent", "sushy Manager member Id")
        c.eq(m["UUID"], root["UUID"], "sushy Manager UUID")
    bad = out.get("bad_password", {})
    c.check("error" in bad and ("401" in bad["error"] or "Unauthorized" in bad["error"]
                                or "AccessError" in bad["error"]),
            "sushy with a wrong password is refused: %r" % bad)


def main():
    if shutil.which("redfishtool") is None:
        missing("redfishtool")
    if not have_sushy():
        missing("python3-sushy")
    with Agent(accounts=[("admin", ADMIN_PASSWORD, "Administrator")]) as a:
        check_redfishtool(a)
        check_sushy(a)
    c.finish()


if __name__ == "__main__":
    main()
