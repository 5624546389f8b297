/* The service UUID: made once when missing, then read back unchanged; a
 * file that holds something else, is not a regular file or is a symbolic
 * link, is refused and left as it is (clients know the service by this
 * UUID). */
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

#include "core/uuid.h"
#include "support/tmpdir.h"
#include "util/fileio.h"

static void test_uuid_file(void **state)
{
	char dir[48], path[64], first[40], again[40], *text;
	size_t len;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "uuid"), 0);
	snprintf(path, sizeof(path), "%s/service-uuid", dir);
	assert_int_equal(service_uuid_load(path, first, sizeof(first)), 0);
	assert_int_equal(strlen(first), 36);
	assert_int_equal(service_uuid_load(path, again, sizeof(again)), 0);
	assert_string_equal(again, first);

	assert_int_equal(file_write_atomic(path, "not-a-uuid\n", 11, 0644), 0);
	assert_int_equal(service_uuid_load(path, again, sizeof(again)), -EBADMSG);
	assert_int_equal(file_read_all(path, 64, &text, &len), 0);
	assert_string_equal(text, "not-a-uuid\n");
	free(text);

	/* A FIFO is refused at once, not waited on, and stays a FIFO. */
	struct stat st;
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(service_uuid_load(path, again, sizeof(again)), -EINVAL);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(unlink(path), 0);

	/* A link is not followed, even to a file that holds a UUID, and is
	 * not replaced either. */
	char target[80];
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	assert_int_equal(file_write_atomic(target, first, strlen(first), 0644), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(service_uuid_load(path, again, sizeof(again)), -ELOOP);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(unlink(path), 0);
	/* Nor is a dangling one replaced by a new UUID. */
	assert_int_equal(symlink("no-such-file", path), 0);
	assert_int_equal(service_uuid_load(path, again, sizeof(again)), -ELOOP);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unlink(target), 0);

	assert_int_equal(tmpdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
