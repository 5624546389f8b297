#include "cxl/mctp/transport.h"
#include "util/clock.h"

#include <errno.h>
#include <linux/mctp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_MCTP
#define AF_MCTP 45
#endif

struct cxl_mctp_ep {
	struct cxl_mctp_ep_config cfg;
	const struct cxl_mctp_io_ops *io;
	void *io_ctx;
	int h;             /* channel handle, -1 when closed */
	uint8_t next_tag;
	uint8_t *tx;       /* CXL_CCI_HDR_LEN + payload_max each */
	uint8_t *rx;
	size_t buf_len;
	struct cxl_mctp_ep_stats st;
};

/* ---- time ---- */

static int ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int cxl_mctp_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	int64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000000000LL +
	     (deadline->tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return 0;
	if (ns > (int64_t)INT32_MAX * 1000000LL)
		return INT32_MAX;
	return (int)((ns + 999999) / 1000000);
}

/* ---- AF_MCTP sockets ---- */

static int sock_open(void *ctx, const struct cxl_mctp_addr *peer)
{
	int fd;
	(void)ctx;
	(void)peer;
	/* Unbound: the kernel allocates an MCTP tag for each request sent
	 * with MCTP_TAG_OWNER and routes the response to this socket. One
	 * socket per endpoint, since a tag allocation for another EID would
	 * replace this one's. */
	fd = socket(AF_MCTP, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	return fd; /* owned by the endpoint, closed through sock_close() */
}

static int sock_send(void *ctx, int h, const struct cxl_mctp_addr *peer, const uint8_t *msg,
		     size_t len)
{
	struct sockaddr_mctp a;
	ssize_t n;
	(void)ctx;

	/* AF_MCTP carries the message type byte in the address, not in the
	 * data: sendmsg puts smctp_type in front of what it is given. */
	if (len < 1)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.smctp_family = AF_MCTP;
	a.smctp_network = peer->network;
	a.smctp_addr.s_addr = peer->eid;
	a.smctp_type = msg[0];
	a.smctp_tag = MCTP_TAG_OWNER;
	do
		n = sendto(h, msg + 1, len - 1, 0, (const struct sockaddr *)&a, sizeof(a));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len - 1 ? 0 : -EIO;
}

static int sock_recv(void *ctx, int h, const struct cxl_mctp_addr *peer, uint8_t *buf,
		     size_t max, size_t *len, const struct timespec *deadline)
{
	(void)ctx;
	*len = 0;
	if (max < 1)
		return -EINVAL;
	for (;;) {
		struct pollfd pfd = { .fd = h, .events = POLLIN };
		struct sockaddr_mctp a;
		socklen_t alen = sizeof(a);
		ssize_t n;
		int rc = poll(&pfd, 1, cxl_mctp_ms_left(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return -ETIMEDOUT;
		memset(&a, 0, sizeof(a));
		/* recvmsg strips the type byte into smctp_type: it goes back in
		 * front, so the message is whole as the codec expects it.
		 * MSG_TRUNC returns the real length, so an oversized message is
		 * recognised instead of silently cut to the buffer. */
		n = recvfrom(h, buf + 1, max - 1, MSG_TRUNC | MSG_DONTWAIT, (struct sockaddr *)&a,
			     &alen);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (alen < sizeof(a) || a.smctp_family != AF_MCTP || a.smctp_addr.s_addr != peer->eid ||
		    (peer->network && a.smctp_network != peer->network))
			continue;
		if ((size_t)n > max - 1)
			return -EMSGSIZE;
		buf[0] = a.smctp_type;
		*len = (size_t)n + 1;
		return 0;
	}
}

static void sock_close(void *ctx, int h)
{
	(void)ctx;
	close(h);
}

static const struct cxl_mctp_io_ops sock_ops = {
	.open = sock_open,
	.send = sock_send,
	.recv = sock_recv,
	.close = sock_close,
};

const struct cxl_mctp_io_ops *cxl_mctp_io_socket(void)
{
	return &sock_ops;
}

/* ---- endpoint ---- */

int cxl_mctp_ep_new(const struct cxl_mctp_ep_config *cfg, const struct cxl_mctp_io_ops *io,
		    void *io_ctx, struct cxl_mctp_ep **out)
{
	struct cxl_mctp_ep *ep;

	*out = NULL;
	if (!cfg || !io || cfg->timeout_ms == 0 || cfg->retries > CXL_MCTP_RETRIES_MAX ||
	    cfg->payload_max < 256 || cfg->payload_max > CXL_MCTP_PAYLOAD_LIMIT ||
	    (cfg->peer.type != CXL_MCTP_TYPE_CCI && cfg->peer.type != CXL_MCTP_TYPE_FMAPI))
		return -EINVAL;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	ep->cfg = *cfg;
	ep->io = io;
	ep->io_ctx = io_ctx;
	ep->h = -1;
	ep->buf_len = CXL_CCI_HDR_LEN + cfg->payload_max;
	ep->tx = malloc(ep->buf_len);
	ep->rx = malloc(ep->buf_len);
	if (!ep->tx || !ep->rx) {
		cxl_mctp_ep_free(ep);
		return -ENOMEM;
	}
	*out = ep;
	return 0;
}

void cxl_mctp_ep_free(struct cxl_mctp_ep *ep)
{
	if (!ep)
		return;
	if (ep->h >= 0)
		ep->io->close(ep->io_ctx, ep->h);
	free(ep->tx);
	free(ep->rx);
	free(ep);
}

void cxl_mctp_ep_stats_get(const struct cxl_mctp_ep *ep, struct cxl_mctp_ep_stats *out)
{
	*out = ep->st;
}

static void channel_reset(struct cxl_mctp_ep *ep)
{
	if (ep->h >= 0)
		ep->io->close(ep->io_ctx, ep->h);
	ep->h = -1;
}

static int was_sent(const uint8_t *tags, unsigned n, uint8_t tag)
{
	for (unsigned i = 0; i < n; i++)
		if (tags[i] == tag)
			return 1;
	return 0;
}

/* Collect replies for one attempt until its deadline. Returns 0 with *rep
 * on a valid reply, -ETIMEDOUT when none came, another -errno from the
 * channel. *garbage is set when something invalid arrived. */
static int await_reply(struct cxl_mctp_ep *ep, const struct cxl_cci_hdr *req,
		       const uint8_t *tags, unsigned ntags, size_t out_max,
		       const struct timespec *until, struct cxl_cci_reply *rep, int *garbage)
{
	/* Checked between messages too: a peer that never stops talking must
	 * not hold the caller past its deadline. */
	for (int first = 1;; first = 0) {
		enum cxl_cci_err why = CXL_CCI_OK;
		size_t len = 0;
		int rc;
		if (!first && cxl_mctp_ms_left(until) == 0)
			return -ETIMEDOUT;
		rc = ep->io->recv(ep->io_ctx, ep->h, &ep->cfg.peer, ep->rx, ep->buf_len, &len,
				      until);
		if (rc == -EMSGSIZE) {
			ep->st.refused[CXL_CCI_ERR_TOO_LONG]++;
			*garbage = 1;
			continue;
		}
		if (rc)
			return rc;
		rc = cxl_cci_check_response(req, ep->rx, len, out_max, rep, &why);
		if (rc == 0) {
			ep->st.replies++;
			return 0;
		}
		/* A late answer to an earlier attempt of this request is what
		 * a slow device produces after a retry, not a fault. */
		if (why == CXL_CCI_ERR_TAG && len > 2 && was_sent(tags, ntags, ep->rx[2])) {
			ep->st.stale++;
			continue;
		}
		ep->st.refused[why]++;
		*garbage = 1;
	}
}

int cxl_mctp_ep_exec(struct cxl_mctp_ep *ep, uint16_t opcode, const uint8_t *in, size_t in_len,
		     uint8_t *out, size_t out_max, size_t *out_len, uint16_t *mbox_rc, bool *bo,
		     const struct timespec *deadline)
{
	struct cxl_cci_hdr req = { .msg_type = ep->cfg.peer.type,
				   .category = CXL_CCI_CATEGORY_REQUEST,
				   .opcode = opcode };
	uint8_t tags[CXL_MCTP_RETRIES_MAX + 1];
	struct timespec end;
	size_t msg_len;
	int garbage = 0, rc = -ETIMEDOUT;

	*out_len = 0;
	*mbox_rc = 0;
	if (bo)
		*bo = false;
	if ((!in && in_len) || in_len > ep->cfg.payload_max)
		return -EINVAL;
	if (out_max > ep->cfg.payload_max)
		out_max = ep->cfg.payload_max;
	if (deadline)
		end = *deadline;
	else
		clock_deadline_ms(&end, ep->cfg.timeout_ms * (ep->cfg.retries + 1));
	ep->st.requests++;
	for (unsigned attempt = 0; attempt <= ep->cfg.retries; attempt++) {
		struct cxl_cci_reply rep;
		struct timespec until;

		if (attempt > 0 && cxl_mctp_ms_left(&end) == 0)
			break;
		if (ep->h < 0) {
			rc = ep->io->open(ep->io_ctx, &ep->cfg.peer);
			if (rc < 0)
				return rc;
			ep->h = rc;
		}
		req.tag = ep->next_tag++;
		tags[attempt] = req.tag;
		rc = cxl_cci_encode(&req, in, in_len, ep->tx, ep->buf_len, &msg_len);
		if (rc)
			return rc;
		rc = ep->io->send(ep->io_ctx, ep->h, &ep->cfg.peer, ep->tx, msg_len);
		/* The kernel has only 8 MCTP tags per peer and holds each one
		 * until its reply or expiry: after a burst of unanswered
		 * requests none is free, nothing was sent, and the channel is
		 * fine. */
		if (rc == -EAGAIN)
			return -EBUSY;
		if (rc) {
			channel_reset(ep);
			return rc;
		}
		ep->st.sent++;
		clock_deadline_ms(&until, ep->cfg.timeout_ms);
		if (!ts_before(&until, &end))
			until = end;
		rc = await_reply(ep, &req, tags, attempt + 1, out_max, &until, &rep, &garbage);
		if (rc == 0) {
			if (rep.payload_len)
				memcpy(out, rep.payload, rep.payload_len);
			*out_len = rep.payload_len;
			*mbox_rc = rep.mbox_rc;
			if (bo)
				*bo = rep.bo;
			return 0;
		}
		if (rc != -ETIMEDOUT) {
			channel_reset(ep);
			return rc;
		}
		ep->st.timeouts++;
	}
	return garbage ? -EPROTO : -ETIMEDOUT;
}
