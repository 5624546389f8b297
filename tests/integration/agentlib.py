"""Start the real cxl-agent on a free loopback port with TLS and talk to it
with real clients (curl for HTTP, redfishtool and sushy where tests ask).

Every test gets its own state directory and certificates; nothing outside
127.0.0.1 / ::1 is ever contacted."""
import atexit
import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SOURCE_DIR = os.environ.get("CXLA_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
AGENT = os.environ.get("CXLA_AGENT", os.path.join(SOURCE_DIR, "build", "agent", "cxl-agent"))
SHARED = os.environ.get("CXLA_SHARED_DIR", os.path.abspath(os.path.join(SOURCE_DIR, "..", "shared")))
SCHEMA_CHECK = os.path.join(SHARED, "tools", "redfish-schema-check")
SCHEMA_DIR = os.path.join(SHARED, "redfish", "json-schema")
# The project's OEM JSON schema: payloads typed "#CxlAgent.v1_0_0.<Def>" and
# OEM objects nested at "Oem"/"CxlAgent" are checked against its definitions.
OEM_SCHEMA = os.path.join(SOURCE_DIR, "schemas", "CxlAgent.v1_0_0.json")
OEM_TYPE_PREFIX = "#CxlAgent."
# The agent's message registry, of its events and log entries.
AGENT_REGISTRY = os.path.join(SOURCE_DIR, "schemas", "CxlAgent.1.0.0.json")
ADMIN_PASSWORD = "admin-test-password-1"


def missing(what, remedy="run packaging/install-deps test"):
    """A prerequisite of the suite is absent: fail, saying what and how to
    get it. The suite never skips quietly."""
    sys.stderr.write("FAIL: %s is missing: %s\n" % (what, remedy))
    sys.exit(1)



def scratch_dir(prefix):
    """A new temporary directory that is removed when the test ends,
    whether it passes or fails."""
    d = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, d, True)
    return d


def wait_for(fn, timeout, interval=0.2):
    """fn() until it returns something true, for up to timeout seconds;
    the last result either way."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    return fn()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certs(directory):
    subprocess.run([os.path.join(SOURCE_DIR, "certs", "gen-dev-certs"), directory],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return directory


def agent_certs(directory):
    """An agent's certificates: a copy of one set that certs/gen-dev-certs
    made today, kept in the build tree for every agent the suite starts
    (making a set takes seven openssl runs, a tenth of a second of CPU;
    the suites start a few hundred agents). A test that needs a CA of its
    own calls make_certs."""
    with open(os.path.join(SOURCE_DIR, "certs", "gen-dev-certs"), "rb") as f:
        key = hashlib.sha256(f.read()).hexdigest()[:12]
    cache = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(AGENT))), "test-certs",
                         "%s-%s" % (time.strftime("%Y%m%d"), key))
    if not os.path.isdir(cache):
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        fresh = make_certs(tempfile.mkdtemp(prefix="new-", dir=os.path.dirname(cache)))
        try:
            os.rename(fresh, cache)  # whole or not at all
        except OSError:  # another test's set is there first
            shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(cache, directory)
    return directory


# Seeded accounts use the cheapest cost the agent's verifier accepts: it reads
# the count from the stored hash, so every check runs the daemon's own code
# path, only shorter. Hashes the agent makes itself keep the production
# default (210,000; test_accounts.py checks it in the accounts file).
SEED_ITERATIONS = 1000


def pbkdf2_hash(password, iterations=SEED_ITERATIONS):
    """Same stored form as agent/auth/password.c, so tests can seed accounts."""
    salt = os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, 32)
    return "pbkdf2-sha256$%d$%s$%s" % (iterations, base64.b64encode(salt).decode(),
                                       base64.b64encode(key).decode())


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


def open_private(path):
    """Open path for writing as the agent wants its state files: mode 0600
    (it refuses an accounts file others can read)."""
    return open(path, "w", opener=lambda p, flags: os.open(p, flags, 0o600))


class Agent:
    """A running cxl-agent. Use as a context manager."""

    def __init__(self, config=None, accounts=None, env=None, start=True, host="127.0.0.1",
                 roles=None, seed_admin=True, launcher=None):
        self.tmp = tempfile.mkdtemp(prefix="cxla-test-")
        self.state = os.path.join(self.tmp, "state")
        self.certs = agent_certs(os.path.join(self.tmp, "certs"))
        self.port = free_port()
        self.host = host
        self.ca = os.path.join(self.certs, "ca.crt")
        self.config = {
            "listen_addresses": ["127.0.0.1", "::1"],
            "port": self.port,
            "tls_certificate": os.path.join(self.certs, "server.crt"),
            "tls_key": os.path.join(self.certs, "server.key"),
            "state_dir": self.state,
            "backend": "emulated",
            "log_level": "debug",
            # Named explicitly: with no user the agent refuses to run as
            # root. Both processes keep uid 0 but lose every capability.
            "user": "root",
        }
        self.config.update(config or {})
        self.config_path = os.path.join(self.tmp, "config.json")
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=2)
        if accounts:
            os.makedirs(self.state, mode=0o700, exist_ok=True)
            self.write_accounts(accounts, roles)
        self.env = dict(os.environ)
        self.env["CXLA_INITIAL_ADMIN_PASSWORD"] = ADMIN_PASSWORD
        self.env.update(env or {})
        # The first account as the agent makes it from
        # CXLA_INITIAL_ADMIN_PASSWORD, only at the seeded cost: made by the
        # agent, it costs two PBKDF2 runs at the production cost per fresh
        # state (the hash, then the first login), a quarter of a second each
        # under the sanitizers. Tests of that path (first start, the
        # environment secret) pass seed_admin=False; an agent that drops to
        # another user makes its own state directory, so it is not seeded.
        self.seed_admin = seed_admin and not accounts and self.config.get("user") == "root"
        self.proc = None
        # Put before the agent's command line (a program that sets
        # something up and then execs the rest, so the pid stays the agent's).
        self.launcher = list(launcher or [])
        self.expect_clean_exit = True
        self.log_path = os.path.join(self.tmp, "agent.log")
        if start:
            self.start()

    def write_accounts(self, accounts, roles=None):
        """accounts: list of (user, password, role); roles: optional custom
        roles as (role id, [privilege names]), e.g.
        ("Writer", ["Login", "CxlCommandRead", "CxlCommandWriteFull"])."""
        doc = {"Version": 1, "Accounts": [
            {"Id": str(i + 1), "UserName": u, "RoleId": r, "Enabled": True,
             "PasswordHash": pbkdf2_hash(p)} for i, (u, p, r) in enumerate(accounts)]}
        if roles:
            doc["Roles"] = [{"Id": rid, "Privileges": list(privs)} for rid, privs in roles]
        with open_private(os.path.join(self.state, "accounts.json")) as f:
            json.dump(doc, f)

    def children(self):
        """Pids of the running agent's children (its front)."""
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                return [int(x) for x in f.read().split()]
        except (OSError, AttributeError):
            return []

    def pids(self):
        """The agent's processes: the broker and its front."""
        return [self.proc.pid] + self.children()

    def rss_kib(self):
        """Resident memory of both processes, in KiB."""
        total = 0
        for pid in self.pids():
            try:
                with open("/proc/%d/status" % pid) as f:
                    total += sum(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            except OSError:
                pass
        return total

    def sanitized(self):
        """Whether this is the sanitizer build (libasan mapped): its
        allocator holds freed memory back, so resident sizes say little."""
        for pid in self.pids():
            try:
                with open("/proc/%d/maps" % pid) as f:
                    if "libasan" in f.read():
                        return True
            except OSError:
                pass
        return False

    def front_confined(self):
        """Whether the front runs under its system call filter."""
        for pid in self.children():
            try:
                with open("/proc/%d/status" % pid) as f:
                    if "Seccomp:\t2" in f.read():
                        return True
            except OSError:
                pass
        return False

    def wait_fronts_gone(self, timeout=20):
        """A killed broker takes its front down with it, but the front's
        listening socket lives until its memory is torn down: wait for that
        before a new agent takes the port (a service manager waits for the
        whole unit the same way)."""
        deadline = time.time() + timeout
        for pid in getattr(self, "fronts", []):
            while time.time() < deadline:
                try:
                    with open("/proc/%d/stat" % pid) as f:
                        if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                            break
                except OSError:
                    break
                time.sleep(0.02)
        self.fronts = []

    def start(self, timeout=20):
        self.wait_fronts_gone()
        if self.seed_admin and not os.path.exists(os.path.join(self.state, "accounts.json")):
            os.makedirs(self.state, mode=0o700, exist_ok=True)
            self.write_accounts([("admin", self.env["CXLA_INITIAL_ADMIN_PASSWORD"],
                                  "Administrator")])
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.launcher + [AGENT, "-c", self.config_path],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("agent exited with %s:\n%s" % (self.proc.returncode, self.logtext()))
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    pass
                # The front confines itself just after it starts listening:
                # a test sees it as it serves from then on.
                while not self.front_confined() and time.time() < deadline:
                    time.sleep(0.02)
                self.fronts = self.children()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("agent did not start listening:\n" + self.logtext())

    def logtext(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def hup(self, wait_for, timeout=10):
        """SIGHUP (a reload), then the log text written since, once it shows
        wait_for."""
        mark = len(self.logtext())
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + timeout
        while time.time() < deadline:
            new = self.logtext()[mark:]
            if wait_for in new:
                return new
            time.sleep(0.05)
        raise AssertionError("no %r after SIGHUP:\n%s" % (wait_for, self.logtext()[mark:]))

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("agent did not stop within %ss" % timeout)
        if getattr(self, "log", None):
            self.log.close()
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            rc = self.stop()
            # A sanitizer report (leak, overflow, UB) makes the agent exit
            # non-zero: that fails the test that started it.
            if exc[0] is None and self.expect_clean_exit and rc not in (0, None):
                raise RuntimeError("agent exited with status %s:\n%s" % (rc, self.logtext()[-6000:]))
        finally:
            if exc[0] is not None:
                sys.stderr.write("---- agent log ----\n" + self.logtext()[-6000:] + "\n")
            shutil.rmtree(self.tmp, ignore_errors=True)

    def url(self, path, host=None):
        h = host or self.host
        if ":" in h:
            h = "[%s]" % h
        return "https://%s:%d%s" % (h, self.port, path)

    def curl(self, method, path, body=None, user=("admin", ADMIN_PASSWORD), headers=None,
             host=None, extra=None, raw_body=None, timeout=20):
        """One request with curl; returns Response. user=None sends no credentials."""
        # One header file per call, so threads may share an Agent.
        fd, hdr_file = tempfile.mkstemp(prefix="hdr-", dir=self.tmp)
        os.close(fd)
        cmd = ["curl", "-sS", "--max-time", str(timeout), "--cacert", self.ca, "-D", hdr_file,
               "-o", "-", "-w", "\n%{http_code}", "-X", method]
        if method == "HEAD":
            cmd = [c for c in cmd if c not in ("-X", "HEAD")] + ["-I"]
        if user:
            cmd += ["-u", "%s:%s" % user]
        for k, v in (headers or {}).items():
            cmd += ["-H", "%s: %s" % (k, v)]
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            if not any(k.lower() == "content-type" for k in (headers or {})):
                cmd += ["-H", "Content-Type: application/json"]
        if raw_body is not None:
            data = raw_body
        if data is not None:
            cmd += ["--data-binary", "@-"]
        cmd += extra or []
        cmd.append(self.url(path, host))
        p = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout + 5)
        if p.returncode != 0:
            raise RuntimeError("curl failed (%d): %s" % (p.returncode, p.stderr.decode()))
        out = p.stdout.decode(errors="replace")
        body_text, _, code = out.rpartition("\n")
        headers_out = {}
        with open(hdr_file) as f:
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers_out[k.strip().lower()] = v.strip()
        os.unlink(hdr_file)
        if method == "HEAD":
            body_text = ""
        return Response(int(code), headers_out, body_text)

    def submit(self, dev, cmd, payload="", user=("admin", ADMIN_PASSWORD), timeout_ms=None,
               timeout=20):
        """POST a vendor command's Submit action; payload is base64 text."""
        body = {"Payload": payload}
        if timeout_ms is not None:
            body["TimeoutMs"] = timeout_ms
        return self.curl("POST", vendor_command_path(dev, cmd, submit=True), body=body,
                         user=user, timeout=timeout)

    def wait_task(self, uri, user=("admin", ADMIN_PASSWORD), timeout=30, interval=0.1):
        """Poll a Task until it leaves Running; returns (last Response, states seen)."""
        deadline = time.time() + timeout
        seen = []
        while True:
            r = self.curl("GET", uri, user=user)
            state = r.json().get("TaskState") if r.status == 200 else None
            if not seen or seen[-1] != state:
                seen.append(state)
            if state != "Running" or time.time() > deadline:
                return r, seen
            time.sleep(interval)


# ---- emulated devices and vendor commands ----

POLICY_EXAMPLE = os.path.join(SOURCE_DIR, "packaging", "policy.example.json")
CHASSIS_DEVICES = "/redfish/v1/Chassis/host/PCIeDevices"
EMU_DEVICE_IDS = ("1000000000000001", "1000000000000002")


def write_emulated_profile(directory, devices=2):
    """Write a profile like the built-in one (two devices, same identity as
    the catalogue's emulated approvals) with a fault control file and an
    execution journal per device. Returns {"profile": path, "fault": [paths],
    "journal": [paths], "ids": [device ids]}."""
    os.makedirs(directory, exist_ok=True)
    out = {"profile": os.path.join(directory, "emulated-profile.json"), "fault": [],
           "journal": [], "ids": []}
    devs = []
    for i in range(devices):
        serial = 0x1000000000000001 + i
        fault = os.path.join(directory, "fault-%d.json" % i)
        journal = os.path.join(directory, "exec-journal-%d.jsonl" % i)
        devs.append({
            "name": "emu%d" % i, "serial": "0x%016x" % serial,
            "pci_vendor_id": "0x8086", "pci_device_id": "0x0d93",
            "firmware_revision": "EMU FW 1.0.0",
            "volatile_bytes": 4294967296 * (i + 1), "persistent_bytes": 4294967296 if i == 0 else 0,
            "lsa_bytes": 131072, "payload_max": 4096 if i == 0 else 2048, "numa_node": 0 if i == 0 else -1,
            "fault_control": fault, "exec_journal": journal})
        out["fault"].append(fault)
        out["journal"].append(journal)
        out["ids"].append("%016x" % serial)
    with open(out["profile"], "w") as f:
        json.dump({"devices": devs}, f, indent=2)
    return out


def set_fault(path, fault="none", count=-1, opcode=None, event=None):
    """Arm a fault through a device's control file. Written to a new file and
    renamed, so the model sees a new inode and re-reads it."""
    doc = {"fault": fault, "count": count}
    if opcode is not None:
        doc["opcode"] = opcode if isinstance(opcode, str) else "0x%04X" % opcode
    if event is not None:
        doc["event"] = event
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, path)


def read_jsonl(path):
    """(records, torn): parseable JSON lines of a file (missing: none) and
    how many lines were not parseable."""
    recs, torn = [], 0
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return recs, torn
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            recs.append(json.loads(line))
        except ValueError:
            torn += 1
    return recs, torn


def read_audit_dir(directory):
    """Every audit record on disk, oldest first (audit.log.N ... audit.log.1,
    audit.log), and the number of torn lines."""
    names = [n for n in os.listdir(directory) if n.startswith("audit.log")]
    def order(n):
        return -int(n.rsplit(".", 1)[1]) if n != "audit.log" else 0
    recs, torn = [], 0
    for n in sorted(names, key=order):
        r, t = read_jsonl(os.path.join(directory, n))
        recs += r
        torn += t
    return recs, torn


def vendor_command_path(dev, cmd=None, submit=False):
    p = "%s/%s/Oem/CxlAgent/VendorCommands" % (CHASSIS_DEVICES, dev)
    if cmd:
        p += "/" + cmd
        if submit:
            p += "/Actions/CxlAgent.Submit"
    return p


def le32_b64(value):
    return base64.b64encode(value.to_bytes(4, "little")).decode()


class Submitters:
    """n threads each running target(a, tid, stop, stats) until stopped;
    stats counts their answers."""

    def __init__(self, a, n, target):
        import collections
        import threading
        self.n = n
        self.stop = threading.Event()
        self.stats = collections.Counter()
        self.threads = [threading.Thread(target=target, args=(a, t, self.stop, self.stats))
                        for t in range(n)]
        for t in self.threads:
            t.start()

    def wait_going(self, timeout=60):
        """Until every client has had answers (a fresh process costs each
        a PBKDF2 first; slow under sanitizers), at most timeout seconds."""
        deadline = time.time() + timeout
        while sum(v for k, v in self.stats.items() if k != "error") < 2 * self.n and \
                time.time() < deadline:
            time.sleep(0.02)

    def finish(self, timeout=20):
        """Stop and join them; whether every one finished."""
        self.stop.set()
        for t in self.threads:
            t.join(timeout)
        return not any(t.is_alive() for t in self.threads)


def is_unavailable(r, body):
    """Whether an http.client response is Redfish's 503: the Base
    ServiceTemporarilyUnavailable message, Retry-After, OData-Version."""
    try:
        info = json.loads(body)["error"]["@Message.ExtendedInfo"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return False
    return (info.get("MessageId", "").endswith(".ServiceTemporarilyUnavailable")
            and r.getheader("Retry-After") is not None
            and r.getheader("OData-Version") == "4.0")


def submit_until(a, stop, stats, user, mix, rnd):
    """Submit vendor commands back to back over one kept-alive TLS
    connection as user (name, password), each a random (command, payload
    maker) of mix on a random device, reconnecting after errors, until stop
    is set; counts answers by status (and "error") in stats, and 503s that
    are Redfish's ServiceTemporarilyUnavailable with Retry-After under
    "503 redfish"."""
    import http.client
    import ssl
    ctx = ssl.create_default_context(cafile=a.ca)
    auth = "Basic " + base64.b64encode(("%s:%s" % user).encode()).decode()
    conn = None
    while not stop.is_set():
        cmd, payload = rnd.choice(mix)
        try:
            if conn is None:
                conn = http.client.HTTPSConnection("127.0.0.1", a.port, context=ctx, timeout=10)
            conn.request("POST", vendor_command_path(rnd.choice(a.prof["ids"]), cmd, submit=True),
                         json.dumps({"Payload": payload(rnd)}),
                         {"Authorization": auth, "Content-Type": "application/json"})
            r = conn.getresponse()
            body = r.read()
            stats[r.status] += 1
            if r.status == 503 and is_unavailable(r, body):
                stats["503 redfish"] += 1
        except (OSError, http.client.HTTPException):
            stats["error"] += 1
            if conn:
                conn.close()
            conn = None
            time.sleep(0.01)
    if conn:
        conn.close()


class Checker:
    """Collects failures so one run reports all of them."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.passed = 0
        self.payloads = []

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failures.append(what)
            sys.stderr.write("FAIL: %s\n" % what)

    def eq(self, got, want, what):
        self.check(got == want, "%s: got %r, want %r" % (what, got, want))

    def redfish_json(self, resp, what):
        """Check the Redfish response headers and keep the body for schema validation."""
        ct = resp.header("content-type") or ""
        self.check(ct.startswith("application/json"), "%s: Content-Type %r" % (what, ct))
        self.eq(resp.header("odata-version"), "4.0", what + ": OData-Version")
        self.check(resp.header("cache-control") is not None, what + ": Cache-Control")
        try:
            doc = resp.json()
        except ValueError:
            self.check(False, what + ": body is not JSON: %r" % resp.body[:200])
            return None
        self.payloads.append((what, doc))
        return doc

    def error_body(self, resp, status, message_id, what):
        self.eq(resp.status, status, what + " status")
        doc = self.redfish_json(resp, what)
        if doc is None:
            return
        err = doc.get("error", {})
        infos = err.get("@Message.ExtendedInfo", [])
        self.check("code" in err and "message" in err and infos,
                   what + ": error body shape %r" % doc)
        ids = [i.get("MessageId", "") for i in infos]
        self.check(any(i.endswith("." + message_id) for i in ids),
                   "%s: MessageId %s not in %r" % (what, message_id, ids))

    def validate_schemas(self):
        """Validate every kept payload against the DMTF schemas of the shared
        reference material (../shared next to the checkout, or the directory
        the build was configured with, CXLA_SHARED_DIR)."""
        if not os.path.exists(SCHEMA_CHECK):
            self.check(False, "schema check: %s is missing: put the shared reference material "
                       "at ../shared next to the checkout or configure with "
                       "-DCXLA_SHARED_DIR=<dir>" % SCHEMA_CHECK)
            return
        d = tempfile.mkdtemp(prefix="cxla-payloads-")
        try:
            files = []
            docs = []
            for what, doc in self.payloads:
                if is_oem_payload(doc):
                    continue  # validated against the OEM schema in validate_oem_schemas()
                if "error" in doc and "@odata.type" not in doc:
                    # The staged schemas lack redfish-error.v1_0_2.json: the
                    # envelope is checked in error_body(), and each message
                    # in it against Message.v1_3_0 here.
                    for info in doc["error"].get("@Message.ExtendedInfo", []):
                        docs.append((what + " (message)", info))
                else:
                    docs.append((what, doc))
            for i, (what, doc) in enumerate(docs):
                p = os.path.join(d, "%03d.json" % i)
                with open(p, "w") as f:
                    json.dump(doc, f)
                files.append((what, p))
            if not files:
                return
            r = subprocess.run(["/usr/bin/python3", SCHEMA_CHECK, SCHEMA_DIR] + [p for _, p in files],
                               capture_output=True, text=True)
            self.check(r.returncode == 0, "schema validation failed:\n%s%s\npayloads: %s" % (
                r.stdout[-4000:], r.stderr[-2000:], [w for w, _ in files]))
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def validate_oem_schemas(self):
        """Validate every OEM payload ("@odata.type" "#CxlAgent.<ver>.<Def>")
        and every OEM object nested at "Oem"/"CxlAgent" in any kept payload
        (DMTF resources, error messages) against the definition <Def> of
        schemas/CxlAgent.v1_0_0.json, with /usr/bin/python3's jsonschema
        (Draft7Validator)."""
        items = []
        for what, doc in self.payloads:
            for where, obj in oem_objects(doc):
                items.append({"what": what + where, "doc": obj})
        if not items:
            return
        if not os.path.exists(OEM_SCHEMA):
            self.check(False, "OEM schema check: %s is missing (%d OEM object(s) unchecked)"
                       % (OEM_SCHEMA, len(items)))
            return
        r = subprocess.run(["/usr/bin/python3", "-c", _OEM_VALIDATOR, OEM_SCHEMA],
                           input=json.dumps(items), capture_output=True, text=True)
        if r.returncode == 0:
            self.check(True, "OEM schema validation")
            return
        self.check(False, "OEM schema validation failed (%s):\n%s%s" % (
            os.path.basename(OEM_SCHEMA), r.stdout[-6000:], r.stderr[-2000:]))

    def check_log_entries(self):
        """Every kept LogEntry, alone or as a collection member, is an event
        entry whose MessageId names a message of the agent's registry
        (schemas/CxlAgent.1.0.0.json), with its number of arguments and its
        text filled from them."""
        entries = []
        for what, doc in self.payloads:
            for d in [doc] + list(doc.get("Members", []) if isinstance(doc, dict) else []):
                if isinstance(d, dict) and str(d.get("@odata.type", "")).startswith("#LogEntry."):
                    entries.append((what, d))
        if not entries:
            return
        with open(AGENT_REGISTRY) as f:
            messages = json.load(f)["Messages"]
        for what, e in entries:
            mid = e.get("MessageId", "")
            parts = mid.split(".")
            m = messages.get(parts[-1]) if mid.startswith("CxlAgent.1.0.") else None
            if not m:
                self.check(False, "%s: LogEntry %s MessageId %r is not in the CxlAgent registry"
                           % (what, e.get("Id"), mid))
                continue
            args = e.get("MessageArgs", [])
            text = m["Message"]
            for i, a in enumerate(args):
                text = text.replace("%%%d" % (i + 1), a)
            self.check(e.get("EntryType") == "Event" and len(args) == m["NumberOfArgs"] and
                       e.get("Message") == text and e.get("Severity") in ("OK", "Warning", "Critical"),
                       "%s: LogEntry %s is not its registry message %r" % (what, e.get("Id"), e))

    def finish(self):
        self.check_log_entries()
        self.validate_oem_schemas()
        self.validate_schemas()
        print("%s: %d passed, %d failed" % (self.name, self.passed, len(self.failures)))
        sys.exit(1 if self.failures else 0)


# ---- OEM schema validation ----

def is_oem_payload(doc):
    """A resource (or other payload) typed by the project's OEM schema."""
    return isinstance(doc, dict) and str(doc.get("@odata.type", "")).startswith(OEM_TYPE_PREFIX)


def oem_objects(doc, where=""):
    """(location, object) for the payload itself when it is an OEM payload and
    for every object found at "Oem"/"CxlAgent" anywhere inside it."""
    out = []
    if is_oem_payload(doc) and where == "":
        out.append(("", doc))

    def walk(o, path):
        if isinstance(o, dict):
            for k, v in o.items():
                p = path + "/" + k
                if k == "Oem" and isinstance(v, dict) and "CxlAgent" in v:
                    out.append((p + "/CxlAgent", v["CxlAgent"]))
                walk(v, p)
        elif isinstance(o, list):
            for i, v in enumerate(o):
                walk(v, "%s/%d" % (path, i))
    walk(doc, where)
    return out


# Run by /usr/bin/python3 (Debian's python3-jsonschema): argv[1] is the OEM
# schema file; stdin a JSON list of {"what", "doc"}. Prints every violation,
# exits 1 when there is one.
_OEM_VALIDATOR = r"""
import json, re, sys
from jsonschema import Draft7Validator, FormatChecker, RefResolver
with open(sys.argv[1]) as f:
    schema = json.load(f)
base = schema.get("$id") or "CxlAgent.v1_0_0.json"
resolver = RefResolver.from_schema(schema)
defs = schema.get("definitions", {})
FC = FormatChecker()
_DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|(\+|-)\d{2}:\d{2})$")
@FC.checks("date-time")
def _dt(value):
    return not isinstance(value, str) or bool(_DT.match(value))
bad = 0
items = json.load(sys.stdin)
for item in items:
    what, doc = item["what"], item["doc"]
    otype = doc.get("@odata.type") if isinstance(doc, dict) else None
    m = re.match(r"^#CxlAgent\.(v\d+_\d+_\d+\.)?([A-Za-z0-9]+)$", otype or "")
    if not m:
        print("%s: OEM object without a CxlAgent @odata.type: %r" % (what, otype))
        bad += 1
        continue
    name = m.group(2)
    ver = re.search(r"\.(v\d+_\d+_\d+)\.json$", base)
    if m.group(1) and ver and m.group(1)[:-1] != ver.group(1):
        print("%s: %s: version differs from the schema file %s" % (what, otype, base))
        bad += 1
        continue
    if name not in defs:
        print("%s: %s: no definition %r in %s" % (what, otype, name, sys.argv[1]))
        bad += 1
        continue
    v = Draft7Validator({"$ref": base + "#/definitions/" + name}, resolver=resolver,
                        format_checker=FC)
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errs:
        print("%s (%s): /%s: %s" % (what, otype, "/".join(map(str, e.absolute_path)),
                                    e.message[:300]))
    bad += len(errs)
print("OEM objects checked: %d, violations: %d" % (len(items), bad))
sys.exit(1 if bad else 0)
"""
