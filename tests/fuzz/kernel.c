/* The kernel backend's reply paths: a fake kernel whose every answer is
 * taken, in order, from the input (sysfs values, the command list of
 * CXL_MEM_QUERY_COMMANDS, the return code, output size and payload of each
 * CXL_MEM_SEND_COMMAND, including sizes larger than the buffer the agent
 * offered). The device set is opened over it as on a real host (Identify,
 * supported logs, the CEL, partition, firmware), then read and sent one
 * standard and one vendor command. */
#include <errno.h>
#include <linux/cxl_mem.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cxl/backend.h"
#include "cxl/device.h"
#include "cxl/kernel/kernel.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FD_BASE 40

/* The reply script of the current input. The kernel seam has no context
 * argument, so the fake keeps it here; the device set runs no thread of
 * its own, so inputs stay deterministic. */
static struct {
	const uint8_t *p;
	size_t n;
} script;

static size_t take(void *out, size_t want)
{
	size_t n = want < script.n ? want : script.n;

	memcpy(out, script.p, n);
	script.p += n;
	script.n -= n;
	return n;
}

static uint8_t take_u8(void)
{
	uint8_t v = 0;
	take(&v, 1);
	return v;
}

static int f_open(const char *path, int flags)
{
	(void)path;
	(void)flags;
	return FD_BASE;
}

static int f_close(int fd)
{
	(void)fd;
	return 0;
}

/* A sysfs value: one length byte, then that many bytes (0xff: missing). */
static ssize_t f_read_file(const char *path, char *buf, size_t len)
{
	uint8_t n = take_u8();

	(void)path;
	if (n == 0xff || !len)
		return -ENOENT;
	if (n > len)
		n = (uint8_t)len;
	return (ssize_t)take(buf, n);
}

static int f_query(struct cxl_mem_query_commands *q)
{
	uint8_t n = take_u8();

	if (n == 0xff) {
		errno = EIO;
		return -1;
	}
	if (q->n_commands == 0) {
		q->n_commands = n;
		return 0;
	}
	for (uint32_t i = 0; i < q->n_commands; i++) {
		struct cxl_command_info *ci = &q->commands[i];
		memset(ci, 0, sizeof(*ci));
		take(ci, sizeof(*ci));
	}
	return 0;
}

/* A reply: errno byte (0: answer), le32 retval, le32 out.size as reported,
 * le16 payload bytes, then the payload (never more than the buffer). */
static int f_send(struct cxl_send_command *c)
{
	uint8_t err = take_u8();
	uint32_t retval = 0, out_size = 0;
	uint16_t len = 0;

	if (err) {
		errno = err % 64 ? err % 64 : EIO;
		return -1;
	}
	take(&retval, sizeof(retval));
	take(&out_size, sizeof(out_size));
	take(&len, sizeof(len));
	if (len > c->out.size)
		len = (uint16_t)(c->out.size > UINT16_MAX ? UINT16_MAX : c->out.size);
	if (len)
		take((void *)(uintptr_t)c->out.payload, len);
	c->retval = retval;
	c->out.size = out_size;
	return 0;
}

static int f_ioctl(int fd, unsigned long req, void *arg)
{
	(void)fd;
	if (req == CXL_MEM_QUERY_COMMANDS)
		return f_query(arg);
	if (req == CXL_MEM_SEND_COMMAND)
		return f_send(arg);
	errno = ENOTTY;
	return -1;
}

static const struct cxl_kernel_sys fake_sys = {
	.open = f_open, .close = f_close, .ioctl = f_ioctl, .read_file = f_read_file,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	struct cxl_dev_info dev = { .numa_node = -1, .total_bytes = 256u << 20 };
	struct cxl_devset_config cfg = { .refresh_interval_ms = 3600000, .event_ring_size = 8,
					 .default_timeout_ms = 100 };
	const uint8_t vendor_in[4] = { 1, 0, 0, 0 };
	struct cxl_cmd cmds[2] = { { .opcode = 0x4200 },
				   { .opcode = 0xC001, .in = vendor_in, .in_len = 4 } };
	struct cxl_backend *be = NULL;
	struct cxl_devset *set = NULL;
	struct cxl_dev_info info;
	struct cxl_health health;
	struct cxl_cel cel;
	char err[256];

	if (!quiet) {
		log_set_level(LOG_LVL_ERROR);
		quiet = 1;
	}
	script.p = data;
	script.n = size;
	snprintf(dev.name, sizeof(dev.name), "mem0");
	snprintf(dev.host, sizeof(dev.host), "0000:0d:00.0");
	if (cxl_kernel_backend_new_with(&fake_sys, &dev, 1, &be, err, sizeof(err)))
		return 0;
	if (cxl_devset_open_backend(&cfg, be, &set, err, sizeof(err)))
		return 0;
	cxl_devset_info(set, 0, &info);
	cxl_devset_health(set, 0, &health);
	if (cxl_devset_cel(set, 0, &cel) == 0)
		cxl_cel_free(&cel);
	for (size_t i = 0; i < 2; i++) {
		struct cxl_cmd_result res;
		if (cxl_devset_submit(set, 0, &cmds[i], &res) == 0)
			cxl_cmd_result_clear(&res);
	}
	cxl_devset_free(set);
	return 0;
}
