#!/usr/bin/env python3
"""The curl examples of README.md's "Query parameters" and "Vendor commands"
sections, run as written against a real agent: only the placeholders the
README explains (CA, PW) and the port are filled in. A renamed URI,
property or privilege in the agent, or a stale example in the README,
fails here instead of on the first reader who copies it."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, POLICY_EXAMPLE, SOURCE_DIR, Agent, Checker,  # noqa: E402
                      scratch_dir)

OPERATOR_PASSWORD = "operator-password-1"
# Each section's curl examples, in order, and the status each must get.
SECTIONS = {
    "Query parameters": [200],
    "Vendor commands": [200, 201, 201],
}

c = Checker("readme_examples")


def section(text, title):
    """The body of the "## title" section of the README."""
    m = re.search(r"^## %s\n(.*?)(?=^## )" % re.escape(title), text, re.M | re.S)
    return m.group(1) if m else ""


def indented_blocks(body):
    """The README's code blocks: runs of lines indented by four spaces
    (blank lines inside a run kept), without the indentation."""
    blocks, cur = [], []
    for line in body.split("\n"):
        if line.startswith("    "):
            cur.append(line[4:])
        elif line.strip() == "" and cur:
            cur.append("")
        else:
            if cur:
                blocks.append("\n".join(cur).strip("\n"))
            cur = []
    if cur:
        blocks.append("\n".join(cur).strip("\n"))
    return blocks


def curl_commands(block):
    """The shell commands of a block starting with curl, continuation lines
    (ending in a backslash, or inside an open single quote) joined."""
    cmds, cur = [], ""
    for line in block.split("\n"):
        cur = cur + "\n" + line if cur else line
        if line.endswith("\\") or cur.count("'") % 2:
            continue
        if cur.startswith("curl "):
            cmds.append(cur)
        cur = ""
    return cmds


def fill(cmd, a):
    """The README's placeholders, as its Quick start explains them, and the
    test agent's port for the demo's."""
    passwords = {"admin": ADMIN_PASSWORD, "operator": OPERATOR_PASSWORD}
    cmd = cmd.replace("--cacert CA ", "--cacert %s " % a.ca)
    cmd = re.sub(r"-u (\w+):PW ", lambda m: "-u %s:%s " % (m.group(1), passwords[m.group(1)]),
                 cmd)
    return cmd.replace("127.0.0.1:8443", "127.0.0.1:%d" % a.port)


with open(os.path.join(SOURCE_DIR, "README.md")) as f:
    readme = f.read()

with Agent(config={"policy_file": POLICY_EXAMPLE}) as a:
    r = a.curl("POST", "/redfish/v1/AccountService/Accounts",
               {"UserName": "operator", "Password": OPERATOR_PASSWORD, "RoleId": "Operator"})
    c.eq(r.status, 201, "the demo's operator account")
    out = scratch_dir("cxla-readme-")
    for title, statuses in SECTIONS.items():
        cmds = [cmd for b in indented_blocks(section(readme, title)) for cmd in curl_commands(b)]
        c.eq(len(cmds), len(statuses), "%s: curl examples found" % title)
        for i, (cmd, want) in enumerate(zip(cmds, statuses)):
            body = os.path.join(out, "%s-%d.json" % (title.replace(" ", "-"), i))
            # -sS and where the answer goes added after the "curl" itself.
            run = "curl -sS -o %s -w '%%{http_code}' %s" % (body, fill(cmd, a)[len("curl "):])
            p = subprocess.run(["bash", "-c", run], capture_output=True, text=True, timeout=30)
            what = "%s example %d (%s)" % (title, i + 1, cmd.split("\n")[0])
            c.eq((p.returncode, p.stdout), (0, str(want)), what + ": " + p.stderr)
            try:
                with open(body) as f:
                    doc = json.load(f)
            except (OSError, ValueError) as e:
                c.check(False, "%s: body is not JSON: %s" % (what, e))
                continue
            if title == "Query parameters":
                c.eq((len(doc.get("Members", [])), doc.get("Members@odata.count")), (1, 2),
                     what + ": one member of two, expanded")
                c.check("Id" in (doc.get("Members") or [{}])[0], what + ": expanded %r" % doc)
            elif i == 0:
                c.eq(doc.get("MailboxReturnCode"), 0, what + ": the device ran it")
    # The README's role and account, as the agent made them.
    r = a.curl("GET", "/redfish/v1/AccountService/Roles/CxlWriter")
    c.check(r.status == 200 and "CxlCommandWriteFull" in r.json().get("OemPrivileges", []),
            "the README's CxlWriter role holds CxlCommandWriteFull: %r" % r.body[:200])
    r = a.curl("GET", "/redfish/v1/Systems", user=("writer", "a-long-writer-password"))
    c.eq(r.status, 200, "the README's writer account logs in")
c.finish()
