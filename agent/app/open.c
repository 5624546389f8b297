#include "app/open.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/firstboot.h"
#include "audit/audit.h"
#include "auth/accounts.h"
#include "auth/authn.h"
#include "auth/sessions.h"
#include "core/commands.h"
#include "core/host.h"
#include "core/poller.h"
#include "core/reconcile.h"
#include "events/bus.h"
#include "events/event_ids.h"
#include "events/device_watch.h"
#include "events/sources.h"
#include "events/messages.h"
#include "events/sse.h"
#include "events/subscriptions.h"
#include "metrics/metrics.h"
#include "core/tasks.h"
#include "core/uuid.h"
#include "cxl/device.h"
#include "redfish/body_cache.h"
#include "redfish/resource.h"
#include "redfish/router.h"
#include "redfish/routes.h"
#include "util/fileio.h"
#include "util/log.h"

#define CREDENTIAL_CACHE_TTL_S 60
/* Commands admitted per device (one running, the rest waiting). */
#define COMMANDS_WAITING_MAX 8
#define TASKS_MAX 64
/* URIs whose serialised bodies are kept (a few per device is plenty). */
#define BODY_CACHE_SLOTS 512
/* Background operations are polled this often, and declared lost after. */
#define TASK_POLL_MS 200
#define TASK_LIMIT_MS (15 * 60 * 1000)
/* A task monitor answers with the final response this long after the end:
 * time for a client polling slowly, bounded since tasks are few. */
#define TASK_MONITOR_KEEP_S (10 * 60)

int agent_router_new(struct router **out, char *err, size_t errlen)
{
	return router_new(agent_route_tables, agent_route_table_count, out, err, errlen);
}

/* Half the CPUs run password checks: a flood of logins then leaves the
 * other half to the HTTP threads. */
static unsigned kdf_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 1 ? (unsigned)(n / 2) : 1;
}

/* Places in the session table kept for accounts with ConfigureManager or
 * ConfigureUsers: one administrator's worth (max_sessions_per_user), at
 * most an eighth of the table, at least one. Reserving rather than evicting
 * means nobody's session is ever ended to make room for another's. */
static unsigned session_reserve(const struct config *cfg)
{
	long long r = cfg->max_sessions / 8;

	if (r > cfg->max_sessions_per_user)
		r = cfg->max_sessions_per_user;
	return (unsigned)(r > 0 ? r : 1);
}

/* Sessions and the authenticator over the accounts just opened. */
static int open_auth(const struct config *cfg, struct agent *ag, char *err, size_t errlen)
{
	struct authn_config ac = {
		.cache_ttl_s = CREDENTIAL_CACHE_TTL_S,
		.client_auth = cfg->tls_client_ca ? cfg->tls_client_auth : HTTP_CLIENT_AUTH_OFF,
		.cert_identity = cfg->tls_client_identity,
		.failures_per_minute = (unsigned)cfg->auth_failures_per_minute,
		.clock = ag->clock,
		.kdf_threads = kdf_threads(),
	};
	char path[4096];
	int rc;

	/* config.c refuses tls_client_auth without tls_client_ca. */
	rc = sessions_new((unsigned)cfg->session_timeout_s, (unsigned)cfg->max_sessions,
			  (unsigned)cfg->max_sessions_per_user, &ag->sessions);
	if (rc)
		return rc;
	sessions_set_clock(ag->sessions, ag->clock);
	sessions_set_reserve(ag->sessions, session_reserve(cfg));
	/* SessionTimeout set over the API outlives restarts and wins over the
	 * configured default. */
	if ((rc = config_state_path(cfg, "session-service.json", path, sizeof(path))))
		return rc;
	if ((rc = sessions_open_store(ag->sessions, path, err, errlen)))
		return rc;
	return authn_new(ag->accounts, ag->sessions, &ac, &ag->authn);
}

static int open_accounts(const struct config *cfg, const struct agent_open_options *opt,
			 struct agent *ag, char *err, size_t errlen)
{
	char path[4096];
	int rc;

	if ((rc = config_state_path(cfg, "accounts.json", path, sizeof(path))))
		return rc;
	rc = accounts_open(path, opt->password_iterations, &ag->accounts, err, errlen);
	if (rc)
		return rc;
	accounts_set_clock(ag->accounts, ag->clock);
	rc = firstboot_admin(cfg, ag->accounts, opt->initial_admin_password, opt->generated,
			     opt->generated_len, err, errlen);
	return rc < 0 ? rc : 0;
}

static int open_state(const struct config *cfg, const struct agent_open_options *opt,
		      struct agent *ag, char *err, size_t errlen)
{
	char path[4096];
	int rc;

	rc = dir_ensure(cfg->state_dir, 0700);
	if (rc) {
		snprintf(err, errlen, "cannot create state directory %s: %s", cfg->state_dir,
			 strerror(-rc));
		return rc;
	}
	if ((rc = config_state_path(cfg, "service-uuid", path, sizeof(path))) ||
	    (rc = service_uuid_load(path, ag->uuid, sizeof(ag->uuid)))) {
		snprintf(err, errlen, "cannot keep the service UUID in %s: %s", path,
			 rc == -EBADMSG ? "it holds no UUID (remove it to have a new one made)"
					: file_refusal(rc));
		return rc;
	}
	if (opt->host_root)
		log_warn("host identity read under %s", opt->host_root);
	if ((rc = host_identity_read(opt->host_root, &ag->host))) {
		snprintf(err, errlen, "host identity under %s: %s", opt->host_root,
			 strerror(-rc));
		return rc;
	}
	if (!ag->host.uuid[0])
		log_warn("no system UUID: neither the DMI product UUID nor /etc/machine-id is "
			 "readable");
	if ((rc = open_accounts(cfg, opt, ag, err, errlen)))
		return rc;
	return open_auth(cfg, ag, err, errlen);
}

static int open_devices(const struct config *cfg, const struct agent_open_options *opt,
			struct agent *ag, char *err, size_t errlen)
{
	struct cxl_devset_config dc = {
		.backends = { cfg->backend },
		.emulated_profile = cfg->emulated_profile,
		.state_dir = cfg->state_dir,
		.default_timeout_ms = (unsigned)cfg->command_timeout_ms,
		.refresh_interval_ms = (unsigned)cfg->refresh_interval_ms,
		.event_ring_size = (size_t)cfg->event_ring_size,
		.mctp_endpoints = (const char *const *)cfg->mctp_endpoints,
		.mctp_endpoint_count = cfg->mctp_endpoints_count,
		.mctp_timeout_ms = (unsigned)cfg->mctp_timeout_ms,
		.mctp_retries = (unsigned)cfg->mctp_retries,
		.kernel_trace = opt->kernel_trace,
	};
	/* Endpoints add MCTP devices beside whatever backend is named, so a
	 * host's kernel or emulated devices and its MCTP ones share one set. */
	if (cfg->mctp_endpoints_count && strcmp(cfg->backend, "mctp") != 0)
		dc.backends[1] = "mctp";
	int rc = cxl_devset_open(&dc, &ag->devices, &ag->backend_why, err, errlen);
	if (rc)
		return rc;
	log_info("device backend: %s (%s), %zu device(s)", cxl_devset_backend(ag->devices),
		 ag->backend_why ? ag->backend_why : "configured", cxl_devset_count(ag->devices));
	return 0;
}

int agent_catalogue_load(const struct config *cfg, struct policy_catalogue **out, char *err,
			 size_t errlen)
{
	if (!cfg->policy_file) {
		*out = catalogue_new_empty();
		return *out ? 0 : -ENOMEM;
	}
	return catalogue_load(cfg->policy_file, out, err, errlen);
}

/* Tasks, with ids continuing after the last block reserved before a restart. */
static int open_tasks(const struct config *cfg, struct agent *ag, char *err, size_t errlen)
{
	struct tasks_params tp = { TASKS_MAX, TASK_POLL_MS, TASK_LIMIT_MS, TASK_MONITOR_KEEP_S,
				   NULL };
	char path[4096];
	int rc;

	if ((rc = config_state_path(cfg, "task-id", path, sizeof(path))))
		return rc;
	tp.id_path = path;
	if ((rc = tasks_new(ag, &tp, &ag->tasks))) {
		snprintf(err, errlen, "task ids from %s: %s", path,
			 rc == -EBADMSG ? "not an id bound; ids could repeat"
					: file_refusal(rc));
		return rc;
	}
	/* The bus is closed after the tasks, whose abandonment at shutdown
	 * is announced too. */
	tasks_observe(ag->tasks, events_task, ag->events);
	return 0;
}

static int open_commands(const struct config *cfg, const struct agent_open_options *opt,
			 struct agent *ag, char *err, size_t errlen)
{
	struct policy_catalogue *cat = opt->part == AGENT_FRONT ? opt->catalogue : NULL;
	char dir[4096], file[4096 + 32];
	int rc;

	if (!cat && (rc = agent_catalogue_load(cfg, &cat, err, errlen)))
		return rc;
	if ((rc = catalogue_cell_init(&ag->catalogue, cat))) {
		catalogue_unref(cat);
		return rc;
	}
	ag->catalogue_ready = true;
	if (opt->part == AGENT_FRONT)
		goto queues; /* the audit log is the broker's */
	if (cfg->audit_dir)
		snprintf(dir, sizeof(dir), "%s", cfg->audit_dir);
	else if ((rc = config_state_path(cfg, "audit", dir, sizeof(dir))))
		return rc;
	rc = audit_open_naming(dir, (size_t)cfg->audit_max_bytes,
			       (unsigned)cfg->audit_keep_files, &ag->audit, file, sizeof(file));
	if (rc) {
		/* The file at fault, or the directory itself (said once). */
		snprintf(err, errlen, "cannot open the audit log in %s: %s%s%s", dir,
			 strcmp(file, dir) ? file : "", strcmp(file, dir) ? ": " : "",
			 rc == -EINVAL || rc == -EISDIR
				 ? "not a regular file (a FIFO, device or directory in the "
				   "place of a log file)"
				 : file_refusal(rc));
		return rc;
	}
	if (cfg->audit_forward == AUDIT_FORWARD_SYSLOG)
		audit_forward_to_syslog(ag->audit);
queues:
	/* Tasks are followed where they are shown: not in the broker. */
	if (opt->part != AGENT_BROKER && (rc = open_tasks(cfg, ag, err, errlen)))
		return rc;
	if ((rc = command_queues_new(cxl_devset_count(ag->devices), COMMANDS_WAITING_MAX,
				     &ag->queues)) ||
	    (rc = body_cache_new(BODY_CACHE_SLOTS, &ag->bodies)))
		return rc;
	log_info("%zu approved vendor command(s)%s%s", catalogue_count(cat),
		 cfg->policy_file ? " from " : "", cfg->policy_file ? cfg->policy_file : "");
	return 0;
}

/* Event ids start above every id of an earlier start (the clock, or the
 * mark reserved then when the clock was set back), so that a client's
 * Last-Event-ID from before a restart never names a newer event. */
static int open_event_bus(const struct config *cfg, struct agent *ag, char *err, size_t errlen)
{
	char path[4096];
	uint64_t first = 0;
	int rc;

	if ((rc = config_state_path(cfg, "event-id", path, sizeof(path))))
		return rc;
	if ((rc = event_ids_seed(ag->clock, path, &first))) {
		snprintf(err, errlen, "event ids from %s: %s", path,
			 rc == -EBADMSG ? "not an id mark; ids could repeat"
					: file_refusal(rc));
		return rc;
	}
	if ((rc = event_bus_new((size_t)cfg->event_replay_size, first, &ag->events)))
		return rc;
	if ((rc = event_bus_keep_ids(ag->events, path)))
		snprintf(err, errlen, "event ids: cannot write %s: %s", path, strerror(-rc));
	return rc;
}

static int open_events(const struct config *cfg, struct agent *ag, char *err, size_t errlen)
{
	char path[4096];
	struct subscriptions_config sc = {
		.path = path,
		.ca_file = cfg->event_destination_ca,
		.max = (unsigned)cfg->max_subscriptions,
		.retry_attempts = (unsigned)cfg->delivery_retry_attempts,
		.retry_interval_s = (unsigned)cfg->delivery_retry_interval_s,
		.queue_len = (unsigned)cfg->event_queue_len,
		.timeout_s = (unsigned)cfg->delivery_timeout_s,
		.uri_base = "/redfish/v1/EventService/Subscriptions",
	};
	int rc;

	if ((rc = metrics_new(&ag->metrics)) || (rc = open_event_bus(cfg, ag, err, errlen)))
		return rc;
	rc = sse_hub_new(ag->events, (unsigned)cfg->sse_max_streams,
			 (unsigned)cfg->sse_keepalive_s, (unsigned)cfg->event_queue_len, &ag->sse);
	if (rc || (rc = config_state_path(cfg, "subscriptions.json", path, sizeof(path))))
		return rc;
	return subscriptions_open(&sc, ag->events, &ag->subs, err, errlen);
}

/* The poller refreshes the devices; the watch turns what changed between
 * its rounds into events. */
static int start_poller(const struct config *cfg, struct agent *ag)
{
	int rc = device_watch_new(ag->devices, ag->events, &ag->watch);
	if (rc)
		return rc;
	return poller_start_observed(ag->devices, (unsigned)cfg->refresh_interval_ms,
				     device_watch_poll, ag->watch, &ag->poller);
}

int agent_open(const struct config *cfg, const struct agent_open_options *opt,
	       struct agent **out, char *err, size_t errlen)
{
	static const struct agent_open_options defaults = { 0 };
	struct agent *ag = calloc(1, sizeof(*ag));
	int rc;

	if (!ag) {
		if (opt && opt->part == AGENT_FRONT) {
			cxl_devset_free(opt->devices);
			catalogue_unref(opt->catalogue);
		}
		return -ENOMEM;
	}
	if (!opt)
		opt = &defaults;
	ag->cfg = cfg;
	ag->remote = opt->remote;
	ag->remote_ctx = opt->remote_ctx;
	if (opt->part == AGENT_FRONT)
		ag->devices = opt->devices;
	ag->clock = opt->clock ? opt->clock : clock_system();
	clock_realtime(ag->clock, &ag->started);
	if (opt->part == AGENT_BROKER) {
		if ((rc = dir_ensure(cfg->state_dir, 0700))) {
			snprintf(err, errlen, "cannot create state directory %s: %s",
				 cfg->state_dir, strerror(-rc));
			goto fail;
		}
	} else if ((rc = agent_router_new(&ag->router, err, errlen)) ||
		   (rc = open_state(cfg, opt, ag, err, errlen)) ||
		   (rc = open_events(cfg, ag, err, errlen))) {
		goto fail;
	}
	if ((opt->part != AGENT_FRONT && (rc = open_devices(cfg, opt, ag, err, errlen))) ||
	    (rc = open_commands(cfg, opt, ag, err, errlen)))
		goto fail;
	/* Commands the audit log leaves open (a crash) are closed before any
	 * new one is admitted. */
	if (opt->part != AGENT_FRONT && (rc = audit_reconcile(ag)) < 0)
		log_warn("audit: open commands not reconciled: %s", strerror(-rc));
	/* ...and are on disk before the service answers anybody: a front
	 * started beside the broker is ready the moment the broker is. */
	if (opt->part != AGENT_FRONT && (rc = audit_sync(ag->audit)) < 0)
		log_warn("audit: start-up records not synced: %s", strerror(-rc));
	/* The front's devices change only when the broker's pushes arrive: its
	 * session (broker/client.c) runs the watch after each of them. */
	if (opt->part == AGENT_FRONT && (rc = device_watch_new(ag->devices, ag->events, &ag->watch)))
		goto fail;
	if (opt->poller && opt->part != AGENT_FRONT && (rc = start_poller(cfg, ag)))
		goto fail;
	*out = ag;
	return 0;
fail:
	if (opt->part == AGENT_FRONT && !ag->catalogue_ready)
		catalogue_unref(opt->catalogue);
	agent_close(ag);
	return rc;
}

void agent_close(struct agent *ag)
{
	if (!ag)
		return;
	poller_stop(ag->poller);
	device_watch_free(ag->watch);
	sse_hub_free(ag->sse);
	subscriptions_close(ag->subs);
	body_cache_free(ag->bodies);
	tasks_free(ag->tasks);
	command_queues_free(ag->queues);
	audit_close(ag->audit);
	if (ag->catalogue_ready)
		catalogue_cell_destroy(&ag->catalogue);
	cxl_devset_free(ag->devices);
	authn_free(ag->authn);
	sessions_free(ag->sessions);
	accounts_free(ag->accounts);
	router_free(ag->router);
	/* Last: every part above may publish until it is gone. */
	event_bus_free(ag->events);
	metrics_free(ag->metrics);
	free(ag);
}
