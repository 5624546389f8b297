#!/bin/sh
# Throughput of the agent against nginx serving the same bytes over TLS 1.3
# with the same EC P-256 certificate, side by side, as ratios. A measurement,
# not a test: nothing here passes or fails.
#
# usage: tests/bench/http_vs_nginx.sh [BUILD_DIR]   (default: build)
# Environment: DURATION (s, default 10), CONNS (default "32 256"), THREADS (wrk, 2)
# Needs wrk and nginx-light (installed on demand). Loopback only.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
agent=$build/agent/cxl-agent
duration=${DURATION:-10}
conns=${CONNS:-"32 256"}
threads=${THREADS:-2}

command -v wrk >/dev/null && command -v nginx >/dev/null || {
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk nginx-light >/dev/null
}
[ -x "$agent" ] || { echo "build the agent first ($agent missing)" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $agent_pid $nginx_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT INT TERM
"$root/certs/gen-dev-certs" "$work/certs" >/dev/null 2>&1
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
aport=$(free_port)
nport=$(free_port)
password=bench-password-123

cat > "$work/agent.json" <<JSON
{"listen_addresses": ["127.0.0.1"], "port": $aport, "tls_certificate": "$work/certs/server.crt",
 "tls_key": "$work/certs/server.key", "state_dir": "$work/state", "backend": "emulated",
 "log_level": "warning", "connection_limit": 4096, "user": "root"}
JSON
CXLA_INITIAL_ADMIN_PASSWORD=$password "$agent" -c "$work/agent.json" > "$work/agent.log" 2>&1 &
agent_pid=$!
i=0
until curl -s --cacert "$work/certs/ca.crt" -o /dev/null "https://127.0.0.1:$aport/redfish/v1"; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$work/agent.log"; exit 1; }; sleep 0.1
done

auth="Authorization: Basic $(printf 'admin:%s' "$password" | base64)"
dev=/redfish/v1/Systems/host/Memory/1000000000000001
mkdir -p "$work/www/redfish/v1/Systems/host/Memory"
curl -s --cacert "$work/certs/ca.crt" "https://127.0.0.1:$aport/redfish/v1" > "$work/www/root.json"
curl -s --cacert "$work/certs/ca.crt" -H "$auth" "https://127.0.0.1:$aport$dev" > "$work/www/memory.json"

cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nport ssl;
    ssl_certificate $work/certs/server.crt;
    ssl_certificate_key $work/certs/server.key;
    ssl_protocols TLSv1.3;
    keepalive_requests 1000000;
    location = /redfish/v1 { default_type application/json; alias $work/www/root.json; }
    location = $dev { default_type application/json; alias $work/www/memory.json; }
  }
}
NGINX
nginx -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
sleep 0.5

rate() { # URL [header]
	if [ $# -gt 1 ]; then
		wrk -t"$threads" -c"$c" -d"${duration}s" -H "$2" "$1"
	else
		wrk -t"$threads" -c"$c" -d"${duration}s" "$1"
	fi | awk '/Requests\/sec/ {print $2}'
}

printf '%-34s %6s %12s %12s %7s\n' "resource" "conns" "agent req/s" "nginx req/s" "ratio"
for c in $conns; do
	a=$(rate "https://127.0.0.1:$aport/redfish/v1")
	n=$(rate "https://127.0.0.1:$nport/redfish/v1")
	printf '%-34s %6s %12s %12s %7.2f\n' "ServiceRoot (no auth)" "$c" "$a" "$n" "$(echo "$a $n" | awk '{print $1/$2}')"
	a=$(rate "https://127.0.0.1:$aport$dev" "$auth")
	n=$(rate "https://127.0.0.1:$nport$dev" "$auth")
	printf '%-34s %6s %12s %12s %7.2f\n' "Memory (Basic auth, cached)" "$c" "$a" "$n" "$(echo "$a $n" | awk '{print $1/$2}')"
done
# The agent is the broker (the process started) and its front (the child
# that serves HTTPS): both count.
rss=0
for p in $agent_pid $(cat /proc/$agent_pid/task/*/children 2>/dev/null); do
	rss=$((rss + $(awk '/VmRSS/ {print $2}' /proc/$p/status)))
done
echo "agent RSS after the run: ${rss} kB (broker and front)"
