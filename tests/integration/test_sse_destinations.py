"""Each open event stream is an EventDestination (DSP0266, "Server-sent
events"): listed in the Subscriptions collection as SSE-<n> while it is
open, readable by its owner and by ConfigureManager only, deleted (ending
the stream) by either, and gone within 3 s of its client closing the
connection, with the keepalive left at its 15 s default so that the
keepalive write is not what notices. Streams opened and ended many times
leave no member behind, events still reach the other streams, and nothing
of a stream is written to subscriptions.json or survives a restart."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import Agent, Checker, free_port, wait_for  # noqa: E402
from sselib import Stream, open_stream  # noqa: E402

SUBS = "/redfish/v1/EventService/Subscriptions"
TEST_EVENT = "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent"
ALICE = ("alice", "alice-password-1")
BOB = ("bob", "bob-password-1")
OPERATOR = ("oscar", "oscar-password-1")


def members(a, user):
    r = a.curl("GET", SUBS, user=user)
    assert r.status == 200, r
    doc = r.json()
    assert doc["Members@odata.count"] == len(doc["Members"]), doc
    return [m["@odata.id"] for m in doc["Members"]]


def streams_of(a, user):
    return [m for m in members(a, user) if m.rsplit("/", 1)[-1].startswith("SSE-")]


def new_member(a, before, user):
    """The one stream member that is not in before."""
    added = [m for m in streams_of(a, user) if m not in before]
    assert len(added) == 1, (before, added)
    return added[0]


def gone_within(a, uri, user, limit):
    """Seconds until uri answers 404, or None when it still exists after
    limit seconds."""
    start = time.time()
    while time.time() - start < limit:
        if a.curl("GET", uri, user=user).status == 404:
            return time.time() - start
        time.sleep(0.05)
    return None


def check_resource(c, a, uri):
    doc = c.redfish_json(a.curl("GET", uri, user=ALICE), "stream's EventDestination") or {}
    c.eq(doc.get("@odata.id"), uri, "@odata.id")
    c.eq(doc.get("Id"), uri.rsplit("/", 1)[-1], "Id")
    c.check(doc.get("@odata.type", "").startswith("#EventDestination.v1_"), "@odata.type")
    c.eq(doc.get("SubscriptionType"), "SSE", "SubscriptionType")
    c.eq(doc.get("Protocol"), "Redfish", "Protocol")
    c.eq(doc.get("Context"), "", "Context: a string, though a stream is opened without one")
    c.eq(doc.get("RegistryPrefixes"), ["ResourceEvent"], "the stream's filter as a list")
    c.check("$filter=RegistryPrefix eq 'ResourceEvent'" in doc.get("Description", ""),
            "the $filter itself in Description (%r)" % doc.get("Description"))
    c.eq(doc.get("Status", {}).get("State"), "Enabled", "Status.State")
    c.check("Destination" not in doc and doc.get("HttpHeaders") == [],
            "no Destination, HttpHeaders empty")
    c.payloads.append(("SSE EventDestination", doc))


def visibility(c, a, uri):
    """Owner and ConfigureManager see it; another account, even with
    ConfigureSelf or an Operator's privileges, neither sees nor ends it."""
    c.check(uri in members(a, ALICE), "the owner sees the member")
    c.check(uri in members(a, ("admin", a.env["CXLA_INITIAL_ADMIN_PASSWORD"])),
            "an administrator sees the member")
    for who in (BOB, OPERATOR):
        c.check(uri not in members(a, who), "%s does not see another's stream" % who[0])
        c.eq(a.curl("GET", uri, user=who).status, 403, "%s GET of another's stream" % who[0])
        c.eq(a.curl("DELETE", uri, user=who).status, 403,
             "%s DELETE of another's stream" % who[0])
    c.eq(a.curl("GET", uri).status, 200, "an administrator reads it")


def delete_ends_stream(c, a, owner, deleter, what):
    before = streams_of(a, owner)
    s = open_stream(a, user=owner)
    c.eq(s.status, 200, "%s: stream opens" % what)
    uri = new_member(a, before, owner)
    start = time.time()
    r = a.curl("DELETE", uri, user=deleter)
    c.eq(r.status, 204, "%s: DELETE" % what)
    ended = s.ended.wait(1)
    took = time.time() - start
    c.check(ended, "%s: the stream ends within 1 s of the DELETE" % what)
    print("%s: stream ended %.3f s after the DELETE was sent" % (what, took))
    c.eq(a.curl("GET", uri, user=owner).status, 404, "%s: member gone" % what)
    c.eq(a.curl("DELETE", uri, user=owner).status, 404, "%s: a second DELETE" % what)
    s.close()


def close_removes_member(c, a, reset):
    what = "client %s" % ("reset" if reset else "close")
    before = streams_of(a, ALICE)
    s = open_stream(a, user=ALICE)
    c.eq(s.status, 200, "%s: stream opens" % what)
    uri = new_member(a, before, ALICE)
    s.close(reset=reset)
    took = gone_within(a, uri, ALICE, 3)
    c.check(took is not None, "%s: member gone within 3 s" % what)
    if took is not None:
        print("%s: member gone %.2f s after the client went" % (what, took))
    return uri


def main():
    c = Checker("sse_destinations")
    # The keepalive stays at its default (15 s): a closed client must be
    # noticed long before the keepalive write would find it.
    with Agent(config={"sse_max_streams": 6}) as a:
        admin = ("admin", a.env["CXLA_INITIAL_ADMIN_PASSWORD"])
        for (name, pw), role in ((ALICE, "ReadOnly"), (BOB, "ReadOnly"), (OPERATOR, "Operator")):
            r = a.curl("POST", "/redfish/v1/AccountService/Accounts",
                       body={"UserName": name, "Password": pw, "RoleId": role})
            c.eq(r.status, 201, "account %s" % name)
        r = a.curl("POST", SUBS, body={"Destination": "https://127.0.0.1:%d/events" % free_port(),
                                       "Protocol": "Redfish", "Context": "push",
                                       "DeliveryRetryPolicy": "RetryForever"})
        c.eq(r.status, 201, "push subscription")
        push = r.header("location")
        c.eq(streams_of(a, admin), [], "no stream members before any stream")

        # A stream of the administrator's that must keep receiving events
        # whatever happens to the others.
        watch = open_stream(a, "MessageId eq 'CxlAgent.1.0.TestMarker'")
        c.eq(watch.status, 200, "watching stream opens")
        watch_uri = new_member(a, [], admin)

        s = open_stream(a, "RegistryPrefix eq 'ResourceEvent'", user=ALICE)
        c.eq(s.status, 200, "alice's stream opens")
        uri = new_member(a, [watch_uri], admin)
        c.check(uri.startswith(SUBS + "/SSE-"), "member named SSE-<n> (%s)" % uri)
        c.eq(members(a, BOB), [push], "a ReadOnly caller sees the push subscription only")
        check_resource(c, a, uri)
        visibility(c, a, uri)
        # A push subscription stays ConfigureManager's to delete.
        c.eq(a.curl("DELETE", push, user=ALICE).status, 403,
             "ConfigureSelf does not delete a push subscription")
        c.eq(a.curl("GET", push).status, 200, "the push subscription is still there")
        c.eq(a.curl("GET", SUBS + "/SSE-99999", user=ALICE).status, 404, "no such stream")
        c.eq(a.curl("GET", SUBS + "/SSE-01", user=ALICE).status, 404, "a second spelling")
        s.close()

        delete_ends_stream(c, a, ALICE, ALICE, "owner's DELETE")
        delete_ends_stream(c, a, ALICE, admin, "administrator's DELETE")
        close_removes_member(c, a, reset=False)
        close_removes_member(c, a, reset=True)

        # Churn: streams opened and ended both ways leave nothing behind.
        seen = set()
        for i in range(24):
            before = streams_of(a, ALICE)
            st = open_stream(a, user=ALICE)
            c.check(st.status == 200, "churn %d: stream opens (%d)" % (i, st.status))
            if st.status != 200:
                break
            m = new_member(a, before, ALICE)
            c.check(m not in seen, "churn %d: %s never named before" % (i, m))
            seen.add(m)
            if i % 2:
                c.eq(a.curl("DELETE", m, user=ALICE).status, 204, "churn %d: DELETE" % i)
            st.close()
        c.check(wait_for(lambda: streams_of(a, admin) == [watch_uri], 3),
                "after the churn only the watching stream is listed (%r)" % streams_of(a, admin))
        # Every slot given back: the limit's worth of streams opens again.
        extra = [Stream(a, user=ALICE) for _ in range(5)]
        c.eq([x.status for x in extra], [200] * 5, "every stream slot given back")
        for x in extra:
            x.close()

        # Events still flow to the stream that stayed.
        r = a.curl("POST", TEST_EVENT, body={"MessageId": "CxlAgent.1.0.TestMarker",
                                             "Message": "still here"})
        c.eq(r.status, 204, "test event")
        got = watch.next(timeout=5)
        c.check(got and got[2]["Events"][0]["MessageId"] == "CxlAgent.1.0.TestMarker",
                "the remaining stream still receives events (%r)" % (got,))

        # Nothing of a stream is on disk.
        with open(os.path.join(a.state, "subscriptions.json")) as f:
            on_disk = json.load(f)["Subscriptions"]
        c.eq(len(on_disk), 1, "subscriptions.json holds the push subscription only")
        c.check("SSE" not in json.dumps(on_disk), "no stream in subscriptions.json")
        a.stop()
        watch.close()
        a.start()
        c.eq(members(a, admin), [push], "after a restart: the push subscription, no stream")
    c.finish()


if __name__ == "__main__":
    main()
