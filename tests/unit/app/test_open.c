/* agent_open()/agent_close(), as the daemon calls them: the state directory
 * gets its service UUID (stable across opens), the accounts file and the
 * audit log; the first open creates "admin" with the given password or a
 * generated one, later opens create nothing; the clock handed in is the one
 * sessions and accounts run on; settings kept over the API are read back;
 * the host's identity comes from the root the options name;
 * a configuration that cannot be opened fails
 * with a reason and leaves nothing behind (the sanitizer build checks). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/open.h"
#include "auth/accounts.h"
#include "auth/sessions.h"
#include "cxl/device.h"
#include "support/agent_fixture.h"

static int setup(void **state)
{
	struct test_agent *t;
	if (test_agent_prepare(&t))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	test_agent_close(*state);
	return 0;
}

static void load(struct test_agent *t, const char *extra)
{
	char text[1024], err[512] = "";

	snprintf(text, sizeof(text), "{\"state_dir\": \"%s\", \"backend\": \"emulated\"%s%s}",
		 t->dir, extra ? ", " : "", extra ? extra : "");
	config_release(&t->cfg);
	assert_int_equal(config_defaults(&t->cfg), 0);
	if (config_load_string(&t->cfg, "test", text, err, sizeof(err)))
		fail_msg("%s: %s", text, err);
}

static int mkdir_p(const char *path)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0700) && errno != EEXIST ? -errno : 0;
}

static bool exists(const char *dir, const char *leaf)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, leaf);
	return stat(path, &st) == 0;
}

static void test_first_and_second_open(void **state)
{
	struct test_agent *t = *state;
	struct agent_open_options opt = { .password_iterations = 1000,
					  .clock = &t->clock.source };
	char generated[32] = "x", err[512] = "", uuid[37];
	struct agent *ag = NULL;
	struct identity who;

	load(t, NULL);
	opt.generated = generated;
	opt.generated_len = sizeof(generated);
	if (agent_open(&t->cfg, &opt, &ag, err, sizeof(err)))
		fail_msg("agent_open: %s", err);
	assert_true(strlen(generated) >= 16);
	assert_int_equal(accounts_check_password(ag->accounts, "admin", generated, &who),
			 ACCOUNT_OK);
	assert_true(exists(t->dir, "service-uuid"));
	assert_true(exists(t->dir, "accounts.json"));
	assert_true(exists(t->dir, "audit"));
	assert_int_equal(strlen(ag->uuid), 36);
	assert_true(ag->clock == &t->clock.source);
	assert_true(cxl_devset_count(ag->devices) > 0);
	assert_null(ag->poller);
	assert_non_null(ag->router);
	assert_non_null(ag->sessions);
	assert_non_null(ag->authn);
	assert_non_null(ag->audit);
	assert_non_null(ag->queues);
	assert_non_null(ag->tasks);
	assert_non_null(ag->bodies);
	assert_int_equal(ag->started.tv_sec, t->clock.realtime.tv_sec);
	snprintf(uuid, sizeof(uuid), "%s", ag->uuid);
	agent_close(ag);

	/* Accounts exist now: nothing is created, the UUID stays. */
	opt.initial_admin_password = "another-password-1";
	if (agent_open(&t->cfg, &opt, &ag, err, sizeof(err)))
		fail_msg("agent_open again: %s", err);
	assert_string_equal(generated, "");
	assert_string_equal(ag->uuid, uuid);
	assert_int_equal(accounts_check_password(ag->accounts, "admin", "another-password-1", &who),
			 ACCOUNT_BAD_CREDENTIALS);
	agent_close(ag);
}

/* Sessions of an opened agent expire on the clock it was given. */
static void test_clock_reaches_sessions(void **state)
{
	struct test_agent *t = *state;
	struct agent_open_options opt = { .initial_admin_password = "first-password-1",
					  .password_iterations = 1000,
					  .clock = &t->clock.source };
	char err[512] = "", tok[SESSION_TOKEN_MAX];
	struct agent *ag = NULL;
	struct session_info si;

	load(t, "\"session_timeout_s\": 60");
	if (agent_open(&t->cfg, &opt, &ag, err, sizeof(err)))
		fail_msg("agent_open: %s", err);
	assert_int_equal(sessions_create(ag->sessions, "admin", "127.0.0.1", NULL, tok, sizeof(tok),
					 &si),
			 0);
	assert_int_equal(si.created, t->clock.realtime.tv_sec);
	fake_clock_advance(&t->clock, 59);
	assert_int_equal(sessions_count(ag->sessions), 1);
	fake_clock_advance(&t->clock, 1);
	assert_int_equal(sessions_count(ag->sessions), 0);
	agent_close(ag);
}

static void put(const char *dir, const char *leaf, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, leaf);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A SessionTimeout set over the API (kept in session-service.json) wins
 * over the configured one; a damaged file stops the open, placed. */
static void test_session_settings_kept(void **state)
{
	struct test_agent *t = *state;
	struct agent_open_options opt = { .initial_admin_password = "first-password-1",
					  .password_iterations = 1000 };
	char err[512] = "";
	struct agent *ag = NULL;

	load(t, "\"session_timeout_s\": 60");
	put(t->dir, "session-service.json", "{\"SessionTimeout\": 900}");
	if (agent_open(&t->cfg, &opt, &ag, err, sizeof(err)))
		fail_msg("agent_open: %s", err);
	assert_int_equal(sessions_timeout(ag->sessions), 900);
	agent_close(ag);

	put(t->dir, "session-service.json", "{\"SessionTimeout\": 900,\n \"Extra\": 1}");
	ag = NULL;
	assert_int_equal(agent_open(&t->cfg, &opt, &ag, err, sizeof(err)), -EINVAL);
	assert_null(ag);
	assert_non_null(strstr(err, "session-service.json:2:"));
}

/* The host's identity is read under the root the options name. */
static void test_host_identity_from_root(void **state)
{
	struct test_agent *t = *state;
	struct agent_open_options opt = { .initial_admin_password = "first-password-1",
					  .password_iterations = 1000,
					  .host_root = t->dir };
	char err[512] = "", dir[512];
	struct agent *ag = NULL;

	load(t, NULL);
	snprintf(dir, sizeof(dir), "%s/sys/class/dmi/id", t->dir);
	assert_int_equal(mkdir_p(dir), 0);
	put(t->dir, "sys/class/dmi/id/product_uuid", "4C4C4544-0042-3510-8052-B4C04F4A4B32\n");
	put(t->dir, "sys/class/dmi/id/chassis_serial", "CN7475\n");
	if (agent_open(&t->cfg, &opt, &ag, err, sizeof(err)))
		fail_msg("agent_open: %s", err);
	assert_string_equal(ag->host.uuid, "4c4c4544-0042-3510-8052-b4c04f4a4b32");
	assert_string_equal(ag->host.serial, "CN7475");
	agent_close(ag);
}

static void test_failures_are_reported(void **state)
{
	struct test_agent *t = *state;
	char err[512] = "", blocker[512];
	struct agent *ag = (struct agent *)&err; /* must stay untouched on failure */
	FILE *f;

	/* A catalogue that is not there, after the state was opened. */
	load(t, "\"policy_file\": \"/nonexistent/catalogue.json\"");
	assert_true(agent_open(&t->cfg, NULL, &ag, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent/catalogue.json"));
	assert_ptr_equal(ag, (struct agent *)&err);

	/* A state directory that is a file. */
	snprintf(blocker, sizeof(blocker), "%s/not-a-dir", t->dir);
	f = fopen(blocker, "w");
	assert_non_null(f);
	fclose(f);
	config_release(&t->cfg);
	assert_int_equal(config_defaults(&t->cfg), 0);
	{
		char text[1024];
		snprintf(text, sizeof(text), "{\"state_dir\": \"%s/sub\", \"backend\": \"emulated\"}",
			 blocker);
		assert_int_equal(config_load_string(&t->cfg, "test", text, err, sizeof(err)), 0);
	}
	err[0] = '\0';
	assert_true(agent_open(&t->cfg, NULL, &ag, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "state directory"));
	agent_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_and_second_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_reaches_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_settings_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_identity_from_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_are_reported, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
