"""--check-config checks what the configuration names, not only its text:
for each broken reference (a user that does not exist, an emulated profile
that does not load, a corrupt accounts file, a state directory that cannot
be made) the check fails with a message naming it, and a real start with
the same file fails too, logging why at priority err (the "<3>" journald
reads; the check's own message is plain); a configuration the check passes
starts and serves."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import AGENT, Agent, Checker, open_private  # noqa: E402

c = Checker("check_config")


def run(args, timeout=20):
    return subprocess.run([AGENT] + args, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, CXLA_INITIAL_ADMIN_PASSWORD="check-config-pass-1"))


def write_config(a, name, changes):
    cfg = dict(a.config)
    cfg.update(changes)
    path = os.path.join(a.tmp, name)
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)
    return path


def refused_by_check_and_start(a, name, changes, needle):
    path = write_config(a, name, changes)
    p = run(["--check-config", "-c", path])
    c.check(p.returncode != 0, "%s: --check-config fails (stdout %r)" % (name, p.stdout))
    c.check(needle in p.stderr, "%s: check names the problem (%r in %r)" % (name, needle, p.stderr))
    # The start must fail on the same thing: the check may not pass what
    # the start refuses, and here it must not refuse what the start accepts.
    c.check(not p.stderr.startswith("<"), "%s: the check's message is plain text" % name)
    s = run(["-c", path])
    c.check(s.returncode != 0, "%s: a start fails too" % name)
    # journald takes the syslog prefix as the line's priority: a start
    # refused is an error there, not one more line at info.
    lines = s.stderr.splitlines()
    c.check(any(line.startswith("<3>") for line in lines) and
            all(re.match(r"<[0-7]>", line) for line in lines),
            "%s: the start logs why at priority err, every line with a priority: %r"
            % (name, s.stderr))


with Agent(start=False) as a:
    os.makedirs(a.tmp, exist_ok=True)

    good = write_config(a, "good.json", {})
    p = run(["--check-config", "-c", good])
    c.eq(p.returncode, 0, "good configuration passes: " + p.stderr)
    c.check("configuration OK" in p.stdout, "check says OK: %r" % p.stdout)
    c.check(not os.path.exists(a.state), "the check creates no state directory")

    refused_by_check_and_start(a, "nouser.json", {"user": "nosuchuser"},
                               'user: "nosuchuser" does not exist')

    profile = os.path.join(a.tmp, "profile.json")
    with open(profile, "w") as f:
        f.write('{\n  "devices": [\n    {"name": "x", "serial": 12}\n  ]\n}\n')
    refused_by_check_and_start(a, "badprofile.json", {"emulated_profile": profile},
                               "%s:3:" % profile)
    refused_by_check_and_start(a, "noprofile.json",
                               {"emulated_profile": os.path.join(a.tmp, "none.json")},
                               "none.json")

    blocker = os.path.join(a.tmp, "a-file")
    with open(blocker, "w") as f:
        f.write("x")
    refused_by_check_and_start(a, "statefile.json", {"state_dir": os.path.join(blocker, "state")},
                               "is not a directory")
    refused_by_check_and_start(a, "badaddr.json", {"listen_addresses": ["localhost"]},
                               '"localhost" is not a numeric')
    refused_by_check_and_start(a, "badtype.json", {"listen_addresses": "all"},
                               "badtype.json:")

    os.makedirs(a.state, mode=0o700, exist_ok=True)
    with open_private(os.path.join(a.state, "accounts.json")) as f:
        f.write('{"Version": 1, "Accounts": [{"Id": "1", "UserName": 5}]}')
    refused_by_check_and_start(a, "badaccounts.json", {},
                               os.path.join(a.state, "accounts.json") + ":1:")
    os.unlink(os.path.join(a.state, "accounts.json"))

    # A private key every user may read passes, with a warning naming it; the
    # same key at 0600 gets none.
    for mode, warned in ((0o644, True), (0o600, False)):
        key = os.path.join(a.tmp, "open-%o.key" % mode)
        with open(a.config["tls_key"], "rb") as src, open(key, "wb") as dst:
            dst.write(src.read())
        os.chmod(key, mode)
        p = run(["--check-config", "-c", write_config(a, "key-%o.json" % mode, {"tls_key": key})])
        c.eq(p.returncode, 0, "a key at mode %o passes the check: %s" % (mode, p.stderr))
        c.eq("open to every user" in p.stderr and key in p.stderr, warned,
             "a key at mode %o is warned about: %r" % (mode, p.stderr))

    # What passes the check starts and serves.
    a.start()
    r = a.curl("GET", "/redfish/v1", user=None)
    c.eq(r.status, 200, "the checked configuration serves")
c.finish()
