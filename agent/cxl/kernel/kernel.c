/* Kernel backend: CXL memory devices driven by Linux (drivers/cxl).
 *
 * Enumeration uses libcxl 76.1 (names, serials, sizes, label size, firmware
 * version, host, NUMA node). Commands do not: every command, including the
 * ones libcxl wraps (identify, partition, health, read label), goes through
 * CXL_MEM_SEND_COMMAND on a file descriptor of /dev/cxl/memN opened here at
 * start-up, because
 *  - libcxl's cxl_cmd_submit() opens /dev/cxl/memN anew for each command,
 *    which fails once the daemon has dropped root;
 *  - libcxl 76.1 gives no access to a reply's raw bytes (only per-field
 *    getters), and the device layer decodes replies in one place (mbox.c)
 *    for every backend;
 *  - it has no Get Supported Logs / Get Log at all (CXL-REFERENCE.md 4).
 * The ioctls use exactly the command ids and sizes libcxl's constructors use.
 *
 * Standard opcodes go through their named kernel id when the kernel lists
 * it; anything else through CXL_MEM_COMMAND_ID_RAW only when the kernel
 * lists RAW (built with CONFIG_CXL_MEM_RAW_COMMANDS), never for opcodes the
 * kernel owns. Stock Debian kernels have no RAW: vendor opcodes are then
 * reported unavailable with the reason. */
#include "cxl/kernel/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/cxl_mem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cxl/libcxl.h>

#include "cxl/kernel/trace.h"
#include "cxl/mbox.h"
#include "util/log.h"

/* Added to the UAPI in 6.4; the 6.1 header lacks them and 6.1 reports 0. */
#ifndef CXL_MEM_COMMAND_FLAG_ENABLED
#define CXL_MEM_COMMAND_FLAG_ENABLED (1u << 0)
#endif
#ifndef CXL_MEM_COMMAND_FLAG_EXCLUSIVE
#define CXL_MEM_COMMAND_FLAG_EXCLUSIVE (1u << 1)
#endif

#define KID_RAW 2u
#define KID_SLOTS 64u /* ids the backend tracks; the kernel has 25 in 6.17 */
#define QUERY_MAX 1024u
#define TRACE_QUEUE 64u /* traced records kept per device between refreshes */

struct kdev {
	char name[32];
	int fd;
	uint32_t payload_max;
	bool listed[KID_SLOTS];
	uint32_t flags[KID_SLOTS];
	bool reports_flags; /* some slot has ENABLED: a >= 6.4 kernel */
	bool raw;
	uint8_t raw_refused[65536 / 8]; /* opcodes the kernel answered EPERM for */
	/* traced records not yet taken, under trace_lock */
	struct cxl_event queue[TRACE_QUEUE];
	size_t q_start, q_len;
};

struct kernel_backend {
	struct cxl_backend be;
	const struct cxl_kernel_sys *sys;
	size_t n;
	struct kdev *dev;
	struct cxl_dev_info *info;
	bool raw_used; /* atomic: set by submitting threads, read by host_state */
	pthread_mutex_t trace_lock; /* the reader and every device's queue */
	struct cxl_ktrace *trace;   /* NULL: the driver's events are not read */
	char trace_note[192];       /* why not, or where from; set once at open */
	uint64_t trace_dropped;     /* records lost to a full queue */
};

static int sys_open(const char *path, int flags)
{
	return open(path, flags);
}

static int sys_close(int fd)
{
	return close(fd);
}

static int sys_ioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg);
}

static ssize_t sys_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

const struct cxl_kernel_sys cxl_kernel_sys_default = {
	.open = sys_open,
	.close = sys_close,
	.ioctl = sys_ioctl,
	.read_file = sys_read_file,
};

unsigned cxl_kernel_cmd_id(uint16_t opcode)
{
	static const struct {
		uint16_t opcode;
		unsigned id;
	} map[] = {
		{ 0x4000, 1 },  /* IDENTIFY */
		{ 0x0400, 3 },  /* GET_SUPPORTED_LOGS */
		{ 0x0200, 4 },  /* GET_FW_INFO */
		{ 0x4100, 5 },  /* GET_PARTITION_INFO */
		{ 0x4102, 6 },  /* GET_LSA */
		{ 0x4200, 7 },  /* GET_HEALTH_INFO */
		{ 0x0401, 8 },  /* GET_LOG */
		{ 0x4101, 9 },  /* SET_PARTITION_INFO */
		{ 0x4103, 10 }, /* SET_LSA */
		{ 0x4201, 11 }, /* GET_ALERT_CONFIG */
		{ 0x4202, 12 }, /* SET_ALERT_CONFIG */
		{ 0x4203, 13 }, /* GET_SHUTDOWN_STATE */
		{ 0x4204, 14 }, /* SET_SHUTDOWN_STATE */
		{ 0x4300, 15 }, /* GET_POISON (deprecated after 6.4) */
		{ 0x4301, 16 }, /* INJECT_POISON (deprecated) */
		{ 0x4302, 17 }, /* CLEAR_POISON (deprecated) */
		{ 0x4303, 18 }, /* GET_SCAN_MEDIA_CAPS */
		{ 0x4304, 19 }, /* SCAN_MEDIA (deprecated) */
		{ 0x4305, 20 }, /* GET_SCAN_MEDIA (deprecated) */
		{ 0x0300, 21 }, /* GET_TIMESTAMP, newer kernels */
		{ 0x0402, 22 }, /* GET_LOG_CAPS, 6.10 */
		{ 0x0403, 23 }, /* CLEAR_LOG, 6.10 */
		{ 0x0405, 24 }, /* GET_SUP_LOG_SUBLIST, 6.10 */
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].opcode == opcode)
			return map[i].id;
	return 0;
}

static int query_commands(const struct cxl_kernel_sys *sys, struct kdev *d)
{
	struct cxl_mem_query_commands q0;
	struct cxl_mem_query_commands *q;
	uint32_t n;

	memset(&q0, 0, sizeof(q0));
	if (sys->ioctl(d->fd, CXL_MEM_QUERY_COMMANDS, &q0) < 0)
		return -errno;
	n = q0.n_commands;
	if (n == 0 || n > QUERY_MAX)
		return -EPROTO;
	q = calloc(1, sizeof(*q) + n * sizeof(q->commands[0]));
	if (!q)
		return -ENOMEM;
	q->n_commands = n;
	if (sys->ioctl(d->fd, CXL_MEM_QUERY_COMMANDS, q) < 0) {
		int rc = -errno;
		free(q);
		return rc;
	}
	for (uint32_t i = 0; i < q->n_commands && i < n; i++) {
		uint32_t id = q->commands[i].id;
		/* 6.1 returns unlisted slots (INVALID, RAW when not built) as id 0 */
		if (id == 0 || id >= KID_SLOTS)
			continue;
		d->listed[id] = true;
		d->flags[id] = q->commands[i].flags;
		if (q->commands[i].flags & CXL_MEM_COMMAND_FLAG_ENABLED)
			d->reports_flags = true;
	}
	d->raw = d->listed[KID_RAW];
	free(q);
	return 0;
}

static unsigned long read_number(const struct cxl_kernel_sys *sys, const char *path, int base,
				 unsigned long def)
{
	char buf[32];
	char *end;
	unsigned long v;
	ssize_t n = sys->read_file(path, buf, sizeof(buf) - 1);

	if (n <= 0)
		return def;
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &end, base);
	if (errno || end == buf || (*end && *end != '\n'))
		return def;
	return v;
}

/* raw_refused is written by the submitting thread and read by delivery()
 * from any thread, hence the atomic byte accesses. */
static bool refused(const struct kdev *d, uint16_t opcode)
{
	return __atomic_load_n(&d->raw_refused[opcode / 8], __ATOMIC_RELAXED) & (1u << (opcode % 8));
}

static int kernel_submit(struct cxl_backend *be, size_t idx, uint16_t opcode, const uint8_t *in,
			 size_t in_len, uint8_t *out, size_t out_max, size_t *out_len,
			 uint16_t *mbox_rc, const struct timespec *deadline)
{
	struct kernel_backend *kb = (struct kernel_backend *)be;
	struct cxl_send_command cmd;
	struct kdev *d;
	unsigned id;
	size_t room;

	(void)deadline; /* the kernel applies its own mailbox timeout */
	if (idx >= kb->n)
		return -ENODEV;
	d = &kb->dev[idx];
	*out_len = 0;
	*mbox_rc = 0;
	if (d->fd < 0)
		return -ENODEV;
	memset(&cmd, 0, sizeof(cmd));
	id = cxl_kernel_cmd_id(opcode);
	if (id && id < KID_SLOTS && d->listed[id]) {
		cmd.id = id;
	} else if (!d->raw) {
		return -EOPNOTSUPP;
	} else if (cxl_opcode_kernel_owned(opcode)) {
		return -EPERM; /* the kernel denies these as raw commands anyway */
	} else {
		cmd.id = KID_RAW;
		cmd.raw.opcode = opcode;
	}
	room = out_max < d->payload_max ? out_max : d->payload_max;
	if (in_len > d->payload_max)
		return -EINVAL;
	cmd.in.size = (uint32_t)in_len;
	cmd.in.payload = (uint64_t)(uintptr_t)in;
	cmd.out.size = (uint32_t)room;
	cmd.out.payload = (uint64_t)(uintptr_t)out;
	if (kb->sys->ioctl(d->fd, CXL_MEM_SEND_COMMAND, &cmd) < 0) {
		int e = errno;
		if (e == EPERM && cmd.id == KID_RAW)
			__atomic_fetch_or(&d->raw_refused[opcode / 8], (uint8_t)(1u << (opcode % 8)),
					  __ATOMIC_RELAXED);
		/* past the permission check the kernel has already warned and
		 * tainted itself, whatever the device then did */
		else if (cmd.id == KID_RAW && e != EINVAL && e != ENOTTY)
			__atomic_store_n(&kb->raw_used, true, __ATOMIC_RELAXED);
		return -e;
	}
	if (cmd.id == KID_RAW)
		__atomic_store_n(&kb->raw_used, true, __ATOMIC_RELAXED);
	if (cmd.retval > 0xFFFF || cmd.out.size > room)
		return -EPROTO;
	*mbox_rc = (uint16_t)cmd.retval;
	/* On a non-zero status Linux leaves out.size as the caller set it and
	 * the buffer untouched: the bytes are not the device's. */
	*out_len = cmd.retval == 0 ? cmd.out.size : 0;
	return 0;
}

const struct cxl_delivery_path cxl_kernel_path_named = {
	.method = "KernelNamedCommand",
	.description = "the kernel's named command id, through CXL_MEM_SEND_COMMAND",
	.agent_reads = true,
};
/* Events go through RAW only on kernels built for debugging, and the kernel
 * driver consumes them itself: the agent does not compete. */
const struct cxl_delivery_path cxl_kernel_path_raw = {
	.method = "KernelRawCommand",
	.description = "CXL_MEM_COMMAND_ID_RAW (kernels built with CONFIG_CXL_MEM_RAW_COMMANDS)",
	.agent_reads = false,
};
static const struct cxl_delivery_path *const kernel_paths[] = {
	&cxl_kernel_path_named,
	&cxl_kernel_path_raw,
	NULL,
};

static void kernel_delivery(struct cxl_backend *be, size_t idx, uint16_t opcode,
			    struct cxl_delivery_info *out)
{
	struct kernel_backend *kb = (struct kernel_backend *)be;
	const struct kdev *d;
	unsigned id = cxl_kernel_cmd_id(opcode);

	memset(out, 0, sizeof(*out));
	if (idx >= kb->n) {
		snprintf(out->reason, sizeof(out->reason), "no such device");
		return;
	}
	d = &kb->dev[idx];
	if (id && id < KID_SLOTS && d->listed[id]) {
		if (d->flags[id] & CXL_MEM_COMMAND_FLAG_EXCLUSIVE) {
			snprintf(out->reason, sizeof(out->reason),
				 "kernel holds the command exclusively for a driver (e.g. cxl_pmem)");
			return;
		}
		if (d->reports_flags && !(d->flags[id] & CXL_MEM_COMMAND_FLAG_ENABLED)) {
			snprintf(out->reason, sizeof(out->reason),
				 "kernel has not enabled the command for this device (absent from its CEL)");
			return;
		}
		out->path = &cxl_kernel_path_named;
		return;
	}
	if (!d->raw) {
		snprintf(out->reason, sizeof(out->reason), "%s", CXL_KERNEL_REASON_NO_RAW);
		return;
	}
	if (cxl_opcode_kernel_owned(opcode) || refused(d, opcode)) {
		snprintf(out->reason, sizeof(out->reason), "%s", CXL_KERNEL_REASON_RAW_REFUSED);
		return;
	}
	out->path = &cxl_kernel_path_raw;
}

/* Letters of the kernel's taint bits (kernel/panic.c taint_flags), bit 0 first. */
static const char taint_letters[] = "PFSRMBUDAWCIOELKXTNJ";

static int kernel_host_state(struct cxl_backend *be, struct cxl_host_state *out)
{
	struct kernel_backend *kb = (struct kernel_backend *)be;
	char buf[32];
	char *end;
	size_t k = 0;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->raw = CXL_RAW_UNAVAILABLE;
	for (size_t i = 0; i < kb->n; i++)
		if (kb->dev[i].raw)
			out->raw = CXL_RAW_AVAILABLE;
	if (__atomic_load_n(&kb->raw_used, __ATOMIC_RELAXED))
		out->raw = CXL_RAW_USED;
	out->events = kb->trace ? CXL_EVENTS_DRIVER_TRACE : CXL_EVENTS_NOT_READ;
	snprintf(out->events_note, sizeof(out->events_note), "%s", kb->trace_note);
	n = kb->sys->read_file("/proc/sys/kernel/tainted", buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0; /* no procfs: taint unknown, not an error */
	buf[n] = '\0';
	errno = 0;
	out->taint = strtoul(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n')) {
		out->taint = 0;
		return 0;
	}
	out->taint_known = true;
	for (unsigned bit = 0; bit < sizeof(taint_letters) - 1; bit++)
		if ((out->taint >> bit) & 1ul && k + 1 < sizeof(out->taint_flags))
			out->taint_flags[k++] = taint_letters[bit];
	out->taint_flags[k] = '\0';
	return 0;
}

/* A traced record goes to the device whose serial it names (names can be
 * reused across a hot-unplug), else to the one with its name. */
static void trace_route(void *arg, const struct cxl_trace_rec *rec)
{
	struct kernel_backend *kb = arg;
	struct kdev *d = NULL;

	for (size_t i = 0; i < kb->n && !d; i++)
		if (rec->serial && kb->info[i].serial == rec->serial)
			d = &kb->dev[i];
	for (size_t i = 0; i < kb->n && !d; i++)
		if (!rec->serial && strcmp(kb->dev[i].name, rec->memdev) == 0)
			d = &kb->dev[i];
	if (!d)
		return; /* a device the agent did not open */
	if (d->q_len == TRACE_QUEUE) {
		d->q_start = (d->q_start + 1) % TRACE_QUEUE;
		d->q_len--;
		kb->trace_dropped++;
	}
	d->queue[(d->q_start + d->q_len) % TRACE_QUEUE] = rec->ev;
	d->q_len++;
}

static int kernel_take_events(struct cxl_backend *be, size_t idx, struct cxl_event *out,
			      size_t max)
{
	struct kernel_backend *kb = (struct kernel_backend *)be;
	struct kdev *d;
	size_t n = 0;
	int rc = 0;

	if (idx >= kb->n)
		return -ENODEV;
	if (!kb->trace)
		return 0;
	d = &kb->dev[idx];
	pthread_mutex_lock(&kb->trace_lock);
	rc = cxl_ktrace_poll(kb->trace, trace_route, kb);
	if (rc < 0)
		log_warn("cxl: reading %s/trace_pipe: %s", cxl_ktrace_path(kb->trace), strerror(-rc));
	while (n < max && d->q_len) {
		out[n++] = d->queue[d->q_start];
		d->q_start = (d->q_start + 1) % TRACE_QUEUE;
		d->q_len--;
	}
	pthread_mutex_unlock(&kb->trace_lock);
	return (int)n;
}

int cxl_kernel_backend_trace(struct cxl_backend *be, const char *root,
			     const struct cxl_ktrace_handover *h)
{
	struct kernel_backend *kb = (struct kernel_backend *)be;
	char why[sizeof(kb->trace_note)];
	int rc;

	if (kb->trace)
		return 0;
	if (h)
		rc = cxl_ktrace_adopt(h, &kb->trace, why, sizeof(why));
	else
		rc = cxl_ktrace_open(root, CXL_KTRACE_INSTANCE, &kb->trace, why, sizeof(why));

	snprintf(kb->trace_note, sizeof(kb->trace_note), "%s", why);
	if (rc)
		log_info("cxl: device event records not read: %s", why);
	else
		log_info("cxl: device event records: %s", why);
	return rc;
}

static int kernel_enumerate(struct cxl_backend *be, struct cxl_dev_info *info, size_t max)
{
	struct kernel_backend *kb = (struct kernel_backend *)be;
	size_t n = kb->n < max ? kb->n : max;
	for (size_t i = 0; i < n; i++)
		info[i] = kb->info[i];
	return (int)n;
}

static void kernel_free(struct cxl_backend *be)
{
	struct kernel_backend *kb = (struct kernel_backend *)be;
	if (!kb)
		return;
	for (size_t i = 0; i < kb->n; i++)
		if (kb->dev[i].fd >= 0)
			kb->sys->close(kb->dev[i].fd);
	cxl_ktrace_free(kb->trace);
	pthread_mutex_destroy(&kb->trace_lock);
	free(kb->dev);
	free(kb->info);
	free(kb);
}

static const struct cxl_backend_ops kernel_ops = {
	.name = "kernel",
	.enumerate = kernel_enumerate,
	.submit = kernel_submit,
	.delivery = kernel_delivery,
	.take_events = kernel_take_events,
	.host_state = kernel_host_state,
	.free = kernel_free,
};

int cxl_kernel_backend_new_with(const struct cxl_kernel_sys *sys, const struct cxl_dev_info *devs,
				size_t n, struct cxl_backend **out, char *errbuf, size_t errlen)
{
	struct kernel_backend *kb;
	char path[256];
	int rc = 0;

	*out = NULL;
	kb = calloc(1, sizeof(*kb));
	if (!kb)
		return -ENOMEM;
	kb->be.ops = &kernel_ops;
	kb->sys = sys;
	pthread_mutex_init(&kb->trace_lock, NULL);
	snprintf(kb->trace_note, sizeof(kb->trace_note), "the driver's trace events are not read");
	kb->dev = calloc(n ? n : 1, sizeof(*kb->dev));
	kb->info = calloc(n ? n : 1, sizeof(*kb->info));
	if (!kb->dev || !kb->info) {
		rc = -ENOMEM;
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct kdev *d = &kb->dev[i];
		struct cxl_dev_info *inf = &kb->info[i];
		kb->n = i + 1;
		*inf = devs[i];
		/* sysfs shows the device's Identify bytes unfiltered */
		cxl_text_clean(inf->fw_revision);
		snprintf(d->name, sizeof(d->name), "%s", devs[i].name);
		snprintf(path, sizeof(path), "/dev/cxl/%s", d->name);
		d->fd = sys->open(path, O_RDWR | O_CLOEXEC);
		if (d->fd < 0) {
			rc = -errno;
			snprintf(errbuf, errlen, "open %s: %s", path, strerror(errno));
			goto fail;
		}
		snprintf(path, sizeof(path), "/sys/bus/cxl/devices/%s/payload_max", d->name);
		d->payload_max = (uint32_t)read_number(sys, path, 0, 0);
		if (d->payload_max < 256 || d->payload_max > (1u << 20)) {
			log_warn("cxl: %s: unusable payload_max in sysfs, assuming 256 bytes", d->name);
			d->payload_max = 256;
		}
		inf->payload_max = d->payload_max;
		if (inf->host[0]) {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", inf->host);
			inf->pci_vendor_id = (uint16_t)read_number(sys, path, 16, 0);
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", inf->host);
			inf->pci_device_id = (uint16_t)read_number(sys, path, 16, 0);
		}
		rc = query_commands(sys, d);
		if (rc) {
			/* The three commands the kernel force-enables. */
			log_warn("cxl: %s: CXL_MEM_QUERY_COMMANDS failed (%s); assuming the core set",
				 d->name, strerror(-rc));
			memset(d->listed, 0, sizeof(d->listed));
			d->listed[1] = d->listed[3] = d->listed[8] = true;
			d->raw = false;
		}
	}
	*out = &kb->be;
	return 0;
fail:
	kernel_free(&kb->be);
	return rc;
}

int cxl_kernel_backend_new(struct cxl_backend **out, char *errbuf, size_t errlen)
{
	struct cxl_ctx *ctx = NULL;
	struct cxl_memdev *md;
	struct cxl_dev_info *devs;
	size_t n = 0;
	int rc;

	*out = NULL;
	devs = calloc(CXL_MAX_DEVICES, sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	rc = cxl_new(&ctx);
	if (rc) {
		snprintf(errbuf, errlen, "libcxl: cxl_new failed: %s", strerror(rc < 0 ? -rc : rc));
		free(devs);
		return rc < 0 ? rc : -rc;
	}
	cxl_memdev_foreach(ctx, md) {
		struct cxl_dev_info *d;
		const char *s;
		/* Each one past the limit is named: "the rest" tells an
		 * operator nothing about which devices go unmanaged. */
		if (n == CXL_MAX_DEVICES) {
			log_warn("cxl: kernel device %s left out: the agent serves at most %d devices",
				 cxl_memdev_get_devname(md), CXL_MAX_DEVICES);
			continue;
		}
		d = &devs[n++];
		snprintf(d->name, sizeof(d->name), "%s", cxl_memdev_get_devname(md));
		d->serial = cxl_memdev_get_serial(md);
		d->numa_node = cxl_memdev_get_numa_node(md);
		s = cxl_memdev_get_host(md);
		snprintf(d->host, sizeof(d->host), "%s", s ? s : "");
		d->persistent_only_bytes = cxl_memdev_get_pmem_size(md);
		d->volatile_only_bytes = cxl_memdev_get_ram_size(md);
		d->total_bytes = cxl_bytes_add(d->persistent_only_bytes, d->volatile_only_bytes);
		d->lsa_size = (uint32_t)cxl_memdev_get_label_size(md);
		s = cxl_memdev_get_firmware_version(md);
		snprintf(d->fw_revision, sizeof(d->fw_revision), "%s", s ? s : "");
	}
	cxl_unref(ctx);
	if (n == 0) {
		snprintf(errbuf, errlen, "libcxl found no CXL memory device");
		free(devs);
		return -ENODEV;
	}
	rc = cxl_kernel_backend_new_with(&cxl_kernel_sys_default, devs, n, out, errbuf, errlen);
	free(devs);
	return rc;
}

static bool kernel_probe(char *note, size_t len)
{
	glob_t g;
	bool any = glob("/dev/cxl/mem*", 0, NULL, &g) == 0 && g.gl_pathc > 0;
	globfree(&g);
	snprintf(note, len, "%s", any ? "/dev/cxl/mem* devices found" : "no /dev/cxl/mem* device");
	return any;
}

static int kernel_open(const struct cxl_devset_config *cfg, struct cxl_backend **out,
		       char *errbuf, size_t errlen)
{
	int rc = cxl_kernel_backend_new(out, errbuf, errlen);

	if (rc == 0) /* the reason is kept and shown */
		(void)cxl_kernel_backend_trace(*out, NULL, cfg->kernel_trace);
	return rc;
}

const struct cxl_backend_desc cxl_kernel_backend_desc = {
	.name = "kernel",
	.probe = kernel_probe,
	.open = kernel_open,
	.paths = kernel_paths,
};
