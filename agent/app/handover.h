/* What the packaged service's privileged step hands the agent.
 *
 * The service's processes start as their own user with no capability, and
 * tracefs is root's: the driver's trace events (cxl/kernel/trace.h) need an
 * instance made, its events enabled and its trace_pipe opened as root. The
 * unit runs `cxl-agent --prepare-trace` first, as root and outside the
 * sandbox (ExecStartPre=+); it does exactly that and gives the service
 * manager the open trace_pipe and a note saying what it found (the file
 * descriptor store, FDSTORE=1). The manager passes both to the agent's main
 * process at its start (LISTEN_FDS, LISTEN_FDNAMES), which takes them before
 * anything else and asks the manager to forget its copies: the next start
 * gets fresh ones from the next privileged step. Nothing else reaches the
 * agent this way; a descriptor of another name is closed. */
#ifndef CXLA_APP_HANDOVER_H
#define CXLA_APP_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cxl/kernel/trace.h"

#define HANDOVER_TRACE_PIPE "cxl-trace"
#define HANDOVER_TRACE_NOTE "cxl-trace-note"
#define HANDOVER_NAMES_MAX 16

/* --prepare-trace: make the instance under tracefs root (NULL: the usual
 * mounts), enable its events, open its trace_pipe, and store it and the
 * note with the service manager. A kernel or tracefs that does not allow it
 * is not a failure: the note says why, for the Manager. Returns 0, or
 * -errno with err set when nothing could be handed over (-ENOTCONN: no
 * service manager). */
int handover_prepare_trace(const char *root, char *err, size_t errlen);

/* The names LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES (each may be NULL)
 * give the descriptors 3, 4, ... of process self, as systemd sets them:
 * names[i] for descriptor 3 + i (64 bytes each, "" when unnamed). 0 with
 * *n set (0 when the variables are not for self), or -EINVAL when they are
 * malformed or name more than max. */
int handover_parse(const char *pid, const char *fds, const char *names, pid_t self,
		   char (*out)[64], size_t max, size_t *n);

struct handover {
	bool present;       /* the step ran: trace holds its result */
	char instance[320];
	char note[512];
	/* The trace_pipe (held: trace.fd, or -1) and views of the above. */
	struct cxl_ktrace_handover trace;
};

/* In the main process, first: take what the manager passed (h is filled;
 * h->present false when the step did not run), close descriptors of any
 * other name, clear the LISTEN_* variables so no child reads them, and ask
 * the manager to drop its copies. Returns 0, or -errno with err set for
 * variables that do not parse (nothing taken, every passed descriptor
 * closed). */
int handover_take(struct handover *h, char *err, size_t errlen);
/* The step's result for the kernel backend, borrowed from h; NULL when the
 * step did not run. */
const struct cxl_ktrace_handover *handover_trace(const struct handover *h);
/* Close what h holds. Safe twice, and on a zeroed h after handover_init. */
void handover_release(struct handover *h);
void handover_init(struct handover *h);

#endif
