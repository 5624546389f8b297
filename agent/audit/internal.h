/* Between the audit log's file mechanics (audit.c) and its record builders
 * (records.c). Not for use outside agent/audit. */
#ifndef CXLA_AUDIT_INTERNAL_H
#define CXLA_AUDIT_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "audit/audit.h"
#include "audit/limiter.h"

/* CLOCK_REALTIME in microseconds. */
uint64_t audit_now_us(void);
/* Assign the next id, stamp rec with id, type, time and the chain link and
 * append it. durable: return only once an fdatasync covers it (and its
 * error if that failed); otherwise the syncer settles it soon after. Takes
 * over rec (NULL: -ENOMEM). */
int audit_write_record(struct audit_log *log, json_t *rec, const char *type,
		       char id_out[AUDIT_ID_MAX], int durable);
/* denial_limiter_admit / _drain under the log's lock. */
int audit_admit_denial(struct audit_log *log, const char *user, const char *source,
		       struct denial_summary *flush);
size_t audit_drain_denials(struct audit_log *log, int all, struct denial_summary *out,
			   size_t max);

#endif
