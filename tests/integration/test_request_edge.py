"""What reaches the router: URIs that could be read two ways are refused with
400 before routing, the OData version is checked, POST to a collection's
Members is POST to the collection, and GET answers name their schema."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker  # noqa: E402

c = Checker("request_edge")

REFUSED = [
    "/redfish/v1/Chassis%00x",
    "/redfish/v1/Chassis%00",
    "/redfish/v1/Chassis%0Ax",
    "/redfish/v1/Chassis%7F",
    "/redfish/v1/Chassis%G1",
    "/redfish/v1/Chassis%4",
    "/redfish/v1/Chassis/%",
    "/redfish/v1/Schemas/%ff",
    "/redfish/v1/Schemas/%C0%AF",
    "/redfish/v1/Schemas/%ED%A0%80",
    "/redfish/v1/../v1/Chassis",
    "/redfish/v1/./Chassis",
    "/redfish/v1/Chassis/%2E%2E",
    "/redfish/v1/Chassis?x=%00",
    "/redfish/v1/Chassis?%ff=1",
]


def refused_uris(a):
    for path in REFUSED:
        for user in (("admin", ADMIN_PASSWORD), None):
            r = a.curl("GET", path, user=user, extra=["--path-as-is"])
            c.error_body(r, 400, "InvalidURI", "GET %s (%s)" % (path, "admin" if user else "anonymous"))
            c.check("Members" not in r.body, "GET %s serves no collection" % path)


def too_many_parts(a):
    # Past what the server keeps, a request is refused whole: never routed
    # on the arguments or headers that happened to fit.
    many = "&".join("a%d=1" % i for i in range(17))
    r = a.curl("GET", "/redfish/v1/Chassis?" + many)
    c.error_body(r, 400, "InvalidURI", "17 query arguments")
    r = a.curl("GET", "/redfish/v1/Chassis?" + "&".join("a%d=1" % i for i in range(16)))
    c.eq(r.status, 200, "16 unknown query arguments are ignored")
    extra = []
    for i in range(70):
        extra += ["-H", "X-Filler-%d: 1" % i]
    r = a.curl("GET", "/redfish/v1/Chassis", extra=extra)
    c.eq(r.status, 431, "70 extra header fields")
    c.check("GeneralError" in r.body and "header fields" in r.body, "431 says why: %s" % r.body[:200])


def nul_cannot_reach_an_account(a):
    r = a.curl("POST", "/redfish/v1/AccountService/Accounts",
               body={"UserName": "victim", "Password": "victim-password-1", "RoleId": "ReadOnly"})
    c.eq(r.status, 201, "create victim account")
    uri = r.header("location")
    before = a.curl("GET", uri).json()
    r = a.curl("PATCH", uri + "%00zzz", body={"RoleId": "Administrator"})
    c.error_body(r, 400, "InvalidURI", "PATCH with %00 in the account URI")
    after = a.curl("GET", uri).json()
    c.eq(after.get("RoleId"), before.get("RoleId"), "account unchanged by the %00 PATCH")
    r = a.curl("DELETE", uri + "%00")
    c.error_body(r, 400, "InvalidURI", "DELETE with %00")
    c.eq(a.curl("GET", uri).status, 200, "account still there after the %00 DELETE")
    # Annotations beside properties are ignored; alone they ask for nothing.
    r = a.curl("PATCH", uri, body={"@odata.id": uri, "@odata.etag": before.get("@odata.etag", "x"),
                                   "Enabled": False})
    c.eq(r.status, 200, "PATCH with annotations beside a property")
    c.eq(a.curl("GET", uri).json().get("Enabled"), False, "the property was written")
    r = a.curl("PATCH", uri, body={"@odata.id": uri, "@odata.type": "#ManagerAccount.x"})
    c.error_body(r, 400, "NoOperation", "PATCH of annotations only")
    c.eq(a.curl("GET", uri).json().get("Enabled"), False, "annotation-only PATCH changed nothing")


def odata_version(a):
    r = a.curl("GET", "/redfish/v1/Chassis", headers={"OData-Version": "4.1"})
    c.error_body(r, 412, "HeaderInvalid", "OData-Version 4.1")
    r = a.curl("GET", "/redfish/v1/Chassis", headers={"OData-Version": "4.0"})
    c.eq(r.status, 200, "OData-Version 4.0")
    r = a.curl("GET", "/redfish/v1/Chassis")
    c.eq(r.status, 200, "no OData-Version")


def describedby(a):
    for path, want in (("/redfish/v1", "ServiceRoot."),
                       ("/redfish/v1/Chassis", "ChassisCollection.json"),
                       ("/redfish/v1/AccountService", "AccountService.")):
        for attempt in range(2):  # the second answer comes from the body cache
            r = a.curl("GET", path)
            link = r.header("link") or ""
            c.check(want in link and link.endswith("rel=describedby"),
                    "Link describedby on %s (#%d): %r" % (path, attempt + 1, link))
        r = a.curl("HEAD", path)
        c.check(want in (r.header("link") or ""), "Link describedby on HEAD %s" % path)
    devs = a.curl("GET", "/redfish/v1/Chassis/host/PCIeDevices").json()["Members"]
    cel = devs[0]["@odata.id"] + "/Oem/CxlAgent/CommandEffectsLog"
    r = a.curl("GET", cel)
    c.eq(r.header("link"), "</redfish/v1/Schemas/CxlAgent.v1_0_0.json>; rel=describedby",
         "Link of an OEM resource names the served OEM schema")
    c.eq(a.curl("GET", "/redfish/v1/Schemas/CxlAgent.v1_0_0.json").status, 200,
         "the OEM schema named by Link is served")
    r = a.curl("GET", "/redfish/v1/Nothing")
    c.eq(r.header("link"), None, "no Link on an error")


def post_to_members(a):
    r = a.curl("POST", "/redfish/v1/SessionService/Sessions/Members",
               body={"UserName": "admin", "Password": ADMIN_PASSWORD}, user=None)
    c.eq(r.status, 201, "POST to Sessions/Members creates a session")
    c.check((r.header("location") or "").startswith("/redfish/v1/SessionService/Sessions/"),
            "Location of the session")
    # With or without a trailing slash, as every other path.
    for user, members in (("member", "Members"), ("member2", "Members/")):
        uri = "/redfish/v1/AccountService/Accounts/" + members
        r = a.curl("POST", uri, body={"UserName": user, "Password": "member-password-1",
                                      "RoleId": "ReadOnly"})
        c.eq(r.status, 201, "POST to Accounts/%s creates an account" % members)
        c.check((r.header("location") or "").startswith("/redfish/v1/AccountService/Accounts/"),
                "Location of the account")
        r = a.curl("GET", uri)
        c.eq(r.status, 404, "GET of .../%s is not the collection" % members)


def sse_status(a, accept):
    """Status of the event stream's answer to accept; the stream is cut
    after a second (curl then exits 28, which is expected here)."""
    p = subprocess.run(["curl", "-sS", "-N", "--max-time", "1", "--cacert", a.ca, "-u",
                        "admin:%s" % ADMIN_PASSWORD, "-H", "Accept: " + accept, "-o", "/dev/null",
                        "-w", "%{http_code}", a.url("/redfish/v1/EventService/SSE")],
                       capture_output=True, timeout=10)
    return int(p.stdout or 0)


def accept_negotiation(a):
    """Each resource has one representation: an Accept that admits it (by
    name, wildcard or any weight above 0) is served, one that excludes it is
    refused with 406 before the handler runs."""
    served = [
        ("/redfish/v1/", ["application/json", "application/json;charset=utf-8",
                          "application/*", "application/*;charset=utf-8", "*/*",
                          "*/*;charset=utf-8", "APPLICATION/JSON",
                          "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                          "not a media type"]),
        ("/redfish/v1/$metadata", ["application/xml", "application/xml;charset=utf-8",
                                   "application/*", "*/*;charset=utf-8"]),
        ("/redfish/v1/Schemas/CxlAgent_v1.xml", ["application/xml"]),
        ("/redfish/v1/Schemas/CxlAgent.v1_0_0.json", ["application/json"]),
        ("/metrics", ["application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                      "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
                      "text/plain;version=0.0.4;q=1,*/*;q=0.1"]),
    ]
    for path, accepts in served:
        for accept in accepts:
            r = a.curl("GET", path, headers={"Accept": accept})
            c.eq(r.status, 200, "GET %s with Accept %r" % (path, accept))
    refused = [
        ("/redfish/v1/", ["application/xml", "application/json;q=0",
                          "*/*, application/json;q=0", "text/event-stream"]),
        ("/redfish/v1/$metadata", ["application/json", "application/xml;q=0, */*"]),
        ("/redfish/v1/Schemas/CxlAgent.v1_0_0.json", ["application/xml"]),
        ("/metrics", ["application/json"]),
        ("/redfish/v1/EventService/SSE", ["application/json"]),
    ]
    for path, accepts in refused:
        for accept in accepts:
            r = a.curl("GET", path, headers={"Accept": accept})
            c.error_body(r, 406, "GeneralError", "GET %s with Accept %r" % (path, accept))
    for accept in ("text/event-stream", "text/event-stream;charset=utf-8"):
        c.eq(sse_status(a, accept), 200, "event stream with Accept %r" % accept)
    # Refused before anything is done: no session is made.
    r = a.curl("POST", "/redfish/v1/SessionService/Sessions", user=None,
               headers={"Accept": "application/xml"},
               body={"UserName": "admin", "Password": ADMIN_PASSWORD})
    c.error_body(r, 406, "GeneralError", "POST Sessions with Accept application/xml")
    c.eq(a.curl("GET", "/redfish/v1/SessionService/Sessions").json()["Members@odata.count"], 0,
         "the refused POST made no session")
    # Anonymous callers learn nothing of a protected resource's type.
    r = a.curl("GET", "/redfish/v1/Systems", user=None, headers={"Accept": "application/xml"})
    c.eq(r.status, 401, "anonymous GET with an excluding Accept")


with Agent() as a:
    accept_negotiation(a)
    refused_uris(a)
    too_many_parts(a)
    nul_cannot_reach_an_account(a)
    odata_version(a)
    describedby(a)
    post_to_members(a)
    r = a.curl("GET", "/redfish/v1")
    c.eq(r.status, 200, "agent still serving")
c.finish()
