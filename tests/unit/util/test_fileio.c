/* Durable file I/O: atomic replacement (content, mode, no temporary left,
 * failures leave the old file), whole-file reads with a limit, appends, and
 * mkdir -p, directory syncs. Everything happens in a fresh directory under /tmp. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "support/tmpdir.h"
#include "util/fileio.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	if (tmpdir_make(f->dir, sizeof(f->dir), "fileio")) {
		free(f);
		return -1;
	}
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

/* Path of leaf in the test directory; 16 results stay valid at once. */
static const char *in(const struct fixture *f, const char *leaf)
{
	static char buf[16][256];
	static unsigned which;
	which = (which + 1) % 16;
	snprintf(buf[which], sizeof(buf[which]), "%s/%s", f->dir, leaf);
	return buf[which];
}

static void write_plain(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* Entries of dir other than . and .., and whether any looks temporary. */
static size_t count_entries(const char *dir, int *temporaries)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	*temporaries = 0;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (strstr(e->d_name, ".tmp"))
			(*temporaries)++;
		n++;
	}
	closedir(d);
	return n;
}

static void assert_contents(const char *path, const char *want)
{
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(file_read_all(path, 1 << 20, &text, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(text, want, len);
	assert_int_equal(text[len], '\0');
	free(text);
}

static void test_write_atomic(void **state)
{
	struct fixture *f = *state;
	const char *path = in(f, "state.json");
	struct stat st;
	int tmps;

	assert_int_equal(file_write_atomic(path, "first", 5, 0600), 0);
	assert_contents(path, "first");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* replaced, not appended to; the new mode applies */
	assert_int_equal(file_write_atomic(path, "2nd", 3, 0640), 0);
	assert_contents(path, "2nd");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* an empty file is a valid content */
	assert_int_equal(file_write_atomic(path, "", 0, 0600), 0);
	assert_contents(path, "");

	/* binary data with NULs */
	assert_int_equal(file_write_atomic(path, "a\0b", 3, 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 3);

	assert_int_equal(count_entries(f->dir, &tmps), 1);
	assert_int_equal(tmps, 0);
}

/* A replaced file is a new inode: a reader holding the old one still sees
 * the complete old contents. */
static void test_write_atomic_new_inode(void **state)
{
	struct fixture *f = *state;
	const char *path = in(f, "inode");
	char buf[16] = "";
	int fd;

	assert_int_equal(file_write_atomic(path, "old contents", 12, 0600), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(file_write_atomic(path, "new", 3, 0600), 0);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 12);
	assert_string_equal(buf, "old contents");
	close(fd);
	assert_contents(path, "new");
}

static void test_write_atomic_large(void **state)
{
	struct fixture *f = *state;
	const char *path = in(f, "large");
	size_t n = 3u << 20;
	char *data = malloc(n);
	char *back = NULL;
	size_t len = 0;

	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7);
	assert_int_equal(file_write_atomic(path, data, n, 0600), 0);
	assert_int_equal(file_read_all(path, n, &back, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(back, data, n);
	free(back);
	free(data);
	unlink(path);
}

static void test_write_atomic_failures(void **state)
{
	struct fixture *f = *state;
	const char *target = in(f, "keep");
	const char *isdir = in(f, "adir");
	char longpath[5000];
	int tmps;

	write_plain(target, "precious");

	/* the directory does not exist */
	assert_int_equal(file_write_atomic(in(f, "missing/x"), "x", 1, 0600), -ENOENT);

	/* the target is a directory: rename fails, the directory is untouched
	 * and the temporary is gone */
	assert_int_equal(mkdir(isdir, 0700), 0);
	assert_int_equal(file_write_atomic(isdir, "x", 1, 0600), -EISDIR);
	struct stat st;
	assert_int_equal(stat(isdir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));

	/* a path too long for a temporary name */
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(file_write_atomic(longpath, "x", 1, 0600), -ENAMETOOLONG);

	/* a parent that is a file */
	char under_file[300];
	snprintf(under_file, sizeof(under_file), "%s/child", target);
	assert_int_equal(file_write_atomic(under_file, "x", 1, 0600), -ENOTDIR);

	assert_contents(target, "precious");
	assert_int_equal(count_entries(f->dir, &tmps), 2);
	assert_int_equal(tmps, 0);
	assert_int_equal(count_entries(isdir, &tmps), 0);
	unlink(target);
	rmdir(isdir);
}

/* What a crash between mkostemp and rename leaves is removed at the next
 * start: only "<name>.tmp." and six characters, never the file itself, a
 * longer name or another file's leftovers. */
static void test_remove_stale_temporaries(void **state)
{
	struct fixture *f = *state;
	const char *path = in(f, "state.json");

	write_plain(path, "kept");
	write_plain(in(f, "state.json.tmp.Ab3dEf"), "{");
	write_plain(in(f, "state.json.tmp.XyZ123"), "");
	write_plain(in(f, "state.json.tmp.longer-name"), "{");
	write_plain(in(f, "other.json.tmp.Ab3dEf"), "{");
	assert_int_equal(file_remove_stale_temporaries(path), 2);
	assert_int_not_equal(access(in(f, "state.json.tmp.Ab3dEf"), F_OK), 0);
	assert_int_not_equal(access(in(f, "state.json.tmp.XyZ123"), F_OK), 0);
	assert_int_equal(access(in(f, "state.json.tmp.longer-name"), F_OK), 0);
	assert_int_equal(access(in(f, "other.json.tmp.Ab3dEf"), F_OK), 0);
	assert_contents(path, "kept");
	assert_int_equal(file_remove_stale_temporaries(path), 0);
	/* a directory that does not exist has nothing to remove */
	assert_int_equal(file_remove_stale_temporaries(in(f, "missing/state.json")), 0);
	unlink(in(f, "state.json.tmp.longer-name"));
	unlink(in(f, "other.json.tmp.Ab3dEf"));
	unlink(path);
}

static void test_read_all(void **state)
{
	struct fixture *f = *state;
	const char *path = in(f, "r");
	char *text = (char *)1;
	size_t len = 99;

	write_plain(path, "0123456789");
	assert_int_equal(file_read_all(path, 10, &text, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(text, "0123456789");
	free(text);

	text = (char *)1;
	len = 99;
	assert_int_equal(file_read_all(path, 9, &text, &len), -EFBIG);
	assert_ptr_equal(text, (char *)1); /* untouched on failure */
	assert_int_equal(len, 99);

	assert_int_equal(file_read_all(in(f, "nope"), 10, &text, &len), -ENOENT);

	write_plain(path, "");
	assert_int_equal(file_read_all(path, 0, &text, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);
	unlink(path);
}

/* Files of /proc report size 0 and sysfs attributes a page: the contents
 * are read to their end, whatever fstat() says, and max still bounds them. */
static void test_read_all_proc(void **state)
{
	char *text = NULL, host[256];
	size_t len = 0;
	struct stat st;

	(void)state;
	assert_int_equal(stat("/proc/self/status", &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(file_read_all("/proc/self/status", 1 << 20, &text, &len), 0);
	assert_true(len > 300); /* spans the first guess and a doubling */
	assert_int_equal(strncmp(text, "Name:", 5), 0);
	assert_int_equal(strlen(text), len);
	free(text);

	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_int_equal(file_read_all("/proc/sys/kernel/hostname", 256, &text, &len), 0);
	assert_int_equal(len, strlen(host) + 1);
	assert_int_equal(strncmp(text, host, strlen(host)), 0);
	free(text);

	text = (char *)1;
	assert_int_equal(file_read_all("/proc/self/status", 16, &text, &len), -EFBIG);
	assert_ptr_equal(text, (char *)1);
}

/* A directory is not a file: reading one must fail, not succeed with
 * whatever (usually nothing) read() returned before its EISDIR. */
static void test_read_all_directory(void **state)
{
	struct fixture *f = *state;
	char *text = NULL;
	size_t len = 0;
	int rc = file_read_all(f->dir, 1 << 20, &text, &len);

	if (rc == 0)
		free(text);
	assert_int_not_equal(rc, 0);
}

static void test_append_sync(void **state)
{
	struct fixture *f = *state;
	const char *path = in(f, "log");
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(file_append_sync(fd, "one\n", 4), 0);
	assert_int_equal(file_append_sync(fd, "two\n", 4), 0);
	close(fd);
	assert_contents(path, "one\ntwo\n");
	assert_int_equal(file_append_sync(-1, "x", 1), -EBADF);
	unlink(path);
}

static void test_dir_ensure(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(dir_ensure(in(f, "a/b/c"), 0700), 0);
	assert_int_equal(stat(in(f, "a/b/c"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(in(f, "a/b"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));

	/* existing: fine, and idempotent */
	assert_int_equal(dir_ensure(in(f, "a/b/c"), 0700), 0);
	assert_int_equal(dir_ensure(in(f, "a"), 0700), 0);
	/* "//" inside the path */
	assert_int_equal(dir_ensure(in(f, "a//d"), 0700), 0);
	assert_int_equal(stat(in(f, "a/d"), &st), 0);

	assert_int_equal(dir_ensure("", 0700), -ENAMETOOLONG);

	/* a file in the way of an intermediate component */
	write_plain(in(f, "file"), "x");
	assert_int_equal(dir_ensure(in(f, "file/sub"), 0700), -ENOTDIR);
}

/* mkdir -p fails when the path itself names an existing file: callers go on
 * to create files under it. */
static void test_dir_ensure_existing_file(void **state)
{
	struct fixture *f = *state;
	const char *path = in(f, "plain");

	write_plain(path, "x");
	assert_int_not_equal(dir_ensure(path, 0700), 0);
}

/* A directory is synced; what is not one is an error, never a silent 0. */
static void test_dir_sync(void **state)
{
	struct fixture *f = *state;
	const char *plain = in(f, "plain");

	assert_int_equal(dir_sync(f->dir), 0);
	assert_int_equal(dir_sync(in(f, "missing")), -ENOENT);
	write_plain(plain, "x");
	assert_int_equal(dir_sync(plain), -ENOTDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_new_inode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_stale_temporaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_all, setup, teardown),
		cmocka_unit_test(test_read_all_proc),
		cmocka_unit_test_setup_teardown(test_read_all_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_ensure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_ensure_existing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_sync, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
