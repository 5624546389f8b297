/* A fake tracefs for the trace reader's tests (fake_tracefs.h). */
#include "support/fake_tracefs.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cxl/kernel/trace.h"
#include "cxl/kernel/trace_parse.h"
#include "support/tmpdir.h"

static void mkdirs(const char *root, const char *rel)
{
	char path[1024], *p;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void touch(const char *root, const char *rel)
{
	char path[1024];
	int fd;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
}

/* A tracefs as 6.12 shows it, with the agent's instance already made (a
 * directory made by mkdir here would be empty, unlike tracefs'). */
void fake_tracefs(struct fake_tracefs *t, bool with_events)
{
	char path[512];
	assert_int_equal(tmpdir_make(t->root, sizeof(t->root), "tracefs"), 0);
	mkdirs(t->root, "instances/" CXL_KTRACE_INSTANCE);
	mkdirs(t->root, "events/cxl/cxl_aer_correctable_error");
	if (with_events) {
		for (int i = 0; cxl_trace_event_names[i]; i++) {
			if (strcmp(cxl_trace_event_names[i], "cxl_poison") == 0)
				continue; /* as before 6.5: enabled only where it exists */
			snprintf(path, sizeof(path), "events/cxl/%s", cxl_trace_event_names[i]);
			mkdirs(t->root, path);
			snprintf(path, sizeof(path), "instances/" CXL_KTRACE_INSTANCE "/events/cxl/%s",
				 cxl_trace_event_names[i]);
			mkdirs(t->root, path);
			snprintf(path, sizeof(path),
				 "instances/" CXL_KTRACE_INSTANCE "/events/cxl/%s/enable",
				 cxl_trace_event_names[i]);
			touch(t->root, path);
		}
	}
	touch(t->root, "instances/" CXL_KTRACE_INSTANCE "/buffer_size_kb");
	snprintf(path, sizeof(path), "%s/instances/" CXL_KTRACE_INSTANCE "/trace_pipe", t->root);
	assert_int_equal(mkfifo(path, 0600), 0);
	t->writer = -1;
}

void fake_writer(struct fake_tracefs *t)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/instances/" CXL_KTRACE_INSTANCE "/trace_pipe", t->root);
	t->writer = open(path, O_WRONLY | O_NONBLOCK);
	assert_true(t->writer >= 0);
}

void put(struct fake_tracefs *t, const char *s, size_t n)
{
	assert_int_equal(write(t->writer, s, n), (ssize_t)n);
}

void fake_remove(struct fake_tracefs *t)
{
	if (t->writer >= 0)
		close(t->writer);
	assert_int_equal(tmpdir_remove(t->root), 0);
}
