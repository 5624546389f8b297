/* The broker protocol: the closed, versioned table of messages that the
 * network-facing process (the front) and the device broker exchange over a
 * SOCK_SEQPACKET socketpair (OpenSSH's monitor protocol is the model). One
 * datagram is one message; every message starts with the same header and is
 * decoded field by field with every length checked against what is left, so
 * a short, long or malformed message is refused, never guessed at.
 *
 * Header: u16 version (BROKER_PROTO_VERSION), u16 type, u32 request id
 * (replies carry the id of their request; pushes carry 0). Integers are
 * little-endian; strings are u32 length + bytes without NUL and must fit
 * their destination; byte strings are u32 length + bytes.
 *
 * Decoded byte strings and texts (payload, reply data, audit JSON) are
 * borrowed: they point into the datagram, which must outlive the message.
 * The CEL and delivery table of a device snapshot are new (broker_msg_release).
 *
 * This module does no I/O and holds no state. */
#ifndef CXLA_BROKER_PROTO_H
#define CXLA_BROKER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/identity.h"
#include "cxl/cel.h"
#include "cxl/device.h"
#include "policy/policy.h"

#define BROKER_PROTO_VERSION 1
/* Largest datagram either side sends or accepts (both sockets' buffers are
 * sized to hold a few of them). */
#define BROKER_MSG_MAX (512u * 1024u)
#define BROKER_HEADER_LEN 8
/* Event records per BROKER_MSG_EVENTS message. */
#define BROKER_EVENTS_MAX 32
/* Delivery entries per device snapshot (CEL opcodes plus approved ones). */
#define BROKER_DELIVERY_MAX 512
/* CEL entries per device snapshot: as many as the device set keeps. */
#define BROKER_CEL_MAX CXL_CEL_MAX_ENTRIES
#define BROKER_PEER_MAX 64
#define BROKER_COMMAND_ID_MAX 72
#define BROKER_AUDIT_ID_MAX 32
#define BROKER_BG_REPLY_MAX 64

enum broker_msg_type {
	/* broker -> front, pushes (id 0) */
	BROKER_MSG_HELLO = 1,     /* once, first: version, backends, device count */
	BROKER_MSG_DEVICE,        /* one device's snapshot (inventory, health, CEL, ...) */
	BROKER_MSG_EVENTS,        /* new event records of one device */
	BROKER_MSG_CATALOGUE,     /* the catalogue text in force (start-up, SIGHUP) */
	/* front -> broker, requests; each has exactly one reply */
	BROKER_MSG_SUBMIT,        /* an approved command, by device and command id */
	BROKER_MSG_SUBMIT_REPLY,
	BROKER_MSG_BG_POLL,       /* Background Operation Status of an open operation */
	BROKER_MSG_BG_POLL_REPLY,
	BROKER_MSG_BG_CLOSE,      /* the front stops following an open operation */
	BROKER_MSG_BG_CLOSE_REPLY,
	BROKER_MSG_AUDIT_READ,    /* a page of audit records */
	BROKER_MSG_AUDIT_READ_REPLY,
	BROKER_MSG_AUDIT_FIND,    /* one audit record by id */
	BROKER_MSG_AUDIT_FIND_REPLY,
	BROKER_MSG_AUDIT_STATUS,  /* the audit log's health and chain head */
	BROKER_MSG_AUDIT_STATUS_REPLY,
	/* broker -> front, push: the service is stopping; finish what is under
	 * way (the broker still answers) and exit */
	BROKER_MSG_STOP,
	/* front -> broker, once: the front's start is over. It listens and
	 * is confined, and the broker tells the service manager the service
	 * is ready; or it failed, and the broker passes the reason on (only
	 * the process the service manager started may speak to it) */
	BROKER_MSG_READY,
	BROKER_MSG_READY_REPLY,
	/* broker -> front, push: a catalogue reload failed, the previous one
	 * stays in force (the front publishes it as an event) */
	BROKER_MSG_CATALOGUE_FAILED,
};
#define BROKER_MSG_TYPE_MAX BROKER_MSG_CATALOGUE_FAILED

struct broker_hello {
	uint32_t version;
	uint32_t ndevices;
	char backend[64];
	char why[256];
	bool has_host;
	struct cxl_host_state host;
	uint32_t ring_size;       /* event records kept per device */
};

/* How one opcode reaches a device: path is one of the backend table's static
 * paths (NULL: unavailable, reason says why). */
struct broker_delivery {
	uint16_t opcode;
	const struct cxl_delivery_path *path;
	char reason[128];
};

struct broker_device {
	uint32_t idx;
	struct cxl_dev_info info;
	struct cxl_health health;
	uint64_t mailbox_count;
	/* the host kernel's state (raw commands used, taint) as of now: it
	 * changes with the commands sent, so it travels with each snapshot */
	bool has_host;
	struct cxl_host_state host;
	struct cxl_cel cel;                  /* new after decode */
	size_t ndelivery;
	struct broker_delivery *delivery;    /* new after decode */
};

struct broker_events {
	uint32_t idx;
	uint32_t count;
	struct cxl_event ev[BROKER_EVENTS_MAX];
};

struct broker_catalogue {
	char name[256];           /* where the broker loaded it from */
	const char *text;         /* borrowed */
	size_t len;
};

struct broker_catalogue_failed {
	char reason[1024];
};

struct broker_submit {
	/* the caller, as the front authenticated it */
	enum auth_method method;
	char user[IDENTITY_NAME_MAX];
	privset_t privileges;
	char peer[BROKER_PEER_MAX];
	/* the command: both ids are re-resolved by the broker */
	uint32_t device;
	char device_id[CXL_ID_MAX];
	char command_id[BROKER_COMMAND_ID_MAX];
	uint32_t timeout_ms;
	const uint8_t *payload;   /* borrowed */
	size_t payload_len;
};

struct broker_submit_reply {
	int32_t rc;               /* 0, or -errno outside the command (no such device) */
	uint8_t stage;            /* enum command_stage */
	struct policy_decision decision;
	char audit_id[BROKER_AUDIT_ID_MAX];
	int32_t audit_error;
	int32_t transport;
	uint16_t mbox_rc;
	uint64_t duration_us;
	uint64_t audit_us;        /* writing the intent took this long */
	const uint8_t *out;       /* borrowed */
	size_t out_len;
};

struct broker_bg_poll {
	uint32_t device;
	char intent[BROKER_AUDIT_ID_MAX];
};

struct broker_bg_poll_reply {
	int32_t rc;               /* -ENOENT: not an open operation of that device */
	int32_t transport;
	uint16_t mbox_rc;
	const uint8_t *out;       /* borrowed, <= BROKER_BG_REPLY_MAX bytes */
	size_t out_len;
};

enum broker_bg_close_kind {
	BROKER_BG_LOST = 0,       /* no completion within the limit, or device gone */
	BROKER_BG_ABANDONED,      /* still running when the front stopped */
};

struct broker_bg_close {
	char intent[BROKER_AUDIT_ID_MAX];
	uint8_t kind;             /* enum broker_bg_close_kind */
	int32_t transport;
	uint64_t duration_us;
};

struct broker_rc {
	int32_t rc;
};

struct broker_audit_read {
	uint64_t skip;
	uint32_t max;
};

struct broker_audit_text {
	int32_t rc;
	uint64_t total;           /* AUDIT_READ_REPLY: records in the log */
	const char *json;         /* borrowed: an array (read) or an object (find) */
	size_t json_len;
};

struct broker_audit_find {
	char id[BROKER_AUDIT_ID_MAX];
};

/* BROKER_MSG_READY: error 0 (ready), or the errno of a start that failed */
struct broker_ready {
	int32_t error;
	char reason[1024];
};

struct broker_audit_status {
	int32_t bad;
	char message[256];
	char head[65];
};

struct broker_msg {
	uint16_t type;            /* enum broker_msg_type */
	uint32_t id;
	union {
		struct broker_hello hello;
		struct broker_device device;
		struct broker_events events;
		struct broker_catalogue catalogue;
		struct broker_catalogue_failed catalogue_failed;
		struct broker_ready ready;
		struct broker_submit submit;
		struct broker_submit_reply submit_reply;
		struct broker_bg_poll bg_poll;
		struct broker_bg_poll_reply bg_poll_reply;
		struct broker_bg_close bg_close;
		struct broker_rc rc;  /* BG_CLOSE_REPLY */
		struct broker_audit_read audit_read;
		struct broker_audit_text audit_text; /* AUDIT_READ_REPLY, AUDIT_FIND_REPLY */
		struct broker_audit_find audit_find;
		struct broker_audit_status audit_status; /* AUDIT_STATUS_REPLY */
	} u;
};

/* Encode m into a new buffer (*out, free()) of *len bytes. -EINVAL for an
 * unknown type or a field that does not fit the protocol (a string too long
 * for its destination, more than the maximum entries), -EMSGSIZE past
 * BROKER_MSG_MAX, -ENOMEM. */
int broker_msg_encode(const struct broker_msg *m, uint8_t **out, size_t *len);
/* Decode one datagram. 0, or -EPROTO for anything malformed (wrong version,
 * unknown type, short or trailing bytes, an over-long string, a value out of
 * range), -ENOMEM. On success release with broker_msg_release(); on failure
 * nothing is held. */
int broker_msg_decode(const uint8_t *buf, size_t len, struct broker_msg *m);
/* Encode m and send it as one datagram on the SEQPACKET socket fd, with
 * MSG_NOSIGNAL and flags (MSG_DONTWAIT where blocking is not allowed).
 * 0, an encoding error as above, or send's -errno (-EAGAIN, -EPIPE, ...). */
int broker_msg_send(int fd, const struct broker_msg *m, int flags);
/* Free what decode allocated (a snapshot's CEL and delivery table). */
void broker_msg_release(struct broker_msg *m);

/* Whether type is a request the front may send (the broker accepts nothing
 * else), and the reply type that answers it (0 for none). */
bool broker_msg_is_request(uint16_t type);
uint16_t broker_msg_reply_type(uint16_t type);
/* "hello", "submit", ... for logs; "unknown" otherwise. Static. */
const char *broker_msg_name(uint16_t type);

#endif
