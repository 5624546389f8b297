/* The privileged step's trace pipe, through the service manager (handover.h). */
#include "app/handover.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "app/notify.h"
#include "util/log.h"

#define LISTEN_FDS_START 3
#define NOTE_MAX 4096
#define BARRIER_MS 5000

static int parse_uint(const char *s, unsigned long *out)
{
	char *end;

	if (!s || !*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

int handover_parse(const char *pid, const char *fds, const char *names, pid_t self,
		   char (*out)[64], size_t max, size_t *n)
{
	unsigned long want, count;
	size_t i = 0;

	*n = 0;
	if (!pid || !fds)
		return 0;
	if (parse_uint(pid, &want) || parse_uint(fds, &count))
		return -EINVAL;
	if (want != (unsigned long)self)
		return 0; /* set for a process that then started us */
	if (count > max)
		return -EINVAL;
	for (i = 0; i < count; i++)
		out[i][0] = '\0';
	for (i = 0; names && *names; i++) {
		const char *colon = strchr(names, ':');
		size_t len = colon ? (size_t)(colon - names) : strlen(names);

		if (i >= count || len >= sizeof(out[0]))
			return -EINVAL;
		memcpy(out[i], names, len);
		out[i][len] = '\0';
		names += len + (colon != NULL);
	}
	*n = count;
	return 0;
}

void handover_init(struct handover *h)
{
	memset(h, 0, sizeof(*h));
	h->trace = (struct cxl_ktrace_handover){
		.fd = -1,
		.instance = h->instance,
		.note = h->note,
	};
}

void handover_release(struct handover *h)
{
	if (h->trace.fd >= 0)
		close(h->trace.fd);
	h->trace.fd = -1;
}

const struct cxl_ktrace_handover *handover_trace(const struct handover *h)
{
	return h->present ? &h->trace : NULL;
}

/* The note is {"instance": directory or "", "note": text}. */
static json_t *note_json(const char *instance, const char *note)
{
	return json_pack("{s:s, s:s}", "instance", instance ? instance : "", "note", note);
}

static int read_note(struct handover *h, int fd)
{
	char buf[NOTE_MAX];
	ssize_t got = pread(fd, buf, sizeof(buf), 0);
	json_t *j, *inst, *note;
	int rc = -EPROTO;

	if (got < 0)
		return -errno;
	j = json_loadb(buf, (size_t)got, JSON_REJECT_DUPLICATES, NULL);
	inst = json_object_get(j, "instance");
	note = json_object_get(j, "note");
	if (json_is_string(inst) && json_is_string(note)) {
		snprintf(h->instance, sizeof(h->instance), "%s", json_string_value(inst));
		snprintf(h->note, sizeof(h->note), "%s", json_string_value(note));
		rc = 0;
	}
	json_decref(j);
	return rc;
}

/* One passed descriptor: kept, read or closed by its name. */
static void take_one(struct handover *h, int fd, const char *name)
{
	if (strcmp(name, HANDOVER_TRACE_PIPE) == 0 && h->trace.fd < 0) {
		/* Not for the front, nor for anything the broker runs. */
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == 0) {
			h->trace.fd = fd;
			h->present = true;
			return;
		}
	} else if (strcmp(name, HANDOVER_TRACE_NOTE) == 0) {
		int rc = read_note(h, fd);
		if (rc)
			log_warn("handover: the trace note does not read: %s", strerror(-rc));
		else
			h->present = true;
	} else {
		log_warn("handover: closing descriptor %d named \"%s\": nothing takes it", fd,
			 name);
	}
	close(fd);
}

int handover_take(struct handover *h, char *err, size_t errlen)
{
	char names[HANDOVER_NAMES_MAX][64];
	const char *fds = getenv("LISTEN_FDS");
	size_t n = 0;
	int rc;

	handover_init(h);
	rc = handover_parse(getenv("LISTEN_PID"), fds, getenv("LISTEN_FDNAMES"), getpid(), names,
			    HANDOVER_NAMES_MAX, &n);
	if (rc) {
		unsigned long count = 0;
		snprintf(err, errlen, "LISTEN_FDS/LISTEN_FDNAMES from the service manager do not "
			 "parse (LISTEN_FDS=%s)", fds ? fds : "");
		/* Whatever they are, no child may inherit them. */
		if (parse_uint(fds, &count) == 0 && count <= HANDOVER_NAMES_MAX)
			for (unsigned long i = 0; i < count; i++)
				close(LISTEN_FDS_START + (int)i);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		take_one(h, LISTEN_FDS_START + (int)i, names[i]);
	if (!h->present)
		return 0;
	if (h->trace.fd < 0 && !h->note[0])
		snprintf(h->note, sizeof(h->note), "the service's privileged step opened no trace pipe");
	/* Kept by the manager, they would come back on the next start beside
	 * the next step's own. */
	if ((rc = notify_remove_fd(HANDOVER_TRACE_PIPE)) ||
	    (rc = notify_remove_fd(HANDOVER_TRACE_NOTE)))
		log_warn("handover: the service manager keeps its copies: %s", strerror(-rc));
	return 0;
}

static int store_note(const char *instance, const char *note)
{
	json_t *j = note_json(instance, note);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	size_t len = text ? strlen(text) : 0;
	int fd = -1, rc = -ENOMEM;

	json_decref(j);
	if (!text)
		return rc;
	if (len >= NOTE_MAX) {
		rc = -EMSGSIZE;
		goto out;
	}
	fd = memfd_create(HANDOVER_TRACE_NOTE, MFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	ssize_t w = write(fd, text, len);
	if (w != (ssize_t)len) {
		rc = w < 0 ? -errno : -EIO;
		goto out;
	}
	rc = notify_store_fd(HANDOVER_TRACE_NOTE, fd);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return rc;
}

int handover_prepare_trace(const char *root, char *err, size_t errlen)
{
	struct cxl_ktrace *t = NULL;
	char why[512];
	int rc, opened;

	if (!notify_manager_present()) {
		snprintf(err, errlen, "no service manager to hand the trace pipe to "
			 "(NOTIFY_SOCKET is not set): the agent opens its own when started as root");
		return -ENOTCONN;
	}
	opened = cxl_ktrace_open(root, CXL_KTRACE_INSTANCE, &t, why, sizeof(why));
	rc = opened == 0 ? notify_store_fd(HANDOVER_TRACE_PIPE, cxl_ktrace_fd(t)) : 0;
	if (rc == 0)
		rc = store_note(t ? cxl_ktrace_path(t) : "", why);
	/* The manager reads the store messages before it starts the agent
	 * only if it has them before this process ends. */
	if (rc == 0)
		rc = notify_barrier(BARRIER_MS);
	if (rc)
		snprintf(err, errlen, "handing the trace pipe to the service manager: %s",
			 strerror(-rc));
	else
		snprintf(err, errlen, "%s", why);
	cxl_ktrace_free(t);
	return rc;
}
