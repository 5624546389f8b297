/* The audit log with every allocation failing in turn: opening an existing
 * log, an intent, a result, a write that rotates, the denial summaries, and
 * reading back (entries, pending commands). After every run:
 *  - every audit file is whole: each line a complete JSON record, the last
 *    one ending in a newline (never a half-written record);
 *  - the hash chain over all files verifies;
 *  - a call that failed wrote no record (a refused command leaves no intent
 *    behind), one that succeeded wrote what it said;
 * then the files are put back and the next allocation is made to fail.
 * No crash; the sanitizer build checks that nothing leaks. */
#include <dirent.h>
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
#include "support/alloc_fail.h"
#include "support/tmpdir.h"
#include "util/fileio.h"

struct fixture {
	char dir[64];
	char saved[80];
	struct audit_log *log;
	size_t max_bytes;
	size_t records_before;
	int (*op)(struct fixture *f);
	size_t written; /* records the op says it wrote when it succeeds */
	char intent[AUDIT_ID_MAX];
};

static const struct audit_intent intent = {
	.user = "alice", .auth_method = "Basic", .source = "192.0.2.7",
	.device = "1000000000000001", .opcode = 0xC002, .command_id = "emu-set-mode",
	.payload = "abc", .payload_len = 3, .in_cel = 1, .effects = 0x6, .allowed = 1,
	.reason = "Allowed", .scope = "WriteFull", .detail = "approved",
};

/* Make to hold exactly the files of from (flat directories; no sync:
 * only this process reads them back). */
static void copy_dir(const char *from, const char *to)
{
	DIR *d;
	struct dirent *e;

	if ((d = opendir(to))) {
		while ((e = readdir(d))) {
			char path[512];
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", to, e->d_name);
			assert_int_equal(unlink(path), 0);
		}
		closedir(d);
	} else {
		assert_int_equal(mkdir(to, 0700), 0);
	}
	assert_non_null(d = opendir(from));
	while ((e = readdir(d))) {
		char src[512], dst[512], *text;
		size_t len;
		FILE *out;

		if (e->d_name[0] == '.')
			continue;
		snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", to, e->d_name);
		assert_int_equal(file_read_all(src, 1 << 24, &text, &len), 0);
		assert_non_null(out = fopen(dst, "w"));
		assert_int_equal(fwrite(text, 1, len, out), len);
		assert_int_equal(fclose(out), 0);
		assert_int_equal(chmod(dst, 0600), 0);
		free(text);
	}
	closedir(d);
}

/* Every line of every audit file is a JSON record and the files end with a
 * newline; returns the number of records. */
static size_t whole_records(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t records = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[512], *text, *line, *save = NULL;
		size_t len;

		if (strncmp(e->d_name, AUDIT_FILE_NAME, strlen(AUDIT_FILE_NAME)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_int_equal(file_read_all(path, 1 << 24, &text, &len), 0);
		if (len && text[len - 1] != '\n')
			fail_msg("%s ends inside a record", path);
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			json_error_t jerr;
			json_t *r = json_loads(line, 0, &jerr);
			if (!json_is_object(r))
				fail_msg("%s: not a whole record: %s", path, line);
			json_decref(r);
			records++;
		}
		free(text);
	}
	closedir(d);
	return records;
}

static void reopen(struct fixture *f)
{
	audit_close(f->log);
	f->log = NULL;
	assert_int_equal(audit_open(f->dir, f->max_bytes, 3, &f->log), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct audit_result res = { 0 };
	char id[AUDIT_ID_MAX];

	if (!f)
		return -1;
	if (tmpdir_make(f->dir, sizeof(f->dir), "audit-alloc"))
		return -1;
	snprintf(f->saved, sizeof(f->saved), "%s.saved", f->dir);
	reopen(f);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(audit_intent(f->log, &intent, id), 0);
		res.intent_id = id;
		assert_int_equal(audit_result(f->log, &res, NULL), 0);
	}
	/* one intent left open, for the result and pending operations */
	assert_int_equal(audit_intent(f->log, &intent, f->intent), 0);
	audit_close(f->log);
	f->log = NULL;
	copy_dir(f->dir, f->saved);
	f->records_before = whole_records(f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	audit_close(f->log);
	assert_int_equal(tmpdir_remove(f->dir), 0);
	assert_int_equal(tmpdir_remove(f->saved), 0);
	free(f);
	return 0;
}

static int run_op(void *arg)
{
	struct fixture *f = arg;
	return f->op(f);
}

static void check_and_restore(void *arg, int rc, bool failed)
{
	struct fixture *f = arg;
	struct audit_verify_report rep;
	size_t records;

	if (!failed)
		assert_int_equal(rc, 0);
	audit_close(f->log); /* writes pending denial summaries, if any */
	f->log = NULL;
	records = whole_records(f->dir);
	if (rc)
		assert_int_equal(records, f->records_before);
	else
		assert_int_equal(records, f->records_before + f->written);
	if (audit_verify(f->dir, &rep) != 0)
		fail_msg("chain broken at %s:%zu: %s", rep.broken_file, rep.broken_line,
			 rep.broken_why);
	copy_dir(f->saved, f->dir);
}

static void every_allocation_fails(struct fixture *f, int (*op)(struct fixture *f),
				   size_t written, size_t max_bytes)
{
	f->op = op;
	f->written = written;
	f->max_bytes = max_bytes;
	assert_true(alloc_fail_each(run_op, check_and_restore, f, 20000) > 1);
}

static int op_open(struct fixture *f)
{
	return audit_open(f->dir, 0, 3, &f->log);
}

static int op_intent(struct fixture *f)
{
	char id[AUDIT_ID_MAX];
	int rc = audit_open(f->dir, f->max_bytes, 3, &f->log);
	return rc ? rc : audit_intent(f->log, &intent, id);
}

static int op_result(struct fixture *f)
{
	struct audit_result res = { .intent_id = f->intent, .transport = -ETIMEDOUT,
				    .detail = "timed out" };
	int rc = audit_open(f->dir, 0, 3, &f->log);
	return rc ? rc : audit_result(f->log, &res, NULL);
}

static int op_denials(struct fixture *f)
{
	struct audit_intent denied = intent;
	char id[AUDIT_ID_MAX];
	int rc = audit_open(f->dir, 0, 3, &f->log);

	denied.allowed = 0;
	denied.reason = "NotApproved";
	if (rc)
		return rc;
	audit_set_denial_limit(f->log, 1, 3600);
	/* the first is written, the next two are counted: one summary at close */
	for (int i = 0; i < 3 && !rc; i++)
		rc = audit_intent(f->log, &denied, id);
	return rc;
}

static int op_read(struct fixture *f)
{
	json_t *entries = NULL;
	struct audit_pending *pending = NULL;
	size_t total = 0, n = 0;
	int rc = audit_open(f->dir, 0, 3, &f->log);

	if (!rc)
		rc = audit_read(f->log, 1, 5, &entries, &total);
	json_decref(entries);
	if (!rc)
		rc = audit_pending(f->log, &pending, &n);
	if (!rc && (n != 1 || strcmp(pending[0].intent, f->intent) != 0))
		rc = -EINVAL;
	free(pending);
	return rc;
}

static void test_open(void **state) { every_allocation_fails(*state, op_open, 0, 0); }
static void test_intent(void **state) { every_allocation_fails(*state, op_intent, 1, 0); }
static void test_result(void **state) { every_allocation_fails(*state, op_result, 1, 0); }
/* max_bytes below the log's size: the intent rotates first */
static void test_rotation(void **state) { every_allocation_fails(*state, op_intent, 1, 1024); }
static void test_read(void **state) { every_allocation_fails(*state, op_read, 0, 0); }

/* Denials: the summary record comes at close, in check_and_restore. */
static void test_denials(void **state)
{
	every_allocation_fails(*state, op_denials, 2, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_result, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_denials, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
