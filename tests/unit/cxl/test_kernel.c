/* Kernel backend without hardware: the system-call seam is replaced by a fake
 * kernel that checks what the backend marshals into CXL_MEM_QUERY_COMMANDS /
 * CXL_MEM_SEND_COMMAND and answers like Linux 6.1 (or 6.4+) with a QEMU 7.2
 * Type-3 device behind it (CXL-REFERENCE.md section 8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/cxl_mem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cxl/backend.h"
#include "cxl/device.h"
#include "cxl/kernel/kernel.h"
#include "cxl/kernel/trace.h"
#include "cxl/mbox.h"
#include "support/tmpdir.h"
#include "util/log.h"

#define FAKE_PAYLOAD_MAX 2048u
#define FD_BASE 40

static const uint16_t qemu_cel[13][2] = {
	{ 0x0100, 0x0000 }, { 0x0101, 0x0010 }, { 0x0102, 0x0000 }, { 0x0103, 0x0002 },
	{ 0x0200, 0x0000 }, { 0x0300, 0x0000 }, { 0x0301, 0x0008 }, { 0x0400, 0x0000 },
	{ 0x0401, 0x0000 }, { 0x4000, 0x0000 }, { 0x4100, 0x0000 }, { 0x4102, 0x0000 },
	{ 0x4103, 0x0006 },
};

static struct fake {
	/* knobs */
	bool raw_built;        /* RAW slot listed */
	bool report_flags;     /* 6.4+: ENABLED/EXCLUSIVE reported */
	bool cel_has_health;   /* add 4200h to the CEL */
	const char *fw;        /* Identify's firmware revision, NULL: QEMU's */
	int logs_errno;        /* errno for Get Supported Logs, 0 = answer */
	int raw_errno;         /* errno for RAW sends, 0 = answer */
	int send_errno;        /* errno for every send, 0 = normal */
	bool query_fails;
	int open_fail_at;      /* open number that fails, -1 none */
	uint32_t retval;       /* device return code for the next answers */
	int out_extra;         /* added to out.size of answers */
	unsigned long taint;   /* /proc/sys/kernel/tainted */
	bool no_procfs;
	/* records */
	int opens, open_fds, queries, sends;
	char last_open[128];
	int last_open_flags;
	struct cxl_send_command last;
	uint8_t last_in[64];
	unsigned sent_ids[64];
	int health_sends;
} fk;

static void fake_reset(void)
{
	memset(&fk, 0, sizeof(fk));
	fk.open_fail_at = -1;
}

static int f_open(const char *path, int flags)
{
	int n = fk.opens++;
	snprintf(fk.last_open, sizeof(fk.last_open), "%s", path);
	fk.last_open_flags = flags;
	if (n == fk.open_fail_at) {
		errno = EACCES;
		return -1;
	}
	fk.open_fds++;
	return FD_BASE + n;
}

static int f_close(int fd)
{
	assert_true(fd >= FD_BASE);
	fk.open_fds--;
	return 0;
}

static ssize_t f_read_file(const char *path, char *buf, size_t len)
{
	const char *v = NULL;
	if (strstr(path, "/sys/bus/cxl/devices/mem") && strstr(path, "/payload_max"))
		v = "2048\n";
	else if (strcmp(path, "/sys/bus/pci/devices/0000:0d:00.0/vendor") == 0)
		v = "0x8086\n";
	else if (strcmp(path, "/sys/bus/pci/devices/0000:0d:00.0/device") == 0)
		v = "0x0d93\n";
	else if (strcmp(path, "/proc/sys/kernel/tainted") == 0 && !fk.no_procfs) {
		snprintf(buf, len, "%lu\n", fk.taint);
		return (ssize_t)strlen(buf);
	}
	if (!v)
		return -ENOENT;
	snprintf(buf, len, "%s", v);
	return (ssize_t)strlen(buf);
}

static void answer(struct cxl_send_command *c, const void *data, size_t len)
{
	assert_true(c->out.size >= len);
	memcpy((void *)(uintptr_t)c->out.payload, data, len);
	c->out.size = (uint32_t)len + (uint32_t)fk.out_extra;
	c->retval = fk.retval;
}

static int f_send(struct cxl_send_command *c)
{
	uint8_t buf[FAKE_PAYLOAD_MAX];
	size_t n = 0;

	fk.sends++;
	fk.last = *c;
	if (c->id < 64)
		fk.sent_ids[c->id]++;
	if (c->in.size && c->in.size <= sizeof(fk.last_in))
		memcpy(fk.last_in, (const void *)(uintptr_t)c->in.payload, c->in.size);
	/* the kernel's own checks (6.1 cxl_validate_cmd_from_user) */
	if (c->in.size > FAKE_PAYLOAD_MAX || c->out.size > FAKE_PAYLOAD_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (c->flags || c->in.rsvd || c->out.rsvd) {
		errno = EINVAL;
		return -1;
	}
	if (fk.send_errno) {
		errno = fk.send_errno;
		return -1;
	}
	memset(buf, 0, sizeof(buf));
	switch (c->id) {
	case 1: /* IDENTIFY: QEMU 7.2, 256 MiB persistent */
		assert_int_equal(c->in.size, 0);
		memcpy(buf, fk.fw ? fk.fw : "BWFW VERSION 00", strlen(fk.fw ? fk.fw : "BWFW VERSION 00"));
		buf[0x10] = 1;
		buf[0x20] = 1;
		buf[0x28] = 1;
		cxl_put_le32(buf + 0x38, 256u << 20);
		answer(c, buf, CXL_IDENTIFY_LEN);
		return 0;
	case 3: { /* GET_SUPPORTED_LOGS, junk in the reserved bytes as QEMU */
		size_t cel = (fk.cel_has_health ? 14 : 13) * 4;
		assert_int_equal(c->in.size, 0);
		if (fk.logs_errno) {
			errno = fk.logs_errno;
			return -1;
		}
		cxl_put_le16(buf, 1);
		memcpy(buf + 2, "\x11\x22\x33\x44\x55\x66", 6);
		memcpy(buf + 8, cxl_log_uuid_cel, 16);
		cxl_put_le32(buf + 24, (uint32_t)cel);
		answer(c, buf, 28);
		return 0;
	}
	case 8: { /* GET_LOG */
		uint32_t off, len;
		const uint8_t *in = (const uint8_t *)(uintptr_t)c->in.payload;
		assert_int_equal(c->in.size, CXL_GET_LOG_IN_LEN);
		assert_memory_equal(in, cxl_log_uuid_cel, 16);
		off = cxl_get_le32(in + 16);
		len = cxl_get_le32(in + 20);
		for (int i = 0; i < 13; i++) {
			cxl_put_le16(buf + 4 * i, qemu_cel[i][0]);
			cxl_put_le16(buf + 4 * i + 2, qemu_cel[i][1]);
		}
		n = 13 * 4;
		if (fk.cel_has_health) {
			cxl_put_le16(buf + n, 0x4200);
			n += 4;
		}
		assert_true(off + len <= n);
		answer(c, buf + off, len);
		return 0;
	}
	case 5: /* GET_PARTITION_INFO */
		buf[8] = 1;
		answer(c, buf, CXL_PARTITION_INFO_LEN);
		return 0;
	case 4: /* GET_FW_INFO */
		buf[0] = 2;
		buf[1] = 1;
		answer(c, buf, CXL_FW_INFO_LEN);
		return 0;
	case 6: { /* GET_LSA */
		const uint8_t *in = (const uint8_t *)(uintptr_t)c->in.payload;
		assert_int_equal(c->in.size, 8);
		n = cxl_get_le32(in + 4);
		memset(buf, 0x5A, n);
		answer(c, buf, n);
		return 0;
	}
	case 7: /* GET_HEALTH_INFO: not in QEMU's CEL, the kernel refuses */
		fk.health_sends++;
		errno = ENOTTY;
		return -1;
	case 10: /* SET_LSA: held by cxl_pmem */
		errno = EBUSY;
		return -1;
	case 2: /* RAW */
		if (!fk.raw_built) {
			errno = ENOTTY;
			return -1;
		}
		if (fk.raw_errno) {
			errno = fk.raw_errno;
			return -1;
		}
		fk.taint |= 1ul << 9; /* dev_WARN_ONCE: TAINT_WARN */
		if (fk.retval) {
			/* Linux: a failed command leaves out.size as the caller set it */
			c->retval = fk.retval;
			return 0;
		}
		memcpy(buf, "raw!", 4);
		answer(c, buf, 4);
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

static int f_query(struct cxl_mem_query_commands *q)
{
	fk.queries++;
	if (fk.query_fails) {
		errno = EIO;
		return -1;
	}
	if (q->n_commands == 0) {
		q->n_commands = 21; /* 6.1: CXL_MEM_COMMAND_ID_MAX */
		return 0;
	}
	assert_int_equal(q->n_commands, 21);
	for (uint32_t i = 0; i < q->n_commands; i++) {
		struct cxl_command_info *ci = &q->commands[i];
		memset(ci, 0, sizeof(*ci));
		/* 6.1 hands back INVALID and the unbuilt RAW slot as id 0 */
		if (i == 0 || (i == 2 && !fk.raw_built))
			continue;
		ci->id = i;
		ci->size_in = ci->size_out = ~0u;
		if (fk.report_flags) {
			/* enabled: what the CEL names, plus the forced three */
			if (i == 1 || i == 3 || i == 8 || i == 4 || i == 5 || i == 6 || i == 10 ||
			    i == 2)
				ci->flags |= 1u << 0;
			if (i == 10)
				ci->flags |= 1u << 1; /* exclusive: cxl_pmem */
		}
	}
	return 0;
}

static int f_ioctl(int fd, unsigned long req, void *arg)
{
	assert_true(fd >= FD_BASE);
	if (req == CXL_MEM_QUERY_COMMANDS)
		return f_query(arg);
	if (req == CXL_MEM_SEND_COMMAND)
		return f_send(arg);
	fail_msg("unexpected ioctl 0x%lx", req);
	return -1;
}

static const struct cxl_kernel_sys fake_sys = {
	.open = f_open, .close = f_close, .ioctl = f_ioctl, .read_file = f_read_file,
};

static struct cxl_dev_info qemu_dev(const char *name)
{
	struct cxl_dev_info d;
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	d.serial = 0; /* QEMU 7.2 default */
	d.numa_node = -1;
	snprintf(d.host, sizeof(d.host), "0000:0d:00.0");
	d.persistent_only_bytes = 256u << 20;
	d.total_bytes = 256u << 20;
	d.lsa_size = 256u << 20;
	snprintf(d.fw_revision, sizeof(d.fw_revision), "BWFW VERSION 00");
	return d;
}

static struct cxl_devset *open_fake(void)
{
	struct cxl_dev_info d = qemu_dev("mem0");
	struct cxl_backend *be;
	struct cxl_devset *set;
	struct cxl_devset_config cfg = { .refresh_interval_ms = 3600000 };
	char err[256];

	assert_int_equal(cxl_kernel_backend_new_with(&fake_sys, &d, 1, &be, err, sizeof(err)), 0);
	assert_int_equal(cxl_devset_open_backend(&cfg, be, &set, err, sizeof(err)), 0);
	return set;
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_LVL_ERROR);
	fake_reset();
	return 0;
}

static void test_uapi_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct cxl_send_command), 48);
	assert_int_equal(offsetof(struct cxl_send_command, raw.opcode), 8);
	assert_int_equal(offsetof(struct cxl_send_command, retval), 12);
	assert_int_equal(offsetof(struct cxl_send_command, in.size), 16);
	assert_int_equal(offsetof(struct cxl_send_command, in.payload), 24);
	assert_int_equal(offsetof(struct cxl_send_command, out.size), 32);
	assert_int_equal(offsetof(struct cxl_send_command, out.payload), 40);
	assert_int_equal(sizeof(struct cxl_command_info), 16);
	assert_int_equal(sizeof(struct cxl_mem_query_commands), 8);
	assert_int_equal(CXL_MEM_QUERY_COMMANDS, 0x8008CE01u);
	assert_int_equal(CXL_MEM_SEND_COMMAND, 0xC030CE02u);
}

static void test_command_ids(void **state)
{
	(void)state;
	assert_int_equal(cxl_kernel_cmd_id(0x4000), CXL_MEM_COMMAND_ID_IDENTIFY);
	assert_int_equal(cxl_kernel_cmd_id(0x0400), CXL_MEM_COMMAND_ID_GET_SUPPORTED_LOGS);
	assert_int_equal(cxl_kernel_cmd_id(0x0401), CXL_MEM_COMMAND_ID_GET_LOG);
	assert_int_equal(cxl_kernel_cmd_id(0x0200), CXL_MEM_COMMAND_ID_GET_FW_INFO);
	assert_int_equal(cxl_kernel_cmd_id(0x4100), CXL_MEM_COMMAND_ID_GET_PARTITION_INFO);
	assert_int_equal(cxl_kernel_cmd_id(0x4102), CXL_MEM_COMMAND_ID_GET_LSA);
	assert_int_equal(cxl_kernel_cmd_id(0x4103), CXL_MEM_COMMAND_ID_SET_LSA);
	assert_int_equal(cxl_kernel_cmd_id(0x4200), CXL_MEM_COMMAND_ID_GET_HEALTH_INFO);
	assert_int_equal(cxl_kernel_cmd_id(0x4101), CXL_MEM_COMMAND_ID_SET_PARTITION_INFO);
	assert_int_equal(cxl_kernel_cmd_id(0x4204), CXL_MEM_COMMAND_ID_SET_SHUTDOWN_STATE);
	assert_int_equal(cxl_kernel_cmd_id(0x4305), CXL_MEM_COMMAND_ID_GET_SCAN_MEDIA);
	assert_int_equal(cxl_kernel_cmd_id(0x0300), 21);
	assert_int_equal(cxl_kernel_cmd_id(0x0100), 0); /* events: no named command */
	assert_int_equal(cxl_kernel_cmd_id(0xC000), 0);
}

static void test_open_reads_real_cel(void **state)
{
	struct cxl_devset *set;
	struct cxl_dev_info info;
	struct cxl_health h;
	struct cxl_cel cel;
	(void)state;

	set = open_fake();
	assert_string_equal(fk.last_open, "/dev/cxl/mem0");
	assert_int_equal(fk.last_open_flags, O_RDWR | O_CLOEXEC);
	assert_int_equal(fk.queries, 2); /* count, then the list */
	assert_string_equal(cxl_devset_backend(set), "kernel");
	/* the CEL came through the named ids 3 and 8 */
	assert_int_equal(fk.sent_ids[CXL_MEM_COMMAND_ID_GET_SUPPORTED_LOGS], 1);
	assert_int_equal(fk.sent_ids[CXL_MEM_COMMAND_ID_GET_LOG], 1); /* 52 bytes: one chunk */
	assert_int_equal(cxl_devset_cel(set, 0, &cel), 0);
	assert_int_equal(cel.count, 13);
	for (int i = 0; i < 13; i++) {
		assert_int_equal(cel.entries[i].opcode, qemu_cel[i][0]);
		assert_int_equal(cel.entries[i].effects, qemu_cel[i][1]);
	}
	cxl_cel_free(&cel);
	/* inventory: Identify through id 1, PCI ids and payload_max from sysfs */
	assert_int_equal(cxl_devset_info(set, 0, &info), 0);
	assert_string_equal(info.id, "mem0"); /* serial 0: kernel name */
	assert_string_equal(info.fw_revision, "BWFW VERSION 00");
	assert_int_equal(info.payload_max, FAKE_PAYLOAD_MAX);
	assert_int_equal(info.pci_vendor_id, 0x8086);
	assert_int_equal(info.pci_device_id, 0x0d93);
	assert_true(info.persistent_only_bytes == 256u << 20);
	assert_true(info.has_partition);
	assert_true(info.active_persistent_bytes == 256u << 20);
	assert_int_equal(info.numa_node, -1);
	/* health is not in QEMU's CEL: never asked, reported invalid */
	assert_int_equal(cxl_devset_health(set, 0, &h), 0);
	assert_false(h.valid);
	assert_int_equal(fk.health_sends, 0);
	/* events need RAW on every kernel: not collected */
	assert_int_equal(fk.sent_ids[CXL_MEM_COMMAND_ID_RAW], 0);
	cxl_devset_free(set);
	assert_int_equal(fk.open_fds, 0);
}

static void test_send_marshalling(void **state)
{
	struct cxl_devset *set;
	struct cxl_cmd_result r;
	uint8_t in[8];
	struct cxl_cmd cmd = { .opcode = CXL_OP_GET_LSA, .in = in, .in_len = 8 };
	(void)state;

	set = open_fake();
	cxl_put_le32(in, 16);
	cxl_put_le32(in + 4, 32);
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, 0);
	assert_int_equal(r.mbox_rc, 0);
	assert_int_equal(r.out_len, 32);
	assert_int_equal(r.out[31], 0x5A);
	cxl_cmd_result_clear(&r);
	assert_int_equal(fk.last.id, CXL_MEM_COMMAND_ID_GET_LSA);
	assert_int_equal(fk.last.flags, 0);
	assert_int_equal(fk.last.raw.opcode, 0);
	assert_int_equal(fk.last.in.size, 8);
	assert_memory_equal(fk.last_in, in, 8);
	/* asked for a whole mailbox, never more than payload_max */
	assert_int_equal(fk.last.out.size, FAKE_PAYLOAD_MAX);
	assert_true(fk.last.out.payload != 0);
	assert_true(fk.last.in.payload != 0);

	/* the device's return code is kept apart from the transport */
	fk.retval = CXL_MBOX_INTERNAL_ERROR;
	cmd.opcode = CXL_OP_GET_FW_INFO;
	cmd.in = NULL;
	cmd.in_len = 0;
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, 0);
	assert_int_equal(r.mbox_rc, CXL_MBOX_INTERNAL_ERROR);
	assert_int_equal(fk.last.id, CXL_MEM_COMMAND_ID_GET_FW_INFO);
	assert_int_equal(fk.last.in.size, 0);
	cxl_cmd_result_clear(&r);
	/* a retval that is no mailbox code, and an out.size beyond the buffer */
	fk.retval = 0x10000;
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, -EPROTO);
	fk.retval = 0;
	fk.out_extra = FAKE_PAYLOAD_MAX;
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, -EPROTO);
	assert_null(r.out);
	fk.out_extra = 0;
	cxl_devset_free(set);
}

static void test_errno_mapping(void **state)
{
	struct cxl_devset *set;
	struct cxl_cmd_result r;
	struct cxl_dev_info info;
	uint8_t in[12] = { 0 };
	struct cxl_cmd cmd = { .opcode = CXL_OP_SET_LSA, .in = in, .in_len = sizeof(in) };
	(void)state;

	set = open_fake();
	/* EBUSY: SET_LSA held exclusively by cxl_pmem */
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, -EBUSY);
	assert_int_equal(fk.last.id, CXL_MEM_COMMAND_ID_SET_LSA);
	/* ENOTTY: listed in 6.1 but not in the device's CEL */
	cmd.opcode = CXL_OP_GET_HEALTH_INFO;
	cmd.in_len = 0;
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, -ENOTTY);
	/* the device goes away */
	fk.send_errno = ENXIO;
	cmd.opcode = CXL_OP_IDENTIFY;
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, -ENODEV);
	assert_int_equal(cxl_devset_info(set, 0, &info), 0);
	assert_false(info.present);
	cxl_devset_free(set);
}

static void test_health_enotty_in_cel(void **state)
{
	struct cxl_devset *set;
	struct cxl_health h;
	struct cxl_dev_info d = qemu_dev("mem0");
	struct cxl_backend *be;
	struct cxl_devset_config cfg = { .refresh_interval_ms = 1 };
	char err[256];
	(void)state;

	/* the CEL claims Get Health Info but the kernel answers ENOTTY */
	fk.cel_has_health = true;
	assert_int_equal(cxl_kernel_backend_new_with(&fake_sys, &d, 1, &be, err, sizeof(err)), 0);
	assert_int_equal(cxl_devset_open_backend(&cfg, be, &set, err, sizeof(err)), 0);
	assert_int_equal(fk.health_sends, 1);
	assert_int_equal(cxl_devset_health(set, 0, &h), 0);
	assert_false(h.valid);
	/* not asked again */
	for (int i = 0; i < 3; i++) {
		struct timespec ts = { 0, 3000000 };
		nanosleep(&ts, NULL);
		assert_int_equal(cxl_devset_health(set, 0, &h), 0);
	}
	assert_int_equal(fk.health_sends, 1);
	cxl_devset_free(set);
}

static void test_vendor_without_raw(void **state)
{
	struct cxl_devset *set;
	struct cxl_delivery_info di;
	struct cxl_cmd_result r;
	struct cxl_cmd cmd = { .opcode = 0xC000 };
	int sends;
	(void)state;

	set = open_fake();
	assert_int_equal(cxl_devset_delivery(set, 0, 0x4000, &di), 0);
	assert_ptr_equal(di.path, &cxl_kernel_path_named);
	assert_string_equal(di.reason, "");
	assert_int_equal(cxl_devset_delivery(set, 0, 0xC000, &di), 0);
	assert_null(di.path);
	assert_string_equal(di.reason, "kernel built without CONFIG_CXL_MEM_RAW_COMMANDS");
	assert_int_equal(cxl_devset_delivery(set, 0, 0x0100, &di), 0);
	assert_null(di.path);
	assert_string_equal(di.reason, CXL_KERNEL_REASON_NO_RAW);
	/* 6.1 reports no flags: listed means "try it" */
	assert_int_equal(cxl_devset_delivery(set, 0, 0x4200, &di), 0);
	assert_ptr_equal(di.path, &cxl_kernel_path_named);
	sends = fk.sends;
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, -EOPNOTSUPP);
	assert_int_equal(fk.sends, sends); /* nothing reached the kernel */
	cxl_devset_free(set);
}

static void test_raw_path(void **state)
{
	struct cxl_devset *set;
	struct cxl_delivery_info di;
	struct cxl_cmd_result r;
	uint8_t in[3] = { 1, 2, 3 };
	struct cxl_cmd cmd = { .opcode = 0xC001, .in = in, .in_len = 3 };
	int sends;
	(void)state;

	fk.raw_built = true;
	set = open_fake();
	assert_int_equal(cxl_devset_delivery(set, 0, 0xC001, &di), 0);
	assert_ptr_equal(di.path, &cxl_kernel_path_raw);
	/* events are still left to the kernel */
	assert_int_equal(fk.sent_ids[CXL_MEM_COMMAND_ID_RAW], 0);
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, 0);
	assert_int_equal(r.mbox_rc, CXL_MBOX_SUCCESS);
	assert_int_equal(r.out_len, 4);
	assert_memory_equal(r.out, "raw!", 4);
	cxl_cmd_result_clear(&r);
	/* a failed command's buffer is not the device's output */
	fk.retval = CXL_MBOX_UNSUPPORTED;
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, 0);
	assert_int_equal(r.mbox_rc, CXL_MBOX_UNSUPPORTED);
	assert_int_equal(r.out_len, 0);
	assert_null(r.out);
	cxl_cmd_result_clear(&r);
	fk.retval = CXL_MBOX_BUSY;
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.mbox_rc, CXL_MBOX_BUSY);
	assert_int_equal(r.out_len, 0);
	cxl_cmd_result_clear(&r);
	assert_int_equal(fk.last.id, CXL_MEM_COMMAND_ID_RAW);
	assert_int_equal(fk.last.raw.opcode, 0xC001);
	assert_int_equal(fk.last.raw.rsvd, 0);
	assert_int_equal(fk.last.in.size, 3);
	assert_memory_equal(fk.last_in, in, 3);
	assert_int_equal(fk.last.out.size, FAKE_PAYLOAD_MAX);
	fk.retval = 0;

	/* lockdown: EPERM, remembered for delivery */
	fk.raw_errno = EPERM;
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, -EPERM);
	assert_int_equal(cxl_devset_delivery(set, 0, 0xC001, &di), 0);
	assert_null(di.path);
	assert_string_equal(di.reason, "kernel refused raw command (lockdown or kernel-owned opcode)");
	assert_int_equal(cxl_devset_delivery(set, 0, 0xC002, &di), 0);
	assert_ptr_equal(di.path, &cxl_kernel_path_raw);

	/* kernel-owned opcodes never go out as RAW */
	sends = fk.sends;
	cmd.opcode = 0x4400;
	cmd.in_len = 0;
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, -EPERM);
	assert_int_equal(fk.sends, sends);
	assert_int_equal(cxl_devset_delivery(set, 0, 0x4400, &di), 0);
	assert_null(di.path);
	assert_string_equal(di.reason, CXL_KERNEL_REASON_RAW_REFUSED);
	/* an oversized payload is refused before the ioctl, as the kernel would */
	{
		uint8_t *big = calloc(1, FAKE_PAYLOAD_MAX + 1);
		cmd.opcode = 0xC002;
		cmd.in = big;
		cmd.in_len = FAKE_PAYLOAD_MAX + 1;
		assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
		assert_int_equal(r.transport, -EINVAL);
		assert_int_equal(fk.sends, sends);
		free(big);
	}
	cxl_devset_free(set);
}

static void test_host_state(void **state)
{
	struct cxl_devset *set;
	struct cxl_host_state hs;
	struct cxl_cmd_result r;
	struct cxl_cmd cmd = { .opcode = 0x0102 };
	(void)state;

	/* no RAW: nothing to use, taint read as is */
	fk.taint = 1ul << 12; /* O: an out-of-tree module, before the agent */
	set = open_fake();
	assert_int_equal(cxl_devset_host_state(set, &hs), 0);
	assert_int_equal(hs.raw, CXL_RAW_UNAVAILABLE);
	assert_true(hs.taint_known);
	assert_int_equal(hs.taint, 1ul << 12);
	assert_string_equal(hs.taint_flags, "O");
	cxl_devset_free(set);

	/* RAW built: available until a command passes the kernel's checks,
	 * then used, with the W taint the kernel's warning adds */
	fk.raw_built = true;
	fk.taint = 0;
	set = open_fake();
	assert_int_equal(cxl_devset_host_state(set, &hs), 0);
	assert_int_equal(hs.raw, CXL_RAW_AVAILABLE);
	assert_int_equal(hs.taint, 0);
	assert_string_equal(hs.taint_flags, "");
	fk.raw_errno = EPERM; /* refused before the warning: not used */
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, -EPERM);
	assert_int_equal(cxl_devset_host_state(set, &hs), 0);
	assert_int_equal(hs.raw, CXL_RAW_AVAILABLE);
	fk.raw_errno = 0;
	cmd.opcode = 0x0103;
	fk.retval = CXL_MBOX_UNSUPPORTED; /* the device's answer does not matter */
	assert_int_equal(cxl_devset_submit(set, 0, &cmd, &r), 0);
	assert_int_equal(r.transport, 0);
	cxl_cmd_result_clear(&r);
	assert_int_equal(cxl_devset_host_state(set, &hs), 0);
	assert_int_equal(hs.raw, CXL_RAW_USED);
	assert_true(hs.taint_known);
	assert_int_equal(hs.taint, 1ul << 9);
	assert_string_equal(hs.taint_flags, "W");
	/* no procfs: taint unknown, the rest still reported */
	fk.no_procfs = true;
	assert_int_equal(cxl_devset_host_state(set, &hs), 0);
	assert_int_equal(hs.raw, CXL_RAW_USED);
	assert_false(hs.taint_known);
	cxl_devset_free(set);
}

static void test_flags_64(void **state)
{
	struct cxl_devset *set;
	struct cxl_delivery_info di;
	(void)state;

	fk.report_flags = true;
	set = open_fake();
	assert_int_equal(cxl_devset_delivery(set, 0, 0x4000, &di), 0);
	assert_ptr_equal(di.path, &cxl_kernel_path_named);
	assert_int_equal(cxl_devset_delivery(set, 0, 0x4200, &di), 0);
	assert_null(di.path);
	assert_non_null(strstr(di.reason, "not enabled"));
	assert_int_equal(cxl_devset_delivery(set, 0, 0x4103, &di), 0);
	assert_null(di.path);
	assert_non_null(strstr(di.reason, "exclusively"));
	cxl_devset_free(set);
}

static void test_open_failures(void **state)
{
	struct cxl_dev_info d[2] = { qemu_dev("mem0"), qemu_dev("mem1") };
	struct cxl_backend *be = NULL;
	char err[256];
	(void)state;

	fk.open_fail_at = 1;
	assert_int_equal(cxl_kernel_backend_new_with(&fake_sys, d, 2, &be, err, sizeof(err)),
			 -EACCES);
	assert_null(be);
	assert_non_null(strstr(err, "open /dev/cxl/mem1"));
	assert_int_equal(fk.open_fds, 0); /* mem0 closed again */

	/* a failing query leaves the three commands the kernel always enables */
	fake_reset();
	fk.query_fails = true;
	{
		struct cxl_devset *set = open_fake();
		struct cxl_delivery_info di;
		struct cxl_cel cel;
		assert_int_equal(cxl_devset_delivery(set, 0, 0x4000, &di), 0);
		assert_ptr_equal(di.path, &cxl_kernel_path_named);
		assert_int_equal(cxl_devset_delivery(set, 0, 0x4100, &di), 0);
		assert_null(di.path);
		assert_int_equal(cxl_devset_cel(set, 0, &cel), 0);
		assert_int_equal(cel.count, 13);
		cxl_cel_free(&cel);
		cxl_devset_free(set);
	}
}


/* On a kernel whose driver reads the event logs (6.3+), the backend reads
 * the driver's trace events into the device's ring: records for its device
 * (by serial, else by name) arrive on refresh, nothing goes to the mailbox
 * for them, and the host state says where they come from. */
static void test_trace_events(void **state)
{
	static const char rec[] =
		"cxl_memory_module: memdev=mem0 host=0000:0d:00.0 serial=0 log=Warning : "
		"time=5 uuid=fe927475-dd59-4339-a586-79bab113b774 len=128 flags='' handle=7 "
		"related_handle=0 maint_op_class=0 : event_type='Temperature Change' "
		"health_status='' media_status='Normal' as_life_used=Normal as_dev_temp=Warning "
		"as_cor_vol_err_cnt=Normal as_cor_per_err_cnt=Normal life_used=0 device_temp=80 "
		"dirty_shutdown_cnt=0 cor_vol_err_cnt=0 cor_per_err_cnt=0\n";
	static const char other[] =
		"cxl_generic_event: memdev=mem9 host=0000:0f:00.0 serial=0 log=Warning : time=5 "
		"uuid=fe927475-dd59-4339-a586-79bab113b774 len=128 flags='' handle=7 "
		"related_handle=0 maint_op_class=0 : 00\n";
	char root[48], path[256], cmd[1024];
	struct cxl_dev_info d = qemu_dev("mem0");
	struct cxl_devset_config cfg = { .refresh_interval_ms = 3600000, .event_ring_size = 8 };
	struct cxl_host_state hs;
	struct cxl_backend *be;
	struct cxl_devset *set;
	struct cxl_event ev[4];
	char err[256];
	int w;
	(void)state;

	assert_int_equal(tmpdir_make(root, sizeof(root), "ktrace"), 0);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/events/cxl/cxl_generic_event %s/events/cxl/cxl_memory_module "
		 "%s/instances/%s/events/cxl/cxl_generic_event "
		 "%s/instances/%s/events/cxl/cxl_memory_module && "
		 "touch %s/instances/%s/events/cxl/cxl_generic_event/enable "
		 "%s/instances/%s/events/cxl/cxl_memory_module/enable && "
		 "mkfifo %s/instances/%s/trace_pipe",
		 root, root, root, CXL_KTRACE_INSTANCE, root, CXL_KTRACE_INSTANCE, root,
		 CXL_KTRACE_INSTANCE, root, CXL_KTRACE_INSTANCE, root, CXL_KTRACE_INSTANCE);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(cxl_kernel_backend_new_with(&fake_sys, &d, 1, &be, err, sizeof(err)), 0);
	assert_int_equal(cxl_kernel_backend_trace(be, root, NULL), 0);
	snprintf(path, sizeof(path), "%s/instances/%s/trace_pipe", root, CXL_KTRACE_INSTANCE);
	w = open(path, O_WRONLY | O_NONBLOCK);
	assert_true(w >= 0);
	assert_int_equal(cxl_devset_open_backend(&cfg, be, &set, err, sizeof(err)), 0);
	assert_int_equal(cxl_devset_events(set, 0, 0, ev, 4), 0);

	assert_int_equal(write(w, rec, strlen(rec)), (ssize_t)strlen(rec));
	assert_int_equal(write(w, other, strlen(other)), (ssize_t)strlen(other));
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(cxl_devset_events(set, 0, 0, ev, 4), 1);
	assert_int_equal(ev[0].source, CXL_EVENT_SOURCE_KERNEL_TRACE);
	assert_int_equal(ev[0].log, CXL_EVENT_LOG_WARN);
	assert_int_equal(ev[0].handle, 7);
	assert_true(ev[0].seq == 1);
	assert_non_null(strstr(ev[0].detail, "device_temp=80"));
	/* read from the trace, never from the device */
	assert_int_equal(fk.sent_ids[CXL_MEM_COMMAND_ID_RAW], 0);
	assert_int_equal(cxl_devset_host_state(set, &hs), 0);
	assert_int_equal(hs.events, CXL_EVENTS_DRIVER_TRACE);
	assert_non_null(strstr(hs.events_note, CXL_KTRACE_INSTANCE));
	/* no new lines: the next refresh adds nothing and does not block */
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(cxl_devset_events(set, 0, 0, ev, 4), 1);
	close(w);
	cxl_devset_free(set);
	assert_int_equal(tmpdir_remove(root), 0);

	/* without the trace points the backend says why, and reads nothing */
	fake_reset();
	set = open_fake();
	assert_int_equal(cxl_devset_host_state(set, &hs), 0);
	assert_int_equal(hs.events, CXL_EVENTS_NOT_READ);
	assert_non_null(strstr(hs.events_note, "not read"));
	cxl_devset_free(set);
}

/* The firmware version in sysfs is the device's 16 Identify bytes as the
 * kernel got them: kept printable (JSON needs UTF-8, a log line needs one
 * line) even while the Identify that would replace it fails. */
static void test_sysfs_firmware_printable(void **state)
{
	struct cxl_dev_info d = qemu_dev("mem0"), info;
	struct cxl_devset_config cfg = { .refresh_interval_ms = 3600000 };
	struct cxl_backend *be;
	struct cxl_devset *set;
	char err[256];
	(void)state;

	memcpy(d.fw_revision, "\xc3\x28" "fw\n\x01" "1\x7f\xff", 10);
	fk.send_errno = EIO;
	assert_int_equal(cxl_kernel_backend_new_with(&fake_sys, &d, 1, &be, err, sizeof(err)), 0);
	assert_int_equal(cxl_devset_open_backend(&cfg, be, &set, err, sizeof(err)), 0);
	assert_int_equal(cxl_devset_info(set, 0, &info), 0);
	assert_string_equal(info.fw_revision, "?(fw??1??");
	cxl_devset_free(set);
}

/* Firmware activated in place (the device never went away) can declare
 * other commands and effects: a new revision in Identify has the CEL read
 * again; while that read fails the CEL is empty, so the policy finds
 * nothing to allow, and it is retried until it succeeds. */
static void test_new_firmware_new_cel(void **state)
{
	struct cxl_devset *set;
	struct cxl_cel cel;
	struct cxl_dev_info info;
	unsigned reads;
	(void)state;

	set = open_fake();
	assert_int_equal(cxl_devset_cel(set, 0, &cel), 0);
	assert_int_equal(cel.count, 13);
	cxl_cel_free(&cel);
	reads = fk.sent_ids[CXL_MEM_COMMAND_ID_GET_LOG];
	/* the same firmware: the CEL is not read again */
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(fk.sent_ids[CXL_MEM_COMMAND_ID_GET_LOG], reads);

	fk.fw = "BWFW VERSION 01";
	fk.cel_has_health = true;
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(fk.sent_ids[CXL_MEM_COMMAND_ID_GET_LOG], reads + 1);
	assert_int_equal(cxl_devset_info(set, 0, &info), 0);
	assert_string_equal(info.fw_revision, "BWFW VERSION 01");
	assert_int_equal(cxl_devset_cel(set, 0, &cel), 0);
	assert_int_equal(cel.count, 14);
	assert_non_null(cxl_cel_find(&cel, CXL_OP_GET_HEALTH_INFO));
	cxl_cel_free(&cel);

	/* another firmware whose CEL cannot be read: nothing is known */
	fk.fw = "BWFW VERSION 02";
	fk.cel_has_health = false;
	fk.logs_errno = EIO;
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(cxl_devset_cel(set, 0, &cel), 0);
	assert_int_equal(cel.count, 0);
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(cxl_devset_cel(set, 0, &cel), 0);
	assert_int_equal(cel.count, 0);
	fk.logs_errno = 0;
	assert_int_equal(cxl_devset_refresh(set, 0, true), 0);
	assert_int_equal(cxl_devset_cel(set, 0, &cel), 0);
	assert_int_equal(cel.count, 13);
	cxl_cel_free(&cel);
	cxl_devset_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_uapi_layout, setup),
		cmocka_unit_test_setup(test_command_ids, setup),
		cmocka_unit_test_setup(test_open_reads_real_cel, setup),
		cmocka_unit_test_setup(test_send_marshalling, setup),
		cmocka_unit_test_setup(test_errno_mapping, setup),
		cmocka_unit_test_setup(test_health_enotty_in_cel, setup),
		cmocka_unit_test_setup(test_vendor_without_raw, setup),
		cmocka_unit_test_setup(test_raw_path, setup),
		cmocka_unit_test_setup(test_host_state, setup),
		cmocka_unit_test_setup(test_flags_64, setup),
		cmocka_unit_test_setup(test_open_failures, setup),
		cmocka_unit_test_setup(test_trace_events, setup),
		cmocka_unit_test_setup(test_sysfs_firmware_printable, setup),
		cmocka_unit_test_setup(test_new_firmware_new_cel, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
