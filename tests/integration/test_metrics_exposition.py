"""/metrics line by line against the OpenMetrics 1.0 text grammar (each
family's TYPE and HELP once, its samples together and named after it,
values written exactly), device values a device can report in full (a
32-bit count is not rounded), and counters that never go back: across a
catalogue reload (SIGHUP) and a device vanishing. HEAD answers as GET
without a body."""
import json
import os
import re
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import Agent, Checker, scratch_dir, set_fault, write_emulated_profile  # noqa: E402

SOURCE_DIR = os.environ.get("CXLA_SOURCE_DIR", ".")
EXAMPLE = os.path.join(SOURCE_DIR, "packaging", "policy.example.json")
DEV = "1000000000000001"
SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",),
            "histogram": ("_bucket", "_count", "_sum", "_created")}
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (\S+)$" % (NAME, LABEL, LABEL))
# OpenMetrics numbers: an integer or a decimal, optionally with an exponent,
# or +Inf/-Inf/NaN.
NUMBER = re.compile(r"^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$")


def parse(c, text):
    """Check the exposition; returns {sample name + labels: value}."""
    lines = text.split("\n")
    c.eq(lines[-2:], ["# EOF", ""], "ends with '# EOF' and a newline")
    seen, samples = set(), {}
    family = kind = None
    meta = {}
    for line in lines[:-2]:
        if line.startswith("# "):
            parts = line.split(" ", 3)
            c.check(len(parts) >= 3 and parts[1] in ("TYPE", "HELP", "UNIT"),
                    "metadata line %r" % line)
            if parts[2] != family:
                c.check(parts[2] not in seen, "family %s appears once, together" % parts[2])
                seen.add(parts[2])
                family, kind, meta = parts[2], None, {}
            c.check(parts[1] not in meta, "%s %s once" % (parts[1], family))
            meta[parts[1]] = parts[3] if len(parts) > 3 else ""
            if parts[1] == "TYPE":
                kind = meta["TYPE"]
                c.check(kind in SUFFIXES, "%s: known type %r" % (family, kind))
            continue
        m = SAMPLE.match(line)
        c.check(m is not None, "sample line %r" % line)
        if not m:
            continue
        name, labels, value = m.groups()
        c.check(kind is not None and "HELP" in meta, "%s: TYPE and HELP before samples" % name)
        c.check(any(name == (family or "") + s for s in SUFFIXES.get(kind, ())),
                "sample %s belongs to family %s (%s)" % (name, family, kind))
        c.check(NUMBER.match(value) is not None, "%s: value %r is a number" % (name, value))
        samples[name + (labels or "")] = value
    return samples


def scrape(c, a, what):
    r = a.curl("GET", "/metrics")
    c.eq(r.status, 200, what + ": /metrics")
    return parse(c, r.body)


def counters(samples):
    return {k: float(v) for k, v in samples.items()
            if re.match(r"^[^{]*_(total|count|sum|bucket)(\{|$)", k)}


def check_monotonic(c, before, after, what):
    for k, v in before.items():
        c.check(k in after and float(after[k]) >= v,
                "%s: %s does not go back (%s -> %s)" % (what, k, v, after.get(k)))


def main():
    c = Checker("metrics_exposition")
    prof = write_emulated_profile(scratch_dir("cxla-metrics-"))
    with open(prof["profile"]) as f:
        doc = json.load(f)
    # Counts past six digits: %g would round them.
    doc["devices"][0]["health"] = {"dirty_shutdowns": 4294967295}
    doc["devices"][1]["health"] = {"dirty_shutdowns": 1234567}
    with open(prof["profile"], "w") as f:
        json.dump(doc, f)
    a = Agent(start=False, config={"emulated_profile": prof["profile"],
                                   "refresh_interval_ms": 200})
    with a:
        policy = os.path.join(a.tmp, "policy.json")
        shutil.copy(EXAMPLE, policy)
        a.config["policy_file"] = policy
        with open(a.config_path, "w") as f:
            json.dump(a.config, f)
        a.start()
        s = scrape(c, a, "first scrape")
        c.eq(s.get('cxl_agent_device_dirty_shutdowns{device="%s"}' % prof["ids"][0]),
             "4294967295", "a 32-bit count is written in full")
        c.eq(s.get('cxl_agent_device_dirty_shutdowns{device="%s"}' % prof["ids"][1]),
             "1234567", "a seven-digit count is written in full")

        h = a.curl("HEAD", "/metrics")
        c.eq((h.status, h.body), (200, ""), "HEAD /metrics: 200 without a body")
        c.eq(h.header("content-type"), a.curl("GET", "/metrics").header("content-type"),
             "HEAD has GET's content type")

        # Some traffic for the counters: a command and a test event.
        r = a.submit(DEV, "emu-set-config-after-reset", "AQAAAA==")
        c.eq(r.status, 200, "a vendor command")
        a.curl("POST", "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent",
               body={"MessageId": "CxlAgent.1.0.DeviceEventRecord"})
        before = counters(scrape(c, a, "before"))

        a.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "now in force" not in a.logtext() and time.time() < deadline:
            time.sleep(0.05)
        c.check("now in force" in a.logtext(), "the catalogue was reloaded")
        after = counters(scrape(c, a, "after reload"))
        check_monotonic(c, before, after, "catalogue reload")

        set_fault(prof["fault"][0], "vanish")
        deadline = time.time() + 10
        while time.time() < deadline:
            s = scrape(c, a, "vanished")
            if s.get('cxl_agent_device_up{device="%s"}' % prof["ids"][0]) == "0":
                break
            time.sleep(0.2)
        c.eq(s.get('cxl_agent_device_up{device="%s"}' % prof["ids"][0]), "0", "device_up 0")
        check_monotonic(c, after, counters(s), "device vanished")
    c.finish()


if __name__ == "__main__":
    main()
