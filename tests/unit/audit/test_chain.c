/* The audit hash chain: every record links to the one before, across
 * reopen, torn lines and rotation; changing, removing or reordering a
 * record is found at the first record whose link no longer holds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "audit/audit.h"
#include "audit/chain.h"
#include "support/tmpdir.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tmpdir_make(f->dir, sizeof(f->dir), "chain")) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/audit.log", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (tmpdir_remove(f->dir))
		return -1;
	free(f);
	return 0;
}

static void write_records(const char *dir, size_t max_bytes, unsigned keep, int n)
{
	struct audit_log *log;
	char id[AUDIT_ID_MAX];

	assert_int_equal(audit_open(dir, max_bytes, keep, &log), 0);
	for (int i = 0; i < n; i++) {
		struct audit_intent in = { .user = i % 2 ? "alice" : "bob", .device = "dev",
					   .opcode = (uint16_t)(0xC000 + i), .payload = "x",
					   .payload_len = 1, .allowed = 1, .reason = "Allowed" };
		struct audit_result res = { .intent_id = id, .mbox_rc = 0, .duration_us = 5 };
		assert_int_equal(audit_intent(log, &in, id), 0);
		assert_int_equal(audit_result(log, &res, NULL), 0);
	}
	audit_close(log);
}

/* The file's lines as a NULL-terminated array of new strings. */
static char **read_lines(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "r");
	char **lines = calloc(4096, sizeof(*lines));
	char *line = NULL;
	size_t cap = 0;

	assert_non_null(fp);
	*n = 0;
	while (getline(&line, &cap, fp) > 0 && *n < 4095)
		lines[(*n)++] = strdup(line);
	free(line);
	fclose(fp);
	return lines;
}

static void write_lines(const char *path, char **lines, size_t n)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	for (size_t i = 0; i < n; i++)
		if (lines[i])
			fputs(lines[i], fp);
	fclose(fp);
}

static void free_lines(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

static void test_intact_and_head(void **state)
{
	struct fixture *f = *state;
	struct audit_verify_report rep;
	struct audit_log *log;
	char head[AUDIT_CHAIN_HEX];
	json_t *first;
	size_t n;
	char **lines;

	write_records(f->dir, 0, 0, 5);
	assert_int_equal(audit_verify(f->dir, &rep), 0);
	assert_int_equal(rep.records, 10);
	assert_int_equal(rep.torn, 0);
	assert_string_equal(rep.first_prev, AUDIT_CHAIN_GENESIS);
	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	audit_chain_head(log, head);
	audit_close(log);
	assert_string_equal(head, rep.head);
	/* The head is the hash of the last line as written. */
	lines = read_lines(f->path, &n);
	assert_int_equal(audit_chain_hash(lines[n - 1], strlen(lines[n - 1]) - 1, head), 0);
	assert_string_equal(head, rep.head);
	first = json_loads(lines[0], 0, NULL);
	assert_string_equal(json_string_value(json_object_get(first, "prev_sha256")),
			    AUDIT_CHAIN_GENESIS);
	json_decref(first);
	free_lines(lines, n);
	assert_int_equal(audit_verify_print(f->dir, fopen("/dev/null", "w")), 0);
}

static void test_reopen_continues_chain(void **state)
{
	struct fixture *f = *state;
	struct audit_verify_report rep;

	write_records(f->dir, 0, 0, 3);
	write_records(f->dir, 0, 0, 3);
	assert_int_equal(audit_verify(f->dir, &rep), 0);
	assert_int_equal(rep.records, 12);
}

static void expect_broken_at(const char *dir, size_t line)
{
	struct audit_verify_report rep;
	FILE *devnull = fopen("/dev/null", "w");

	assert_int_equal(audit_verify(dir, &rep), 1);
	assert_string_equal(rep.broken_file, "audit.log");
	assert_int_equal(rep.broken_line, line);
	assert_true(rep.broken_why[0] != '\0');
	assert_int_equal(audit_verify_print(dir, devnull), 1);
	fclose(devnull);
}

static void test_changed_record_found(void **state)
{
	struct fixture *f = *state;
	size_t n;
	char **lines, *p;

	write_records(f->dir, 0, 0, 4);
	lines = read_lines(f->path, &n);
	/* line 3 (an intent by alice) now names somebody else: line 4 no
	 * longer links to it */
	p = strstr(lines[2], "\"alice\"");
	assert_non_null(p);
	p[5] = 'f';
	write_lines(f->path, lines, n);
	free_lines(lines, n);
	expect_broken_at(f->dir, 4);
}

static void test_removed_record_found(void **state)
{
	struct fixture *f = *state;
	size_t n;
	char **lines;

	write_records(f->dir, 0, 0, 4);
	lines = read_lines(f->path, &n);
	free(lines[4]);
	lines[4] = NULL;
	write_lines(f->path, lines, n);
	free_lines(lines, n);
	expect_broken_at(f->dir, 5);
}

static void test_reordered_records_found(void **state)
{
	struct fixture *f = *state;
	size_t n;
	char **lines, *tmp;

	write_records(f->dir, 0, 0, 4);
	lines = read_lines(f->path, &n);
	tmp = lines[5];
	lines[5] = lines[6];
	lines[6] = tmp;
	write_lines(f->path, lines, n);
	free_lines(lines, n);
	expect_broken_at(f->dir, 6);
}

static void test_last_record_changed_shows_in_head(void **state)
{
	struct fixture *f = *state;
	struct audit_verify_report before, after;
	size_t n;
	char **lines, *p;

	write_records(f->dir, 0, 0, 2);
	assert_int_equal(audit_verify(f->dir, &before), 0);
	lines = read_lines(f->path, &n);
	p = strstr(lines[n - 1], "\"duration_us\":5");
	assert_non_null(p);
	p[14] = '6';
	write_lines(f->path, lines, n);
	free_lines(lines, n);
	/* Nothing follows the last record, but the head no longer matches the
	 * one published (or forwarded) before. */
	assert_int_equal(audit_verify(f->dir, &after), 0);
	assert_string_not_equal(before.head, after.head);
}

static void test_torn_line_passed_over(void **state)
{
	struct fixture *f = *state;
	struct audit_verify_report rep;
	FILE *fp;

	write_records(f->dir, 0, 0, 2);
	fp = fopen(f->path, "a");
	fputs("{\"id\":\"99\",\"type\":\"Inte", fp);
	fclose(fp);
	/* The next writer starts a new line and links past the torn one. */
	write_records(f->dir, 0, 0, 2);
	assert_int_equal(audit_verify(f->dir, &rep), 0);
	assert_int_equal(rep.torn, 1);
	assert_int_equal(rep.records, 8);
}

static void test_chain_runs_across_rotation(void **state)
{
	struct fixture *f = *state;
	struct audit_verify_report rep;
	char rotated[160];
	size_t n;
	char **lines;

	write_records(f->dir, 1024, 50, 20);
	snprintf(rotated, sizeof(rotated), "%s.3", f->path);
	assert_int_equal(access(rotated, F_OK), 0);
	assert_int_equal(audit_verify(f->dir, &rep), 0);
	assert_int_equal(rep.records, 40);
	/* remove a record in a rotated file: found there */
	snprintf(rotated, sizeof(rotated), "%s.2", f->path);
	lines = read_lines(rotated, &n);
	assert_true(n >= 2);
	free(lines[0]);
	lines[0] = NULL;
	write_lines(rotated, lines, n);
	free_lines(lines, n);
	assert_int_equal(audit_verify(f->dir, &rep), 1);
	assert_string_equal(rep.broken_file, "audit.log.2");
	assert_int_equal(rep.broken_line, 1);
}

static void test_oldest_file_rotated_away(void **state)
{
	struct fixture *f = *state;
	struct audit_verify_report rep;

	/* keep 1: older files are gone; the oldest kept record links to a
	 * record that no longer exists, which is not a break. */
	write_records(f->dir, 1024, 1, 20);
	assert_int_equal(audit_verify(f->dir, &rep), 0);
	assert_true(rep.records < 40);
	assert_string_not_equal(rep.first_prev, AUDIT_CHAIN_GENESIS);
}

static void test_records_from_before_the_chain(void **state)
{
	struct fixture *f = *state;
	struct audit_verify_report rep;
	FILE *fp;
	size_t n;
	char **lines;

	fp = fopen(f->path, "w");
	fputs("{\"id\":\"1\",\"type\":\"Intent\",\"time\":\"2025-01-01T00:00:00.000Z\"}\n", fp);
	fputs("{\"id\":\"2\",\"type\":\"Result\",\"time\":\"2025-01-01T00:00:00.001Z\"}\n", fp);
	fclose(fp);
	write_records(f->dir, 0, 0, 1);
	assert_int_equal(audit_verify(f->dir, &rep), 0);
	assert_int_equal(rep.unchained, 2);
	assert_int_equal(rep.records, 4);
	/* an unchained record after chained ones is a break */
	lines = read_lines(f->path, &n);
	fp = fopen(f->path, "a");
	fputs(lines[0], fp);
	fclose(fp);
	free_lines(lines, n);
	expect_broken_at(f->dir, 5);
}

static void test_unreadable_dir(void **state)
{
	struct fixture *f = *state;
	struct audit_verify_report rep;
	char path[160];

	/* no files at all: nothing to break */
	assert_int_equal(audit_verify(f->dir, &rep), 0);
	assert_int_equal(rep.records, 0);
	snprintf(path, sizeof(path), "%s/audit.log", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(audit_verify(f->dir, &rep) < 0);
	assert_int_equal(audit_verify_print(f->dir, fopen("/dev/null", "w")), 2);
}

struct forwarded {
	char lines[64][1024];
	size_t n;
};

static void collect(void *ctx, const char *line)
{
	struct forwarded *fw = ctx;
	if (fw->n < 64)
		snprintf(fw->lines[fw->n++], sizeof(fw->lines[0]), "%s", line);
}

static void test_forwarded_as_written(void **state)
{
	struct fixture *f = *state;
	static struct forwarded fw;
	struct audit_log *log;
	char id[AUDIT_ID_MAX];
	struct audit_intent in = { .user = "alice", .device = "d", .opcode = 0xC000,
				   .allowed = 1, .reason = "Allowed" };
	size_t n;
	char **lines;

	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	audit_set_forward(log, collect, &fw);
	for (int i = 0; i < 3; i++)
		assert_int_equal(audit_intent(log, &in, id), 0);
	audit_set_forward(log, NULL, NULL);
	assert_int_equal(audit_intent(log, &in, id), 0);
	audit_close(log);
	/* exactly the lines on disk, in order, and only while forwarding */
	lines = read_lines(f->path, &n);
	assert_int_equal(n, 4);
	assert_int_equal(fw.n, 3);
	for (size_t i = 0; i < 3; i++) {
		lines[i][strlen(lines[i]) - 1] = '\0';
		assert_string_equal(fw.lines[i], lines[i]);
	}
	free_lines(lines, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intact_and_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_continues_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_record_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_record_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reordered_records_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_record_changed_shows_in_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_line_passed_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_runs_across_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oldest_file_rotated_away, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records_from_before_the_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forwarded_as_written, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
