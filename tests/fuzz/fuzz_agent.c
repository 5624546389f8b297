#include "fuzz_agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/authn.h"
#include "auth/password.h"
#include "auth/privilege.h"
#include "auth/sessions.h"
#include "audit/audit.h"
#include "core/commands.h"
#include "core/tasks.h"
#include "cxl/device.h"
#include "redfish/body_cache.h"
#include "redfish/router.h"
#include "redfish/routes.h"
#include "redfish/service.h"
#include "util/base64.h"
#include "util/fileio.h"

/* The KDF cost the verifier spends on unknown users (so that timing does
 * not tell) would make every login with a made-up name take the time of 200
 * inputs. The fuzz targets are linked with --wrap=password_verify: a hash
 * at a cost above the fixture's is verified at the fixture's cost instead,
 * with the same salt and digest, so the outcome is unchanged. */
#define FUZZ_KDF_ITERATIONS 1000

int __real_password_verify(const char *password, const char *stored);
int __wrap_password_verify(const char *password, const char *stored);

int __wrap_password_verify(const char *password, const char *stored)
{
	static const char scheme[] = "pbkdf2-sha256$";
	char cheap[PASSWORD_HASH_MAX + 16];
	const char *rest;
	char *end;
	unsigned long cost;

	if (strncmp(stored, scheme, sizeof(scheme) - 1) != 0)
		return __real_password_verify(password, stored);
	cost = strtoul(stored + sizeof(scheme) - 1, &end, 10);
	if (cost <= FUZZ_KDF_ITERATIONS || *end != '$')
		return __real_password_verify(password, stored);
	rest = end + 1;
	snprintf(cheap, sizeof(cheap), "%s%d$%s", scheme, FUZZ_KDF_ITERATIONS, rest);
	return __real_password_verify(password, cheap);
}

/* One scratch directory per process, removed at exit. A fuzz target is a
 * process with one entry point and no teardown hook, so this is where its
 * state has to live. */
static char scratch_dir[128];
static struct fuzz_agent *the_agent;

static void remove_tree(void)
{
	char cmd[200];

	if (!scratch_dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", scratch_dir);
}

static void agent_close(struct fuzz_agent *f)
{
	authn_free(f->ag.authn);
	f->ag.authn = NULL;
	accounts_free(f->ag.accounts);
	f->ag.accounts = NULL;
}

static void at_exit(void)
{
	struct fuzz_agent *f = the_agent;

	if (f) {
		body_cache_free(f->ag.bodies);
		tasks_free(f->ag.tasks);
		command_queues_free(f->ag.queues);
		audit_close(f->ag.audit);
		agent_close(f);
		sessions_free(f->ag.sessions);
		router_free(f->ag.router);
		cxl_devset_free(f->ag.devices);
		catalogue_cell_destroy(&f->ag.catalogue);
		config_release(&f->cfg);
		free(f->baseline);
		free(f);
		the_agent = NULL;
	}
	remove_tree();
}

const char *fuzz_scratch_file(const char *leaf)
{
	static char path[256];
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	if (!scratch_dir[0]) {
		snprintf(scratch_dir, sizeof(scratch_dir), "%s/cxla-fuzz-XXXXXX", base);
		if (!mkdtemp(scratch_dir)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(at_exit);
	}
	snprintf(path, sizeof(path), "%s/%s", scratch_dir, leaf);
	return path;
}

static int agent_open(struct fuzz_agent *f)
{
	const struct authn_config ac = { .cache_ttl_s = 3600 };
	char err[512] = "";

	if (accounts_open(f->accounts_path, FUZZ_KDF_ITERATIONS, &f->ag.accounts, err, sizeof(err))) {
		fprintf(stderr, "fuzz: accounts_open: %s\n", err);
		return -1;
	}
	if (authn_new(f->ag.accounts, f->ag.sessions, &ac, &f->ag.authn))
		return -1;
	f->generation = accounts_generation(f->ag.accounts);
	return 0;
}

/* The accounts every body target needs: the administrator it calls as, an
 * account and a custom role to PATCH, and no lockout (a locked administrator
 * would turn every later input into a 401). */
static int baseline_accounts(struct fuzz_agent *f)
{
	const struct account_settings nolock = { 0, 0, 0 };
	struct account_info victim;
	char cred[96];
	char *b64;

	if (accounts_bootstrap(f->ag.accounts, FUZZ_ADMIN_PASSWORD, NULL, 0) != 1 ||
	    accounts_create(f->ag.accounts, FUZZ_VICTIM_USER, "victim-password-1", "ReadOnly",
			    true, &victim) ||
	    accounts_role_create(f->ag.accounts, FUZZ_CUSTOM_ROLE, PRIV_LOGIN | PRIV_CONFIGURE_SELF,
				 NULL) ||
	    accounts_settings_set(f->ag.accounts, &nolock, NULL))
		return -1;
	snprintf(f->victim_id, sizeof(f->victim_id), "%s", victim.id);
	snprintf(cred, sizeof(cred), "admin:%s", FUZZ_ADMIN_PASSWORD);
	b64 = base64_encode((const uint8_t *)cred, strlen(cred));
	if (!b64)
		return -1;
	snprintf(f->admin_auth, sizeof(f->admin_auth), "Basic %s", b64);
	free(b64);
	return file_read_all(f->accounts_path, 1 << 20, &f->baseline, &f->baseline_len);
}

static int devices_open(struct fuzz_agent *f)
{
	struct cxl_devset_config dc = { .backends = { "emulated" },
					.default_timeout_ms = 2000,
					.refresh_interval_ms = 3600 * 1000,
					.event_ring_size = 16 };
	struct policy_catalogue *cat = NULL;
	struct cxl_dev_info info;
	const char *why = NULL;
	char path[512], err[512] = "";
	const char *src = getenv("CXLA_SOURCE_DIR");

	snprintf(path, sizeof(path), "%s/packaging/policy.example.json", src ? src : CXLA_SOURCE_DIR);
	if (catalogue_load(path, &cat, err, sizeof(err)) ||
	    catalogue_cell_init(&f->ag.catalogue, cat)) {
		fprintf(stderr, "fuzz: catalogue: %s\n", err);
		return -1;
	}
	if (cxl_devset_open(&dc, &f->ag.devices, &why, err, sizeof(err)) ||
	    cxl_devset_info(f->ag.devices, 0, &info)) {
		fprintf(stderr, "fuzz: devices: %s\n", err);
		return -1;
	}
	snprintf(f->device_id, sizeof(f->device_id), "%s", info.id);
	return 0;
}

struct fuzz_agent *fuzz_agent_new(int with_devices)
{
	struct fuzz_agent *f = calloc(1, sizeof(*f));
	struct tasks_params tp = { 64, 200, 15 * 60 * 1000, 10 * 60, NULL };
	char err[512] = "";

	if (!f)
		abort();
	the_agent = f;
	snprintf(f->accounts_path, sizeof(f->accounts_path), "%s",
		 fuzz_scratch_file("accounts.json"));
	if (config_defaults(&f->cfg))
		abort();
	f->ag.cfg = &f->cfg;
	snprintf(f->ag.uuid, sizeof(f->ag.uuid), "00000000-0000-4000-8000-000000000000");
	clock_gettime(CLOCK_REALTIME, &f->ag.started);
	if (router_new(agent_route_tables, agent_route_table_count, &f->ag.router, err,
		       sizeof(err))) {
		fprintf(stderr, "fuzz: router_new: %s\n", err);
		abort();
	}
	if (sessions_new(1800, 64, 8, &f->ag.sessions) || agent_open(f) ||
	    baseline_accounts(f))
		abort();
	if (with_devices ? devices_open(f) : catalogue_cell_init(&f->ag.catalogue,
								 catalogue_new_empty()))
		abort();
	/* the rest of what main.c builds, with its limits */
	if (audit_open(fuzz_scratch_file("audit"), 1 << 20, 2, &f->ag.audit) ||
	    command_queues_new(f->ag.devices ? cxl_devset_count(f->ag.devices) : 0, 8,
			       &f->ag.queues) ||
	    tasks_new(&f->ag, &tp, &f->ag.tasks) ||
	    body_cache_new(512, &f->ag.bodies))
		abort();
	f->generation = accounts_generation(f->ag.accounts);
	return f;
}

int fuzz_agent_call(struct fuzz_agent *f, const struct http_request *req)
{
	struct http_response resp;
	int status;

	http_response_init(&resp);
	service_handle(&f->ag, req, &resp);
	status = resp.status;
	http_response_release(&resp);
	return status;
}

void fuzz_agent_reset(struct fuzz_agent *f)
{
	struct session_info *list = NULL;
	size_t n = 0;

	if (sessions_list(f->ag.sessions, &list, &n))
		abort();
	for (size_t i = 0; i < n; i++)
		sessions_delete(f->ag.sessions, list[i].id);
	free(list);
	if (accounts_generation(f->ag.accounts) == f->generation)
		return;
	agent_close(f);
	if (file_write_atomic(f->accounts_path, f->baseline, f->baseline_len, 0600) ||
	    agent_open(f))
		abort();
}
