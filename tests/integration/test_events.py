"""EventService and its server-sent event stream with real clients: a stream
sees a device vanish within a second of the fault, filters keep other
streams quiet, Last-Event-ID replays, the stream limit answers 503, and a
stream ends when its session is deleted."""
import base64
import json
import os
import queue
import socket
import ssl
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import (ADMIN_PASSWORD, CHASSIS_DEVICES, POLICY_EXAMPLE, Agent, Checker,  # noqa: E402
                      set_fault, write_emulated_profile)

SSE = "/redfish/v1/EventService/SSE"


class Stream:
    """An SSE client on a raw TLS socket: events go to a queue as
    (arrival time, id, parsed data); end-of-stream puts None."""

    def __init__(self, agent, filt=None, user=("admin", ADMIN_PASSWORD), token=None,
                 last_id=None):
        path = SSE
        if filt is not None:
            path += "?" + urllib.parse.urlencode({"$filter": filt}, quote_via=urllib.parse.quote)
        ctx = ssl.create_default_context(cafile=agent.ca)
        raw = socket.create_connection(("127.0.0.1", agent.port), timeout=10)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        req = "GET %s HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n" % path
        if token:
            req += "X-Auth-Token: %s\r\n" % token
        elif user:
            req += "Authorization: Basic %s\r\n" % base64.b64encode(
                ("%s:%s" % user).encode()).decode()
        if last_id is not None:
            req += "Last-Event-ID: %s\r\n" % last_id
        self.sock.sendall((req + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, v in
                        (line.split(":", 1) for line in lines[1:] if ":" in line)}
        self.events = queue.Queue()
        self.ended = threading.Event()
        if self.status == 200:
            self.sock.settimeout(None)
            threading.Thread(target=self._run, daemon=True).start()
        else:
            want = int(self.headers.get("content-length", "0"))
            while len(self.buf) < want:
                chunk = self.sock.recv(4096)
                if not chunk:
                    break
                self.buf += chunk
            self.body = self.buf

    def _chunks(self):
        """Undo chunked transfer coding, yielding payload bytes."""
        data = self.buf
        chunked = self.headers.get("transfer-encoding", "") == "chunked"
        while True:
            if not chunked:
                if data:
                    yield data
                data = self.sock.recv(65536)
                if not data:
                    return
                continue
            while b"\r\n" not in data:
                more = self.sock.recv(65536)
                if not more:
                    return
                data += more
            size_line, _, data = data.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                return
            while len(data) < size + 2:
                more = self.sock.recv(65536)
                if not more:
                    return
                data += more
            yield data[:size]
            data = data[size + 2:]

    def _run(self):
        text = ""
        try:
            for chunk in self._chunks():
                text += chunk.decode()
                while "\n\n" in text:
                    block, text = text.split("\n\n", 1)
                    ev_id, data = None, []
                    for line in block.split("\n"):
                        if line.startswith("id: "):
                            ev_id = line[4:]
                        elif line.startswith("data: "):
                            data.append(line[6:])
                    if data:
                        self.events.put((time.time(), ev_id, json.loads("\n".join(data))))
        except (OSError, ValueError):
            pass
        self.ended.set()
        self.events.put(None)

    def next(self, timeout):
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def open_stream(agent, *args, **kw):
    """A stream, waiting while closed ones still count against the limit
    (a closed client is noticed at the next keepalive write)."""
    deadline = time.time() + 8
    st = Stream(agent, *args, **kw)
    while st.status == 503 and time.time() < deadline:
        st.close()
        time.sleep(0.3)
        st = Stream(agent, *args, **kw)
    return st


def main():
    c = Checker("events")
    tmp_profile = write_emulated_profile(os.path.join("/tmp", "cxla-ev-%d" % os.getpid()))
    cfg = {"emulated_profile": tmp_profile["profile"], "refresh_interval_ms": 200,
           "policy_file": POLICY_EXAMPLE,
           "sse_max_streams": 3, "sse_keepalive_s": 1}
    with Agent(config=cfg) as a:
        r = a.curl("GET", "/redfish/v1/EventService")
        c.eq(r.status, 200, "EventService")
        doc = c.redfish_json(r, "EventService")
        c.eq(doc.get("ServerSentEventUri"), SSE, "ServerSentEventUri")
        c.check(all(doc.get("SSEFilterPropertiesSupported", {}).get(p) for p in
                    ("EventFormatType", "MessageId", "RegistryPrefix", "ResourceType",
                     "OriginResource")), "SSEFilterPropertiesSupported")
        # The agent's own registry, for the CxlAgent MessageIds its events carry.
        regs = c.redfish_json(a.curl("GET", "/redfish/v1/Registries"), "Registries")
        c.eq([m["@odata.id"] for m in regs.get("Members", [])],
             ["/redfish/v1/Registries/CxlAgent.1.0.0"], "registry files")
        rf = c.redfish_json(a.curl("GET", "/redfish/v1/Registries/CxlAgent.1.0.0"), "registry file")
        uri = rf.get("Location", [{}])[0].get("Uri", "")
        reg = a.curl("GET", uri, user=None)
        c.eq(reg.status, 200, "the registry itself is served (%s)" % uri)
        c.eq(reg.json().get("RegistryPrefix"), "CxlAgent", "served registry prefix")
        c.payloads.append(("CxlAgent registry", reg.json()))
        r = a.curl("GET", "/redfish/v1/EventService", user=None)
        c.eq(r.status, 401, "EventService needs authentication")

        gone = tmp_profile["ids"][1]
        origin = "%s/%s" % (CHASSIS_DEVICES, gone)
        removed = Stream(a, "(MessageId eq 'ResourceEvent.1.0.ResourceRemoved') and "
                            "(OriginResource eq '%s')" % origin)
        c.eq(removed.status, 200, "stream opens")
        c.check(removed.headers.get("content-type", "").startswith("text/event-stream"),
                "stream content type %r" % removed.headers.get("content-type"))
        tasks = Stream(a, "RegistryPrefix eq 'TaskEvent'")
        c.eq(tasks.status, 200, "second stream opens")
        everything = Stream(a)
        c.eq(everything.status, 200, "third stream opens")
        over = Stream(a)
        c.eq(over.status, 503, "stream over the limit")
        c.check(b"ServiceTemporarilyUnavailable" in over.body, "503 names the Base message")
        over.close()
        time.sleep(0.3)

        t0 = time.time()
        set_fault(tmp_profile["fault"][1], "vanish")
        got = removed.next(timeout=3)
        c.check(got, "device-removed event arrives")
        if got:
            arrived, ev_id, event = got
            c.check(arrived - t0 < 1.0, "removed event within 1 s of the fault (%.3f s)"
                    % (arrived - t0))
            rec = event["Events"][0]
            c.check(rec["MessageId"].startswith("ResourceEvent.") and
                    rec["MessageId"].endswith(".ResourceRemoved"), "MessageId %r" % rec["MessageId"])
            c.eq(rec.get("OriginOfCondition", {}).get("@odata.id"), origin, "OriginOfCondition")
            c.eq(ev_id, rec["EventId"], "SSE id is the EventId")
            c.eq(event["Id"], ev_id, "Event Id")
            c.payloads.append(("SSE Event", event))
            # Last-Event-ID replays from the ring: asking after the event
            # before it gives it again.
            # A closed client is noticed on the next keepalive write(s).
            everything.close()
            replay = open_stream(a, "MessageId eq 'ResourceEvent.1.0.ResourceRemoved'",
                                 last_id=str(int(ev_id) - 1))
            c.eq(replay.status, 200, "replay stream opens")
            again = replay.next(timeout=2)
            c.check(again and again[1] == ev_id, "Last-Event-ID replays the event (%r)" % (again,))
            replay.close()
        c.check(tasks.next(timeout=1) is False, "a TaskEvent-only stream stays quiet")
        tasks.close()
        removed.close()

        bad = Stream(a, "Severity eq 'OK'")
        c.eq(bad.status, 400, "unsupported $filter property")
        c.check(b"QueryParameterValueError" in bad.body, "400 names QueryParameterValueError")
        bad.close()

        # Vendor command decisions and completions, without payload bytes.
        time.sleep(1.5)
        cmds = open_stream(a, "RegistryPrefix eq 'CxlAgent' and ResourceType eq 'PCIeDevice'")
        c.eq(cmds.status, 200, "command stream opens")
        r = a.submit(tmp_profile["ids"][0], "emu-set-config-after-reset", "AQAAAA==")
        c.eq(r.status, 200, "vendor command runs")
        seen = []
        for _ in range(2):
            got = cmds.next(timeout=2)
            if got:
                seen.append(got[2]["Events"][0])
                c.payloads.append(("command event", got[2]))
        keys = [e["MessageId"].rsplit(".", 1)[-1] for e in seen]
        c.eq(keys, ["VendorCommandAllowed", "VendorCommandCompleted"], "command events")
        c.check(all("AQAAAA" not in json.dumps(e) for e in seen), "no payload bytes in events")
        r = a.submit(tmp_profile["ids"][0], "emu-set-config-after-reset", "AQAAAA==",
                     user=("nobody", "x"))
        got = cmds.next(timeout=1)
        c.check(got is False, "an unauthenticated attempt makes no decision event")
        cmds.close()

        # A session's stream ends when the session is deleted.
        time.sleep(1.5)
        r = a.curl("POST", "/redfish/v1/SessionService/Sessions", user=None,
                   body={"UserName": "admin", "Password": ADMIN_PASSWORD})
        c.eq(r.status, 201, "login")
        token, location = r.header("x-auth-token"), r.header("location")
        s = open_stream(a, token=token)
        c.eq(s.status, 200, "session stream opens")
        r = a.curl("DELETE", location)
        c.eq(r.status, 204, "session deleted")
        c.check(s.ended.wait(3), "stream ends within 3 s of its session's deletion")
        s.close()
    c.finish()


if __name__ == "__main__":
    main()
