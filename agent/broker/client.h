/* The front's end of the broker session: it reads the broker's start-up
 * state (devices, catalogue, audit health) into a mirror device set, keeps
 * it current from the broker's pushes on a reader thread, and carries the
 * agent's remote operations (core/remote.h) as requests of the protocol.
 *
 * When the broker goes away (end of file, a malformed datagram) every
 * waiting request fails with -EPIPE and the process is sent SIGTERM: the
 * front does not outlive its broker. */
#ifndef CXLA_BROKER_CLIENT_H
#define CXLA_BROKER_CLIENT_H

#include <stddef.h>

#include "core/remote.h"

struct agent;
struct broker_client;
struct cxl_devset;
struct policy_catalogue;

/* The remote operations; their ctx is a struct broker_client. */
extern const struct agent_remote broker_client_remote;

/* Take over fd (a SOCK_SEQPACKET socket to the broker) and read the start-up
 * state: *devices (a new mirror set) and *cat (new) are for agent_open().
 * -EPROTO with a message in err for anything the protocol does not allow. */
int broker_client_open(int fd, struct broker_client **out, struct cxl_devset **devices,
		       struct policy_catalogue **cat, char *err, size_t errlen);
/* Start applying the broker's pushes to ag (its devices and catalogue, which
 * must be the ones open() returned). */
int broker_client_start(struct broker_client *c, struct agent *ag);
/* Tell the broker the front listens and is confined (once); returns when
 * the broker has passed it on to the service manager. 0 or -errno. */
int broker_client_ready(struct broker_client *c);
/* Tell the broker, instead of the above, that the front's start failed
 * (error a positive errno) and why, for the service manager; nothing is
 * waited for, since the front is on its way out. 0 or -errno. */
int broker_client_failed(struct broker_client *c, int error, const char *reason);
/* Stop applying pushes (before the agent's devices are freed); requests
 * still work. NULL is fine. */
void broker_client_detach(struct broker_client *c);
/* Stop the reader, fail whatever still waits, close the socket. NULL is
 * fine. */
void broker_client_free(struct broker_client *c);

#endif
