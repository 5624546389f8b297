/* tracefs instance of the agent (trace.h). */
#include "cxl/kernel/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

#define PIPE_BUF_BYTES 8192u /* longest line kept whole: the DRAM event, ~900 bytes */
/* The instance's ring, per CPU. The kernel gives a new instance the global
 * default (1.4 MiB on x86), per CPU and unswappable for as long as the
 * instance exists: 180 MiB on a 128-CPU host. The driver's records are a few
 * hundred bytes, read as they come: 128 KiB holds hundreds. */
#define RING_KB "128"

struct cxl_ktrace {
	char path[320]; /* the instance */
	int fd;         /* its trace_pipe, non-blocking */
	char buf[PIPE_BUF_BYTES];
	size_t len;     /* bytes of an unfinished line at buf */
	bool skipping;  /* inside a line longer than buf: dropped up to its newline */
	uint64_t rejected;
};

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(text);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, text, n);
	if (w < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	close(fd);
	return (size_t)w == n ? 0 : -EIO;
}

static int find_root(const char *root, char *out, size_t len, char *why, size_t whylen)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char probe[300];

	for (size_t i = 0; i < (root ? 1u : 2u); i++) {
		const char *r = root ? root : roots[i];
		snprintf(probe, sizeof(probe), "%s/instances", r);
		if (is_dir(probe)) {
			snprintf(out, len, "%s", r);
			return 0;
		}
	}
	snprintf(why, whylen, "no tracefs mounted at %s", root ? root : roots[0]);
	return -ENODEV;
}

/* Enable every event the kernel has; cxl_generic_event must be among them. */
static int enable_events(const char *base, const char *inst, char *why, size_t whylen)
{
	char path[512];
	int enabled = 0, rc;

	for (size_t i = 0; cxl_trace_event_names[i]; i++) {
		snprintf(path, sizeof(path), "%s/events/cxl/%s", base, cxl_trace_event_names[i]);
		if (!is_dir(path))
			continue; /* cxl_poison is 6.5+ */
		snprintf(path, sizeof(path), "%s/events/cxl/%s/enable", inst, cxl_trace_event_names[i]);
		rc = write_text(path, "1");
		if (rc) {
			snprintf(why, whylen, "cannot enable %s: %s", path, strerror(-rc));
			return rc;
		}
		enabled++;
	}
	return enabled ? 0 : -ENOENT;
}

int cxl_ktrace_open(const char *root, const char *instance, struct cxl_ktrace **out, char *why,
		    size_t whylen)
{
	struct cxl_ktrace *t;
	char base[256], path[400];
	int rc;

	*out = NULL;
	if ((rc = find_root(root, base, sizeof(base), why, whylen)))
		return rc;
	snprintf(path, sizeof(path), "%s/events/cxl/cxl_generic_event", base);
	if (!is_dir(path)) {
		snprintf(why, whylen,
			 "the kernel has no cxl:cxl_generic_event trace point: its driver (before "
			 "Linux 6.3) does not read the devices' event records");
		return -ENOENT;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd = -1;
	snprintf(t->path, sizeof(t->path), "%s/instances/%s", base, instance);
	if (mkdir(t->path, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(why, whylen, "cannot create %s: %s", t->path, strerror(errno));
		goto fail;
	}
	/* Before the events are enabled: resizing drops what the ring holds.
	 * A refusal leaves the kernel's default, which only costs memory. */
	snprintf(path, sizeof(path), "%s/buffer_size_kb", t->path);
	if ((rc = write_text(path, RING_KB)))
		log_warn("cxl: cannot size %s to " RING_KB " KiB per CPU: %s", path, strerror(-rc));
	if ((rc = enable_events(base, t->path, why, whylen)))
		goto fail;
	snprintf(path, sizeof(path), "%s/trace_pipe", t->path);
	t->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		rc = -errno;
		snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	snprintf(why, whylen, "reading the driver's trace events from %s", t->path);
	*out = t;
	return 0;
fail:
	cxl_ktrace_free(t);
	return rc;
}

int cxl_ktrace_adopt(const struct cxl_ktrace_handover *h, struct cxl_ktrace **out, char *why,
		     size_t whylen)
{
	struct cxl_ktrace *t;
	int flags;

	*out = NULL;
	if (h->fd < 0) {
		snprintf(why, whylen, "%s", h->note && h->note[0] ? h->note : "no trace pipe handed over");
		return -ENOENT;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	snprintf(t->path, sizeof(t->path), "%s", h->instance ? h->instance : "");
	t->fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 3);
	/* Polled, never waited on: a read must not block the poller. */
	if (t->fd < 0 || (flags = fcntl(t->fd, F_GETFL)) < 0 ||
	    fcntl(t->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		int rc = -errno;
		snprintf(why, whylen, "cannot use the trace pipe handed over: %s", strerror(errno));
		cxl_ktrace_free(t);
		return rc;
	}
	snprintf(why, whylen, "reading the driver's trace events from %s (opened at start by "
		 "the service's privileged step)", t->path);
	*out = t;
	return 0;
}

int cxl_ktrace_fd(const struct cxl_ktrace *t)
{
	return t->fd;
}

void cxl_ktrace_free(struct cxl_ktrace *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

const char *cxl_ktrace_path(const struct cxl_ktrace *t)
{
	return t->path;
}

uint64_t cxl_ktrace_rejected(const struct cxl_ktrace *t)
{
	return t->rejected;
}

static int one_line(struct cxl_ktrace *t, const char *line, size_t n,
		    void (*fn)(void *arg, const struct cxl_trace_rec *rec), void *arg)
{
	struct cxl_trace_rec rec;
	int rc = cxl_trace_parse_line(line, n, &rec);

	if (rc == 0) {
		fn(arg, &rec);
		return 1;
	}
	if (rc == -EPROTO) {
		t->rejected++;
		/* a device that sends malformed records sends them on every event */
		log_warn_limited("cxl: trace lines not decoded", NULL,
				 "cxl: trace line not decoded (%zu bytes): %.120s", n, line);
	}
	return 0;
}

int cxl_ktrace_poll(struct cxl_ktrace *t, void (*fn)(void *arg, const struct cxl_trace_rec *rec),
		    void *arg)
{
	int records = 0;

	for (;;) {
		ssize_t got = read(t->fd, t->buf + t->len, sizeof(t->buf) - t->len);
		size_t start = 0, end;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? records : -errno;
		}
		if (got == 0)
			return records;
		end = t->len + (size_t)got;
		for (size_t i = t->len; i < end; i++) {
			if (t->buf[i] != '\n')
				continue;
			if (!t->skipping)
				records += one_line(t, t->buf + start, i - start, fn, arg);
			t->skipping = false;
			start = i + 1;
		}
		t->len = end - start;
		memmove(t->buf, t->buf + start, t->len);
		if (t->len == sizeof(t->buf)) {
			/* no newline in a full buffer: not a line any event prints */
			t->rejected++;
			t->skipping = true;
			t->len = 0;
		}
	}
}
