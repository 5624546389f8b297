/* The device broker: the process that alone holds the device descriptors,
 * the catalogue, the policy and the audit log, and answers the front's
 * requests from the closed table of broker/proto.h (OpenSSH's monitor is the
 * model). Anything outside the table, or malformed, ends the session: a
 * front that sends it is not the front we started.
 *
 * It pushes to the front what GETs read (device snapshots, event records,
 * the catalogue, the audit log's health) whenever they change, so no GET of
 * the front ever waits on it. */
#ifndef CXLA_BROKER_SERVER_H
#define CXLA_BROKER_SERVER_H

#include <sys/types.h>

struct agent;

/* Serve the front at the other end of fd (a SOCK_SEQPACKET socket, taken
 * over) over ag (borrowed: devices, catalogue, audit log) until the front
 * goes away. front is its pid: SIGTERM/SIGINT received here are passed on to
 * it, SIGHUP reloads the catalogue and pushes it, SIGCHLD tells it exited.
 * Non-NULL on_usr1 is called on SIGUSR1 (test builds' hooks).
 * The signals must be blocked in the calling thread.
 * Returns 0 when the front stopped because it was told to and exited 0, 1
 * otherwise (it crashed, was killed, exited non-zero, or broke the
 * protocol). Background operations still open are recorded as abandoned
 * before it returns. */
int broker_serve(struct agent *ag, int fd, pid_t front, void (*on_usr1)(void));

#endif
