/* The broker's insides shared by server.c (the session, the requests) and
 * push.c (what it sends unasked). Internal to agent/broker. */
#ifndef CXLA_BROKER_INTERNAL_H
#define CXLA_BROKER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "broker/proto.h"
#include "cxl/backend.h"
#include "cxl/device.h"

struct agent;

/* A background operation the broker started and has not seen end: only these
 * may be polled or closed by the front. */
struct bg_open {
	char intent[BROKER_AUDIT_ID_MAX]; /* "" = free */
	size_t idx;
	uint16_t opcode;
	struct timespec started;          /* CLOCK_MONOTONIC */
};

/* What was last pushed for one device, to push only changes. */
struct pushed {
	bool sent;
	uint64_t generation;
	struct timespec read_at, health_at;
	bool health_valid;
	uint64_t mailbox_count;
	bool has_host;
	struct cxl_host_state host;
	uint64_t event_seq;
	unsigned catalogue_epoch;
};

struct broker {
	struct agent *ag;
	int fd;
	pthread_mutex_t send_lock;
	pthread_mutex_t readers_lock;     /* readers, readers_idle, ended, end_rc */
	pthread_cond_t readers_gone;      /* a reader thread ended */
	unsigned readers;                 /* reader threads alive */
	unsigned readers_idle;            /* of which waiting for a request */
	bool ended;                       /* the readers saw the session end */
	int end_rc;                       /* why: 0 (the front closed it) or -errno */
	pthread_mutex_t bg_lock;
	/* By device: a mailbox runs one background operation at a time, so
	 * each device has at most one open, and the table cannot fill. */
	struct bg_open bg[CXL_MAX_DEVICES];
	bool failed;                      /* a send failed: the front is gone */
	bool stopping;                    /* the front was told to stop (written on the
					   * signal thread under send_lock) */
	bool start_failed;                /* the front said why its start failed */
	unsigned catalogue_epoch;         /* bumps at every catalogue reload */
	struct pushed pushed[CXL_MAX_DEVICES];
	bool audit_sent;
	struct broker_audit_status audit_last;
	uint64_t watchdog_usec;           /* 0: no watchdog armed */
	uint64_t next_ping;               /* CLOCK_MONOTONIC microseconds */
	void (*on_usr1)(void);            /* test builds: SIGUSR1 calls it */
};

/* Delivery of every opcode the front may show for device idx: the approved
 * ones first, then the rest of the CEL (borrowed), at most
 * BROKER_DELIVERY_MAX in all. *out is new (free()), NULL when *n is 0.
 * 0 or -ENOMEM. */
int broker_delivery_table(struct broker *b, size_t idx, const struct cxl_cel *cel,
			  struct broker_delivery **out, size_t *n);
/* Encode and send one message; 0 or -errno (the session then ends). */
int broker_send(struct broker *b, const struct broker_msg *m);
/* The hello, every device and the catalogue, before any request. */
int broker_push_initial(struct broker *b);
/* Whatever changed since the last push (device snapshots, event records,
 * the audit log's health). */
int broker_push_changes(struct broker *b);
/* The catalogue in force. */
int broker_push_catalogue(struct broker *b);
/* The same from policy_file (borrowed; NULL: none configured, an empty
 * catalogue). A file that does not load keeps the one in force. */
int broker_push_catalogue_from(struct broker *b, const char *policy_file);

#endif
