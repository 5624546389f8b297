"""Push subscriptions with a real HTTPS listener (Python http.server + ssl on
127.0.0.1, certificate from the test CA): events are delivered with the
subscription's Context and filters, bad subscriptions create nothing, a
destination that is down for a while gets its events once it is back, one
that keeps failing is suspended and can be resumed, and subscriptions
survive a restart."""
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (Agent, Checker, free_port, make_certs, scratch_dir, set_fault,  # noqa: E402
                      wait_for, write_emulated_profile)
from pushlib import Listener  # noqa: E402

SUBS = "/redfish/v1/EventService/Subscriptions"
TEST_EVENT = "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent"
TOKEN = "tok-5f1e2d3c4b5a"


def next_matching(listener, pred, timeout):
    """The first event delivered within timeout whose body pred accepts,
    passing over others; None if none came."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = listener.next(max(0.01, deadline - time.time()))
        if got and pred(got[2]):
            return got
    return None


def members(a):
    return [m["@odata.id"] for m in a.curl("GET", SUBS).json().get("Members", [])]


def bad_input(c, a, port):
    dest = "https://127.0.0.1:%d/events" % port
    cases = [
        ("non-HTTPS destination", {"Destination": "http://127.0.0.1:%d/" % port,
                                   "Protocol": "Redfish"}, "PropertyValueFormatError"),
        ("malformed URL", {"Destination": "https://", "Protocol": "Redfish"},
         "PropertyValueFormatError"),
        ("credentials in the URL", {"Destination": "https://fleet:s3cret@127.0.0.1:%d/" % port,
                                    "Protocol": "Redfish"}, "PropertyValueFormatError"),
        ("password alone in the URL", {"Destination": "https://:s3cret@127.0.0.1:%d/" % port,
                                       "Protocol": "Redfish"}, "PropertyValueFormatError"),
        ("unknown registry", {"Destination": dest, "Protocol": "Redfish",
                              "RegistryPrefixes": ["NoSuchRegistry"]}, "PropertyValueNotInList"),
        ("unknown resource type", {"Destination": dest, "Protocol": "Redfish",
                                   "ResourceTypes": ["Toaster"]}, "PropertyValueNotInList"),
        ("oversized Context", {"Destination": dest, "Protocol": "Redfish",
                               "Context": "x" * 257}, "StringValueTooLong"),
        ("unknown property", {"Destination": dest, "Protocol": "Redfish", "Toaster": []},
         "PropertyUnknown"),
        ("header value with a line break", {"Destination": dest, "Protocol": "Redfish",
                                            "HttpHeaders": [{"X-Token": "s3cret\r\nX-Evil: 1"}]},
         "PropertyValueFormatError"),
        ("header name with a colon", {"Destination": dest, "Protocol": "Redfish",
                                      "HttpHeaders": [{"X-A: b": "s3cret"}]},
         "PropertyValueFormatError"),
        ("a header the delivery sets", {"Destination": dest, "Protocol": "Redfish",
                                        "HttpHeaders": [{"content-length": "0"}]},
         "PropertyValueFormatError"),
        ("header value not a string", {"Destination": dest, "Protocol": "Redfish",
                                       "HttpHeaders": [{"X-Token": 5}]}, "PropertyValueTypeError"),
        ("headers not an array", {"Destination": dest, "Protocol": "Redfish",
                                  "HttpHeaders": {"X-Token": "s3cret"}}, "PropertyValueTypeError"),
        ("too many headers", {"Destination": dest, "Protocol": "Redfish",
                              "HttpHeaders": [{"X-H%d" % i: "v"} for i in range(17)]},
         "PropertyValueFormatError"),
        ("missing Protocol", {"Destination": dest}, "CreateFailedMissingReqProperties"),
        ("other protocol", {"Destination": dest, "Protocol": "SNMPv2c"}, "PropertyValueNotInList"),
        ("unknown retry policy", {"Destination": dest, "Protocol": "Redfish",
                                  "DeliveryRetryPolicy": "Sometimes"}, "PropertyValueNotInList"),
        ("EventTypes MetricReport (none are published)",
         {"Destination": dest, "Protocol": "Redfish", "EventTypes": ["MetricReport"]},
         "PropertyValueNotInList"),
        ("unknown EventTypes", {"Destination": dest, "Protocol": "Redfish",
                                "EventTypes": ["Toaster"]}, "PropertyValueNotInList"),
        ("EventTypes not an array", {"Destination": dest, "Protocol": "Redfish",
                                     "EventTypes": "Alert"}, "PropertyValueTypeError"),
    ]
    before = members(a)
    for what, body, msg in cases:
        r = a.curl("POST", SUBS, body=body)
        c.error_body(r, 400, msg, what)
        c.check("s3cret" not in r.body, what + ": the refusal does not echo the password")
    c.eq(members(a), before, "bad subscriptions create nothing")
    filter_conflict(c, a, dest)
    c.check("s3cret" not in a.logtext(), "a refused destination's password is not logged")


def filter_conflict(c, a, dest):
    """A new subscription filters by registry or by message, not both
    (DSP0266): the request is refused and nothing is created or written."""
    path = os.path.join(a.state, "subscriptions.json")
    disk = open(path, "rb").read() if os.path.exists(path) else None
    before = members(a)
    r = a.curl("POST", SUBS, body={"Destination": dest, "Protocol": "Redfish",
                                   "RegistryPrefixes": ["TaskEvent"],
                                   "MessageIds": ["TaskEvent.1.0.TaskStarted"]})
    c.error_body(r, 400, "PropertyValueConflict", "RegistryPrefixes with MessageIds")
    args = [i.get("MessageArgs") for i in r.json().get("error", {}).get(
        "@Message.ExtendedInfo", [])] if r.status == 400 else []
    c.eq(args, [["RegistryPrefixes", "MessageIds"]], "the refusal names both properties")
    # Told whatever the lists name (here a registry no event comes from).
    r = a.curl("POST", SUBS, body={"Destination": dest, "Protocol": "Redfish",
                                   "RegistryPrefixes": ["Base"],
                                   "MessageIds": ["Base.1.0.Success", "Base.1.0.GeneralError"]})
    c.error_body(r, 400, "PropertyValueConflict", "exclusive filters naming unknown registries")
    c.eq(members(a), before, "the refused subscription is not a member")
    c.eq(open(path, "rb").read() if os.path.exists(path) else None, disk,
         "the refused subscription changes nothing on disk")
    # Either list alone, or one of them empty, is a valid filter.
    for what, body in (("MessageIds with empty RegistryPrefixes",
                        {"RegistryPrefixes": [], "MessageIds": ["TaskEvent.1.0.TaskStarted"]}),
                       ("RegistryPrefixes alone", {"RegistryPrefixes": ["TaskEvent"]})):
        body.update({"Destination": dest, "Protocol": "Redfish"})
        r = a.curl("POST", SUBS, body=body)
        c.eq(r.status, 201, what + " is accepted")
        if r.status == 201:
            c.eq(a.curl("DELETE", r.header("location")).status, 204, what + ": deleted")
    c.eq(members(a), before, "the accepted filters were deleted again")


def untrusted_destination(c, a):
    """A destination whose certificate the configured CA bundle did not
    sign gets nothing: the handshake is refused before any event leaves."""
    certs = make_certs(os.path.join(a.tmp, "other-ca"))
    other = Listener(a, certs=certs)
    port = other.port
    r = a.curl("POST", SUBS, body={"Destination": "https://127.0.0.1:%d/events" % port,
                                   "Protocol": "Redfish", "RegistryPrefixes": ["CxlAgent"],
                                   "DeliveryRetryPolicy": "RetryForever"})
    c.eq(r.status, 201, "subscription to a destination of another CA")
    loc = r.header("location")
    a.curl("POST", TEST_EVENT, body={"MessageId": "CxlAgent.1.0.DeviceEventRecord",
                                     "Message": "secret", "MessageArgs": ["a", "b", "c", "d"]})
    c.check(other.next(3) is None, "nothing is delivered to a destination the CA bundle did not sign")
    health = wait_for(lambda: a.curl("GET", loc).json().get("Status", {}).get("Health")
                      == "Warning", 5)
    c.check(health, "the untrusted destination's subscription shows Warning")
    c.check("certificate" in a.logtext().lower(), "the refusal is logged with its reason")
    c.eq(a.curl("DELETE", loc).status, 204, "untrusted subscription deleted")
    other.close()


def named_destination(c, a):
    """A destination named by host name: the front resolves it (hosts file,
    resolver configuration, the routing socket) and connects under its
    system call filter, which allows exactly that."""
    named = Listener(a)
    port = named.port
    r = a.curl("POST", SUBS, body={"Destination": "https://localhost:%d/named" % port,
                                   "Protocol": "Redfish", "RegistryPrefixes": ["CxlAgent"]})
    c.eq(r.status, 201, "subscription to a destination named by host name")
    loc = r.header("location")
    a.curl("POST", TEST_EVENT, body={"MessageId": "CxlAgent.1.0.DeviceEventRecord",
                                     "Message": "named", "MessageArgs": ["a", "b", "c", "d"]})
    got = named.next(5)
    c.check(got and got[0] == "/named" and got[2]["Events"][0]["Message"] == "named",
            "delivered to localhost (%r)" % (got,))
    c.check(a.front_confined(), "the confined front is still there")
    c.eq(a.curl("DELETE", loc).status, 204, "named subscription deleted")
    named.close()


def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (t * 1000 % 1000)


def check_delivery(c, a, listener, loc, ok, what):
    """c.check(ok, what); when it fails, what the agent logged about the
    subscription (each attempt with its duration) and when the listener
    saw anything, so that a late delivery says where its time went."""
    c.check(ok, what)
    if ok:
        return
    sid = loc.rsplit("/", 1)[1]
    lines = [line for line in a.logtext().splitlines()
             if "subscription %s " % sid in line or "subscription %s:" % sid in line]
    sys.stderr.write("---- agent log about subscription %s, read at %s ----\n%s\n"
                     % (sid, stamp(time.time()), "\n".join(lines)))
    sys.stderr.write("---- listener: Events at %s; handshakes failed: %s ----\n"
                     % ([stamp(t) for t in listener.arrivals],
                        [(stamp(t), why) for t, why in listener.refused]))


def main():
    c = Checker("subscriptions")
    prof = write_emulated_profile(scratch_dir("cxla-subs-"))
    a = Agent(start=False, config={"emulated_profile": prof["profile"],
                                   "refresh_interval_ms": 200,
                                   "delivery_retry_attempts": 2,
                                   "delivery_retry_interval_s": 1},
              env={"CXLA_LOG_TIME": "1"})
    with a:
        a.config["event_destination_ca"] = a.ca
        with open(a.config_path, "w") as f:
            json.dump(a.config, f)
        listener = Listener(a)
        lport = listener.port
        a.start()
        dest = "https://127.0.0.1:%d/events" % lport

        doc = c.redfish_json(a.curl("GET", "/redfish/v1/EventService"), "EventService")
        c.eq(doc.get("Subscriptions", {}).get("@odata.id"), SUBS, "Subscriptions link")
        c.eq(doc.get("DeliveryRetryAttempts"), 2, "DeliveryRetryAttempts")
        c.eq(doc.get("DeliveryRetryIntervalSeconds"), 1, "DeliveryRetryIntervalSeconds")
        c.eq(sorted(doc.get("EventTypesForSubscription", [])),
             sorted(["StatusChange", "ResourceUpdated", "ResourceAdded", "ResourceRemoved",
                     "Alert", "Other"]), "EventTypesForSubscription: EventTypes accepted")
        bad_input(c, a, lport)

        # A client that connects and never speaks TLS delays nobody else.
        silent = socket.create_connection(("127.0.0.1", lport))
        r = a.curl("POST", SUBS, body={"Destination": dest, "Protocol": "Redfish",
                                       "Context": "fleet-1", "DeliveryRetryPolicy": "RetryForever",
                                       "RegistryPrefixes": ["ResourceEvent", "CxlAgent"],
                                       "EventTypes": ["Alert"],
                                       "HttpHeaders": [{"Authorization": "Bearer " + TOKEN},
                                                       {"X-Fleet": "rack-7"}]})
        c.eq(r.status, 201, "subscription created")
        loc = r.header("location")
        sub = c.redfish_json(r, "created subscription")
        c.eq(sub.get("Context"), "fleet-1", "Context kept")
        c.eq(sub.get("@odata.id"), loc, "Location is the subscription")
        c.eq(sub.get("HttpHeaders"), [], "HttpHeaders is write-only: empty in the answer")
        # The deprecated EventTypes older clients send is kept and shown;
        # it filters nothing (every event below is of type Other).
        c.eq(sub.get("EventTypes"), ["Alert"], "EventTypes kept")
        c.check(TOKEN not in a.curl("GET", loc).body, "the header's secret is not shown in GET")
        c.redfish_json(a.curl("GET", SUBS), "subscription collection")

        # Its own creation is the first event it gets.
        got = listener.next(5)
        check_delivery(c, a, listener, loc,
                       got and got[2]["Events"][0]["MessageId"].endswith(".ResourceCreated") and
                       got[2]["Events"][0]["OriginOfCondition"]["@odata.id"] == loc,
                       "subscription sees its own creation, beside a silent client (%r)" % (got,))
        silent.close()
        # Logged once the answer is read, just after the listener has it.
        done = re.compile(r"subscription %s: event \d+ delivered in \d+ ms" % loc.rsplit("/", 1)[1])
        c.check(wait_for(lambda: done.search(a.logtext()), 5), "a delivery is logged with its duration")
        # SubmitTestEvent goes through the filters like any event.
        r = a.curl("POST", TEST_EVENT, body={"MessageId": "CxlAgent.1.0.DeviceEventRecord",
                                             "Message": "test", "MessageArgs": ["a", "b", "c", "d"],
                                             "OriginOfCondition": "/redfish/v1/Managers/agent"})
        c.eq(r.status, 204, "SubmitTestEvent")
        got = listener.next(5)
        check_delivery(c, a, listener, loc, got is not None, "test event delivered")
        if got:
            path, ctype, ev, headers = got
            c.eq(path, "/events", "POSTed to the destination path")
            c.eq((headers.get("Authorization"), headers.get("X-Fleet")),
                 ("Bearer " + TOKEN, "rack-7"), "the subscription's HttpHeaders are sent")
            c.check((ctype or "").startswith("application/json"), "JSON content type")
            c.eq(ev.get("Context"), "fleet-1", "event carries the Context")
            c.eq(ev["Events"][0]["MessageId"], "CxlAgent.1.0.DeviceEventRecord", "test MessageId")
            c.payloads.append(("pushed Event", ev))
        r = a.curl("POST", TEST_EVENT, body={"MessageId": "TaskEvent.1.0.TaskStarted"})
        c.eq(r.status, 204, "SubmitTestEvent outside the filter")
        c.check(listener.next(1.5) is None, "an event outside RegistryPrefixes is not pushed")
        # Parameters that would make an Event the schema refuses are refused.
        for what, extra in (("MessageSeverity", {"MessageSeverity": "Bogus"}),
                            ("Severity", {"Severity": "Informational"}),
                            ("MessageArgs", {"MessageArgs": [1, {"x": 2}]}),
                            ("MessageArgs", {"MessageArgs": "a"})):
            body = {"MessageId": "CxlAgent.1.0.DeviceEventRecord"}
            body.update(extra)
            r = a.curl("POST", TEST_EVENT, body=body)
            c.error_body(r, 400, "ActionParameterValueError", "SubmitTestEvent %r" % extra)
            c.check(what in r.body, "the refusal names %s" % what)
        c.check(listener.next(1.5) is None, "a refused test event is not published")
        r = a.curl("POST", TEST_EVENT, body={"MessageId": "CxlAgent.1.0.DeviceEventRecord",
                                             "Severity": "Warning", "MessageArgs": ["a"]})
        c.eq(r.status, 204, "SubmitTestEvent with the deprecated Severity")
        got = listener.next(5)
        c.eq(got and got[2]["Events"][0].get("MessageSeverity"), "Warning",
             "the deprecated Severity becomes MessageSeverity")
        if got:
            c.payloads.append(("pushed test Event with Severity", got[2]))

        untrusted_destination(c, a)
        named_destination(c, a)
        while listener.next(0.5):
            pass

        # A device vanishing reaches the subscriber (past any event of the
        # sections above that a loaded machine delivers late).
        set_fault(prof["fault"][1], "vanish")
        got = next_matching(listener, lambda ev: ev["Events"][0]["MessageId"].endswith(
            ".ResourceRemoved"), 15)
        c.check(got is not None, "device removal pushed")

        # Down for a while: retried, then delivered in order once back.
        listener.close()
        for i in range(3):
            a.curl("POST", TEST_EVENT, body={"MessageId": "ResourceEvent.1.4.ResourceChanged",
                                             "Message": "while down %d" % i})
        deadline = time.time() + 10
        doc = a.curl("GET", loc).json()
        while doc.get("Status", {}).get("Health") != "Warning" and time.time() < deadline:
            time.sleep(0.1)
            doc = a.curl("GET", loc).json()
        c.eq(doc.get("Status", {}).get("Health"), "Warning", "failing subscription shows Warning")
        c.eq(doc.get("Status", {}).get("State"), "Enabled", "RetryForever stays enabled")
        listener = Listener(a, lport)
        texts = []
        for _ in range(3):
            got = listener.next(8)
            if got:
                texts.append(got[2]["Events"][0]["Message"])
        c.eq(texts, ["while down 0", "while down 1", "while down 2"],
             "events held while down arrive in order")

        # SuspendRetries: a destination that keeps refusing is suspended.
        dead = free_port()
        r = a.curl("POST", SUBS, body={"Destination": "https://127.0.0.1:%d/x" % dead,
                                       "Protocol": "Redfish", "DeliveryRetryPolicy": "SuspendRetries"})
        c.eq(r.status, 201, "second subscription")
        loc2 = r.header("location")
        a.curl("POST", TEST_EVENT, body={"MessageId": "ResourceEvent.1.4.ResourceChanged"})
        state = wait_for(lambda: a.curl("GET", loc2).json().get("Status", {}).get("State")
                         == "Disabled", 10)
        c.check(state, "suspended after repeated failure")
        r = a.curl("POST", loc2 + "/Actions/EventDestination.ResumeSubscription", body={})
        c.eq(r.status, 204, "ResumeSubscription")
        c.eq(a.curl("GET", loc2).json().get("Status", {}).get("State"), "Enabled", "resumed")
        # the one event still queued is delivered to the first subscription too
        while listener.next(0.5):
            pass

        # Persisted: both subscriptions survive a restart, and delivery works.
        # An entry stored with both filter lists (a set written before such
        # requests were refused) still loads: the rule is for new requests.
        a.stop()
        path = os.path.join(a.state, "subscriptions.json")
        with open(path) as f:
            stored = json.load(f)
        for s in stored["Subscriptions"]:
            if s.get("Id") == loc2.rsplit("/", 1)[1]:
                s["RegistryPrefixes"] = ["TaskEvent"]
                s["MessageIds"] = ["TaskEvent.1.0.TaskStarted"]
        with open(path, "w") as f:
            json.dump(stored, f)
        a.start()
        c.check(loc in members(a) and loc2 in members(a), "subscriptions survive a restart")
        both = a.curl("GET", loc2).json()
        c.eq((both.get("RegistryPrefixes"), both.get("MessageIds")),
             (["TaskEvent"], ["TaskEvent.1.0.TaskStarted"]),
             "a stored subscription with both filter lists still loads")
        after = a.curl("GET", loc).json()
        c.eq(after.get("Context"), "fleet-1", "Context survives a restart")
        c.eq(after.get("HttpHeaders"), [], "HttpHeaders stay hidden after a restart")
        c.eq(after.get("EventTypes"), ["Alert"], "EventTypes survive a restart")
        c.check("EventTypes" not in both, "a subscription made without EventTypes shows none")
        a.curl("POST", TEST_EVENT, body={"MessageId": "ResourceEvent.1.4.ResourceChanged",
                                         "Message": "after restart"})
        got = listener.next(5)
        check_delivery(c, a, listener, loc,
                       got and got[2]["Events"][0]["Message"] == "after restart",
                       "delivered after a restart (%r)" % (got,))
        c.eq(got and got[3].get("Authorization"), "Bearer " + TOKEN,
             "HttpHeaders survive a restart")
        c.check(TOKEN not in a.logtext(), "the header's secret is never logged")
        r = a.curl("DELETE", loc2)
        c.eq(r.status, 204, "subscription deleted")
        c.eq(a.curl("GET", loc2).status, 404, "deleted subscription is gone")
        r = a.curl("DELETE", loc)
        c.eq(r.status, 204, "first subscription deleted")
        listener.close()
    c.finish()


if __name__ == "__main__":
    main()
