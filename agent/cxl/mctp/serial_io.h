/* MCTP over a serial file descriptor (a tty, a pty, a socketpair) with
 * DSP0253 framing, done in user space: an implementation of the transport
 * seam (cxl/mctp/transport.h) for hosts whose kernel has no MCTP, and the
 * requester side of the tests that drive the MCTP responder.
 *
 * One peer per channel. Requests are sent with tag owner set and a message
 * tag that changes per request; only packets from the peer's EID to ours,
 * with tag owner clear and the current tag, are reassembled, into a buffer
 * bounded at creation. */
#ifndef CXLA_CXL_MCTP_SERIAL_IO_H
#define CXLA_CXL_MCTP_SERIAL_IO_H

#include <stddef.h>
#include <stdint.h>

#include "cxl/mctp/packet.h"
#include "cxl/mctp/serial.h"
#include "cxl/mctp/transport.h"

struct cxl_mctp_serial_io;

/* New channel over fd (borrowed: the caller closes it after freeing the
 * channel), local EID own_eid, messages up to msg_max bytes. */
int cxl_mctp_serial_io_new(int fd, uint8_t own_eid, size_t msg_max,
			   struct cxl_mctp_serial_io **out);
void cxl_mctp_serial_io_free(struct cxl_mctp_serial_io *s);
/* The seam over such a channel (ctx: the struct cxl_mctp_serial_io). */
const struct cxl_mctp_io_ops *cxl_mctp_io_serial(void);
/* Framing counters of the receive side (good frames, FCS errors, other
 * malformed frames) and packets dropped by reassembly. */
void cxl_mctp_serial_io_counters(const struct cxl_mctp_serial_io *s, uint64_t *frames,
				 uint64_t *crc_errors, uint64_t *errors, uint64_t *dropped);

/* Write all n bytes to fd (EINTR and short writes retried), waiting at
 * most until deadline (NULL: block) for it to drain. 0 or -errno. */
int cxl_mctp_write_all(int fd, const uint8_t *p, size_t n, const struct timespec *deadline);

/* Frame msg as packets from src to dest and write them all to fd, waiting
 * at most until deadline (NULL: block) for the fd to drain. Shared by the
 * channel and the responder. 0 or -errno. */
int cxl_mctp_serial_write_msg(int fd, uint8_t dest, uint8_t src, int to, uint8_t tag,
			      const uint8_t *msg, size_t len, const struct timespec *deadline);

#endif
