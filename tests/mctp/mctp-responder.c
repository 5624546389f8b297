/* mctp-responder: one emulated CXL Type-3 device as an MCTP endpoint on a
 * serial line (DSP0253 framing), for tests of the agent's MCTP path.
 *
 * Theory of operation
 * -------------------
 * The device is the agent's own emulated model (cxl_emu_backend_new() and
 * its backend ops, as the emulated backend uses them): every CCI request of
 * MCTP type 08h is handed to the model's submit and its return code and
 * output go back as the CCI response. Only Generic Component Identify
 * (0001h), which the model does not implement because the mailbox path never
 * needs it, is answered here from the model's enumeration data. Other MCTP
 * message types are ignored, as an endpoint without them would.
 *
 * The line is any file descriptor: a pty whose other side carries the
 * kernel's N_MCTP line discipline (the agent then talks AF_MCTP), or a pty
 * the tests drive with the user-space serial binding. Requests come from any
 * EID to ours (or to the null EID) with tag owner set; the answer goes back
 * to the requester's EID with the same MCTP tag and tag owner clear.
 *
 * Faults, from the command line or a control file re-read before each
 * request ({"fault": "drop", "count": 1, "delay_ms": 0, "opcode": "0x4000"};
 * count -1 until cleared, opcode optional):
 *   delay       answer after delay_ms
 *   drop        no answer
 *   bad_crc     every frame of the answer with a wrong FCS
 *   wrong_tag   CCI message tag of the answer off by one
 *   oversize    a well formed answer with payload_max + 64 bytes of payload
 *   bad_length  the CCI length field claims 16 bytes more than are sent
 *   garbage     a well framed MCTP message of type 08h full of random bytes
 *   noise       junk bytes on the line before a correct answer
 * The model's own faults (busy, timeout, vanish, ...) stay reachable through
 * the profile's fault_control file.
 *
 * Usage: mctp-responder (--tty PATH | --fd N) [--profile PATH] [--device N]
 *        [--state-dir DIR] [--eid N] [--fault NAME] [--count N]
 *        [--delay-ms N] [--opcode 0xNNNN] [--control PATH] [--verbose]
 * Exits 0 when the line hangs up, on SIGTERM or SIGINT. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cxl/backend.h"
#include "cxl/emulated/emulated.h"
#include "cxl/mbox.h"
#include "cxl/mctp/cci.h"
#include "cxl/mctp/packet.h"
#include "cxl/mctp/serial.h"
#include "cxl/mctp/serial_io.h"
#include "util/clock.h"
#include "util/log.h"

enum fault {
	F_NONE = 0, F_DELAY, F_DROP, F_BAD_CRC, F_WRONG_TAG, F_OVERSIZE, F_BAD_LENGTH, F_GARBAGE,
	F_NOISE, F__COUNT,
};
static const char *const fault_names[F__COUNT] = {
	"none", "delay", "drop", "bad_crc", "wrong_tag", "oversize", "bad_length", "garbage",
	"noise",
};

struct fault_cfg {
	enum fault fault;
	int count;      /* -1: until cleared */
	int opcode;     /* -1: any */
	unsigned delay_ms;
};

struct responder {
	int fd;
	uint8_t eid;
	struct cxl_backend *be;
	size_t idx;
	struct cxl_dev_info info;
	struct fault_cfg fault;
	const char *control;
	struct stat control_st;
	uint64_t rng;
	uint8_t *msg;      /* reassembly buffer */
	size_t msg_max;
	uint8_t *out;      /* model output, payload_max + 64 */
	uint8_t *reply;    /* encoded CCI reply */
	size_t reply_max;
	uint64_t served, ignored;
};

static volatile sig_atomic_t stop_flag; /* set only by the signal handler */

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int fault_parse(const char *s, enum fault *out)
{
	for (int i = 0; i < F__COUNT; i++)
		if (strcmp(s, fault_names[i]) == 0) {
			*out = (enum fault)i;
			return 0;
		}
	return -EINVAL;
}

static uint8_t rnd8(struct responder *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return (uint8_t)r->rng;
}

/* Re-read the control file when it changed (inode, size or mtime). A file
 * that does not parse leaves the fault as it was. */
static void control_poll(struct responder *r)
{
	struct fault_cfg f = { .count = -1, .opcode = -1 };
	const char *name = "none", *op = NULL;
	json_error_t jerr;
	struct stat st;
	json_t *root;
	int delay = 0;

	if (!r->control || stat(r->control, &st) != 0)
		return;
	if (st.st_ino == r->control_st.st_ino && st.st_size == r->control_st.st_size &&
	    st.st_mtim.tv_sec == r->control_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == r->control_st.st_mtim.tv_nsec)
		return;
	r->control_st = st;
	root = json_load_file(r->control, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || json_unpack_ex(root, &jerr, JSON_STRICT, "{s?s, s?i, s?i, s?s}", "fault",
				    &name, "count", &f.count, "delay_ms", &delay, "opcode",
				    &op) != 0 ||
	    fault_parse(name, &f.fault) != 0 || delay < 0 || delay > 60000) {
		log_warn("responder: control file %s ignored: %s", r->control,
			 root ? jerr.text : "not JSON");
		json_decref(root);
		return;
	}
	f.delay_ms = (unsigned)delay;
	if (op)
		f.opcode = (int)strtol(op, NULL, 16) & 0xFFFF;
	json_decref(root);
	r->fault = f;
	log_info("responder: fault %s count %d", fault_names[f.fault], f.count);
}

static enum fault fault_take(struct responder *r, uint16_t opcode)
{
	struct fault_cfg *f = &r->fault;

	if (f->fault == F_NONE || f->count == 0 || (f->opcode >= 0 && f->opcode != opcode))
		return F_NONE;
	if (f->count > 0)
		f->count--;
	return f->fault;
}

/* Generic Component Identify from the model's enumeration data. */
static size_t generic_identify(const struct responder *r, uint8_t *out)
{
	unsigned n = 8;

	memset(out, 0, CXL_CCI_IDENTIFY_LEN);
	cxl_put_le16(out, r->info.pci_vendor_id);
	cxl_put_le16(out + 2, r->info.pci_device_id);
	cxl_put_le64(out + 8, r->info.serial);
	while (n < 20 && (1u << (n + 1)) <= r->info.payload_max)
		n++;
	out[16] = (uint8_t)n; /* largest message: 2^n bytes */
	out[17] = CXL_CCI_COMPONENT_TYPE3;
	return CXL_CCI_IDENTIFY_LEN;
}

struct emit_ctx {
	int fd;
	int bad_crc;
};

static int emit_frame(void *ctx, const uint8_t *pkt, size_t len)
{
	const struct emit_ctx *e = ctx;
	uint8_t frame[CXL_MCTP_FRAME_MAX];
	size_t flen;
	int rc = cxl_mctp_frame(pkt, len, frame, sizeof(frame), &flen);
	if (rc)
		return rc;
	if (e->bad_crc)
		frame[flen - 2] ^= 0x5A; /* low FCS byte; never a flag or escape */
	return cxl_mctp_write_all(e->fd, frame, flen, NULL);
}

static int send_reply(struct responder *r, const struct cxl_mctp_pkt_hdr *rq, size_t len,
		      int bad_crc)
{
	struct emit_ctx e = { .fd = r->fd, .bad_crc = bad_crc };
	return cxl_mctp_packetize(rq->src, r->eid, false, rq->tag, r->reply, len, r->reply_max,
				  emit_frame, &e);
}

/* Run one request through the model (or answer Identify) and encode the
 * CCI response into r->reply. Returns its length, 0 for no answer. */
static size_t execute(struct responder *r, const struct cxl_cci_hdr *rq, const uint8_t *in,
		      enum fault f)
{
	struct cxl_cci_hdr h = *rq;
	struct timespec deadline;
	size_t out_len = 0, len = 0;
	uint16_t rc = 0;
	int trc = 0;

	if (rq->opcode == CXL_CCI_OP_IDENTIFY) {
		out_len = generic_identify(r, r->out);
	} else {
		clock_deadline_ms(&deadline, 2000);
		trc = r->be->ops->submit(r->be, r->idx, rq->opcode, in, rq->payload_len, r->out,
					 r->info.payload_max, &out_len, &rc, &deadline);
	}
	if (trc) /* the model is silent (timeout) or gone: so is the endpoint */
		return 0;
	/* The model's garbage-length faults claim more than it wrote; what the
	 * wire can carry is what the buffer holds. */
	if (out_len > r->info.payload_max + 64)
		out_len = r->info.payload_max + 64;
	if (f == F_OVERSIZE) {
		for (size_t i = out_len; i < r->info.payload_max + 64; i++)
			r->out[i] = rnd8(r);
		out_len = r->info.payload_max + 64;
	}
	h.category = CXL_CCI_CATEGORY_RESPONSE;
	h.rc = rc;
	h.vendor_status = 0;
	h.bo = rc == CXL_MBOX_BACKGROUND_STARTED;
	if (f == F_WRONG_TAG)
		h.tag = (uint8_t)(h.tag + 1);
	if (cxl_cci_encode(&h, r->out, out_len, r->reply, r->reply_max, &len))
		return 0;
	if (f == F_BAD_LENGTH) {
		uint32_t lf = (uint32_t)(out_len + 16);
		r->reply[6] = (uint8_t)lf;
		r->reply[7] = (uint8_t)(lf >> 8);
		r->reply[8] = (uint8_t)((r->reply[8] & 0xE0) | ((lf >> 16) & 0x1F));
	} else if (f == F_GARBAGE) {
		for (size_t i = 1; i < len; i++)
			r->reply[i] = rnd8(r);
	}
	return len;
}

static void serve_message(struct responder *r, const struct cxl_mctp_pkt_hdr *ph,
			  const uint8_t *msg, size_t len)
{
	struct cxl_cci_hdr rq;
	const uint8_t *in;
	enum fault f;
	size_t rlen;

	if (!ph->to || len < 1 || msg[0] != CXL_MCTP_TYPE_CCI ||
	    cxl_cci_decode(msg, len, &rq, &in, NULL) || rq.category != CXL_CCI_CATEGORY_REQUEST) {
		r->ignored++;
		return;
	}
	control_poll(r);
	f = fault_take(r, rq.opcode);
	if (f == F_DROP) {
		log_debug("responder: dropped opcode %04x", rq.opcode);
		return;
	}
	if (f == F_DELAY) {
		struct timespec d = { r->fault.delay_ms / 1000,
				      (long)(r->fault.delay_ms % 1000) * 1000000L };
		while (nanosleep(&d, &d) && errno == EINTR && !stop_flag)
			;
	}
	rlen = execute(r, &rq, in, f);
	if (!rlen)
		return;
	if (f == F_NOISE) {
		uint8_t junk[40];
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = rnd8(r);
		junk[5] = CXL_MCTP_SERIAL_FLAG; /* a false start the decoder must survive */
		(void)cxl_mctp_write_all(r->fd, junk, sizeof(junk), NULL);
	}
	if (send_reply(r, ph, rlen, f == F_BAD_CRC) == 0)
		r->served++;
	log_debug("responder: opcode %04x answered (%s)", rq.opcode, fault_names[f]);
}

static int serve(struct responder *r)
{
	struct cxl_mctp_deframer df;
	struct cxl_mctp_reasm ra;
	uint8_t chunk[512];

	cxl_mctp_deframer_init(&df);
	cxl_mctp_reasm_init(&ra, r->msg, r->msg_max);
	while (!stop_flag) {
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		ssize_t n;
		int rc = poll(&pfd, 1, 500);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			continue;
		n = read(r->fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return 0; /* hang-up (EIO on a pty whose other side closed) */
		for (ssize_t i = 0; i < n; i++) {
			struct cxl_mctp_pkt_hdr ph;
			if (cxl_mctp_deframer_push(&df, chunk[i]) != 1)
				continue;
			if (cxl_mctp_pkt_hdr_get(df.pkt, df.len, &ph) ||
			    (ph.dest != r->eid && ph.dest != 0))
				continue;
			if (cxl_mctp_reasm_push(&ra, df.pkt, df.len) == 1)
				serve_message(r, &ra.first, r->msg, ra.len);
		}
	}
	log_info("responder: %llu served, %llu ignored, %llu FCS errors, %llu bad frames",
		 (unsigned long long)r->served, (unsigned long long)r->ignored,
		 (unsigned long long)df.crc_errors, (unsigned long long)df.errors);
	return 0;
}

static int open_line(const char *tty, int fd_arg)
{
	struct termios t;
	int fd = fd_arg;

	if (tty) {
		fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd < 0) {
			log_error("responder: %s: %s", tty, strerror(errno));
			return -1;
		}
	}
	/* Raw bytes both ways: no echo, no line editing, no CR/LF mangling. */
	if (isatty(fd) && tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		if (tcsetattr(fd, TCSANOW, &t) != 0)
			log_warn("responder: cannot make the line raw: %s", strerror(errno));
	}
	return fd;
}

struct opts {
	const char *tty, *profile, *state_dir, *control;
	int fd;
	long device, eid;
	struct fault_cfg fault;
	int verbose;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "tty", required_argument, NULL, 't' },     { "fd", required_argument, NULL, 'f' },
		{ "profile", required_argument, NULL, 'p' }, { "device", required_argument, NULL, 'd' },
		{ "state-dir", required_argument, NULL, 's' }, { "eid", required_argument, NULL, 'e' },
		{ "fault", required_argument, NULL, 'F' },   { "count", required_argument, NULL, 'c' },
		{ "delay-ms", required_argument, NULL, 'D' }, { "opcode", required_argument, NULL, 'o' },
		{ "control", required_argument, NULL, 'C' }, { "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->eid = 8;
	o->fault = (struct fault_cfg){ .count = -1, .opcode = -1 };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->tty = optarg; break;
		case 'f': o->fd = atoi(optarg); break;
		case 'p': o->profile = optarg; break;
		case 'd': o->device = strtol(optarg, NULL, 0); break;
		case 's': o->state_dir = optarg; break;
		case 'e': o->eid = strtol(optarg, NULL, 0); break;
		case 'F':
			if (fault_parse(optarg, &o->fault.fault))
				return -EINVAL;
			break;
		case 'c': o->fault.count = atoi(optarg); break;
		case 'D': o->fault.delay_ms = (unsigned)atoi(optarg); break;
		case 'o': o->fault.opcode = (int)(strtol(optarg, NULL, 16) & 0xFFFF); break;
		case 'C': o->control = optarg; break;
		case 'v': o->verbose = 1; break;
		default: return -EINVAL;
		}
	}
	if ((!o->tty && o->fd < 0) || o->eid < 1 || o->eid > 254 || o->device < 0 ||
	    o->device >= CXL_MAX_DEVICES || o->fault.delay_ms > 60000)
		return -EINVAL;
	return 0;
}

static int setup(struct responder *r, const struct opts *o)
{
	struct cxl_dev_info info[CXL_MAX_DEVICES];
	char err[512];
	int n, rc;

	rc = cxl_emu_backend_new(o->profile, o->state_dir, &r->be, err, sizeof(err));
	if (rc) {
		log_error("responder: %s", err);
		return rc;
	}
	n = r->be->ops->enumerate(r->be, info, CXL_MAX_DEVICES);
	if (n <= o->device) {
		log_error("responder: the profile has no device %ld", o->device);
		return -ENODEV;
	}
	r->idx = (size_t)o->device;
	r->info = info[r->idx];
	r->eid = (uint8_t)o->eid;
	r->fault = o->fault;
	r->control = o->control;
	r->rng = 0x9E3779B97F4A7C15ull ^ r->info.serial;
	/* A request carries at most payload_max bytes; anything longer from the
	 * line is dropped by reassembly, never buffered. */
	r->msg_max = CXL_CCI_HDR_LEN + r->info.payload_max;
	r->reply_max = CXL_CCI_HDR_LEN + r->info.payload_max + 64;
	r->msg = malloc(r->msg_max);
	r->out = calloc(1, r->info.payload_max + 64);
	r->reply = malloc(r->reply_max);
	return r->msg && r->out && r->reply ? 0 : -ENOMEM;
}

int main(int argc, char **argv)
{
	struct responder r = { .fd = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct opts o;
	int rc;

	if (parse_opts(argc, argv, &o)) {
		fprintf(stderr, "usage: %s (--tty PATH | --fd N) [--profile PATH] [--device N] "
				"[--state-dir DIR] [--eid N] [--fault NAME] [--count N] "
				"[--delay-ms N] [--opcode 0xNNNN] [--control PATH] [--verbose]\n",
			argv[0]);
		return 2;
	}
	log_set_level(o.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = setup(&r, &o);
	if (rc == 0) {
		r.fd = open_line(o.tty, o.fd);
		rc = r.fd < 0 ? -EIO : serve(&r);
	}
	if (r.fd >= 0 && o.tty)
		close(r.fd);
	if (r.be)
		r.be->ops->free(r.be);
	free(r.msg);
	free(r.out);
	free(r.reply);
	return rc ? 1 : 0;
}
