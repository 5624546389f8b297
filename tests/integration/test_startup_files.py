"""Start-up refuses what it must not accept or repair, at once and with a
message that names the file: a FIFO (or anything but a regular file) in the
place of the audit log or a rotated one, the accounts file, the event
subscriptions, the session settings or the catalogue (the start used to
hang on a FIFO for ever), and a symbolic link in the place of a state file
or an audit file; an accounts file with a malformed hash, a bad user name,
a cost of 10 million iterations, no account at all (it used to be silently
re-populated and rewritten) or mode 0644; a service-uuid file that holds
no UUID (it used to be silently replaced), or a service-uuid, task-id or
event-id that is a FIFO, a directory or a link, or an event-id that holds
no id mark; a subscriptions file with an Id, a Suspended, a Version or a
top-level key the agent never writes; the generated TLS certificate or key
as a link, a FIFO or a directory (a configured pair may be links). Nothing
refused is rewritten. Temporary files a crash left beside any state file
are removed."""
import json
import os
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import ADMIN_PASSWORD, AGENT, Agent, Checker, open_private, pbkdf2_hash  # noqa: E402

c = Checker("startup_files")
SALT, KEY = "A" * 22 + "==", "A" * 43 + "="


def start(a):
    t0 = time.monotonic()
    try:
        p = subprocess.run([AGENT, "-c", a.config_path], capture_output=True, text=True,
                           timeout=15, env=a.env)
    except subprocess.TimeoutExpired:
        return None, "(still running after 15 s)", 15
    return p.returncode, p.stderr, time.monotonic() - t0


def refused(a, what, needles, path):
    before = os.lstat(path)
    content = open(path, "rb").read() if os.path.isfile(path) else None
    rc, err, took = start(a)
    c.check(rc not in (0, None), "%s: the start fails (rc %s)" % (what, rc))
    c.check(took < 10, "%s: at once (%.1f s)" % (what, took))
    for n in needles:
        c.check(n in err, "%s: message has %r: %r" % (what, n, err[-400:]))
    after = os.lstat(path)
    c.eq((after.st_mode, after.st_ino), (before.st_mode, before.st_ino), "%s: left as it was" % what)
    if content is not None:
        c.eq(open(path, "rb").read(), content, "%s: content unchanged" % what)


def accounts_doc(hash_=None, user="admin", accounts=True):
    acc = [{"Id": "1", "UserName": user, "RoleId": "Administrator", "Enabled": True,
            "PasswordHash": hash_ or pbkdf2_hash("admin-password-1")}]
    return json.dumps({"Version": 1, "Accounts": acc if accounts else []})


with Agent(start=False) as a:
    a.expect_clean_exit = False
    os.makedirs(a.state, mode=0o700)
    accounts = os.path.join(a.state, "accounts.json")

    os.mkfifo(accounts, 0o600)
    refused(a, "FIFO accounts file", [accounts, "not a regular file"], accounts)
    os.unlink(accounts)

    for what, doc, needle in [
            ("malformed hash", accounts_doc("pbkdf2-sha256$1000$AAAA$AAAA"), "PasswordHash is not"),
            ("10 million iterations", accounts_doc("pbkdf2-sha256$10000000$%s$%s" % (SALT, KEY)),
             "iterations must be between"),
            ("bad user name", accounts_doc(user="ad min"), "UserName must be"),
            ("empty account list", accounts_doc(accounts=False), "no account")]:
        with open_private(accounts) as f:
            f.write(doc)
        refused(a, what, [accounts + ":1:", needle], accounts)
    with open_private(accounts) as f:
        f.write(accounts_doc())
    os.chmod(accounts, 0o644)
    refused(a, "mode 0644", [accounts, "mode 0644", "chmod 600"], accounts)
    os.chmod(accounts, 0o600)

    uuid = os.path.join(a.state, "service-uuid")
    with open(uuid, "w") as f:
        f.write("garbage\n")
    refused(a, "garbage service-uuid", [uuid, "holds no UUID"], uuid)
    os.unlink(uuid)
    # The event id mark: what the agent never writes is refused, not
    # replaced (ids could then go back below those a client saw).
    event_id = os.path.join(a.state, "event-id")
    for what, text in (("garbage", "garbage\n"), ("negative", "-5\n"), ("empty", "")):
        with open_private(event_id) as f:
            f.write(text)
        refused(a, what + " event-id", [event_id, "not an id mark"], event_id)
    os.unlink(event_id)

    # The service UUID and the task id bound are state files like the
    # others: a FIFO or a directory is refused at once, and a link is not
    # followed, even to a file that would be valid (both used to be
    # followed, and a FIFO task-id was called "not an id bound").
    for name, valid in (("service-uuid", "0f3c6a52-8f4e-4c1b-9a5e-2d7b6c8e1f00\n"),
                        ("task-id", "65\n"), ("event-id", "1800000000000000\n")):
        path = os.path.join(a.state, name)
        target = os.path.join(a.tmp, "elsewhere-" + name)
        with open_private(target) as f:
            f.write(valid)
        if os.path.lexists(path):  # the mark a start refused later made
            os.unlink(path)
        os.mkfifo(path, 0o600)
        refused(a, "FIFO " + name, [path, "not a regular file"], path)
        os.unlink(path)
        os.mkdir(path, 0o700)
        refused(a, "directory " + name, [path, "not a regular file"], path)
        os.rmdir(path)
        os.symlink(target, path)
        refused(a, "symbolic link " + name, [path, "symbolic link"], path)
        os.unlink(path)

    # The event subscriptions and the session settings are read by the front
    # like the accounts: a FIFO is refused, not waited on (the start hung on
    # one for ever), and a link out of the state directory is not followed.
    elsewhere = os.path.join(a.tmp, "elsewhere.json")
    with open_private(elsewhere) as f:
        f.write('{"Version": 1, "Subscriptions": [], "SessionTimeout": 900}')
    for name in ("subscriptions.json", "session-service.json"):
        path = os.path.join(a.state, name)
        os.mkfifo(path, 0o600)
        refused(a, "FIFO " + name, [path, "not a regular file"], path)
        os.unlink(path)
        os.symlink(elsewhere, path)
        refused(a, "symbolic link " + name, [path, "symbolic link"], path)
        os.unlink(path)

    # A subscriptions file holds only what the agent writes there: an Id
    # that is not a plain decimal below 2^32 - 1 (one that wrapped the next
    # Id to 0 was accepted, and then an Id given twice), a Suspended that is
    # not a boolean, another Version or a top-level key it never writes is
    # refused, not guessed at.
    subs = os.path.join(a.state, "subscriptions.json")
    good = {"Destination": "https://127.0.0.1:9/x", "Protocol": "Redfish", "Id": "1",
            "Suspended": False}
    for what, doc, needle in [
            ("Id 4294967295", {"Version": 1, "Subscriptions": [dict(good, Id="4294967295")]},
             "bad or duplicate Id"),
            ("Id -1", {"Version": 1, "Subscriptions": [dict(good, Id="-1")]}, "bad or duplicate Id"),
            ("Id 1abc", {"Version": 1, "Subscriptions": [dict(good, Id="1abc")]},
             "bad or duplicate Id"),
            ("Suspended a string", {"Version": 1, "Subscriptions": [dict(good, Suspended="yes")]},
             "Suspended is not true or false"),
            ("Version 7", {"Version": 7, "Subscriptions": [good]}, "unsupported \"Version\""),
            ("an unknown top-level key", {"Version": 1, "Subscriptions": [good], "Extra": []},
             "unknown key \"Extra\"")]:
        with open_private(subs) as f:
            json.dump(doc, f)
        refused(a, "subscriptions " + what, [subs, needle], subs)
    os.unlink(subs)

    audit = os.path.join(a.state, "audit")
    # The broker opens the audit log while the front reads the accounts: the
    # starts refused above may have made it, but wrote nothing into it.
    os.makedirs(audit, mode=0o700, exist_ok=True)
    for n in os.listdir(audit):
        c.eq(os.path.getsize(os.path.join(audit, n)), 0, "a refused start wrote no audit (%s)" % n)
        os.unlink(os.path.join(audit, n))
    os.mkfifo(os.path.join(audit, "audit.log"), 0o600)
    refused(a, "FIFO audit log", [os.path.join(audit, "audit.log") + ": not a regular file"],
            os.path.join(audit, "audit.log"))
    os.unlink(os.path.join(audit, "audit.log"))
    # No audit file is read through a link (a rotated one was, and the
    # refusal of audit.log.1 named only the directory), and the message
    # names the file.
    record = os.path.join(a.tmp, "elsewhere-audit.log")
    with open_private(record) as f:
        f.write("")
    for name in ("audit.log", "audit.log.1", "audit.log.3"):
        path = os.path.join(audit, name)
        os.symlink(record, path)
        refused(a, "symbolic link " + name, [path + ": is a symbolic link"], path)
        os.unlink(path)
    path = os.path.join(audit, "audit.log.3")
    os.mkfifo(path, 0o600)
    refused(a, "FIFO audit.log.3", [path + ": not a regular file"], path)
    os.unlink(path)
    # A FIFO in the journal's place is no journal the agent made: refused
    # and left for the operator, not replaced.
    path = os.path.join(audit, "audit.journal")
    os.mkfifo(path, 0o600)
    refused(a, "FIFO audit.journal", [path + ": not a regular file"], path)
    c.check(stat.S_ISFIFO(os.lstat(path).st_mode), "the FIFO audit.journal is left in place")
    os.unlink(path)

    catalogue = os.path.join(a.tmp, "catalogue.json")
    os.mkfifo(catalogue, 0o600)
    with open(a.config_path) as f:
        cfg = json.load(f)
    cfg["policy_file"] = catalogue
    with open(a.config_path, "w") as f:
        json.dump(cfg, f)
    refused(a, "FIFO catalogue", [catalogue, "not a regular file"], catalogue)
    os.unlink(catalogue)
    del cfg["policy_file"]
    with open(a.config_path, "w") as f:
        json.dump(cfg, f)

    # What a crash inside a rewrite leaves (the temporary copy, before its
    # rename) is removed at the next start, for every state file rewritten
    # so: they used to pile up, one per crash. A name that only looks alike
    # is not touched.
    with open_private(os.path.join(a.state, "session-service.json")) as f:
        f.write('{"SessionTimeout": 900}')
    names = ["accounts.json", "subscriptions.json", "session-service.json", "task-id",
             "service-uuid", "initial-admin-password", "event-id"]
    for n in names:
        with open_private(os.path.join(a.state, n + ".tmp.Ab3dEf")) as f:
            f.write("{")
    keep = os.path.join(a.state, "subscriptions.json.tmp.other-name")
    with open_private(keep) as f:
        f.write("{")

    # With every file in order the same state starts and serves.
    a.expect_clean_exit = True
    a.start()
    c.eq(a.curl("GET", "/redfish/v1/Systems", user=("admin", "admin-password-1")).status, 200,
         "the agent starts with the files in order")
    left = sorted(n for n in os.listdir(a.state) if ".tmp." in n)
    c.eq(left, [os.path.basename(keep)], "temporary files left by a crash are removed at start")
    for n in names:
        c.check("removed %s.tmp.Ab3dEf" % os.path.join(a.state, n) in a.logtext(),
                "the log says %s's leftover was removed" % n)
    c.eq(a.curl("GET", "/redfish/v1/SessionService", user=("admin", "admin-password-1")).json().get("SessionTimeout"), 900,
         "the kept session settings are read")

# The host's own TLS pair, made in the state directory when none is
# configured, is a state file too: a link in the place of either half is
# not followed (both were read through one), and a FIFO or a directory is
# named as such (they were reported by a bare errno).
with Agent(config={"tls_certificate": None, "tls_key": None}, start=False) as a:
    a.expect_clean_exit = False
    tls = os.path.join(a.state, "tls")
    os.makedirs(tls, mode=0o700)
    for name in ("server.crt", "server.key"):
        with open_private(os.path.join(tls, name)) as f, \
                open(os.path.join(a.certs, name)) as src:
            f.write(src.read())
    for name, what in (("server.crt", "certificate"), ("server.key", "private key")):
        path = os.path.join(tls, name)
        kept = os.path.join(a.tmp, "kept-" + name)
        os.rename(path, kept)
        os.symlink(kept, path)
        refused(a, "symbolic link generated " + name, [path, what, "symbolic link"], path)
        os.unlink(path)
        os.mkfifo(path, 0o600)
        refused(a, "FIFO generated " + name, [path, what, "not a regular file"], path)
        os.unlink(path)
        os.mkdir(path, 0o700)
        refused(a, "directory generated " + name, [path, what, "not a regular file"], path)
        os.rmdir(path)
        os.rename(kept, path)
    a.expect_clean_exit = True
    a.start()
    c.eq(a.curl("GET", "/redfish/v1/Systems").status, 200, "the generated pair in order serves")

# An operator's configured pair may be links (certbot's live/ directory is
# made of them): it keeps starting.
with Agent(start=False) as a:
    live = os.path.join(a.tmp, "live")
    os.mkdir(live)
    for name in ("server.crt", "server.key"):
        os.symlink(os.path.join(a.certs, name), os.path.join(live, name))
        a.config["tls_certificate" if name == "server.crt" else "tls_key"] = \
            os.path.join(live, name)
    with open(a.config_path, "w") as f:
        json.dump(a.config, f)
    a.start()
    c.eq(a.curl("GET", "/redfish/v1/Systems", user=("admin", ADMIN_PASSWORD)).status, 200,
         "a configured pair given as links serves")
c.finish()
