"""Inventory crawl: start the agent with emulated devices, follow every
@odata.id from the service root (no hard-coded resource list, no POST) and
check every payload: Redfish headers, ETag and If-None-Match -> 304,
@odata.id equal to the link followed, collection counts, DMTF JSON schemas
(from ../shared, which must be present) and the project's OEM schema. Then:
unknown ids -> 404, unimplemented $ query options -> 501, the CEL resource
against the emulated model's command table (agent/cxl/emulated/), and the
number of mailbox commands 1000 GETs of a device resource cost."""
import base64
import http.client
import json
import os
import re
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, CHASSIS_DEVICES, POLICY_EXAMPLE, SOURCE_DIR,  # noqa: E402
                      Agent, Checker, set_fault, write_emulated_profile, scratch_dir)

c = Checker("inventory_crawl")
ADMIN = ("admin", ADMIN_PASSWORD)
VIEWER = ("viewer", "viewer-password-1")


def links_in(doc):
    """Every @odata.id string anywhere in a payload (fragment stripped)."""
    out = []

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "@odata.id" and isinstance(v, str):
                    out.append(v.split("#", 1)[0])
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(doc)
    return out


def conditional_get(a, path, user):
    """ETag present; If-None-Match with it gives 304 (a few tries: resources
    carrying a clock, like the Manager's DateTime, may change in between,
    and on a loaded machine two requests often straddle a second)."""
    for _ in range(10):
        r = a.curl("GET", path, user=user)
        etag = r.header("etag")
        if not etag:
            return "no ETag"
        r2 = a.curl("GET", path, user=user, headers={"If-None-Match": etag})
        if r2.status == 304:
            if r2.body:
                return "304 with a body"
            if r2.header("etag") != etag:
                return "304 without the same ETag (%r)" % r2.header("etag")
            r3 = a.curl("GET", path, user=user, headers={"If-None-Match": '"0000000000000000"'})
            if r3.status != 200:
                return "If-None-Match with another tag gave %d" % r3.status
            return None
    return "If-None-Match with the current ETag gave %d, not 304" % r2.status


def crawl(a, user, checker, validate=True):
    """Breadth-first over every link from /redfish/v1. Returns {path: doc}
    and {path: referrer} for what was reached."""
    docs, referrer = {}, {"/redfish/v1": "(start)"}
    todo = ["/redfish/v1"]
    while todo:
        path = todo.pop(0)
        if path in docs:
            continue
        r = a.curl("GET", path, user=user)
        if r.status >= 500:
            checker.check(False, "crawl: %s (linked from %s) gave %d: %s" % (
                path, referrer[path], r.status, r.body[:300]))
        checker.eq(r.status, 200, "crawl: %s (linked from %s) resolves" % (path, referrer[path]))
        if r.status != 200:
            docs[path] = None
            continue
        doc = checker.redfish_json(r, path) if validate else r.json()
        docs[path] = doc
        if doc is None:
            continue
        checker.check(r.header("etag"), "crawl: %s has an ETag" % path)
        checker.eq(doc.get("@odata.id", "").rstrip("/"), path.rstrip("/"),
                   "crawl: %s @odata.id" % path)
        checker.check(doc.get("@odata.type"), "crawl: %s has @odata.type" % path)
        if "Members" in doc:
            checker.eq(doc.get("Members@odata.count"), len(doc["Members"]),
                       "crawl: %s Members@odata.count" % path)
        for link in links_in(doc):
            checker.check(link.startswith("/redfish/v1"), "crawl: %s links outside the service: %r"
                          % (path, link))
            if link not in docs and link not in todo:
                referrer.setdefault(link, path)
                todo.append(link)
    return docs, referrer


# ---- the emulated model's command table, read from its source ----

def c_enum_values(text, prefix):
    return {m.group(1): int(m.group(2), 0)
            for m in re.finditer(r"\b(%s[A-Z0-9_]*)\s*=\s*(0x[0-9A-Fa-f]+|\d+)" % prefix, text)}


def emulated_command_table():
    """[(opcode, effects)] of emu_cmds[] in agent/cxl/emulated/commands.c, in
    order, and the vendor opcodes the model's theory-of-operation comment
    (agent/cxl/emulated/model.c) documents."""
    with open(os.path.join(SOURCE_DIR, "agent", "cxl", "emulated", "commands.c")) as f:
        emu_c = f.read()
    with open(os.path.join(SOURCE_DIR, "agent", "cxl", "emulated", "emulated.h")) as f:
        emu_h = f.read()
    with open(os.path.join(SOURCE_DIR, "agent", "cxl", "cel.h")) as f:
        cel_h = f.read()
    names = c_enum_values(cel_h, "CXL_OP_")
    names.update(c_enum_values(emu_h, "CXL_EMU_OP_"))
    effects = {m.group(1): 1 << int(m.group(2))
               for m in re.finditer(r"\b(CXL_EFFECT_[A-Z_]+)\s*=\s*1u\s*<<\s*(\d+)", cel_h)}
    for m in re.finditer(r"#define\s+(\w+)\s+(CXL_EFFECT_\w+)\s*$", emu_c, re.M):
        effects[m.group(1)] = effects[m.group(2)]
    body = re.search(r"static const struct emu_cmd emu_cmds\[\]\s*=\s*\{(.*?)\n\};", emu_c, re.S)
    table = []
    for m in re.finditer(r"\{\s*(\w+)\s*,\s*([^,]+?)\s*,\s*\w+\s*\}", body.group(1)):
        op = names[m.group(1)] if m.group(1) in names else int(m.group(1), 0)
        eff = 0
        for tok in m.group(2).split("|"):
            tok = tok.strip()
            eff |= effects[tok] if tok in effects else int(tok, 0)
        table.append((op, eff))
    with open(os.path.join(SOURCE_DIR, "agent", "cxl", "emulated", "model.c")) as f:
        theory = f.read().split("*/", 1)[0]
    documented_vendor = sorted({int(x, 16) for x in re.findall(r"\b(C[0-9A-F]{3})h\b", theory)})
    return table, documented_vendor


def effect_names():
    with open(os.path.join(SOURCE_DIR, "agent", "cxl", "cel.c")) as f:
        text = f.read()
    return [(int(b), n) for b, n in re.findall(r"\{\s*(\d+),\s*\"(\w+)\"\s*\}", text)]


def expected_scope(effects, kernel_owned):
    """DESIGN.md's table (no background declared by an approval here)."""
    reserved = effects & 0xF000 or (not effects & (1 << 9) and effects & 0xC00)
    if kernel_owned or reserved or effects & (1 << 5) or effects & (1 << 6):
        return "Refused", None
    if effects & 0x1E:
        return "WriteFull", "CxlCommandWriteFull"
    if effects & (0x1 | 0x400 | 0x800):
        return "Configure", "CxlCommandConfigure"
    return "Read", "CxlCommandRead"


def check_cel_against_model(cel_docs):
    table, documented_vendor = emulated_command_table()
    names = effect_names()
    c.check(len(table) >= 10, "parsed the emulated command table (%d entries)" % len(table))
    c.eq(len(names), 12, "parsed the 12 effect names of agent/cxl/cel.c")
    c.check(documented_vendor, "vendor opcodes documented in emulated.c's theory of operation")
    for path, doc in cel_docs.items():
        entries = doc.get("Entries", [])
        c.eq(doc.get("Entries@odata.count"), len(entries), path + ": Entries@odata.count")
        got = [(int(e["Opcode"], 16), e["RawEffects"]) for e in entries]
        c.eq(got, table, path + ": CEL entries = the model's command table, entry by entry")
        ops = {op for op, _ in got}
        for v in documented_vendor:
            c.check(v in ops, "%s: documented vendor opcode %04Xh is in the CEL" % (path, v))
        for e in entries:
            what = "%s %s" % (path, e.get("Opcode"))
            op, raw = int(e["Opcode"], 16), e["RawEffects"]
            c.check(re.fullmatch(r"0x[0-9A-F]{4}", e["Opcode"]), what + ": Opcode format")
            for bit, name in names:
                c.eq(e["Effects"].get(name), bool(raw & (1 << bit)), "%s: Effects.%s" % (what, name))
            c.eq(sorted(e["Effects"]), sorted(n for _, n in names), what + ": Effects flags")
            c.eq(e["ReservedBitsSet"], False, what + ": ReservedBitsSet")
            if op < 0xC000:
                c.check(isinstance(e["CommandName"], str) and e["CommandName"],
                        what + ": standard opcode has a CommandName")
            else:
                c.eq(e["CommandName"], None, what + ": vendor opcode has no standard name")
            scope, priv = expected_scope(raw, e["KernelOwned"])
            c.eq(e["Scope"], scope, what + ": Scope")
            c.eq(e.get("PrivilegeRequired"), priv, what + ": PrivilegeRequired")
            c.eq(e["Delivery"], {"Method": "Emulated", "Available": True}, what + ": Delivery")
            if op in (0x4103,):  # Set LSA: label storage is the kernel's
                c.eq(e["KernelOwned"], True, what + ": KernelOwned")


# ---- scenarios ----

def check_crawl(a):
    docs, referrer = crawl(a, ADMIN, c)
    reached = set(docs)
    print("crawl reached %d resources" % len(reached))
    broken = sorted(p for p, d in docs.items() if d is None)
    c.check(not broken, "every link resolves; broken: %s" % ["%s (from %s)" % (p, referrer[p]) for p in broken])
    # The crawl follows links only; these must have been among them.
    dev = CHASSIS_DEVICES + "/" + a.ids[0]
    for must in ("/redfish/v1/Systems", "/redfish/v1/Chassis", "/redfish/v1/Managers",
                 dev, dev + "/CXLLogicalDevices/0", dev + "/CXLLogicalDevices/0/DeviceLog/Entries/1",
                 dev + "/Oem/CxlAgent/CommandEffectsLog",
                 dev + "/Oem/CxlAgent/VendorCommands/emu-read-telemetry",
                 "/redfish/v1/Systems/host/Memory/" + a.ids[0],
                 "/redfish/v1/Systems/host/MemoryDomains/" + a.ids[1],
                 "/redfish/v1/Managers/agent/LogServices/Audit/Entries"):
        c.check(must in reached, "crawl reached %s" % must)
    for path, doc in sorted(docs.items()):
        if doc is None:
            continue
        err = conditional_get(a, path, ADMIN)
        c.check(err is None, "%s: conditional GET: %s" % (path, err))
    r = a.curl("HEAD", dev)
    c.check(r.status == 200 and r.header("etag"), "HEAD of a PCIeDevice carries an ETag")
    # Device resources are consistent with each other.
    for i in a.ids:
        pd = docs.get(CHASSIS_DEVICES + "/" + i) or {}
        mem = docs.get("/redfish/v1/Systems/host/Memory/" + i) or {}
        c.eq(pd.get("SerialNumber"), i, "PCIeDevice %s serial" % i)
        c.eq(mem.get("SerialNumber"), i, "Memory %s serial" % i)
        c.eq(pd.get("CXLDevice", {}).get("DeviceType"), "Type3", "PCIeDevice %s Type3" % i)
        c.eq(pd.get("Status", {}).get("State"), "Enabled", "PCIeDevice %s Enabled" % i)
        c.eq(pd.get("Oem", {}).get("CxlAgent", {}).get("Backend"), "emulated", "PCIeDevice %s backend" % i)
    entry = docs.get(dev + "/CXLLogicalDevices/0/DeviceLog/Entries/1") or {}
    c.eq((entry.get("EntryType"), entry.get("MessageId")), ("Event", "CxlAgent.1.0.DeviceEventRecord"),
         "injected event record is an event LogEntry of the agent's registry")
    c.eq((entry.get("MessageArgs") or [None, None])[1], "Warning",
         "injected event record came from the warning log")
    c.eq(entry.get("Severity"), "Warning", "a warning-log record is served as a warning")
    cel_docs = {p: d for p, d in docs.items() if d and p.endswith("/Oem/CxlAgent/CommandEffectsLog")}
    c.eq(len(cel_docs), len(a.ids), "one CEL resource per device reached")
    check_cel_against_model(cel_docs)
    return docs


def check_readonly(a):
    """A ReadOnly account reads the inventory and the CEL; Audit is refused."""
    dev = CHASSIS_DEVICES + "/" + a.ids[0]
    for p in (dev, dev + "/Oem/CxlAgent/CommandEffectsLog", "/redfish/v1/Systems/host/Memory/" + a.ids[0]):
        c.eq(a.curl("GET", p, user=VIEWER).status, 200, "ReadOnly GET " + p)
    r = a.curl("GET", "/redfish/v1/Managers/agent/LogServices/Audit", user=VIEWER)
    c.error_body(r, 403, "InsufficientPrivilege", "ReadOnly GET of the audit log")


def check_not_found(a):
    dev = CHASSIS_DEVICES + "/" + a.ids[0]
    for p in ("/redfish/v1/Chassis/nope", "/redfish/v1/Chassis/nope/PCIeDevices",
              "/redfish/v1/Chassis/nope/PCIeDevices/" + a.ids[0],
              CHASSIS_DEVICES + "/ffffffffffffffff", CHASSIS_DEVICES + "/" + a.ids[0].upper() + "0",
              CHASSIS_DEVICES + "/ffffffffffffffff/CXLLogicalDevices",
              CHASSIS_DEVICES + "/ffffffffffffffff/Oem/CxlAgent/CommandEffectsLog",
              CHASSIS_DEVICES + "/ffffffffffffffff/Oem/CxlAgent/VendorCommands",
              dev + "/CXLLogicalDevices/1", dev + "/CXLLogicalDevices/1/DeviceLog",
              dev + "/CXLLogicalDevices/0/DeviceLog/Entries/999999",
              dev + "/CXLLogicalDevices/0/DeviceLog/Entries/abc",
              dev + "/CXLLogicalDevices/0/DeviceLog/Entries/0",
              dev + "/Oem/CxlAgent/VendorCommands/nope",
              dev + "/Oem/CxlAgent/Nope",
              "/redfish/v1/Systems/nope", "/redfish/v1/Systems/nope/Memory",
              "/redfish/v1/Systems/host/Memory/ffffffffffffffff",
              "/redfish/v1/Systems/host/MemoryDomains/ffffffffffffffff",
              "/redfish/v1/Managers/nope", "/redfish/v1/Managers/agent/LogServices/Nope",
              "/redfish/v1/Managers/agent/LogServices/Audit/Entries/nope",
              "/redfish/v1/TaskService/Tasks/nope", "/redfish/v1/Nope"):
        r = a.curl("GET", p)
        c.error_body(r, 404, "ResourceNotFound", "unknown id " + p)


def check_query_options(a):
    """On every kind of resource: the $ options the agent does not implement
    are 501, those it does answer (test_query.py checks what they do), others
    are ignored."""
    dev = CHASSIS_DEVICES + "/" + a.ids[0]
    for p in ("/redfish/v1/Chassis", dev, dev + "/Oem/CxlAgent/CommandEffectsLog",
              "/redfish/v1/Systems/host/Memory"):
        for q in ("$filter=Id%20eq%20'x'", "$orderby=Id", "$count=true", "$search=x",
                  "$apply=x", "$format=json"):
            r = a.curl("GET", p + "?" + q)
            c.error_body(r, 501, "QueryParameterUnsupported", "%s?%s" % (p, q))
        for q in ("$expand=*", "$expand=.($levels=1)", "$select=Id"):
            r = a.curl("GET", p + "?" + q)
            c.eq(r.status, 200, "%s?%s" % (p, q))
        r = a.curl("GET", p + "?unrelated=1")
        c.eq(r.status, 200, "%s: non-$ query parameters are ignored" % p)


def measure_mailbox_commands(a, gets=1000):
    """MailboxCommands of one device before and after `gets` GETs of its
    PCIeDevice over one keep-alive TLS connection, with the default refresh
    interval. Starts right after a cache refresh (seen as the counter moving)
    so the measurement does not straddle one by chance."""
    dev = CHASSIS_DEVICES + "/" + a.ids[0]
    ctx = ssl.create_default_context(cafile=a.ca)
    conn = http.client.HTTPSConnection("127.0.0.1", a.port, context=ctx, timeout=30)
    auth = "Basic " + base64.b64encode(("%s:%s" % ADMIN).encode()).decode()

    def get(path=dev):
        conn.request("GET", path, headers={"Authorization": auth})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError("GET %s: %d %s" % (path, resp.status, body[:200]))
        doc = json.loads(body)
        return doc["Oem"]["CxlAgent"]["MailboxCommands"] if path == dev else None

    first = get()
    deadline = time.time() + 15
    count = first
    while count == first and time.time() < deadline:
        time.sleep(0.05)
        count = get()
    # The counter moves once per command: a GET can land inside a refresh
    # (a loaded machine preempts it), so wait for the whole refresh.
    settled = None
    while settled != count and time.time() < deadline:
        settled = count
        time.sleep(0.2)
        count = get()
    refreshed_at = time.time()
    refresh_cost = count - first
    c.check(count > first, "a cache refresh was seen within 15 s (default refresh interval)")

    def allowed(end):
        """At most 5 commands, plus the background refreshes the window may
        have reached (default interval 5 s, with a second of slack; a loaded
        machine can stretch 1000 GETs that far). A GET that itself talked to
        the device would show as hundreds."""
        return 5 + refresh_cost * int((end - refreshed_at + 1.0) // 5.0)

    before = count
    t0 = time.time()
    after = before
    for _ in range(gets):
        after = get()
    elapsed = time.time() - t0
    delta = after - before
    print("mailbox commands: one cache refresh costs %d; %d GETs of %s in %.2f s caused %d "
          "(counter %d -> %d)" % (refresh_cost, gets, dev, elapsed, delta, before, after))
    limit = allowed(time.time())
    c.check(delta <= limit, "%d GETs of a device resource caused %d mailbox commands (<= %d "
            "wanted), %.2f s" % (gets, delta, limit, elapsed))
    # The same over every resource built from the device's data.
    mixed = [dev, dev + "/CXLLogicalDevices/0", dev + "/CXLLogicalDevices/0/DeviceLog/Entries",
             dev + "/Oem/CxlAgent/CommandEffectsLog", dev + "/Oem/CxlAgent/VendorCommands",
             "/redfish/v1/Systems/host/Memory/" + a.ids[0],
             "/redfish/v1/Systems/host/MemoryDomains/" + a.ids[0]]
    before = get()
    t0 = time.time()
    for i in range(gets):
        get(mixed[i % len(mixed)])
    after2 = get()
    elapsed2 = time.time() - t0
    conn.close()
    print("mailbox commands: %d GETs over %d resources of the device in %.2f s caused %d "
          "(counter %d -> %d)" % (gets, len(mixed), elapsed2, after2 - before, before, after2))
    limit = allowed(time.time())
    c.check(after2 - before <= limit,
            "%d GETs over the device's resources caused %d mailbox commands (<= %d wanted), %.2f s"
            % (gets, after2 - before, limit, elapsed2))
    return delta


def main():
    tmp = scratch_dir("cxla-crawl-")
    prof = write_emulated_profile(tmp)
    # One vendor event record in the warning log of device 0, queued when the
    # model first reads its control file, so DeviceLog has an entry to crawl.
    set_fault(prof["fault"][0], "none", event="warn")
    with Agent(config={"emulated_profile": prof["profile"], "policy_file": POLICY_EXAMPLE},
               accounts=[("admin", ADMIN_PASSWORD, "Administrator"),
                         ("viewer", VIEWER[1], "ReadOnly")]) as a:
        a.ids = prof["ids"]
        check_crawl(a)
        check_readonly(a)
        check_not_found(a)
        check_query_options(a)
        measure_mailbox_commands(a)
    c.finish()


if __name__ == "__main__":
    main()
