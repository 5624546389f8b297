/* The MCTP backend (see backend.h): endpoints as devices, enumeration by
 * Generic Component Identify then memory-device Identify, every command
 * through the endpoint transport. */
#include "cxl/mctp/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cxl/cel.h"
#include "cxl/mbox.h"
#include "cxl/mctp/cci.h"
#include "cxl/mctp/serial_io.h"
#include "util/fanout.h"
#include "util/log.h"
#include "util/clock.h"

/* An endpoint's identifying thread at start: Identify through the
 * transport, whose buffers are small or on the heap. */
#define ENUM_STACK_BYTES (256u * 1024u)

struct mctp_dev {
	struct cxl_mctp_endpoint_spec spec;
	int fd;                          /* serial line, -1 otherwise */
	struct cxl_mctp_serial_io *sio;  /* over fd */
	struct cxl_mctp_ep *ep;
	unsigned timeout_ms, retries;
	unsigned misses;                 /* commands in a row without an answer */
};

struct mctp_backend {
	struct cxl_backend be;
	size_t n;
	struct mctp_dev *dev;
};

const struct cxl_delivery_path cxl_mctp_path = {
	.method = "MctpCci",
	.description = "CXL CCI messages over MCTP (type 08h) to the device's endpoint",
	.agent_reads = true,
};
static const struct cxl_delivery_path *const mctp_paths[] = { &cxl_mctp_path, NULL };

static int mctp_submit(struct cxl_backend *be, size_t idx, uint16_t opcode, const uint8_t *in,
		       size_t in_len, uint8_t *out, size_t out_max, size_t *out_len,
		       uint16_t *mbox_rc, const struct timespec *deadline)
{
	struct mctp_backend *mb = (struct mctp_backend *)be;
	struct mctp_dev *d;
	int rc;

	*out_len = 0;
	*mbox_rc = 0;
	if (idx >= mb->n)
		return -ENODEV;
	d = &mb->dev[idx];
	rc = cxl_mctp_ep_exec(d->ep, opcode, in, in_len, out, out_max, out_len, mbox_rc, NULL,
			      deadline);
	/* No route to the endpoint any more is the platform's word that it
	 * left (mctpd drops a removed endpoint's route): unanswered, as
	 * silence is, and back once a route and an answer are. */
	if (rc == -ETIMEDOUT || rc == -EHOSTUNREACH || rc == -ENETUNREACH || rc == -ENETDOWN) {
		if (d->misses < CXL_MCTP_ABSENT_AFTER)
			d->misses++;
		return d->misses >= CXL_MCTP_ABSENT_AFTER ? -ENODEV : rc;
	}
	if (rc == 0 || rc == -EPROTO)
		d->misses = 0; /* it answered, even if badly */
	return rc;
}

static void mctp_delivery(struct cxl_backend *be, size_t idx, uint16_t opcode,
			  struct cxl_delivery_info *out)
{
	(void)be;
	(void)idx;
	(void)opcode;
	memset(out, 0, sizeof(*out));
	out->path = &cxl_mctp_path;
}

/* Generic Component Identify (0001h) of endpoint i into gi. 0, the
 * transport's -errno, or -EPROTO for a failed or malformed answer (*mrc
 * says which). */
static int generic_identify(struct mctp_backend *mb, size_t i, struct cxl_cci_identify *gi,
			    uint16_t *mrc, const struct timespec *deadline)
{
	uint8_t buf[CXL_IDENTIFY_LEN + 64];
	size_t len;
	int e;

	e = mctp_submit(&mb->be, i, CXL_CCI_OP_IDENTIFY, NULL, 0, buf, sizeof(buf), &len, mrc,
			deadline);
	if (e)
		return e;
	if (*mrc != CXL_MBOX_SUCCESS || cxl_cci_parse_identify(buf, len, gi))
		return -EPROTO;
	return 0;
}

static int mctp_identity(struct cxl_backend *be, size_t idx, uint64_t *serial, uint16_t *vendor,
			 uint16_t *device, const struct timespec *deadline)
{
	struct mctp_backend *mb = (struct mctp_backend *)be;
	struct cxl_cci_identify gi;
	uint16_t mrc = 0;
	int rc;

	if (idx >= mb->n)
		return -ENODEV;
	rc = generic_identify(mb, idx, &gi, &mrc, deadline);
	if (rc)
		return rc;
	*serial = gi.serial;
	*vendor = gi.vendor_id;
	*device = gi.device_id;
	return 0;
}

/* Identify the endpoint into o; what it does not answer stays unset. */
static void identify_one(struct mctp_backend *mb, size_t i, struct cxl_dev_info *o)
{
	struct mctp_dev *d = &mb->dev[i];
	uint8_t buf[CXL_IDENTIFY_LEN + 64];
	struct cxl_cci_identify gi;
	struct cxl_identify id;
	struct timespec dl;
	size_t len;
	uint16_t rc = 0;
	int e;

	clock_deadline_ms(&dl, d->timeout_ms * (d->retries + 1));
	e = generic_identify(mb, i, &gi, &rc, &dl);
	if (e) {
		log_warn("cxl: mctp %s: no usable Identify (%s, rc 0x%x); kept by name",
			 d->spec.name, e == -EPROTO ? "answered" : strerror(-e), rc);
		return;
	}
	if (gi.component_type != CXL_CCI_COMPONENT_TYPE3)
		log_warn("cxl: mctp %s: component type 0x%02x is not a memory device",
			 d->spec.name, gi.component_type);
	o->serial = gi.serial;
	o->pci_vendor_id = gi.vendor_id;
	o->pci_device_id = gi.device_id;
	if ((1ull << gi.max_msg_log2) < o->payload_max)
		o->payload_max = (uint32_t)(1u << gi.max_msg_log2);
	clock_deadline_ms(&dl, d->timeout_ms * (d->retries + 1));
	e = mctp_submit(&mb->be, i, CXL_OP_IDENTIFY, NULL, 0, buf, sizeof(buf), &len, &rc, &dl);
	if (e || rc != CXL_MBOX_SUCCESS || cxl_parse_identify(buf, len, &id))
		return;
	memcpy(o->fw_revision, id.fw_revision, sizeof(o->fw_revision));
	o->total_bytes = id.total_bytes;
	o->volatile_only_bytes = id.volatile_only_bytes;
	o->persistent_only_bytes = id.persistent_only_bytes;
	o->partition_align_bytes = id.partition_align_bytes;
	o->lsa_size = id.lsa_size;
}

struct enum_ctx {
	struct mctp_backend *mb;
	struct cxl_dev_info *info;
};

static void enumerate_one(void *arg, size_t i)
{
	struct enum_ctx *c = arg;
	struct cxl_dev_info *o = &c->info[i];

	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", c->mb->dev[i].spec.name);
	o->numa_node = -1;
	o->payload_max = CXL_MCTP_BACKEND_PAYLOAD;
	identify_one(c->mb, i, o);
	c->mb->dev[i].misses = 0; /* an endpoint silent at start is kept, not absent */
}

/* Every endpoint is identified at the same time (each has its own socket or
 * line): silent endpoints cost the start their timeouts once, not once each. */
static int mctp_enumerate(struct cxl_backend *be, struct cxl_dev_info *info, size_t max)
{
	struct mctp_backend *mb = (struct mctp_backend *)be;
	struct enum_ctx c = { .mb = mb, .info = info };
	size_t n = mb->n < max ? mb->n : max;

	fanout_run(n, ENUM_STACK_BYTES, enumerate_one, &c);
	return (int)n;
}

static void mctp_free(struct cxl_backend *be)
{
	struct mctp_backend *mb = (struct mctp_backend *)be;
	if (!mb)
		return;
	for (size_t i = 0; i < mb->n; i++) {
		cxl_mctp_ep_free(mb->dev[i].ep);
		cxl_mctp_serial_io_free(mb->dev[i].sio);
		if (mb->dev[i].fd >= 0)
			close(mb->dev[i].fd);
	}
	free(mb->dev);
	free(mb);
}

static const struct cxl_backend_ops mctp_ops = {
	.name = "mctp",
	.enumerate = mctp_enumerate,
	.submit = mctp_submit,
	.delivery = mctp_delivery,
	.identity = mctp_identity,
	.free = mctp_free,
};

/* Open a serial line raw, so no byte of a frame is translated or echoed. */
static int open_line(struct mctp_dev *d, char *errbuf, size_t errlen)
{
	struct termios t;
	int rc;

	d->fd = open(d->spec.serial_path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (d->fd < 0) {
		rc = -errno;
		snprintf(errbuf, errlen, "mctp %s: cannot open %s: %s", d->spec.name,
			 d->spec.serial_path, strerror(-rc));
		return rc;
	}
	if (isatty(d->fd) && tcgetattr(d->fd, &t) == 0) {
		cfmakeraw(&t);
		if (tcsetattr(d->fd, TCSANOW, &t) != 0)
			log_warn("cxl: mctp %s: cannot make %s raw: %s", d->spec.name,
				 d->spec.serial_path, strerror(errno));
	}
	rc = cxl_mctp_serial_io_new(d->fd, d->spec.local_eid,
				    CXL_CCI_HDR_LEN + CXL_MCTP_BACKEND_PAYLOAD, &d->sio);
	if (rc)
		snprintf(errbuf, errlen, "mctp %s: %s", d->spec.name, strerror(-rc));
	return rc;
}

static int dev_init(struct mctp_dev *d, const struct cxl_mctp_endpoint_spec *spec,
		    unsigned timeout_ms, unsigned retries, const struct cxl_mctp_io_ops *io,
		    void *io_ctx, char *errbuf, size_t errlen)
{
	struct cxl_mctp_ep_config ec;
	int rc;

	d->spec = *spec;
	d->timeout_ms = spec->timeout_ms ? spec->timeout_ms : timeout_ms;
	d->retries = spec->retries >= 0 ? (unsigned)spec->retries : retries;
	if (!io && spec->serial_path[0]) {
		if ((rc = open_line(d, errbuf, errlen)))
			return rc;
		io = cxl_mctp_io_serial();
		io_ctx = d->sio;
	} else if (!io) {
		io = cxl_mctp_io_socket();
	}
	memset(&ec, 0, sizeof(ec));
	ec.peer.network = spec->network;
	ec.peer.eid = spec->eid;
	ec.peer.type = CXL_MCTP_TYPE_CCI;
	ec.timeout_ms = d->timeout_ms;
	ec.retries = d->retries;
	ec.payload_max = CXL_MCTP_BACKEND_PAYLOAD;
	rc = cxl_mctp_ep_new(&ec, io, io_ctx, &d->ep);
	if (rc)
		snprintf(errbuf, errlen, "mctp %s: bad endpoint settings: %s", spec->name,
			 strerror(-rc));
	return rc;
}

int cxl_mctp_backend_new(const struct cxl_mctp_endpoint_spec *specs, size_t n,
			 unsigned timeout_ms, unsigned retries, const struct cxl_mctp_io_ops *io,
			 void *io_ctx, struct cxl_backend **out, char *errbuf, size_t errlen)
{
	struct mctp_backend *mb;
	int rc;

	*out = NULL;
	if (n == 0 || n > CXL_MAX_DEVICES) {
		snprintf(errbuf, errlen, "mctp: 1 to %d endpoints are needed (mctp_endpoints)",
			 CXL_MAX_DEVICES);
		return -EINVAL;
	}
	mb = calloc(1, sizeof(*mb));
	if (mb)
		mb->dev = calloc(n, sizeof(*mb->dev));
	if (!mb || !mb->dev) {
		free(mb);
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	mb->be.ops = &mctp_ops;
	for (size_t i = 0; i < n; i++) {
		mb->dev[i].fd = -1;
		mb->n = i + 1;
		rc = dev_init(&mb->dev[i], &specs[i], timeout_ms, retries, io, io_ctx, errbuf,
			      errlen);
		if (rc) {
			mctp_free(&mb->be);
			return rc;
		}
	}
	*out = &mb->be;
	return 0;
}

static int mctp_open(const struct cxl_devset_config *cfg, struct cxl_backend **out, char *errbuf,
		     size_t errlen)
{
	struct cxl_mctp_endpoint_spec *specs;
	size_t n = cfg->mctp_endpoint_count;
	char why[128];
	int rc;

	if (n == 0 || !cfg->mctp_endpoints) {
		snprintf(errbuf, errlen, "mctp backend: no mctp_endpoints configured");
		return -EINVAL;
	}
	specs = calloc(n, sizeof(*specs));
	if (!specs) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		rc = cxl_mctp_endpoint_parse(cfg->mctp_endpoints[i], &specs[i], why, sizeof(why));
		if (rc) {
			snprintf(errbuf, errlen, "mctp endpoint \"%s\": %s", cfg->mctp_endpoints[i],
				 why);
			free(specs);
			return rc;
		}
	}
	rc = cxl_mctp_backend_new(specs, n, cfg->mctp_timeout_ms ? cfg->mctp_timeout_ms : 1000,
				  cfg->mctp_retries, NULL, NULL, out, errbuf, errlen);
	free(specs);
	return rc;
}

const struct cxl_backend_desc cxl_mctp_backend_desc = {
	.name = "mctp",
	.probe = NULL, /* endpoints come from configuration, never from auto */
	.open = mctp_open,
	.paths = mctp_paths,
};
