"""SIGHUP swaps the approved-command catalogue atomically: a good file takes
effect, a bad one (malformed, unknown key, kernel-owned opcode) keeps the
catalogue in force and the log says why. --check-config refuses the same
files before they are ever deployed."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import AGENT, SOURCE_DIR, Agent, Checker  # noqa: E402
from sselib import Stream  # noqa: E402

c = Checker("catalogue_reload")
DEV = "/redfish/v1/Chassis/host/PCIeDevices/1000000000000001/Oem/CxlAgent/VendorCommands"
EXAMPLE = os.path.join(SOURCE_DIR, "packaging", "policy.example.json")


def approved(a):
    r = a.curl("GET", DEV)
    c.eq(r.status, 200, "VendorCommands")
    return sorted(m["@odata.id"].rsplit("/", 1)[-1] for m in r.json()["Members"])


def manager_count(a):
    return a.curl("GET", "/redfish/v1/Managers/agent").json()["Oem"]["CxlAgent"]["ApprovedCommands"]


def settled(f, want, timeout=5):
    """f() once it equals want (the broker's push reaches the front a moment
    after the broker logs it), or its last value."""
    deadline = time.time() + timeout
    got = f()
    while got != want and time.time() < deadline:
        time.sleep(0.05)
        got = f()
    return got


def reload(a, text, policy):
    with open(policy + ".new", "w") as f:
        f.write(text)
    os.replace(policy + ".new", policy)
    mark = len(a.logtext())
    a.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline:
        new = a.logtext()[mark:]
        # the broker's verdict, not only its first line about the signal
        if "now in force" in new or "not reloaded" in new:
            return new
        time.sleep(0.05)
    c.check(False, "no SIGHUP log line within 10 s")
    return ""


with open(EXAMPLE) as f:
    example = json.load(f)

with Agent(start=False) as a:
    policy = os.path.join(a.tmp, "policy.json")
    shutil.copy(EXAMPLE, policy)
    a.config["policy_file"] = policy
    with open(a.config_path, "w") as f:
        json.dump(a.config, f)
    a.start()
    everything = approved(a)
    c.eq(len(everything), len(example["commands"]), "all example commands offered at start")
    c.eq(manager_count(a), len(example["commands"]), "Manager counts the approved commands")

    one = dict(example, commands=[example["commands"][0]])
    log = reload(a, json.dumps(one), policy)
    c.check("1 approved vendor command(s) now in force" in log, "good reload logged: %r" % log)
    c.eq(settled(lambda: approved(a), [example["commands"][0]["id"]]),
         [example["commands"][0]["id"]], "good reload takes effect")
    c.eq(manager_count(a), 1, "Manager follows the reload")

    # The broker reloads; the front, which has the event bus, publishes
    # each refusal.
    failed = Stream(a, "MessageId eq 'CxlAgent.1.0.CatalogueReloadFailed'")
    bad_cases = {
        "malformed JSON": '{"commands": [',
        "unknown key": json.dumps(dict(one, surprise=1)),
        "kernel-owned opcode": json.dumps({"commands": [dict(example["commands"][0], id="sanitize",
                                                             opcode="0x4400")]}),
    }
    for what, text in bad_cases.items():
        log = reload(a, text, policy)
        c.check("not reloaded" in log and "policy.json:" in log,
                "%s: refusal logged with its place: %r" % (what, log))
        c.eq(approved(a), [example["commands"][0]["id"]], "%s: previous catalogue stays" % what)
        bad = os.path.join(a.tmp, "bad-policy.json")
        with open(bad, "w") as f:
            f.write(text)
        cfg = dict(a.config, policy_file=bad)
        cfg_path = os.path.join(a.tmp, "bad-config.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        p = subprocess.run([AGENT, "--check-config", "-c", cfg_path], capture_output=True, text=True)
        c.check(p.returncode != 0 and "bad-policy.json:" in p.stderr,
                "%s: --check-config refuses it: %r" % (what, p.stderr))
    r = a.curl("GET", "/redfish/v1/Managers/agent")
    c.eq(r.status, 200, "still serving after refused reloads")
    got = [failed.next(5) for _ in bad_cases]
    c.check(all(g and "policy.json:" in g[2]["Events"][0]["MessageArgs"][0] for g in got),
            "each refused reload is an event naming the place: %r" % got)
    failed.close()

    # policy_file itself takes effect at a reload: the configuration is read
    # again, and the catalogue it now names is the one in force.
    other = os.path.join(a.tmp, "other-policy.json")
    two = dict(example, commands=example["commands"][:2])
    with open(other, "w") as f:
        json.dump(two, f)
    a.config["policy_file"] = other
    with open(a.config_path, "w") as f:
        json.dump(a.config, f)
    log = reload(a, json.dumps(one), policy)
    c.check("2 approved vendor command(s) now in force" in log, "renamed policy_file logged: %r" % log)
    want = [x["id"] for x in two["commands"]]
    c.eq(settled(lambda: approved(a), want), want, "the newly named catalogue is in force")
c.finish()
