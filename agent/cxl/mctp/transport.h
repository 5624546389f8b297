/* An MCTP endpoint speaking CXL CCI: one request at a time, answered within
 * a deadline, with bounded retries and every reply validated by the codec
 * (cxl/mctp/cci.h) before any byte of it is passed on.
 *
 * The bytes move through a small I/O seam (struct cxl_mctp_io_ops): the
 * kernel's AF_MCTP datagram sockets in production (cxl_mctp_io_socket()),
 * DSP0253 serial framing over a file descriptor (cxl/mctp/serial_io.h), or
 * a fake in the unit tests. An endpoint is used by one thread at a time
 * (the device set serialises commands per device); distinct endpoints are
 * independent. */
#ifndef CXLA_CXL_MCTP_TRANSPORT_H
#define CXLA_CXL_MCTP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cxl/mctp/cci.h"

/* Where a request goes. */
struct cxl_mctp_addr {
	uint32_t network; /* MCTP network id; 0: any */
	uint8_t eid;
	uint8_t type;     /* MCTP message type */
};

/* The seam. Handles are small non-negative integers chosen by the
 * implementation (a file descriptor for sockets). Deadlines are
 * CLOCK_MONOTONIC. */
struct cxl_mctp_io_ops {
	/* A channel for requests to peer. Returns a handle >= 0 or -errno. */
	int (*open)(void *ctx, const struct cxl_mctp_addr *peer);
	/* Send one whole message (type byte first) to peer. 0 or -errno. */
	int (*send)(void *ctx, int h, const struct cxl_mctp_addr *peer, const uint8_t *msg,
		    size_t len);
	/* Wait until deadline for one whole message from peer into
	 * buf[0..max). 0 and *len; -ETIMEDOUT when nothing came; -EMSGSIZE
	 * when a message longer than max came (it is discarded); else -errno.
	 * Messages from other addresses are skipped. */
	int (*recv)(void *ctx, int h, const struct cxl_mctp_addr *peer, uint8_t *buf, size_t max,
		    size_t *len, const struct timespec *deadline);
	void (*close)(void *ctx, int h);
};

/* AF_MCTP sockets, one per endpoint, the kernel allocating MCTP tags
 * (MCTP_TAG_OWNER). Replies from another address or type are ignored. */
const struct cxl_mctp_io_ops *cxl_mctp_io_socket(void);

#define CXL_MCTP_RETRIES_MAX 7
#define CXL_MCTP_PAYLOAD_LIMIT (1u << 20) /* largest mailbox payload the CXL spec allows */

struct cxl_mctp_ep_config {
	struct cxl_mctp_addr peer; /* type: CXL_MCTP_TYPE_CCI or CXL_MCTP_TYPE_FMAPI */
	unsigned timeout_ms;  /* per attempt; > 0 */
	unsigned retries;     /* resends after an attempt without a valid reply, <= CXL_MCTP_RETRIES_MAX */
	size_t payload_max;   /* bound on request and reply payloads, 256..CXL_MCTP_PAYLOAD_LIMIT;
				 the receive buffer is sized from it */
};

struct cxl_mctp_ep_stats {
	uint64_t requests;    /* cxl_mctp_ep_exec() calls that sent something */
	uint64_t sent;        /* messages sent, retries included */
	uint64_t replies;     /* valid replies */
	uint64_t timeouts;    /* attempts without a valid reply */
	uint64_t stale;       /* late replies to an earlier attempt of the same request */
	uint64_t refused[CXL_CCI_ERR__COUNT]; /* replies refused, by reason */
};

struct cxl_mctp_ep;

/* New endpoint over io (borrowed; io_ctx borrowed, must outlive it). Opens
 * no channel yet: the first exec does, and a failed channel is reopened on
 * the next. Returns 0, -EINVAL for a bad config, -ENOMEM. */
int cxl_mctp_ep_new(const struct cxl_mctp_ep_config *cfg, const struct cxl_mctp_io_ops *io,
		    void *io_ctx, struct cxl_mctp_ep **out);
void cxl_mctp_ep_free(struct cxl_mctp_ep *ep);

/* Run one command: the same contract as a backend's submit (cxl/backend.h).
 * Returns 0 when a valid reply came (*mbox_rc, *out_len <= out_max set; BO
 * in *bo when bo is not NULL), or:
 *  -EINVAL     in_len over payload_max, or a NULL payload with a length;
 *  -ETIMEDOUT  no reply in any attempt before the deadline (the command may
 *              have run);
 *  -EPROTO     replies came but none was valid (wrong tag that is not a
 *              late answer to an earlier attempt, wrong opcode or category,
 *              lengths that disagree, longer than out_max or payload_max);
 *  -EBUSY      nothing was sent: no MCTP tag free for the peer (too many
 *              requests still unanswered), try later;
 *  -errno      from the channel (e.g. -EAFNOSUPPORT without kernel MCTP,
 *              -ENETUNREACH/-EHOSTUNREACH without a route to the EID).
 * deadline may be NULL: then (retries + 1) * timeout_ms bounds the call. */
int cxl_mctp_ep_exec(struct cxl_mctp_ep *ep, uint16_t opcode, const uint8_t *in, size_t in_len,
		     uint8_t *out, size_t out_max, size_t *out_len, uint16_t *mbox_rc, bool *bo,
		     const struct timespec *deadline);

/* Milliseconds from now (CLOCK_MONOTONIC) to deadline, rounded up; 0 when
 * past. For poll() in seam implementations. */
int cxl_mctp_ms_left(const struct timespec *deadline);

/* Counters since creation. */
void cxl_mctp_ep_stats_get(const struct cxl_mctp_ep *ep, struct cxl_mctp_ep_stats *out);

#endif
