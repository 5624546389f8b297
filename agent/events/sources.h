/* Events about the agent's own work: vendor command decisions and
 * completions, background tasks, accounts and sessions. They carry names,
 * ids, reasons and return codes, never payload bytes, passwords or tokens. */
#ifndef CXLA_EVENTS_SOURCES_H
#define CXLA_EVENTS_SOURCES_H

#include <stdint.h>

struct event_bus;
struct command_outcome;
struct task_info;

/* The decision on a vendor command (allowed or denied, with the policy's
 * reason), then its completion when it was submitted; an audit log that
 * cannot be written is published as the agent's own health. command_id may
 * be NULL (not an approved command: the opcode names it). */
void events_command(struct event_bus *bus, const char *device_id, const char *command_id,
		    uint16_t opcode, const char *user, const struct command_outcome *o);
/* A task started (ti->state RUNNING) or ended (COMPLETED or EXCEPTION):
 * a tasks_observer_fn whose arg is the bus (borrowed; it must outlive the
 * task table). The TaskEvent message is the one the Task itself shows. */
void events_task(void *bus, const struct task_info *ti);
/* A catalogue reload (SIGHUP) failed and the previous catalogue stays in
 * force; reason says why. */
void events_catalogue_reload_failed(struct event_bus *bus, const char *reason);

#endif
