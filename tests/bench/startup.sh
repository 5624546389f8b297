#!/bin/sh
# Start-up time to the first answered HTTPS request, and resident memory when
# idle and with open TLS connections. A measurement, not a test.
# usage: tests/bench/startup.sh [BUILD_DIR] [RUNS]
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
agent=${1:-$root/build}/agent/cxl-agent
runs=${2:-10}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT INT TERM
"$root/certs/gen-dev-certs" "$work/certs" >/dev/null 2>&1
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/agent.json" <<JSON
{"listen_addresses": ["127.0.0.1", "::1"], "port": $port, "tls_certificate": "$work/certs/server.crt",
 "tls_key": "$work/certs/server.key", "state_dir": "$work/state", "backend": "emulated", "log_level": "warning",
 "user": "root"}
JSON
pid=
total=0
for i in $(seq "$runs"); do
	start=$(date +%s%N)
	CXLA_INITIAL_ADMIN_PASSWORD=startup-password-1 "$agent" -c "$work/agent.json" >/dev/null 2>&1 &
	pid=$!
	until curl -s --cacert "$work/certs/ca.crt" -o /dev/null "https://127.0.0.1:$port/redfish/v1"; do :; done
	end=$(date +%s%N)
	ms=$(( (end - start) / 1000000 ))
	total=$((total + ms))
	[ "$i" -eq "$runs" ] && break
	kill $pid; wait $pid 2>/dev/null || true
done
echo "start-up to first answered request: $((total / runs)) ms (mean of $runs, the first creates the state directory)"
sleep 1
echo "idle RSS: $(awk '/VmRSS/ {print $2}' /proc/$pid/status) kB"
/usr/bin/python3 - "$port" "$work/certs/ca.crt" "$pid" <<'PY'
import socket, ssl, sys
port, ca, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
conns = []
for _ in range(200):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    s.sendall(b"GET /redfish/v1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
    s.recv(65536)
    conns.append(s)
rss = [l for l in open("/proc/%s/status" % pid) if l.startswith("VmRSS")][0].split()[1]
print("RSS with 200 open TLS connections: %s kB" % rss)
PY
