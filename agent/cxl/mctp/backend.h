/* The MCTP backend: CXL memory devices reached as MCTP endpoints speaking
 * the CXL CCI (message type 08h), as a BMC reaches them. Each configured
 * endpoint (cxl/mctp/endpoint.h) is one device; commands travel through the
 * endpoint transport (cxl/mctp/transport.h) over the kernel's AF_MCTP
 * sockets or, for "serial:" endpoints, DSP0253 framing done in user space.
 *
 * On MCTP nobody else consumes the device's event records, so the agent
 * reads and clears them itself, as a BMC would: the delivery path lets the
 * device layer send its own reads.
 *
 * An endpoint that leaves MCTP_ABSENT_AFTER commands in a row unanswered is
 * reported gone (-ENODEV): the device set marks it absent, and the poller's
 * refresh keeps asking it, so it returns once it answers again. */
#ifndef CXLA_CXL_MCTP_BACKEND_H
#define CXLA_CXL_MCTP_BACKEND_H

#include <stddef.h>

#include "cxl/backend.h"
#include "cxl/mctp/endpoint.h"
#include "cxl/mctp/transport.h"

#define CXL_MCTP_ABSENT_AFTER 2u
#define CXL_MCTP_BACKEND_PAYLOAD 4096u /* bound on any payload either way, per endpoint */

extern const struct cxl_backend_desc cxl_mctp_backend_desc;
extern const struct cxl_delivery_path cxl_mctp_path;

/* A backend over specs[0..n) (copied). io NULL: each endpoint uses AF_MCTP
 * or, for serial ones, opens its line; else every endpoint goes through io
 * with io_ctx (borrowed, for tests). timeout_ms/retries apply where a spec
 * sets none. Returns 0 and a new backend, or -errno and errbuf. */
int cxl_mctp_backend_new(const struct cxl_mctp_endpoint_spec *specs, size_t n,
			 unsigned timeout_ms, unsigned retries, const struct cxl_mctp_io_ops *io,
			 void *io_ctx, struct cxl_backend **out, char *errbuf, size_t errlen);

#endif
