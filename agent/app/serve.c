#include "app/serve.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "app/notify.h"
#include "app/reload.h"
#include "core/poller.h"
#include "cxl/device.h"
#include "util/clock.h"
#include "util/log.h"

bool serve_healthy(const struct config *cfg, size_t ndevices, unsigned long long idle_ms)
{
	unsigned long long limit =
		2ull * ((unsigned long long)cfg->refresh_interval_ms +
			(ndevices + 1) * (unsigned long long)cfg->command_timeout_ms);

	return idle_ms <= limit;
}

static bool healthy(const struct serve_ctx *s)
{
	struct agent *ag = s->agent;
	unsigned long long idle;

	if (!ag->poller)
		return true;
	idle = poller_idle_ms(ag->poller);
	if (serve_healthy(s->cfg, cxl_devset_count(ag->devices), idle))
		return true;
	log_warn("watchdog: device refresh has not completed for %llu ms; not telling the service manager we are alive",
		 idle);
	return false;
}

static void ready(const struct serve_ctx *s)
{
	char status[128];

	snprintf(status, sizeof(status), "serving %zu %s device(s) on port %lld",
		 cxl_devset_count(s->agent->devices), cxl_devset_backend(s->agent->devices),
		 s->cfg->port);
	notify_ready(status);
}

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Stop accepting, give in-flight requests the grace period, then return. */
static void shutdown_server(const struct serve_ctx *s)
{
	struct timespec start, now, tick = { 0, 10 * 1000 * 1000 };
	long long grace_ms = s->cfg->shutdown_grace_ms;

	http_server_quiesce(s->server);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (http_server_inflight(s->server) > 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (clock_ms_between(&start, &now) >= grace_ms) {
			log_warn("shutdown: %u request(s) still running after %lld ms",
				 http_server_inflight(s->server), grace_ms);
			break;
		}
		nanosleep(&tick, NULL);
	}
}

static void reload(const struct serve_ctx *s)
{
	if (s->notify)
		notify_reloading();
	reload_apply(s->cfg, s->agent, s->server);
	if (s->notify)
		ready(s);
}

/* The watchdog is pinged every half interval while healthy, on a deadline,
 * so that frequent signals cannot starve it. The loop also wakes once per
 * log window, so a flood's summary line comes soon after its window ends
 * even when no line of its kind follows. */
int serve_run(const struct serve_ctx *s)
{
	uint64_t wd_usec = s->notify ? notify_watchdog_usec() : 0;
	uint64_t next_ping = monotonic_usec();
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (s->on_usr1)
		sigaddset(&set, SIGUSR1);
	if (s->notify)
		ready(s);
	for (;;) {
		uint64_t now = monotonic_usec();
		uint64_t wait = (uint64_t)log_flush_limited(0) * 1000000u;
		struct timespec tick;

		if (wd_usec && now >= next_ping) {
			if (healthy(s))
				notify_watchdog();
			next_ping = now + wd_usec / 2;
		}
		if (wd_usec && next_ping - now < wait)
			wait = next_ping > now ? next_ping - now : 0;
		tick.tv_sec = (time_t)(wait / 1000000u);
		tick.tv_nsec = (long)(wait % 1000000u) * 1000;
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig < 0)
			continue;
		if (sig == SIGHUP) {
			reload(s);
			continue;
		}
		if (sig == SIGUSR1) {
			s->on_usr1();
			continue;
		}
		log_info("signal %d: shutting down", sig);
		if (s->notify)
			notify_stopping();
		shutdown_server(s);
		log_flush_limited(1);
		return 0;
	}
}
