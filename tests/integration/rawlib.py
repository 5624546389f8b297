"""HTTP read straight off a socket and a process's CPU time from /proc,
for the tests and benchmarks that drive connections by hand. Nothing here
starts an agent or reads CXLA_AGENT, so importing it fixes no paths."""
import os


def read_response(sock):
    """Status of one response read whole off a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(head.split()[1])


def thread_cpu(pid, prefix):
    """CPU ticks (user + system) of each thread of pid whose name starts
    with prefix, summed by name."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                name = f.read().strip()
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                st = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if name.startswith(prefix):
            out[name] = out.get(name, 0) + int(st[11]) + int(st[12])
    return out
