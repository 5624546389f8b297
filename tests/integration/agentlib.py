"""Start the real cxl-agent on a free loopback port with TLS and talk to it
with real clients (curl for HTTP, redfishtool and sushy where tests ask).

Every test gets its own state directory and certificates; nothing outside
127.0.0.1 / ::1 is ever contacted."""
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
ADMIN_PASSWORD = "admin-test-password-1"

_certs_cache = {}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certs(directory):
    subprocess.run([os.path.join(SOURCE_DIR, "certs", "gen-dev-certs"), directory],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return directory


def pbkdf2_hash(password, iterations=100000):
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


class Agent:
    """A running cxl-agent. Use as a context manager."""

    def __init__(self, config=None, accounts=None, env=None, start=True, host="127.0.0.1"):
        self.tmp = tempfile.mkdtemp(prefix="cxla-test-")
        self.state = os.path.join(self.tmp, "state")
        self.certs = make_certs(os.path.join(self.tmp, "certs"))
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
        }
        self.config.update(config or {})
        self.config_path = os.path.join(self.tmp, "config.json")
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=2)
        if accounts:
            os.makedirs(self.state, mode=0o700, exist_ok=True)
            self.write_accounts(accounts)
        self.env = dict(os.environ)
        self.env["CXLA_INITIAL_ADMIN_PASSWORD"] = ADMIN_PASSWORD
        self.env.update(env or {})
        self.proc = None
        self.expect_clean_exit = True
        self.log_path = os.path.join(self.tmp, "agent.log")
        if start:
            self.start()

    def write_accounts(self, accounts):
        """accounts: list of (user, password, role)."""
        doc = {"Version": 1, "Accounts": [
            {"Id": str(i + 1), "UserName": u, "RoleId": r, "Enabled": True,
             "PasswordHash": pbkdf2_hash(p)} for i, (u, p, r) in enumerate(accounts)]}
        with open(os.path.join(self.state, "accounts.json"), "w") as f:
            json.dump(doc, f)

    def start(self, timeout=20):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([AGENT, "-c", self.config_path], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("agent exited with %s:\n%s" % (self.proc.returncode, self.logtext()))
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
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
        hdr_file = os.path.join(self.tmp, "hdr-%d" % os.getpid())
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
        """Validate every kept payload against the DMTF schemas (skipped when
        ../shared is absent)."""
        if not os.path.exists(SCHEMA_CHECK):
            sys.stderr.write("schema check skipped: %s not present\n" % SCHEMA_CHECK)
            return
        d = tempfile.mkdtemp(prefix="cxla-payloads-")
        try:
            files = []
            docs = []
            for what, doc in self.payloads:
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

    def finish(self):
        self.validate_schemas()
        print("%s: %d passed, %d failed" % (self.name, self.passed, len(self.failures)))
        sys.exit(1 if self.failures else 0)
