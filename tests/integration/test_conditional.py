"""Conditional requests and HEAD on every kind of resource that takes them:
If-Match on a PATCH or DELETE is honoured by every writable resource (412
and nothing changed on a stale tag, "*" matches), HEAD of the event stream
answers its headers alone on a connection that stays usable."""
import base64
import os
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, Agent, Checker  # noqa: E402

c = Checker("conditional")
STALE = '"0000000000000000"'


def etag(a, uri, user=("admin", ADMIN_PASSWORD)):
    r = a.curl("GET", uri, user=user)
    c.eq(r.status, 200, "GET %s" % uri)
    return r.header("etag")


def patch_if_match(a, uri, stale_body, body, read):
    """A stale tag is refused and changes nothing; the current tag, its weak
    form and "*" are accepted."""
    before = a.curl("GET", uri).json()
    r = a.curl("PATCH", uri, body=stale_body, headers={"If-Match": STALE})
    c.error_body(r, 412, "PreconditionFailed", "PATCH %s with a stale If-Match" % uri)
    c.eq(read(a.curl("GET", uri).json()), read(before), "%s unchanged by the refused PATCH" % uri)
    r = a.curl("PATCH", uri, body=body, headers={"If-Match": etag(a, uri)})
    c.eq(r.status, 200, "PATCH %s with the current ETag" % uri)
    r = a.curl("PATCH", uri, body=stale_body, headers={"If-Match": "W/" + etag(a, uri)})
    c.eq(r.status, 200, "PATCH %s with the current ETag, weak" % uri)
    r = a.curl("PATCH", uri, body=body, headers={"If-Match": "*"})
    c.eq(r.status, 200, "PATCH %s with If-Match *" % uri)
    old = etag(a, uri)
    a.curl("PATCH", uri, body=stale_body)
    r = a.curl("PATCH", uri, body=body, headers={"If-Match": old})
    c.error_body(r, 412, "PreconditionFailed", "PATCH %s with the tag from before a change" % uri)
    r = a.curl("PATCH", uri, body=body, headers={"If-Match": '"x", %s' % etag(a, uri)})
    c.eq(r.status, 200, "PATCH %s with a list naming the current ETag" % uri)


def delete_if_match(a, uri, user=("admin", ADMIN_PASSWORD)):
    r = a.curl("DELETE", uri, headers={"If-Match": STALE}, user=user)
    c.error_body(r, 412, "PreconditionFailed", "DELETE %s with a stale If-Match" % uri)
    c.eq(a.curl("GET", uri).status, 200, "%s still there after the refused DELETE" % uri)
    r = a.curl("DELETE", uri, headers={"If-Match": etag(a, uri)}, user=user)
    c.check(r.status in (200, 204), "DELETE %s with the current ETag: %d" % (uri, r.status))
    c.eq(a.curl("GET", uri).status, 404, "%s gone" % uri)


def writable_resources(a):
    patch_if_match(a, "/redfish/v1/SessionService", {"SessionTimeout": 900},
                   {"SessionTimeout": 1200}, lambda d: d.get("SessionTimeout"))
    patch_if_match(a, "/redfish/v1/AccountService", {"AccountLockoutThreshold": 7},
                   {"AccountLockoutThreshold": 8}, lambda d: d.get("AccountLockoutThreshold"))
    r = a.curl("POST", "/redfish/v1/AccountService/Accounts",
               body={"UserName": "bob", "Password": "bob-password-123", "RoleId": "ReadOnly"})
    c.eq(r.status, 201, "create an account")
    account = r.header("location")
    patch_if_match(a, account, {"Enabled": False}, {"Enabled": True}, lambda d: d.get("Enabled"))
    r = a.curl("POST", "/redfish/v1/AccountService/Roles",
               body={"RoleId": "Custom", "AssignedPrivileges": ["Login"]})
    c.eq(r.status, 201, "create a role")
    role = r.header("location")
    patch_if_match(a, role, {"AssignedPrivileges": ["Login", "ConfigureSelf"]},
                   {"AssignedPrivileges": ["Login"]}, lambda d: d.get("AssignedPrivileges"))
    delete_if_match(a, role)
    r = a.curl("POST", "/redfish/v1/EventService/Subscriptions",
               body={"Destination": "https://127.0.0.1:9/events", "Protocol": "Redfish"})
    c.eq(r.status, 201, "create a subscription")
    delete_if_match(a, r.header("location"))
    r = a.curl("POST", "/redfish/v1/SessionService/Sessions", user=None,
               body={"UserName": "bob", "Password": "bob-password-123"})
    c.eq(r.status, 201, "bob logs in")
    session = r.header("location")
    # bob ends his own session (ConfigureSelf) with its tag.
    delete_if_match(a, session, user=("bob", "bob-password-123"))
    delete_if_match(a, account)
    # A resource that is not there is still not found, whatever the tag.
    r = a.curl("DELETE", account, headers={"If-Match": STALE})
    c.error_body(r, 404, "ResourceNotFound", "DELETE of a missing account with If-Match")


def tls_socket(a):
    ctx = ssl.create_default_context(cafile=a.ca)
    ctx.check_hostname = False
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", a.port), timeout=10),
                           server_hostname="localhost")


def read_until_closed(sock, deadline):
    data = b""
    while time.time() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return data


def head_of_event_stream(a):
    """HEAD answers what GET would, without the body: on a kept-alive
    connection the next response must start right after the headers."""
    auth = base64.b64encode(("admin:" + ADMIN_PASSWORD).encode()).decode()
    s = tls_socket(a)
    s.sendall(("HEAD /redfish/v1/EventService/SSE HTTP/1.1\r\nHost: x\r\n"
               "Authorization: Basic %s\r\n\r\n" % auth).encode())
    time.sleep(0.3)
    s.sendall(("GET /redfish HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
               "Connection: close\r\n\r\n" % auth).encode())
    s.settimeout(2)
    data = read_until_closed(s, time.time() + 10)
    s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    c.check(head.startswith(b"HTTP/1.1 200"), "HEAD of the event stream: %r" % head[:40])
    c.check(b"text/event-stream" in head, "HEAD names the stream's media type")
    c.check(rest.startswith(b"HTTP/1.1 200"),
            "the next response follows the HEAD headers at once: %r" % rest[:40])
    c.check(rest.endswith(b'{"v1":"/redfish/v1/"}'), "the next response is whole: %r" % rest[-60:])
    subs = a.curl("GET", "/redfish/v1/EventService/Subscriptions").json()
    c.eq(subs.get("Members@odata.count"), 0, "HEAD opened no stream (no SSE subscription)")


with Agent() as a:
    writable_resources(a)
    head_of_event_stream(a)
    r = a.curl("GET", "/redfish/v1")
    c.eq(r.status, 200, "agent still serving")
c.finish()
