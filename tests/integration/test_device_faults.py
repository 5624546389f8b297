"""Device faults in the running daemon, armed through the emulated devices'
fault control files (schemas/emulated-profile.schema.json, "fault_control"):
 - busy: every mailbox command answers Busy; inventory keeps being served
   from the cache (200, never 500/503) with its DataReadAt frozen, while
   refreshes keep being attempted; a vendor command gets 503 + Retry-After;
   clearing the fault lets the data move again.
 - vanish: the device is marked Absent on PCIeDevice, CXLLogicalDevice,
   Memory and MemoryDomain; a full crawl finds no 5xx and no broken link; its
   CEL says no command can be delivered; the other device is untouched."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, CHASSIS_DEVICES, POLICY_EXAMPLE, Agent, Checker,  # noqa: E402
                      set_fault, write_emulated_profile, scratch_dir)
from test_inventory_crawl import crawl  # noqa: E402  (importing runs nothing: see __main__ guard)

c = Checker("device_faults")
REFRESH_MS = 200


def dev_paths(dev):
    pd = CHASSIS_DEVICES + "/" + dev
    return {
        "PCIeDevice": pd,
        "CXLLogicalDevice": pd + "/CXLLogicalDevices/0",
        "Memory": "/redfish/v1/Systems/host/Memory/" + dev,
        "MemoryDomain": "/redfish/v1/Systems/host/MemoryDomains/" + dev,
        "CEL": pd + "/Oem/CxlAgent/CommandEffectsLog",
        "DeviceLog": pd + "/CXLLogicalDevices/0/DeviceLog/Entries",
        "VendorCommands": pd + "/Oem/CxlAgent/VendorCommands",
    }


def get_all(a, dev, what):
    """GET every resource of a device; all must be 200. Returns {name: doc}."""
    out = {}
    for name, path in dev_paths(dev).items():
        r = a.curl("GET", path)
        c.eq(r.status, 200, "%s: %s %s" % (what, name, path))
        out[name] = r.json() if r.status == 200 else {}
    return out


def oem(doc):
    return doc.get("Oem", {}).get("CxlAgent", {})


def read_after(a, path, read_at, timeout):
    """The resource once its DataReadAt (whole seconds) passes read_at, or
    as it is when timeout runs out."""
    deadline = time.time() + timeout
    while True:
        doc = a.curl("GET", path).json()
        if oem(doc).get("DataReadAt", "") > read_at or time.time() > deadline:
            return doc
        time.sleep(REFRESH_MS / 1000.0)


def busy(a, dev, other, fault_file):
    p = dev_paths(dev)
    t0 = a.curl("GET", p["PCIeDevice"]).json()
    t1 = read_after(a, p["PCIeDevice"], oem(t0)["DataReadAt"], 1.3)
    c.check(oem(t1)["DataReadAt"] > oem(t0)["DataReadAt"],
            "healthy device: DataReadAt moves with refresh_interval_ms=%d (%s -> %s)"
            % (REFRESH_MS, oem(t0)["DataReadAt"], oem(t1)["DataReadAt"]))

    set_fault(fault_file, "busy", count=-1)
    # Let one refresh run into the fault, then the cached copy is what stays.
    time.sleep(2 * REFRESH_MS / 1000.0)
    a.curl("GET", p["PCIeDevice"])
    time.sleep(2 * REFRESH_MS / 1000.0)
    first = get_all(a, dev, "busy device")
    frozen = oem(first["PCIeDevice"]).get("DataReadAt")
    mbox0 = oem(first["PCIeDevice"]).get("MailboxCommands", 0)
    health0 = oem(first["Memory"]).get("Health", {}).get("ReadAt")
    other0 = oem(a.curl("GET", dev_paths(other)["PCIeDevice"]).json())["DataReadAt"]
    deadline = time.time() + 2.5
    rounds = 0
    while time.time() < deadline:
        docs = get_all(a, dev, "busy device (round %d)" % rounds)
        pd, mem = docs["PCIeDevice"], docs["Memory"]
        c.eq(oem(pd).get("DataReadAt"), frozen, "busy device: PCIeDevice DataReadAt stays at the last good read")
        c.eq(oem(mem).get("DataReadAt"), frozen, "busy device: Memory DataReadAt stays at the last good read")
        c.eq(oem(mem).get("Health", {}).get("ReadAt"), health0, "busy device: cached health kept")
        c.eq(pd.get("Status", {}).get("State"), "Enabled", "busy device: still Enabled")
        c.eq(mem.get("CapacityMiB"), first["Memory"].get("CapacityMiB"), "busy device: cached capacity")
        c.eq(len(docs["CEL"].get("Entries", [])), len(first["CEL"].get("Entries", [])),
             "busy device: CEL served")
        rounds += 1
        time.sleep(0.25)
    last = a.curl("GET", p["PCIeDevice"]).json()
    mbox1 = oem(last).get("MailboxCommands", 0)
    c.check(mbox1 > mbox0, "busy device: refreshes kept being attempted (%d -> %d mailbox commands)"
            % (mbox0, mbox1))
    print("busy: %d rounds over 2.5 s served DataReadAt %s; %d mailbox commands attempted meanwhile"
          % (rounds, frozen, mbox1 - mbox0))
    other1 = oem(a.curl("GET", dev_paths(other)["PCIeDevice"]).json())["DataReadAt"]
    c.check(other1 > other0, "the other device keeps refreshing (%s -> %s)" % (other0, other1))

    r = a.submit(dev, "emu-read-telemetry")
    c.error_body(r, 503, "ServiceTemporarilyUnavailable", "vendor command to a busy device")
    c.check(r.header("retry-after"), "503 for a busy device carries Retry-After")

    set_fault(fault_file, "none")
    after = read_after(a, p["PCIeDevice"], frozen, 1.7)
    c.check(oem(after)["DataReadAt"] > frozen, "fault cleared: DataReadAt moves again (%s -> %s)"
            % (frozen, oem(after)["DataReadAt"]))
    r = a.submit(dev, "emu-read-telemetry")
    c.eq(r.status, 200, "fault cleared: vendor command answered")


def vanish(a, dev, other, fault_file):
    p = dev_paths(dev)
    set_fault(fault_file, "vanish")
    state = None
    deadline = time.time() + 5
    while time.time() < deadline:
        time.sleep(REFRESH_MS / 1000.0)
        r = a.curl("GET", p["PCIeDevice"])
        c.check(r.status < 500, "vanishing device: PCIeDevice %d" % r.status)
        state = r.json().get("Status", {}).get("State") if r.status == 200 else None
        if state == "Absent":
            break
    c.eq(state, "Absent", "vanished device: PCIeDevice Status.State")
    docs = get_all(a, dev, "vanished device")
    for name in ("PCIeDevice", "CXLLogicalDevice", "Memory", "MemoryDomain"):
        c.eq(docs[name].get("Status", {}).get("State"), "Absent", "vanished device: %s State" % name)
        c.check("Health" not in docs[name].get("Status", {}),
                "vanished device: %s reports no Health for an absent device" % name)
    entries = docs["CEL"].get("Entries", [])
    c.check(entries, "vanished device: the CEL read at start is still shown")
    c.check(all(not e["Delivery"]["Available"] and e["Delivery"]["Method"] == "Unavailable"
                and e["Delivery"].get("Reason") for e in entries),
            "vanished device: every CEL entry is Unavailable with a reason")
    m0 = oem(docs["PCIeDevice"]).get("MailboxCommands")
    time.sleep(3 * REFRESH_MS / 1000.0)
    again = a.curl("GET", p["PCIeDevice"]).json()
    c.eq(again.get("Status", {}).get("State"), "Absent", "vanished device stays Absent")
    c.eq(oem(again).get("MailboxCommands"), m0, "no mailbox traffic to an absent device")
    r = a.submit(dev, "emu-read-telemetry")
    c.check(r.status != 500 and r.status >= 400, "vendor command to a vanished device: %d, not 500" % r.status)
    c.check("error" in r.json(), "vendor command to a vanished device: Redfish error body")
    print("vendor command to a vanished device: %d %s" % (r.status, r.json().get("error", {}).get("message")))
    od = get_all(a, other, "other device")
    c.eq(od["PCIeDevice"].get("Status", {}).get("State"), "Enabled", "the other device stays Enabled")

    # A full crawl with one device gone: everything resolves, nothing 5xx,
    # payloads still valid (checked at finish()).
    docs, referrer = crawl(a, ("admin", ADMIN_PASSWORD), c)
    print("crawl with a vanished device reached %d resources" % len(docs))
    c.check(CHASSIS_DEVICES + "/" + dev in docs, "crawl with a vanished device still lists it")


def main():
    tmp = scratch_dir("cxla-faults-")
    prof = write_emulated_profile(tmp)
    cfg = {"emulated_profile": prof["profile"], "policy_file": POLICY_EXAMPLE,
           "refresh_interval_ms": REFRESH_MS}
    with Agent(config=cfg, accounts=[("admin", ADMIN_PASSWORD, "Administrator")]) as a:
        d0, d1 = prof["ids"]
        busy(a, d0, d1, prof["fault"][0])
        vanish(a, d1, d0, prof["fault"][1])
    c.finish()


if __name__ == "__main__":
    main()
