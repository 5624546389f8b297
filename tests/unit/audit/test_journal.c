/* The audit log's journal (audit/journal.h): a crash that takes audit.log's
 * unsynced tail is simulated by copying the journal beside an older copy of
 * the log, and opening that. What the journal adds must be exactly the lost
 * records, in order, chained; never a record twice, never one of a retired
 * write or of a damaged one. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit/audit.h"
#include "audit/chain.h"
#include "audit/journal.h"
#include "support/tmpdir.h"

struct fixture {
	char a[64]; /* where the agent wrote */
	char b[64]; /* what a crash left */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tmpdir_make(f->a, sizeof(f->a), "journal-a") ||
	    tmpdir_make(f->b, sizeof(f->b), "journal-b")) {
		tmpdir_remove(f->a);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* A log in memory (TMPDIR on tmpfs) has no journal: nothing to test. */
static void need_disk(const char *dir)
{
	struct statfs fs;

	assert_int_equal(statfs(dir, &fs), 0);
	if (fs.f_type == (__typeof__(fs.f_type))TMPFS_MAGIC ||
	    fs.f_type == (__typeof__(fs.f_type))RAMFS_MAGIC)
		skip();
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = tmpdir_remove(f->a) | tmpdir_remove(f->b);

	free(f);
	return rc ? -1 : 0;
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[160];
	FILE *fp;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void spill(const char *dir, const char *name, const char *data, size_t len)
{
	char path[160];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
	chmod(path, 0600);
}

static size_t count_lines(const char *text, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

/* The length of the first n lines of text, newlines included. */
static size_t prefix_of(const char *text, size_t n)
{
	const char *p = text;

	while (n--)
		p = strchr(p, '\n') + 1;
	return (size_t)(p - text);
}

static void intent(struct audit_log *log, char id[AUDIT_ID_MAX])
{
	struct audit_intent in = {
		.user = "alice", .auth_method = "Basic", .source = "192.0.2.7",
		.device = "1000000000000001", .opcode = 0xC000,
		.command_id = "emu-read-telemetry", .payload = "", .payload_len = 0,
		.allowed = 1, .reason = "Allowed", .scope = "Read",
	};

	assert_int_equal(audit_intent(log, &in, id), 0);
}

static void result(struct audit_log *log, const char *intent_id)
{
	struct audit_result res = { .intent_id = intent_id, .transport = 0, .duration_us = 3 };

	assert_int_equal(audit_result(log, &res, NULL), 0);
}

/* Intent, result, intent in dir a: the second intent's journal write holds
 * the result and itself. The log text is returned (new). */
static char *three_records(const char *dir, size_t *len, char last_id[AUDIT_ID_MAX])
{
	struct audit_log *log;
	char id[AUDIT_ID_MAX];
	char *text;

	need_disk(dir);
	assert_int_equal(audit_open(dir, 0, 0, &log), 0);
	intent(log, id);
	result(log, id);
	intent(log, last_id);
	text = slurp(dir, AUDIT_FILE_NAME, len);
	audit_close(log);
	return text;
}

/* How many of the log's first lines a crash may take away with the journal
 * still holding them: the syncer may have made some durable in the log
 * already, and dropped them from the journal's later writes. At most
 * most (the lines the log keeps are then at least the others). */
static size_t journal_holds_last(const char *dir, const char *log, size_t lines, size_t most)
{
	size_t jlen, held = 0;
	char *journal = slurp(dir, AUDIT_JOURNAL_NAME, &jlen);

	for (size_t k = lines; k > 0 && held < most; k--) {
		const char *line = log + prefix_of(log, k - 1);
		if (!memmem(journal, jlen, line, (size_t)(strchr(line, '\n') - line)))
			break;
		held++;
	}
	free(journal);
	return held;
}

/* The crash state: the first keep lines of the log (plus torn bytes of the
 * next one) and the journal as it was. */
static void crash_copy(const struct fixture *f, const char *log, size_t keep, size_t torn)
{
	size_t jlen;
	char *journal = slurp(f->a, AUDIT_JOURNAL_NAME, &jlen);

	assert_int_equal(jlen, (size_t)AUDIT_JOURNAL_BLOCK * AUDIT_JOURNAL_BLOCKS);
	spill(f->b, AUDIT_JOURNAL_NAME, journal, jlen);
	spill(f->b, AUDIT_FILE_NAME, log, prefix_of(log, keep) + torn);
	free(journal);
}

static void assert_chain_intact(const char *dir, size_t records, size_t torn)
{
	struct audit_verify_report rep;

	assert_int_equal(audit_verify(dir, &rep), 0);
	assert_int_equal(rep.records, records);
	assert_int_equal(rep.torn, torn);
}

static void test_lost_tail_comes_back(void **state)
{
	struct fixture *f = *state;
	char last[AUDIT_ID_MAX], id[AUDIT_ID_MAX];
	struct audit_log *log;
	size_t len, got_len;
	char *text = three_records(f->a, &len, last), *got;

	size_t keep;

	assert_int_equal(count_lines(text, len), 3);
	keep = 3 - journal_holds_last(f->a, text, 3, 2);
	assert_true(keep < 3); /* the last intent is in the journal */
	crash_copy(f, text, keep, 0);
	assert_int_equal(audit_open(f->b, 0, 0, &log), 0);
	got = slurp(f->b, AUDIT_FILE_NAME, &got_len);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, text, len);
	/* Ids go on after the recovered ones. */
	intent(log, id);
	assert_true(strtoull(id, NULL, 10) > strtoull(last, NULL, 10));
	audit_close(log);
	assert_chain_intact(f->b, 4, 0);
	free(got);
	free(text);
}

/* What --verify-audit says of a log that lost its tail: the records the
 * journal holds past it, read without changing either file; none once the
 * agent has put them back. */
static void test_pending_seen_by_verify(void **state)
{
	struct fixture *f = *state;
	struct audit_verify_report rep;
	struct audit_log *log;
	char last[AUDIT_ID_MAX], out[2048] = "";
	size_t len, jlen, pending = 99, keep;
	char *text = three_records(f->a, &len, last), *journal;
	FILE *mem;

	keep = 3 - journal_holds_last(f->a, text, 3, 2);
	assert_true(keep < 3);
	crash_copy(f, text, keep, 0);
	journal = slurp(f->b, AUDIT_JOURNAL_NAME, &jlen);
	assert_int_equal(audit_verify(f->b, &rep), 0);
	assert_int_equal(journal_pending(f->b, rep.head, &pending), 0);
	assert_int_equal(pending, 3 - keep);
	mem = fmemopen(out, sizeof(out) - 1, "w");
	assert_non_null(mem);
	assert_int_equal(audit_verify_print(f->b, mem), 0);
	fclose(mem);
	assert_non_null(strstr(out, "more record(s) in " AUDIT_JOURNAL_NAME));
	/* Read only: the log and the journal are as they were. */
	assert_chain_intact(f->b, keep, 0);
	{
		size_t now_len;
		char *now = slurp(f->b, AUDIT_JOURNAL_NAME, &now_len);
		assert_int_equal(now_len, jlen);
		assert_memory_equal(now, journal, jlen);
		free(now);
	}
	assert_int_equal(audit_open(f->b, 0, 0, &log), 0);
	audit_close(log);
	assert_int_equal(audit_verify(f->b, &rep), 0);
	assert_int_equal(journal_pending(f->b, rep.head, &pending), 0);
	assert_int_equal(pending, 0);
	/* No journal at all: nothing pending. */
	pending = 99;
	assert_int_equal(journal_pending("/nonexistent/cxl-agent", rep.head, &pending), 0);
	assert_int_equal(pending, 0);
	free(journal);
	free(text);
}

static void test_torn_line_then_recovered(void **state)
{
	struct fixture *f = *state;
	char last[AUDIT_ID_MAX];
	struct audit_log *log;
	size_t len, got_len;
	char *text = three_records(f->a, &len, last), *got;

	size_t keep = 3 - journal_holds_last(f->a, text, 3, 2), at = prefix_of(text, keep);

	crash_copy(f, text, keep, 20);
	assert_int_equal(audit_open(f->b, 0, 0, &log), 0);
	audit_close(log);
	got = slurp(f->b, AUDIT_FILE_NAME, &got_len);
	/* the torn bytes stay, ended by a newline, then the lost records */
	assert_int_equal(got_len, len + 21);
	assert_memory_equal(got, text, at + 20);
	assert_memory_equal(got + at + 21, text + at, len - at);
	assert_chain_intact(f->b, 3, 1);
	free(got);
	free(text);
}

static void test_nothing_lost_nothing_added(void **state)
{
	struct fixture *f = *state;
	char last[AUDIT_ID_MAX];
	struct audit_log *log;
	size_t len, got_len;
	char *text = three_records(f->a, &len, last), *got;

	crash_copy(f, text, 3, 0);
	assert_int_equal(audit_open(f->b, 0, 0, &log), 0);
	audit_close(log);
	got = slurp(f->b, AUDIT_FILE_NAME, &got_len);
	assert_int_equal(got_len, len);
	free(got);
	/* Opening the log retired the journal's writes: its copy now adds
	 * nothing even to a log that lost them. */
	got = slurp(f->b, AUDIT_JOURNAL_NAME, &got_len);
	spill(f->a, AUDIT_JOURNAL_NAME, got, got_len);
	free(got);
	crash_copy(f, text, 1, 0);
	assert_int_equal(audit_open(f->b, 0, 0, &log), 0);
	audit_close(log);
	got = slurp(f->b, AUDIT_FILE_NAME, &got_len);
	assert_int_equal(got_len, prefix_of(text, 1));
	free(got);
	free(text);
}

/* A damaged write is ignored, and nothing after it is linked. */
static void test_damaged_write_ignored(void **state)
{
	struct fixture *f = *state;
	char last[AUDIT_ID_MAX], path[160];
	struct audit_log *log;
	size_t len, jlen, got_len;
	char *text = three_records(f->a, &len, last), *journal, *got, *hit;
	size_t keep = 3 - journal_holds_last(f->a, text, 3, 2);

	journal = slurp(f->a, AUDIT_JOURNAL_NAME, &jlen);
	hit = memmem(journal, jlen, last, strlen(last));
	assert_non_null(hit);
	hit[0] ^= 1;
	spill(f->a, AUDIT_JOURNAL_NAME, journal, jlen);
	crash_copy(f, text, keep, 0);
	assert_int_equal(audit_open(f->b, 0, 0, &log), 0);
	audit_close(log);
	got = slurp(f->b, AUDIT_FILE_NAME, &got_len);
	/* the lines between the kept ones and the damaged write are not
	 * linked either: the damaged write held them */
	assert_int_equal(got_len, prefix_of(text, keep));
	free(got);
	/* Something that is not a journal at all is replaced. */
	snprintf(path, sizeof(path), "%s/%s", f->b, AUDIT_JOURNAL_NAME);
	spill(f->b, AUDIT_JOURNAL_NAME, "not a journal", 13);
	assert_int_equal(audit_open(f->b, 0, 0, &log), 0);
	intent(log, last);
	audit_close(log);
	free(journal);
	journal = slurp(f->b, AUDIT_JOURNAL_NAME, &jlen);
	assert_int_equal(jlen, (size_t)AUDIT_JOURNAL_BLOCK * AUDIT_JOURNAL_BLOCKS);
	free(journal);
	free(text);
}

/* Rotation with no file kept leaves a log whose head is the genesis again:
 * the journal's writes from before must not come back as its first
 * records. */
static void test_rotation_retires_writes(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_stats st;
	char id[AUDIT_ID_MAX];
	size_t jlen, got_len;
	char *journal, *got;

	need_disk(f->a);
	assert_int_equal(audit_open(f->a, 1200, 0, &log), 0);
	for (int i = 0; i < 4; i++)
		intent(log, id);
	audit_get_stats(log, &st);
	assert_true(st.rotations >= 1);
	journal = slurp(f->a, AUDIT_JOURNAL_NAME, &jlen);
	audit_close(log);
	spill(f->b, AUDIT_JOURNAL_NAME, journal, jlen);
	spill(f->b, AUDIT_FILE_NAME, "", 0);
	assert_int_equal(audit_open(f->b, 0, 0, &log), 0);
	audit_close(log);
	got = slurp(f->b, AUDIT_FILE_NAME, &got_len);
	/* At most the records written since the last rotation, which link to
	 * the rotated file, not to the genesis: none of them. */
	assert_int_equal(got_len, 0);
	free(got);
	free(journal);
}

/* A journal that is a link (to a journal this log wrote, even) is no file
 * of this log: refused at open, naming it, and nothing is recovered from it
 * (it used to be followed and replayed). A rotated file read back later is
 * not read through a link either. */
static void test_linked_files_refused(void **state)
{
	struct fixture *f = *state;
	char last[AUDIT_ID_MAX], id[AUDIT_ID_MAX], path[160], kept[160], file[256];
	struct audit_log *log;
	size_t len, keep, got_len;
	char *text = three_records(f->a, &len, last), *got;
	json_t *entries = NULL;
	struct stat st;
	size_t total;

	keep = 3 - journal_holds_last(f->a, text, 3, 2);
	crash_copy(f, text, keep, 0);
	snprintf(path, sizeof(path), "%s/%s", f->b, AUDIT_JOURNAL_NAME);
	snprintf(kept, sizeof(kept), "%s/kept", f->b);
	assert_int_equal(rename(path, kept), 0);
	assert_int_equal(symlink(kept, path), 0);
	assert_int_equal(audit_open_naming(f->b, 0, 0, &log, file, sizeof(file)), -ELOOP);
	assert_string_equal(file, path);
	got = slurp(f->b, AUDIT_FILE_NAME, &got_len);
	assert_int_equal(got_len, prefix_of(text, keep));
	free(got);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unlink(kept), 0);

	/* Nor is a FIFO or a directory in its place, which the agent never
	 * makes: refused naming it and left there (a FIFO was replaced). */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(audit_open_naming(f->b, 0, 0, &log, file, sizeof(file)), -EINVAL);
	assert_string_equal(file, path);
	assert_true(lstat(path, &st) == 0 && S_ISFIFO(st.st_mode));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(audit_open_naming(f->b, 0, 0, &log, file, sizeof(file)), -EISDIR);
	assert_string_equal(file, path);
	assert_int_equal(rmdir(path), 0);

	/* Rotated at every record, two rotated files kept. */
	assert_int_equal(audit_open(f->b, 1, 2, &log), 0);
	intent(log, id);
	intent(log, id);
	snprintf(path, sizeof(path), "%s/%s.1", f->b, AUDIT_FILE_NAME);
	snprintf(kept, sizeof(kept), "%s/kept", f->b);
	assert_int_equal(rename(path, kept), 0);
	assert_int_equal(symlink(kept, path), 0);
	assert_int_equal(audit_read(log, 0, 10, &entries, &total), -ELOOP);
	assert_null(entries);
	audit_close(log);
	assert_int_equal(audit_open_naming(f->b, 1, 2, &log, file, sizeof(file)), -ELOOP);
	assert_string_equal(file, path);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unlink(kept), 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lost_tail_comes_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_seen_by_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_line_then_recovered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_lost_nothing_added, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_write_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_retires_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linked_files_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
