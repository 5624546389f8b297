"""A configured event_destination_ca is the only trust for push delivery.
libcurl, left to itself, adds its built-in CA directory (Debian's
/etc/ssl/certs) to any bundle it is given; the agent switches that off.

The agent runs in a mount namespace of its own where that directory holds
one CA the test made (the machine's directory is not touched). With the
bundle configured, a destination whose certificate only that CA signed gets
nothing while one signed by the bundle's CA gets its events; with no bundle
(the system's store) the same destination is served, which shows that the
namespace took effect. Where a mount namespace cannot be made the test fails
and says so; it does not skip."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import agentlib  # noqa: E402
from agentlib import Agent, Checker, make_certs, scratch_dir  # noqa: E402
from pushlib import Listener  # noqa: E402

SUBS = "/redfish/v1/EventService/Subscriptions"
TEST_EVENT = "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent"
# libcurl's built-in CA directory and, in it, its default bundle.
SYSTEM_CA_DIR = "/etc/ssl/certs"
SYSTEM_BUNDLE = "ca-certificates.crt"


def launcher(ca_dir):
    """A command line prefix: the rest runs with ca_dir mounted over
    SYSTEM_CA_DIR, in a private mount namespace."""
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
            'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh", ca_dir, SYSTEM_CA_DIR]


def system_store(directory, ca):
    """A stand-in for the system's CA directory holding only ca."""
    os.mkdir(directory)
    for name in ("test-root.pem", SYSTEM_BUNDLE):
        shutil.copy(ca, os.path.join(directory, name))
    return directory


def subscribe(c, a, port, what):
    r = a.curl("POST", SUBS, body={"Destination": "https://127.0.0.1:%d/events" % port,
                                   "Protocol": "Redfish", "RegistryPrefixes": ["CxlAgent"],
                                   "DeliveryRetryPolicy": "RetryForever"})
    c.eq(r.status, 201, "subscription to " + what)
    return r.header("location")


def submit(c, a, text):
    r = a.curl("POST", TEST_EVENT, body={"MessageId": "CxlAgent.1.0.DeviceEventRecord",
                                         "Message": text, "MessageArgs": ["a", "b", "c", "d"]})
    c.eq(r.status, 204, "SubmitTestEvent " + text)


def message(got):
    return got and got[2]["Events"][0].get("Message")


def main():
    c = Checker("destination_ca")
    d = scratch_dir("cxla-destca-")
    public = make_certs(os.path.join(d, "public"))
    store = system_store(os.path.join(d, "store"), os.path.join(public, "ca.crt"))
    wrap = launcher(store)
    p = subprocess.run(wrap + ["true"], capture_output=True, text=True)
    if p.returncode != 0:
        agentlib.missing("a private mount namespace (%s)" % p.stderr.strip(),
                         "run the suite as root, or leave this test out: ctest -E destination_ca")
    a = Agent(start=False, launcher=wrap, config={"delivery_retry_attempts": 2,
                                                  "delivery_retry_interval_s": 1})
    with a:
        a.config["event_destination_ca"] = a.ca
        with open(a.config_path, "w") as f:
            json.dump(a.config, f)
        own = Listener(a)
        other = Listener(a, certs=public)
        a.start()
        subscribe(c, a, own.port, "a destination of the configured CA")
        loc = subscribe(c, a, other.port, "a destination of a CA in libcurl's directory")
        submit(c, a, "bundle")
        c.eq(message(own.next(5)), "bundle", "the configured CA's destination is served")
        c.check(other.next(3) is None,
                "a destination signed only by a CA of the system's directory gets nothing")
        refused = agentlib.wait_for(lambda: a.curl("GET", loc).json().get("Status", {})
                                    .get("Health") == "Warning", 5)
        c.check(refused, "its subscription shows Warning")
        sid = loc.rsplit("/", 1)[1]
        c.check(any("subscription %s: delivery" % sid in line and "certificate" in line.lower()
                    for line in a.logtext().splitlines()),
                "the refusal is logged with its reason")

        # No bundle: the system's store, which in this namespace is the
        # other CA alone. Served: the directory above was really there.
        a.stop()
        del a.config["event_destination_ca"]
        with open(a.config_path, "w") as f:
            json.dump(a.config, f)
        a.start()
        submit(c, a, "system store")
        got = other.next(8)
        while got and message(got) != "system store":
            got = other.next(8)
        c.eq(message(got), "system store", "without a bundle the system's store is used")
        own.close()
        other.close()
    c.finish()


if __name__ == "__main__":
    main()
