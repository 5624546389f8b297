/* cxl-agent: serves the host's CXL memory devices as Redfish over HTTPS. */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/chain.h"
#include "auth/accounts.h"
#include "auth/authn.h"
#include "auth/password.h"
#include "auth/sessions.h"
#include "config/config.h"
#include "core/agent.h"
#include "core/commands.h"
#include "core/firstboot.h"
#include "core/notify.h"
#include "core/poller.h"
#include "core/reconcile.h"
#include "core/reload.h"
#include "core/tasks.h"
#include "core/uuid.h"
#include "cxl/device.h"
#include "http/server.h"
#include "http/tlsfiles.h"
#include "policy/catalogue.h"
#include "redfish/body_cache.h"
#include "redfish/router.h"
#include "redfish/routes.h"
#include "redfish/service.h"
#include "util/fileio.h"
#include "util/log.h"
#include "version.h"

#define CREDENTIAL_CACHE_TTL_S 60
/* Commands admitted per device (one running, the rest waiting). */
#define COMMANDS_WAITING_MAX 8
#define TASKS_MAX 64
/* URIs whose serialised bodies are kept (a few per device is plenty). */
#define BODY_CACHE_SLOTS 512
/* Background operations are polled this often, and declared lost after. */
#define TASK_POLL_MS 200
#define TASK_LIMIT_MS (15 * 60 * 1000)

static void usage(FILE *out)
{
	fputs("usage: cxl-agent [-c FILE] [--check-config] [--print-config] [--print-routes]\n"
	      "       cxl-agent --verify-audit DIR | --version | --help\n"
	      "  -c, --config FILE   JSON configuration (unknown keys are errors)\n"
	      "      --check-config  validate the configuration and the files it names, then exit\n"
	      "      --print-config  print the effective configuration (secrets redacted)\n"
	      "      --print-routes  print the route table (methods, URI, privileges) as JSON\n"
	      "      --verify-audit DIR  check the hash chain of the audit log in DIR\n"
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

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "print-config", no_argument, NULL, 'P' },
		{ "print-routes", no_argument, NULL, 'R' },
		{ "verify-audit", required_argument, NULL, 'A' },
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

/* Everything start-up opens, so one function can release it in order. */
struct runtime {
	struct config cfg;
	struct agent agent;
	char *cert_pem;
	char *key_pem;
	char *client_ca_pem;
	struct http_server *server;
	struct poller *poller;
	struct policy_catalogue *catalogue; /* loaded before any state is touched */
	int catalogue_ready;
};

static void runtime_release(struct runtime *rt)
{
	http_server_stop(rt->server);
	poller_stop(rt->poller);
	body_cache_free(rt->agent.bodies);
	tasks_free(rt->agent.tasks);
	command_queues_free(rt->agent.queues);
	audit_close(rt->agent.audit);
	if (rt->catalogue_ready)
		catalogue_cell_destroy(&rt->agent.catalogue);
	else if (rt->catalogue)
		catalogue_unref(rt->catalogue);
	cxl_devset_free(rt->agent.devices);
	authn_free(rt->agent.authn);
	sessions_free(rt->agent.sessions);
	accounts_free(rt->agent.accounts);
	router_free(rt->agent.router);
	free(rt->cert_pem);
	tls_free_secret(rt->key_pem);
	free(rt->client_ca_pem);
	config_release(&rt->cfg);
}

/* check: only validate what exists; a start creates the host's certificate
 * when none is configured. */
static int load_tls(struct runtime *rt, int check, char *err, size_t errlen)
{
	const struct config *cfg = &rt->cfg;
	char cert[4096], key[4096];
	int generated, rc;

	if ((rc = firstboot_tls_paths(cfg, cert, sizeof(cert), key, sizeof(key), &generated, err,
				      errlen)))
		return rc;
	if (check && generated && access(cert, F_OK) != 0 && access(key, F_OK) != 0) {
		printf("no tls_certificate configured: %s will be created on first start\n", cert);
	} else {
		if (!check && (rc = firstboot_tls(cfg, err, errlen)))
			return rc;
		if ((rc = tls_load_pair(cert, key, &rt->cert_pem, &rt->key_pem, err, errlen)))
			return rc;
	}
	if (cfg->tls_client_ca)
		rc = tls_load_ca(cfg->tls_client_ca, &rt->client_ca_pem, err, errlen);
	return rc;
}

/* Sessions and the authenticator over the accounts just opened. */
static int open_auth(const struct config *cfg, struct agent *ag, char *err, size_t errlen)
{
	struct authn_config ac = {
		.cache_ttl_s = CREDENTIAL_CACHE_TTL_S,
		.client_auth = !cfg->tls_client_ca			     ? AUTHN_CERT_OFF
			       : strcmp(cfg->tls_client_auth, "required") == 0 ? AUTHN_CERT_REQUIRED
			       : strcmp(cfg->tls_client_auth, "optional") == 0 ? AUTHN_CERT_OPTIONAL
									       : AUTHN_CERT_OFF,
		.cert_identity = strcmp(cfg->tls_client_identity, "san") == 0 ? CERTMAP_SAN : CERTMAP_CN,
		.failures_per_minute = (unsigned)cfg->auth_failures_per_minute,
	};
	int rc;

	if (strcmp(cfg->tls_client_auth, "off") != 0 && !cfg->tls_client_ca) {
		snprintf(err, errlen, "tls_client_auth \"%s\" needs tls_client_ca", cfg->tls_client_auth);
		return -EINVAL;
	}
	rc = sessions_new((unsigned)cfg->session_timeout_s, (unsigned)cfg->max_sessions,
			  (unsigned)cfg->max_sessions_per_user, &ag->sessions);
	return rc ? rc : authn_new(ag->accounts, ag->sessions, &ac, &ag->authn);
}

/* The first administrator: CXLA_INITIAL_ADMIN_PASSWORD, or a generated
 * password written to a file only the service user and root can read before
 * the account exists, so that a failed write never leaves an account nobody
 * can log in to. The password itself is never logged. */
static int bootstrap_admin(struct runtime *rt, const char *accounts_path, char *err,
			   size_t errlen)
{
	struct account_info *list = NULL;
	const char *given = getenv("CXLA_INITIAL_ADMIN_PASSWORD");
	char pw[32] = "", file[4096];
	size_t n = 0;
	int rc;

	if ((rc = accounts_list(rt->agent.accounts, &list, &n)))
		return rc;
	free(list);
	if (n > 0)
		return 0;
	if (!given) {
		if ((rc = password_generate(pw, 20)) ||
		    (rc = config_state_path(&rt->cfg, FIRSTBOOT_PASSWORD_FILE, file, sizeof(file))) ||
		    (rc = firstboot_password_file(file, pw))) {
			snprintf(err, errlen, "cannot write the initial administrator password: %s",
				 strerror(-rc));
			explicit_bzero(pw, sizeof(pw));
			return rc;
		}
	}
	rc = accounts_bootstrap(rt->agent.accounts, given ? given : pw, NULL, 0);
	explicit_bzero(pw, sizeof(pw));
	if (rc < 0) {
		snprintf(err, errlen, "cannot create the first account in %s: %s", accounts_path,
			 strerror(-rc));
		return rc;
	}
	if (given)
		log_info("created account \"admin\" (Administrator) with the password from CXLA_INITIAL_ADMIN_PASSWORD");
	else
		log_info("created account \"admin\" (Administrator); its password is in %s (mode 0600): log in, change it, delete the file",
			 file);
	return 0;
}

static int open_state(struct runtime *rt, char *err, size_t errlen)
{
	struct agent *ag = &rt->agent;
	char path[4096];
	int rc;

	rc = dir_ensure(rt->cfg.state_dir, 0700);
	if (rc) {
		snprintf(err, errlen, "cannot create state directory %s: %s", rt->cfg.state_dir,
			 strerror(-rc));
		return rc;
	}
	if ((rc = config_state_path(&rt->cfg, "service-uuid", path, sizeof(path))) ||
	    (rc = service_uuid_load(path, ag->uuid, sizeof(ag->uuid)))) {
		snprintf(err, errlen, "cannot keep the service UUID in %s: %s", path, strerror(-rc));
		return rc;
	}
	if ((rc = config_state_path(&rt->cfg, "accounts.json", path, sizeof(path))))
		return rc;
	rc = accounts_open(path, 0, &ag->accounts, err, errlen);
	if (rc)
		return rc;
	if ((rc = bootstrap_admin(rt, path, err, errlen)))
		return rc;
	return open_auth(&rt->cfg, ag, err, errlen);
}

static int open_devices(struct runtime *rt, char *err, size_t errlen)
{
	const struct config *cfg = &rt->cfg;
	struct cxl_devset_config dc = {
		.backend = strcmp(cfg->backend, "kernel") == 0	   ? CXL_BACKEND_KERNEL
			   : strcmp(cfg->backend, "emulated") == 0 ? CXL_BACKEND_EMULATED
								   : CXL_BACKEND_AUTO,
		.emulated_profile = cfg->emulated_profile,
		.state_dir = cfg->state_dir,
		.default_timeout_ms = (unsigned)cfg->command_timeout_ms,
		.refresh_interval_ms = (unsigned)cfg->refresh_interval_ms,
		.event_ring_size = (size_t)cfg->event_ring_size,
	};
	int rc = cxl_devset_open(&dc, &rt->agent.devices, &rt->agent.backend_why, err, errlen);
	if (rc)
		return rc;
	log_info("device backend: %s (%s), %zu device(s)", cxl_devset_backend(rt->agent.devices),
		 rt->agent.backend_why ? rt->agent.backend_why : "configured",
		 cxl_devset_count(rt->agent.devices));
	return 0;
}

/* The catalogue of approved commands: none configured means none approved.
 * A configured file must load cleanly, at start-up and on every reload. */
static int load_catalogue(const struct config *cfg, struct policy_catalogue **out, char *err,
			  size_t errlen)
{
	if (!cfg->policy_file) {
		*out = catalogue_new_empty();
		return *out ? 0 : -ENOMEM;
	}
	return catalogue_load(cfg->policy_file, out, err, errlen);
}

static int open_commands(struct runtime *rt, char *err, size_t errlen)
{
	struct agent *ag = &rt->agent;
	struct policy_catalogue *cat = rt->catalogue;
	char dir[4096];
	int rc;

	if ((rc = catalogue_cell_init(&ag->catalogue, cat)))
		return rc;
	rt->catalogue_ready = 1;
	if (rt->cfg.audit_dir)
		snprintf(dir, sizeof(dir), "%s", rt->cfg.audit_dir);
	else if ((rc = config_state_path(&rt->cfg, "audit", dir, sizeof(dir))))
		return rc;
	rc = audit_open(dir, (size_t)rt->cfg.audit_max_bytes, (unsigned)rt->cfg.audit_keep_files,
			&ag->audit);
	if (rc) {
		snprintf(err, errlen, "cannot open the audit log in %s: %s", dir, strerror(-rc));
		return rc;
	}
	if (strcmp(rt->cfg.audit_forward, "syslog") == 0)
		audit_forward_to_syslog(ag->audit);
	if ((rc = command_queues_new(cxl_devset_count(ag->devices), COMMANDS_WAITING_MAX,
				     &ag->queues)) ||
	    (rc = tasks_new(ag, TASKS_MAX, TASK_POLL_MS, TASK_LIMIT_MS, &ag->tasks)) ||
	    (rc = body_cache_new(BODY_CACHE_SLOTS, &ag->bodies)))
		return rc;
	log_info("%zu approved vendor command(s)%s%s", catalogue_count(cat),
		 rt->cfg.policy_file ? " from " : "", rt->cfg.policy_file ? rt->cfg.policy_file : "");
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

static int drop_privileges(const char *user, const char *state_dir, const char *audit_dir,
			   char *err, size_t errlen)
{
	struct passwd *pw;

	if (!user)
		return 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "user \"%s\" does not exist", user);
		return -ENOENT;
	}
	if (geteuid() == 0) {
		const char *dirs[] = { state_dir, audit_dir };
		for (size_t i = 0; i < 2; i++) {
			if (dirs[i] && chown_tree(dirs[i], pw) < 0) {
				snprintf(err, errlen, "chown -R %s: %s", dirs[i], strerror(errno));
				return -errno;
			}
		}
		if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
			snprintf(err, errlen, "cannot switch to user \"%s\": %s", user,
				 strerror(errno));
			return -errno;
		}
	} else if (geteuid() != pw->pw_uid) {
		snprintf(err, errlen, "not root: cannot switch to user \"%s\"", user);
		return -EPERM;
	}
	if (setuid(0) == 0 && pw->pw_uid != 0) {
		snprintf(err, errlen, "privileges could be regained after dropping them");
		return -EPERM;
	}
	log_info("running as user \"%s\" (uid %u)", user, (unsigned)pw->pw_uid);
	return 0;
}

/* Descriptors the agent keeps for itself (devices, audit, accounts, logs,
 * event pipes) besides its connections. */
#define FD_RESERVE 128

/* Idle connections are cheap; the descriptor limit is what runs out first.
 * Raise the soft limit to the hard one and, unless the configuration names
 * a connection limit, take what the descriptors allow. */
static unsigned connection_limit(const struct config *cfg)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("cannot raise the descriptor limit to %llu: %s",
				 (unsigned long long)want, strerror(errno));
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (cfg->connection_limit)
		return (unsigned)cfg->connection_limit;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576 + FD_RESERVE)
		return 1048576;
	return rl.rlim_cur > FD_RESERVE + 64 ? (unsigned)(rl.rlim_cur - FD_RESERVE) : 64;
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
		.client_auth = strcmp(cfg->tls_client_auth, "required") == 0   ? HTTP_CLIENT_AUTH_REQUIRED
			       : strcmp(cfg->tls_client_auth, "optional") == 0 ? HTTP_CLIENT_AUTH_OPTIONAL
									       : HTTP_CLIENT_AUTH_OFF,
		.threads = (unsigned)cfg->threads,
		.connection_limit = connection_limit(cfg),
		.connections_per_address = (unsigned)cfg->connections_per_address,
		.connection_timeout_s = (unsigned)cfg->connection_timeout_s,
		.max_body = (size_t)cfg->max_body_bytes,
	};
	log_info("connections: at most %u, %u from one address", hc.connection_limit,
		 hc.connections_per_address);
	return http_server_start(&hc, service_handle, &rt->agent, &rt->server, err, errlen);
}

/* Stop accepting, give in-flight requests the grace period, then close. */
static void shutdown_server(struct runtime *rt)
{
	struct timespec start, now, tick = { 0, 10 * 1000 * 1000 };
	long long grace_ms = rt->cfg.shutdown_grace_ms;

	http_server_quiesce(rt->server);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (http_server_inflight(rt->server) > 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >=
		    grace_ms) {
			log_warn("shutdown: %u request(s) still running after %lld ms",
				 http_server_inflight(rt->server), grace_ms);
			break;
		}
		nanosleep(&tick, NULL);
	}
}

/* Alive means the poller keeps finishing rounds over the devices: a round
 * may take a command timeout per device, so allow that twice over. */
static int healthy(struct runtime *rt)
{
	unsigned long long limit = 2ull * ((unsigned long long)rt->cfg.refresh_interval_ms +
					   (cxl_devset_count(rt->agent.devices) + 1) *
						   (unsigned long long)rt->cfg.command_timeout_ms);
	unsigned long long idle = poller_idle_ms(rt->poller);

	if (idle <= limit)
		return 1;
	log_warn("watchdog: device refresh has not completed for %llu ms; not telling the service manager we are alive",
		 idle);
	return 0;
}

static void ready(struct runtime *rt)
{
	char status[128];

	snprintf(status, sizeof(status), "serving %zu %s device(s) on port %lld",
		 cxl_devset_count(rt->agent.devices), cxl_devset_backend(rt->agent.devices),
		 rt->cfg.port);
	notify_ready(status);
}

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Signals are taken here, synchronously. The watchdog is pinged every half
 * interval while healthy, on a deadline so that frequent signals cannot
 * starve it. */
static int serve(struct runtime *rt)
{
	uint64_t wd_usec = notify_watchdog_usec();
	uint64_t next_ping = monotonic_usec();
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	ready(rt);
	for (;;) {
		uint64_t now = monotonic_usec();
		uint64_t wait = 3600ull * 1000000u;
		struct timespec tick;

		if (wd_usec && now >= next_ping) {
			if (healthy(rt))
				notify_watchdog();
			next_ping = now + wd_usec / 2;
		}
		if (wd_usec)
			wait = next_ping > now ? next_ping - now : 0;
		tick.tv_sec = (time_t)(wait / 1000000u);
		tick.tv_nsec = (long)(wait % 1000000u) * 1000;
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig < 0)
			continue;
		if (sig == SIGHUP) {
			struct reload_ctx r = { rt->cfg.source, &rt->cfg, rt->server,
						&rt->agent.catalogue };
			notify_reloading();
			reload_apply(&r);
			ready(rt);
			continue;
		}
		log_info("signal %d: shutting down", sig);
		notify_stopping();
		shutdown_server(rt);
		return 0;
	}
}

int main(int argc, char **argv)
{
	struct options opt;
	struct runtime rt;
	char err[8192] = "";
	enum log_level lvl;
	sigset_t set;
	int rc;

	memset(&rt, 0, sizeof(rt));
	if (parse_args(argc, argv, &opt))
		return 2;
	if (opt.routes)
		return print_routes();
	if (opt.verify_audit)
		return audit_verify_print(opt.verify_audit, stdout);
	if (config_defaults(&rt.cfg)) {
		fputs("cxl-agent: out of memory\n", stderr);
		return 1;
	}
	if (opt.config_path && config_load(&rt.cfg, opt.config_path, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		notify_failed(err, EINVAL);
		config_release(&rt.cfg);
		return 1;
	}
	if (opt.print) {
		char *dump = config_dump(&rt.cfg);
		puts(dump ? dump : "{}");
		free(dump);
		config_release(&rt.cfg);
		return dump ? 0 : 1;
	}
	if (log_level_parse(rt.cfg.log_level, &lvl) == 0)
		log_set_level(lvl);
	rt.agent.cfg = &rt.cfg;
	clock_gettime(CLOCK_REALTIME, &rt.agent.started);

	/* Everything that can be wrong in /etc is found before the state
	 * directory is touched: a failed start leaves it as it was. */
	if ((rc = load_catalogue(&rt.cfg, &rt.catalogue, err, sizeof(err))))
		goto fail;
	if ((rc = load_tls(&rt, opt.check, err, sizeof(err))))
		goto fail;
	if ((rc = router_new(agent_route_tables, agent_route_table_count,
			     &rt.agent.router, err, sizeof(err))))
		goto fail;
	if (opt.check) {
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
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((rc = open_state(&rt, err, sizeof(err))))
		goto fail;
	if ((rc = open_devices(&rt, err, sizeof(err))))
		goto fail;
	if ((rc = open_commands(&rt, err, sizeof(err))))
		goto fail;
	if ((rc = audit_reconcile(&rt.agent)) < 0)
		log_warn("audit: open commands not reconciled: %s", strerror(-rc));
	if ((rc = poller_start(rt.agent.devices, (unsigned)rt.cfg.refresh_interval_ms, &rt.poller)))
		goto fail;
	if ((rc = start_server(&rt, err, sizeof(err))))
		goto fail;
	if ((rc = drop_privileges(rt.cfg.user, rt.cfg.state_dir, rt.cfg.audit_dir, err,
				  sizeof(err))))
		goto fail;
	for (size_t i = 0; i < rt.cfg.listen_addresses_count; i++) {
		const char *a = rt.cfg.listen_addresses[i];
		log_info("listening on https://%s%s%s:%lld/redfish/v1", strchr(a, ':') ? "[" : "", a,
			 strchr(a, ':') ? "]" : "", rt.cfg.port);
	}
	rc = serve(&rt);
	runtime_release(&rt);
	log_info("stopped");
	return rc ? 1 : 0;
fail:
	if (!err[0])
		snprintf(err, sizeof(err), "start-up failed: %s", strerror(-rc));
	fprintf(stderr, "cxl-agent: %s\n", err);
	notify_failed(err, -rc);
	runtime_release(&rt);
	return 1;
}
