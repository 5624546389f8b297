"""OpenMetrics at /metrics: authenticated (a ReadOnly account is enough),
OpenMetrics text 1.0, and scraped over TLS with Basic auth by a real
Prometheus (Debian's package) whose HTTP query API then returns the device
series."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import Agent, Checker, free_port  # noqa: E402

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
MONITOR = ("monitor", "monitor-password-1")
OM_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def query(port, expr):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": expr}))
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            doc = json.load(r)
    except OSError:
        return None
    return doc.get("data", {}).get("result") if doc.get("status") == "success" else None


def check_text(c, text):
    lines = text.rstrip("\n").split("\n")
    c.eq(lines[-1], "# EOF", "ends with # EOF")
    families = {}
    for line in lines:
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            c.check(name not in families, "family %s declared once" % name)
            families[name] = kind
    for name in ("cxl_agent_http_requests", "cxl_agent_device_up", "cxl_agent_device_health",
                 "cxl_agent_policy_decisions", "cxl_agent_mailbox_commands",
                 "cxl_agent_mailbox_command_seconds", "cxl_agent_audit_write_seconds",
                 "cxl_agent_event_queue_depth", "cxl_agent_event_drops", "cxl_agent_sse_clients",
                 "cxl_agent_auth_failures", "cxl_agent_password_checks"):
        c.check(name in families, "family %s present" % name)
    c.eq(families.get("cxl_agent_mailbox_command_seconds"), "histogram", "latency is a histogram")
    return families


def main():
    c = Checker("prometheus")
    if not os.path.exists(PROMETHEUS):
        print("prometheus not installed (packaging/install-deps test installs it)")
        sys.exit(77)
    with Agent(config={"refresh_interval_ms": 500,
                       "policy_file": os.path.join(os.environ.get("CXLA_SOURCE_DIR", "."),
                                                   "packaging", "policy.example.json")}) as a:
        r = a.curl("POST", "/redfish/v1/AccountService/Accounts",
                   body={"UserName": MONITOR[0], "Password": MONITOR[1], "RoleId": "ReadOnly"})
        c.eq(r.status, 201, "ReadOnly account for monitoring")
        c.eq(a.curl("GET", "/metrics", user=None).status, 401, "/metrics needs credentials")
        r = a.submit("1000000000000001", "emu-set-config-after-reset", "AQAAAA==")
        c.eq(r.status, 200, "a vendor command for the counters")
        r = a.curl("GET", "/metrics", user=MONITOR)
        c.eq(r.status, 200, "ReadOnly reads /metrics")
        c.eq(r.header("content-type"), OM_TYPE, "OpenMetrics content type")
        check_text(c, r.body)
        c.check('cxl_agent_device_up{device="1000000000000001"} 1' in r.body, "device gauge")
        c.check('cxl_agent_policy_decisions_total{reason="Allowed"} 1' in r.body,
                "the allowed decision is counted")
        c.check('outcome="ok"' in r.body, "command counted with its outcome")
        c.check("cxl_agent_audit_write_seconds_count 1\n" in r.body,
                "the intent's write is timed (by the broker) and counted (by the front)")
        c.check("cxl_agent_auth_failures_total 1" in r.body, "the 401 above is counted")
        # A KDF runs for a credential not yet verified (a wrong one always),
        # not for every request that carries one.
        def password_checks():
            m = re.search(r"^cxl_agent_password_checks_total (\d+)$",
                          a.curl("GET", "/metrics", user=MONITOR).body, re.M)
            return int(m.group(1)) if m else -1
        first = password_checks()
        c.check(first >= 2, "password checks counted (the admin's and the monitor's): %d" % first)
        c.eq(password_checks(), first, "a verified credential's requests run no check")
        c.eq(a.curl("GET", "/metrics", user=(MONITOR[0], "wrong-password-9")).status, 401,
             "wrong password")
        c.eq(password_checks(), first + 1, "a wrong password runs one check")

        tmp = tempfile.mkdtemp(prefix="cxla-prom-")
        pport = free_port()
        pw = os.path.join(tmp, "password")
        with open(pw, "w") as f:
            f.write(MONITOR[1])
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            json.dump({"global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
                       "scrape_configs": [{
                           "job_name": "cxl-agent", "scheme": "https", "metrics_path": "/metrics",
                           "basic_auth": {"username": MONITOR[0], "password_file": pw},
                           "tls_config": {"ca_file": a.ca, "server_name": "localhost"},
                           "static_configs": [{"targets": ["127.0.0.1:%d" % a.port]}]}]}, f)
        log = open(os.path.join(tmp, "prometheus.log"), "wb")
        prom = subprocess.Popen([PROMETHEUS, "--config.file=" + cfg,
                                 "--storage.tsdb.path=" + os.path.join(tmp, "data"),
                                 "--web.listen-address=127.0.0.1:%d" % pport,
                                 "--log.level=warn"], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 60
            series = None
            while time.time() < deadline:
                series = query(pport, "cxl_agent_device_up")
                if series and len(series) >= 2:
                    break
                time.sleep(0.5)
            c.check(series and len(series) == 2,
                    "Prometheus returns both devices' series (%r)" % (series,))
            devices = sorted(s["metric"].get("device") for s in series or [])
            c.eq(devices, ["1000000000000001", "1000000000000002"], "device labels")
            up = query(pport, 'up{job="cxl-agent"}')
            c.check(up and up[0]["value"][1] == "1", "scrape target is up (%r)" % (up,))
            health = query(pport, "cxl_agent_device_health")
            c.check(health is not None and len(health) >= 1, "health series (%r)" % (health,))
        finally:
            prom.terminate()
            try:
                prom.wait(15)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait()
            log.close()
            if c.failures:
                with open(os.path.join(tmp, "prometheus.log")) as f:
                    sys.stderr.write(f.read()[-3000:])
            shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
