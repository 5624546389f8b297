/* Start-up reconciliation of the audit log: every allowed command whose
 * outcome the log does not hold (the agent stopped, or was killed, between
 * intent and result, or a background operation was never seen to finish)
 * gets a result now, so no intent stays open. */
#ifndef CXLA_CORE_RECONCILE_H
#define CXLA_CORE_RECONCILE_H

struct agent;

/* Needs ag->audit and ag->devices. Returns how many commands were closed,
 * or -errno when the log could not be read. */
int audit_reconcile(struct agent *ag);

#endif
