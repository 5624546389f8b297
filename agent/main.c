/* cxl-agent: serves the host's CXL memory devices as Redfish over HTTPS. */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <grp.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stdio.h>
#include <sysexits.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/chain.h"
#include "app/firstboot.h"
#include "app/handover.h"
#include "app/notify.h"
#include "app/prestart.h"
#include "auth/accounts.h"
#include "app/open.h"
#include "app/serve.h"
#include "broker/client.h"
#include "broker/sandbox.h"
#include "broker/server.h"
#include "config/config.h"
#include "core/agent.h"
#include "core/check.h"
#include "core/poller.h"
#include "cxl/kernel/kernel.h"
#include "cxl/mctp/endpoint.h"
#include "http/server.h"
#include "http/tlsfiles.h"
#include "policy/catalogue.h"
#include "redfish/router.h"
#include "redfish/resource.h"
#include "redfish/routes.h"
#include "redfish/service.h"
#include "util/fdlimit.h"
#include "util/log.h"
#include "util/secretenv.h"
#include "version.h"

static void usage(FILE *out)
{
	fputs("usage: cxl-agent [-c FILE] [--check-config] [--print-config] [--print-routes]\n"
	      "       cxl-agent --verify-audit DIR | --prepare-trace | --version | --help\n"
	      "  -c, --config FILE   JSON configuration (unknown keys are errors)\n"
	      "      --check-config  validate the configuration and the files it names, then exit\n"
	      "      --print-config  print the effective configuration (secrets redacted)\n"
	      "      --print-routes  print the route table (methods, URI, privileges) as JSON\n"
	      "      --verify-audit DIR  check the hash chain of the audit log in DIR\n"
	      "      --prepare-trace  as root, before the service starts: open the kernel's\n"
	      "                      CXL trace events and hand them to the service manager\n"
	      "      --version       print the version\n"
	      "Environment: CXLA_INITIAL_ADMIN_PASSWORD sets the password of the \"admin\"\n"
	      "account created on first start (otherwise one is generated and written to\n"
	      "STATE_DIR/initial-admin-password, readable by its owner only).\n",
	      out);
}

struct options {
	const char *config_path;
	int check;
	int print;
	int routes;
	const char *verify_audit;
	int prepare_trace;
};

/* One route as JSON: methods, pattern and privilege alternatives. */
static json_t *route_json(const struct route *r)
{
	json_t *alts = json_array();
	char methods[64];

	for (size_t i = 0; alts && i < ROUTE_PRIV_ALTERNATIVES && r->privileges[i]; i++) {
		json_t *names = json_array();
		for (unsigned b = 0; names && b < 32; b++) {
			privset_t bit = 1u << b;
			if (r->privileges[i] & bit)
				json_array_append_new(names, json_string(bit == PRIV_NOAUTH ? "NoAuth"
								       : privilege_name(bit)));
		}
		json_array_append_new(alts, names);
	}
	http_methods_format(r->methods, methods, sizeof(methods));
	return json_pack("{s:s, s:s, s:o}", "methods", methods, "pattern", r->pattern, "privileges",
			 alts);
}

/* The route tables as JSON, for audits and the authorisation matrix test. */
static int print_routes(void)
{
	json_t *out = json_array();

	for (size_t t = 0; out && t < agent_route_table_count; t++)
		for (const struct route *r = agent_route_tables[t]; r->pattern || r->handler; r++)
			json_array_append_new(out, route_json(r));
	char *text = out ? json_dumps(out, JSON_INDENT(1)) : NULL;
	json_decref(out);
	if (!text)
		return 1;
	puts(text);
	free(text);
	return 0;
}

/* The unit's privileged step (app/handover.h). What it found goes to the
 * journal; a failure there never keeps the agent from starting. */
static int prepare_trace(void)
{
	char msg[1024];
	int rc;

	/* The kernel backend serves the devices there at the start, and only
	 * then: a host without any gets no trace instance. */
	if (!cxl_kernel_backend_desc.probe(msg, sizeof(msg))) {
		printf("cxl-agent: %s: no trace instance made\n", msg);
		return 0;
	}
	rc = handover_prepare_trace(NULL, msg, sizeof(msg));

	/* A warning: the agent starts all the same ("-" in the unit). */
	fprintf(rc ? stderr : stdout, "%scxl-agent: %s\n", rc ? LOG_PREFIX_WARN : "", msg);
	return rc ? 1 : 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "print-config", no_argument, NULL, 'P' },
		{ "print-routes", no_argument, NULL, 'R' },
		{ "verify-audit", required_argument, NULL, 'A' },
		{ "prepare-trace", no_argument, NULL, 'T' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'C':
			o->check = 1;
			break;
		case 'P':
			o->print = 1;
			break;
		case 'T':
			o->prepare_trace = 1;
			break;
		case 'A':
			o->verify_audit = optarg;
			break;
		case 'R':
			o->routes = 1;
			break;
		case 'V':
			printf("cxl-agent %s\n", CXLA_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cxl-agent: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* What the daemon holds beyond the agent: its configuration, the TLS
 * material and the HTTPS server. */
struct runtime {
	struct config cfg;
	struct agent *agent;
	char *cert_pem;
	char *key_pem;
	char *client_ca_pem;
	struct http_server *server;
	struct broker_client *broker; /* the front's session with the broker */
	char initial[ACCOUNT_PASSWORD_MAX + 1]; /* CXLA_INITIAL_ADMIN_PASSWORD */
	bool has_initial;
	struct handover handover; /* the broker's, from the service's privileged step */
};

static void runtime_release(struct runtime *rt)
{
	http_server_stop(rt->server);
	/* Pushes stop before the mirror they update goes; requests (a task
	 * abandoned at close) still reach the broker until the session ends. */
	broker_client_detach(rt->broker);
	agent_close(rt->agent);
	broker_client_free(rt->broker);
	free(rt->cert_pem);
	tls_free_secret(rt->key_pem);
	free(rt->client_ca_pem);
	OPENSSL_cleanse(rt->initial, sizeof(rt->initial));
	handover_release(&rt->handover);
	config_release(&rt->cfg);
}

/* In a short-lived child (app/prestart.h): every file the configuration
 * names is checked before the state directory is touched, so that a start
 * that fails leaves it as it was; then the configured TLS pair, or the
 * host's own, made on the first start (while root). */
static int check_and_load_tls(void *ctx, struct prestart_result *out, char *err, size_t errlen)
{
	const struct config *cfg = ctx;
	char cert[4096], key[4096];
	bool generated;
	int rc;

	if ((rc = agent_check_config(cfg, err, errlen)) || (rc = firstboot_tls(cfg, err, errlen)) ||
	    (rc = config_tls_paths(cfg, cert, sizeof(cert), key, sizeof(key), &generated)) ||
	    (rc = tls_load_pair(cert, key, generated, &out->cert_pem, &out->key_pem, err, errlen)))
		return rc;
	if (cfg->tls_client_ca)
		rc = tls_load_ca(cfg->tls_client_ca, &out->client_ca_pem, err, errlen);
	return rc;
}

static int load_tls(struct runtime *rt, char *err, size_t errlen)
{
	struct prestart_result tls;
	int rc = prestart_run(check_and_load_tls, &rt->cfg, &tls, err, errlen);

	if (rc)
		return rc;
	rt->cert_pem = tls.cert_pem;
	rt->key_pem = tls.key_pem;
	rt->client_ca_pem = tls.client_ca_pem;
	return 0;
}

/* --check-config: what start-up would load besides the state. */
static int check_config(const struct runtime *rt, char *err, size_t errlen)
{
	struct policy_catalogue *cat;
	struct router *router;
	int rc;

	if ((rc = agent_router_new(&router, err, errlen)))
		return rc;
	router_free(router);
	if ((rc = agent_catalogue_load(&rt->cfg, &cat, err, errlen)))
		return rc;
	catalogue_unref(cat);
	return 0;
}

/* The front's part of the agent, over what the broker sent. */
static int open_front(struct runtime *rt, struct cxl_devset *devices,
		      struct policy_catalogue *cat, char *err, size_t errlen)
{
	struct agent_open_options opt = {
		.initial_admin_password = rt->has_initial ? rt->initial : NULL,
		/* for tests only (a prepared tree); not a configuration key, since
		 * no operator has reason to point the agent at another host's files */
		.host_root = getenv("CXLA_HOST_ROOT"),
		.part = AGENT_FRONT,
		.devices = devices,
		.catalogue = cat,
		.remote = &broker_client_remote,
		.remote_ctx = rt->broker,
	};
	int rc = agent_open(&rt->cfg, &opt, &rt->agent, err, errlen);

	OPENSSL_cleanse(rt->initial, sizeof(rt->initial));
	rt->has_initial = false;
	return rc;
}

/* The initial administrator password leaves the environment before the
 * split, so that neither process shows it in /proc/PID/environ; only the
 * front, which opens the accounts, keeps the copy. */
static int take_initial_password(struct runtime *rt, char *err, size_t errlen)
{
	int rc = secretenv_take("CXLA_INITIAL_ADMIN_PASSWORD", rt->initial, sizeof(rt->initial));

	if (rc == -E2BIG) {
		snprintf(err, errlen, "CXLA_INITIAL_ADMIN_PASSWORD is longer than %d characters",
			 ACCOUNT_PASSWORD_MAX);
		return rc;
	}
	rt->has_initial = rc == 0;
	return 0;
}

static uid_t chown_uid;
static gid_t chown_gid;

static int chown_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return lchown(path, chown_uid, chown_gid) < 0 ? -1 : 0;
}

/* Everything created while root (accounts, audit log, label storage) must
 * stay writable and readable by the unprivileged daemon. */
static int chown_tree(const char *dir, const struct passwd *pw)
{
	chown_uid = pw->pw_uid;
	chown_gid = pw->pw_gid;
	return nftw(dir, chown_entry, 16, FTW_PHYS) == 0 ? 0 : -errno;
}

/* AF_MCTP checks CAP_NET_RAW on every send, in the sending thread. The
 * broker holds the MCTP sockets and keeps the capability across its change
 * of user (the front never has it); started without root, the agent needs
 * it already (systemd: AmbientCapabilities=CAP_NET_RAW). Anything else
 * would fail each send with EACCES, so it does not start. */
static int check_net_raw(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	if (!(data[CAP_TO_INDEX(CAP_NET_RAW)].effective & CAP_TO_MASK(CAP_NET_RAW))) {
		snprintf(err, errlen, "kernel MCTP endpoints need CAP_NET_RAW, which the agent "
			 "was not started with (systemd: AmbientCapabilities=CAP_NET_RAW)");
		return -EPERM;
	}
	return 0;
}

/* Files created while root must stay usable by the unprivileged user. */
static int chown_dir(const char *dir, const struct sandbox_user *u, char *err, size_t errlen)
{
	struct passwd pw = { .pw_uid = u->uid, .pw_gid = u->gid };

	if (!u->change || !dir || chown_tree(dir, &pw) == 0)
		return 0;
	snprintf(err, errlen, "chown -R %s: %s", dir, strerror(errno));
	return -errno;
}

/* Idle connections are cheap; the descriptor limit is what runs out first.
 * Raise the soft limit to the hard one and take as many connections as the
 * descriptors carry besides the agent's own (util/fdlimit.h); a limit too
 * low to serve, or below a configured connection limit, is refused here,
 * at start, rather than found out by accept() under load. */
static int connection_limit(const struct config *cfg, unsigned *limit, char *err, size_t errlen)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		snprintf(err, errlen, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return -errno;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("cannot raise the descriptor limit to %llu: %s",
				 (unsigned long long)want, strerror(errno));
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return fd_connection_limit(rl.rlim_cur == RLIM_INFINITY ? ~0ULL : (unsigned long long)rl.rlim_cur,
				   (unsigned)cfg->connection_limit, limit, err, errlen);
}

static int start_server(struct runtime *rt, char *err, size_t errlen)
{
	const struct config *cfg = &rt->cfg;
	struct http_server_config hc = {
		.addresses = (const char *const *)cfg->listen_addresses,
		.naddresses = cfg->listen_addresses_count,
		.port = (unsigned)cfg->port,
		.cert_pem = rt->cert_pem,
		.key_pem = rt->key_pem,
		.client_ca_pem = rt->client_ca_pem,
		.client_auth = cfg->tls_client_auth,
		.threads = (unsigned)cfg->threads,
		.connections_per_address = (unsigned)cfg->connections_per_address,
		.connection_timeout_s = (unsigned)cfg->connection_timeout_s,
		.max_body = (size_t)cfg->max_body_bytes,
		.unavailable = service_unavailable,
	};
	int rc = connection_limit(cfg, &hc.connection_limit, err, errlen);

	if (rc)
		return rc;
	log_info("connections: at most %u, %u from one address", hc.connection_limit,
		 hc.connections_per_address);
	return http_server_start(&hc, service_handle, rt->agent, &rt->server, err, errlen);
}

#ifdef CXLA_TEST_HOOKS
/* Test builds only: a system call outside both filters, harmless if
 * it ran (kexec needs CAP_SYS_BOOT), so a test can see the filter kill the
 * process. */
static void test_hook(void)
{
	log_warn("test hook: calling kexec_load");
	syscall(SYS_kexec_load, 0, 0, NULL, 0);
}
#endif

/* Start-up's threads could not all start: EAGAIN is the task limit (the
 * unit's TasksMax=, or RLIMIT_NPROC once the processes run as the user),
 * which the operator is told by name. */
static void thread_refused(const char *what, int rc, const struct sandbox_user *u, char *err,
			   size_t errlen)
{
	if (rc == -EAGAIN)
		snprintf(err, errlen,
			 "cannot start %s: no thread can start under the task limit (TasksMax=, or "
			 "RLIMIT_NPROC of user %s)",
			 what, u->name);
	else
		snprintf(err, errlen, "cannot start %s: %s", what, strerror(-rc));
}

/* The broker: devices, catalogue, audit log and poller, then the front's
 * requests until the front ends. Its exit status is the pair's. */
static int run_broker(struct runtime *rt, int fd, pid_t front, const struct sandbox_user *u)
{
	/* The poller starts after the drop, so that its thread inherits
	 * CAP_NET_RAW when MCTP endpoints keep it. */
	struct agent_open_options opt = {
		.part = AGENT_BROKER,
		.kernel_trace = handover_trace(&rt->handover),
	};
	bool net_raw = cxl_mctp_endpoints_need_net_raw(
		(const char *const *)rt->cfg.mctp_endpoints, rt->cfg.mctp_endpoints_count);
	char err[8192] = "", audit_dir[4096];
	int rc, status;

	/* The broker never serves TLS nor opens accounts. */
	tls_free_secret(rt->key_pem);
	rt->key_pem = NULL;
	OPENSSL_cleanse(rt->initial, sizeof(rt->initial));
	rt->has_initial = false;
	rc = agent_open(&rt->cfg, &opt, &rt->agent, err, sizeof(err));
	handover_release(&rt->handover); /* a backend that reads it has its own copy */
	if (!rc && !(rc = config_audit_dir(&rt->cfg, audit_dir, sizeof(audit_dir))))
		rc = chown_dir(audit_dir, u, err, sizeof(err));
	/* Same user as the front: not dumpable, so the front can neither trace
	 * it nor open its descriptors through /proc. */
	if (!rc && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		rc = -errno;
	if (!rc)
		rc = sandbox_drop_keep(u, net_raw, err, sizeof(err));
	if (!rc && (rc = poller_start(rt->agent->devices, (unsigned)rt->cfg.refresh_interval_ms,
				      &rt->agent->poller)))
		thread_refused("the device poller", rc, u, err, sizeof(err));
	/* Everything is open and every thread but the session's pool runs:
	 * from here on the broker does only what serving the front needs. */
	if (!rc)
		rc = sandbox_broker_filter(front, err, sizeof(err));
	if (rc) {
		fprintf(stderr, LOG_PREFIX_ERROR "cxl-agent: broker: %s\n",
			err[0] ? err : strerror(-rc));
		notify_failed(err[0] ? err : strerror(-rc), -rc);
		close(fd);
		while (waitpid(front, &status, 0) < 0 && errno == EINTR)
			;
		return 1;
	}
	log_info("broker: running as %s (uid %u), %zu device(s)%s, system calls filtered", u->name,
		 (unsigned)u->uid, cxl_devset_count(rt->agent->devices),
		 net_raw ? ", CAP_NET_RAW kept for MCTP" : "");
#ifdef CXLA_TEST_HOOKS
	return broker_serve(rt->agent, fd, front, test_hook);
#else
	return broker_serve(rt->agent, fd, front, NULL);
#endif
}

/* After the server is listening: the user, no capabilities, no view of
 * the audit log or the device nodes, and the system call filter. */
static int confine_front(struct runtime *rt, pid_t broker, const struct sandbox_user *u,
			 char *err, size_t errlen)
{
	char audit_dir[4096];
	const char *hide[] = { audit_dir, "/dev/cxl", NULL };
	int rc;

	if ((rc = config_audit_dir(&rt->cfg, audit_dir, sizeof(audit_dir))) ||
	    (rc = chown_dir(rt->cfg.state_dir, u, err, errlen)))
		return rc;
	if (geteuid() == 0 && (rc = sandbox_hide_paths(hide, err, errlen)))
		return rc;
	if ((rc = sandbox_drop(u, err, errlen)))
		return rc;
	/* A change of user clears the parent-death signal: set it again. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != broker) {
		snprintf(err, errlen, "the broker is gone");
		return -ESRCH;
	}
	return sandbox_front_filter(err, errlen);
}

/* The front: TLS, HTTP, authentication, sessions, accounts, Redfish, over
 * the broker's snapshots. */
static int run_front(struct runtime *rt, int fd, pid_t broker, const struct sandbox_user *u)
{
	struct cxl_devset *devices;
	struct policy_catalogue *cat;
	char err[8192] = "";
	int rc;

	/* The front does not outlive the broker, even for a moment: a front
	 * still listening would take requests nobody can carry out. (The end
	 * of the session also stops it, more gently, when the broker ends.) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != broker)
		return 1;
	/* The front is about to hold the TLS key, session tokens and passwords
	 * in flight: no core file, and no other process of the user reading
	 * its memory or /proc entries. A change of user would clear the flag
	 * too, but under systemd's User= there is none. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return 1;
	/* Started without root (as the service user, perhaps with CAP_NET_RAW
	 * for the broker): nothing here needs a capability, so none reaches a
	 * thread of the front. */
	if (geteuid() != 0 && sandbox_drop(u, err, sizeof(err))) {
		fprintf(stderr, LOG_PREFIX_ERROR "cxl-agent: front: %s\n", err);
		return 1;
	}
	if ((rc = broker_client_open(fd, &rt->broker, &devices, &cat, err, sizeof(err))) ||
	    (rc = open_front(rt, devices, cat, err, sizeof(err))) ||
	    (rc = broker_client_start(rt->broker, rt->agent)) ||
	    (rc = start_server(rt, err, sizeof(err))) ||
	    (rc = confine_front(rt, broker, u, err, sizeof(err))) ||
	    (rc = broker_client_ready(rt->broker))) {
		if (!err[0])
			snprintf(err, sizeof(err), "start-up failed: %s", strerror(-rc));
		fprintf(stderr, LOG_PREFIX_ERROR "cxl-agent: %s\n", err);
		if (rt->broker && (rc = broker_client_failed(rt->broker, -rc, err)))
			fprintf(stderr, LOG_PREFIX_ERROR "cxl-agent: cannot tell the broker: %s\n",
				strerror(-rc));
		runtime_release(rt);
		return 1;
	}
	log_info("front: running as %s (uid %u), no capabilities, system calls filtered",
		 u->name, (unsigned)getuid());
	for (size_t i = 0; i < rt->cfg.listen_addresses_count; i++) {
		const char *a = rt->cfg.listen_addresses[i];
		log_info("listening on https://%s%s%s:%lld/redfish/v1", strchr(a, ':') ? "[" : "", a,
			 strchr(a, ':') ? "]" : "", rt->cfg.port);
	}
	rc = serve_run(&(struct serve_ctx){
		.cfg = &rt->cfg,
		.agent = rt->agent,
		.server = rt->server,
#ifdef CXLA_TEST_HOOKS
		.on_usr1 = test_hook,
#endif
	});
	runtime_release(rt);
	log_info("front stopped");
	return rc ? 1 : 0;
}

/* Two processes from here on, joined by a socketpair: the broker (this
 * process, which the service manager watches) and the front (its child).
 * Nothing is open yet, so the front holds no device and no audit file. */
static int split(struct runtime *rt, const struct sandbox_user *u)
{
	int sv[2], size = 4 << 20, rc;
	pid_t pid, self = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, LOG_PREFIX_ERROR "cxl-agent: socketpair: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < 2; i++)
		if (setsockopt(sv[i], SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0 ||
		    setsockopt(sv[i], SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0) {
			setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
			setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, LOG_PREFIX_ERROR "cxl-agent: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		close(sv[0]);
		handover_release(&rt->handover);
		rc = run_front(rt, sv[1], self, u);
		config_release(&rt->cfg);
		return rc;
	}
	close(sv[1]);
	rc = run_broker(rt, sv[0], pid, u);
	runtime_release(rt);
	log_info("stopped");
	return rc;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct runtime rt;
	struct sandbox_user user;
	char err[8192] = "";
	sigset_t set;
	int rc, status = 1;

	memset(&rt, 0, sizeof(rt));
	handover_init(&rt.handover);
	/* libcrypto serves certificates and keys only here (TLS, digests and
	 * random bytes are GnuTLS's): no openssl.cnf, error strings or legacy
	 * name tables, which would stay resident for nothing. */
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
					OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
					OPENSSL_INIT_NO_ADD_ALL_DIGESTS,
				NULL) != 1) {
		fputs("cxl-agent: cannot initialise libcrypto\n", stderr);
		return 1;
	}
	if (parse_args(argc, argv, &opt))
		return 2;
	if (opt.routes)
		return print_routes();
	if (opt.verify_audit)
		return audit_verify_print(opt.verify_audit, stdout);
	if (opt.prepare_trace)
		return prepare_trace();
	if (config_defaults(&rt.cfg)) {
		fputs("cxl-agent: out of memory\n", stderr);
		return 1;
	}
	if (opt.config_path && config_load(&rt.cfg, opt.config_path, err, sizeof(err))) {
		fprintf(stderr, "%s%s\n", opt.check || opt.print ? "" : LOG_PREFIX_ERROR, err);
		notify_failed(err, EINVAL);
		config_release(&rt.cfg);
		return opt.check || opt.print ? 1 : EX_CONFIG;
	}
	if (opt.print) {
		char *dump = config_dump(&rt.cfg);
		puts(dump ? dump : "{}");
		free(dump);
		config_release(&rt.cfg);
		return dump ? 0 : 1;
	}
	log_set_level(rt.cfg.log_level);
	log_set_limit((unsigned)rt.cfg.log_burst, (unsigned)rt.cfg.log_window_s);
	if (opt.check) {
		if ((rc = agent_check_config(&rt.cfg, err, sizeof(err))) ||
		    (rc = check_config(&rt, err, sizeof(err))))
			goto fail;
		printf("%s: configuration OK\n", opt.config_path ? opt.config_path : "(defaults)");
		runtime_release(&rt);
		return 0;
	}

	/* Signals are taken synchronously by the main thread; server threads
	 * inherit the blocked mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
#ifdef CXLA_TEST_HOOKS
	sigaddset(&set, SIGUSR1);
#endif
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Before any child exists: the descriptors are the broker's alone. */
	if (handover_take(&rt.handover, err, sizeof(err))) {
		log_warn("%s: device event records are not read", err);
		err[0] = '\0';
	}

	/* A catalogue or profile that does not load is, like the
	 * configuration, the operator's to mend: no later try would load it. */
	if ((rc = agent_check_documents(&rt.cfg, err, sizeof(err)))) {
		status = EX_CONFIG;
		goto fail;
	}
	if ((rc = sandbox_user_resolve(rt.cfg.user, &user, err, sizeof(err))))
		goto fail;
	/* before anything listens: a refused start must not answer first */
	if (cxl_mctp_endpoints_need_net_raw((const char *const *)rt.cfg.mctp_endpoints,
					    rt.cfg.mctp_endpoints_count) &&
	    (rc = check_net_raw(err, sizeof(err))))
		goto fail;
	if ((rc = take_initial_password(&rt, err, sizeof(err))))
		goto fail;
	if ((rc = load_tls(&rt, err, sizeof(err))))
		goto fail;
	return split(&rt, &user);
fail:
	if (!err[0])
		snprintf(err, sizeof(err), "start-up failed: %s", strerror(-rc));
	/* --check-config speaks to a person at a terminal; a start, to the journal. */
	fprintf(stderr, "%scxl-agent: %s\n", opt.check ? "" : LOG_PREFIX_ERROR, err);
	if (!opt.check)
		notify_failed(err, -rc);
	runtime_release(&rt);
	return status;
}
