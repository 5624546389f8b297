#include "cxl/mctp/serial_io.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cxl_mctp_serial_io {
	int fd;
	uint8_t own_eid;
	uint8_t tag;          /* MCTP tag of the request in flight */
	struct cxl_mctp_deframer df;
	struct cxl_mctp_reasm ra;
	uint8_t *msg;         /* reassembly buffer, msg_max bytes */
	size_t msg_max;
	uint8_t chunk[256];   /* bytes read from fd, chunk[pos..fill) not yet decoded */
	size_t pos, fill;
};

int cxl_mctp_serial_io_new(int fd, uint8_t own_eid, size_t msg_max,
			   struct cxl_mctp_serial_io **out)
{
	struct cxl_mctp_serial_io *s;

	*out = NULL;
	if (fd < 0 || msg_max == 0)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->msg = malloc(msg_max);
	if (!s->msg) {
		free(s);
		return -ENOMEM;
	}
	s->fd = fd;
	s->own_eid = own_eid;
	s->msg_max = msg_max;
	cxl_mctp_deframer_init(&s->df);
	cxl_mctp_reasm_init(&s->ra, s->msg, msg_max);
	*out = s;
	return 0;
}

void cxl_mctp_serial_io_free(struct cxl_mctp_serial_io *s)
{
	if (!s)
		return;
	free(s->msg);
	free(s);
}

void cxl_mctp_serial_io_counters(const struct cxl_mctp_serial_io *s, uint64_t *frames,
				 uint64_t *crc_errors, uint64_t *errors, uint64_t *dropped)
{
	*frames = s->df.frames;
	*crc_errors = s->df.crc_errors;
	*errors = s->df.errors;
	*dropped = s->ra.dropped;
}

struct write_ctx {
	int fd;
	const struct timespec *deadline;
};

int cxl_mctp_write_all(int fd, const uint8_t *p, size_t n, const struct timespec *deadline)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			int rc = poll(&pfd, 1, deadline ? cxl_mctp_ms_left(deadline) : -1);
			if (rc == 0)
				return -ETIMEDOUT;
			if (rc < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int emit_frame(void *ctx, const uint8_t *pkt, size_t len)
{
	const struct write_ctx *w = ctx;
	uint8_t frame[CXL_MCTP_FRAME_MAX];
	size_t flen;
	int rc = cxl_mctp_frame(pkt, len, frame, sizeof(frame), &flen);
	if (rc)
		return rc;
	return cxl_mctp_write_all(w->fd, frame, flen, w->deadline);
}

int cxl_mctp_serial_write_msg(int fd, uint8_t dest, uint8_t src, int to, uint8_t tag,
			      const uint8_t *msg, size_t len, const struct timespec *deadline)
{
	struct write_ctx w = { .fd = fd, .deadline = deadline };
	return cxl_mctp_packetize(dest, src, to != 0, tag, msg, len, SIZE_MAX, emit_frame, &w);
}

static int ser_open(void *ctx, const struct cxl_mctp_addr *peer)
{
	(void)ctx;
	(void)peer;
	return 0;
}

static int ser_send(void *ctx, int h, const struct cxl_mctp_addr *peer, const uint8_t *msg,
		    size_t len)
{
	struct cxl_mctp_serial_io *s = ctx;
	struct timespec deadline;
	(void)h;

	/* A new tag per request, so a late reply to the previous one is not
	 * reassembled into this one's answer. */
	s->tag = (uint8_t)((s->tag + 1) & 7);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 5;
	return cxl_mctp_serial_write_msg(s->fd, peer->eid, s->own_eid, 1, s->tag, msg, len,
					 &deadline);
}

/* One packet from the line: is it the answer we are reassembling? */
static int take_packet(struct cxl_mctp_serial_io *s, const struct cxl_mctp_addr *peer)
{
	struct cxl_mctp_pkt_hdr h;

	if (cxl_mctp_pkt_hdr_get(s->df.pkt, s->df.len, &h) || h.dest != s->own_eid ||
	    h.src != peer->eid || h.to || h.tag != s->tag) {
		s->ra.dropped++;
		return 0;
	}
	return cxl_mctp_reasm_push(&s->ra, s->df.pkt, s->df.len);
}

/* Decode buffered bytes until a whole message is there: 1 with it in s->msg,
 * 0 when the buffer ran out, -EMSGSIZE when a message overflowed. */
static int drain(struct cxl_mctp_serial_io *s, const struct cxl_mctp_addr *peer)
{
	while (s->pos < s->fill) {
		int rc;
		if (cxl_mctp_deframer_push(&s->df, s->chunk[s->pos++]) != 1)
			continue;
		rc = take_packet(s, peer);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int ser_recv(void *ctx, int h, const struct cxl_mctp_addr *peer, uint8_t *buf,
		    size_t max, size_t *len, const struct timespec *deadline)
{
	struct cxl_mctp_serial_io *s = ctx;
	(void)h;

	*len = 0;
	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		ssize_t n;
		int rc = drain(s, peer);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			if (s->ra.len > max)
				return -EMSGSIZE;
			memcpy(buf, s->msg, s->ra.len);
			*len = s->ra.len;
			return 0;
		}
		rc = poll(&pfd, 1, cxl_mctp_ms_left(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return -ETIMEDOUT;
		n = read(s->fd, s->chunk, sizeof(s->chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n == 0 ? -EPIPE : -errno;
		s->pos = 0;
		s->fill = (size_t)n;
	}
}

static void ser_close(void *ctx, int h)
{
	(void)ctx;
	(void)h;
}

static const struct cxl_mctp_io_ops serial_ops = {
	.open = ser_open,
	.send = ser_send,
	.recv = ser_recv,
	.close = ser_close,
};

const struct cxl_mctp_io_ops *cxl_mctp_io_serial(void)
{
	return &serial_ops;
}
