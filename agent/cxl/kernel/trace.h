/* The CXL driver's trace events, read from a tracefs instance of the agent's
 * own.
 *
 * From Linux 6.3 the driver owns the devices' event logs: it reads and clears
 * the records itself (at probe and on the event interrupt) and reports each
 * as a trace event. An agent sending Get/Clear Event Records as well would
 * race it and lose records, so on such kernels the agent reads the trace
 * events instead, as `cxl monitor` does.
 *
 * Whether the driver owns the logs is decided by the feature, not the
 * version string: the kernel defines events/cxl/cxl_generic_event exactly
 * when its driver has the event-record code (they came in one series), and
 * distribution kernels backport CXL support under older version numbers.
 *
 * A private instance (instances/<name>) keeps the global trace buffer, and
 * whoever else uses it (perf, trace-cmd, cxl monitor), undisturbed; reading
 * its trace_pipe consumes only the instance's copy. The instance is made and
 * its trace_pipe opened while the process is still root; reading an open
 * descriptor needs no privilege afterwards. The instance outlives the
 * process (removing it needs root again): records arriving while the agent is
 * down wait there for the next start. */
#ifndef CXLA_CXL_KERNEL_TRACE_H
#define CXLA_CXL_KERNEL_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "cxl/kernel/trace_parse.h"

#define CXL_KTRACE_INSTANCE "cxl-agent"

struct cxl_ktrace;

/* Attach: find tracefs under root (NULL: /sys/kernel/tracing, else
 * /sys/kernel/debug/tracing), check that the kernel has the driver's event
 * trace points, create or reuse instances/<instance>, enable the events of
 * cxl_trace_event_names the kernel has, and open the instance's trace_pipe
 * without blocking. Returns 0 and a new reader, or -errno with why set:
 * -ENOENT when the kernel lacks the trace points (the driver does not own
 * the event logs), -ENODEV when no tracefs is mounted, -EACCES without the
 * privilege to create the instance. */
int cxl_ktrace_open(const char *root, const char *instance, struct cxl_ktrace **out, char *why,
		    size_t whylen);
void cxl_ktrace_free(struct cxl_ktrace *t);

/* What a privileged step before the agent's start found (cxl-agent
 * --prepare-trace, run as root by the packaged service, whose processes
 * never hold the privilege tracefs needs): the instance's trace_pipe it
 * opened, or why there is none. */
struct cxl_ktrace_handover {
	int fd;               /* the trace_pipe, or -1; borrowed */
	const char *instance; /* its instance's directory; borrowed */
	const char *note;     /* what the step found, for the Manager; borrowed */
};

/* A reader over h's trace_pipe (duplicated: the caller still closes h->fd).
 * Returns 0 and a new reader, or -ENOENT with h->note as why when the step
 * handed over no trace_pipe, or another -errno. */
int cxl_ktrace_adopt(const struct cxl_ktrace_handover *h, struct cxl_ktrace **out, char *why,
		     size_t whylen);
/* The reader's trace_pipe. Borrowed. */
int cxl_ktrace_fd(const struct cxl_ktrace *t);

/* The instance's directory. Borrowed. */
const char *cxl_ktrace_path(const struct cxl_ktrace *t);

/* Read what trace_pipe holds now (never blocks) and call fn for every line
 * that decodes as a CXL event record; a partial last line waits for the next
 * call. Returns the number of records handed to fn, or -errno from read. */
int cxl_ktrace_poll(struct cxl_ktrace *t,
		    void (*fn)(void *arg, const struct cxl_trace_rec *rec), void *arg);

/* Lines read that were CXL events but did not decode (cut or malformed). */
uint64_t cxl_ktrace_rejected(const struct cxl_ktrace *t);

#endif
