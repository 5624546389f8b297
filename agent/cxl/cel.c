#include "cxl/cel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SUPPORTED_LOGS_HDR 8u
#define SUPPORTED_LOG_ENTRY 20u

const struct cxl_effect_name cxl_effect_names[] = {
	{ 0, "ConfigChangeAfterColdReset" },
	{ 1, "ImmediateConfigChange" },
	{ 2, "ImmediateDataChange" },
	{ 3, "ImmediatePolicyChange" },
	{ 4, "ImmediateLogChange" },
	{ 5, "SecurityStateChange" },
	{ 6, "BackgroundOperation" },
	{ 7, "SecondaryMailboxSupported" },
	{ 8, "RequestAbortSupported" },
	{ 9, "ExtendedEffectsValid" },
	{ 10, "ConfigChangeAfterConventionalReset" },
	{ 11, "ConfigChangeAfterCXLReset" },
	{ 0, NULL },
};

/* 0da9c0b5-bf41-4b78-8f79-96b1623b3f17, byte order as on the wire */
const uint8_t cxl_log_uuid_cel[16] = { 0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78,
				       0x8f, 0x79, 0x96, 0xb1, 0x62, 0x3b, 0x3f, 0x17 };
/* 5e1819d9-11a9-400c-811f-d60719403d86 */
const uint8_t cxl_log_uuid_vendor_debug[16] = { 0x5e, 0x18, 0x19, 0xd9, 0x11, 0xa9,
						0x40, 0x0c, 0x81, 0x1f, 0xd6, 0x07,
						0x19, 0x40, 0x3d, 0x86 };

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int cxl_parse_supported_logs(const uint8_t *buf, size_t len, struct cxl_supported_log **out,
			     size_t *n)
{
	size_t count;
	struct cxl_supported_log *logs;

	*out = NULL;
	*n = 0;
	if (!buf || len < SUPPORTED_LOGS_HDR)
		return -EPROTO;
	count = get_le16(buf);
	if (len != SUPPORTED_LOGS_HDR + count * SUPPORTED_LOG_ENTRY)
		return -EPROTO;
	if (count == 0)
		return 0;
	logs = calloc(count, sizeof(*logs));
	if (!logs)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *e = buf + SUPPORTED_LOGS_HDR + i * SUPPORTED_LOG_ENTRY;
		memcpy(logs[i].uuid, e, 16);
		logs[i].size = get_le32(e + 16);
	}
	*out = logs;
	*n = count;
	return 0;
}

int cxl_cel_parse(const uint8_t *buf, size_t len, struct cxl_cel *out)
{
	size_t count;
	struct cxl_cel_entry *e;
	uint8_t *seen;

	out->count = 0;
	out->entries = NULL;
	if (len % 4 != 0 || len / 4 > CXL_CEL_MAX_ENTRIES || (len && !buf))
		return -EPROTO;
	count = len / 4;
	if (count == 0)
		return 0;
	e = calloc(count, sizeof(*e));
	seen = calloc(65536 / 8, 1); /* one bit per opcode */
	if (!e || !seen) {
		free(e);
		free(seen);
		return -ENOMEM;
	}
	for (size_t i = 0; i < count; i++) {
		uint16_t op = get_le16(buf + 4 * i);
		e[i].opcode = op;
		e[i].effects = get_le16(buf + 4 * i + 2);
		/* Two entries for one opcode would make the effects ambiguous, and
		 * policy decisions rest on them: fail closed. */
		if (seen[op / 8] & (1u << (op % 8))) {
			free(e);
			free(seen);
			return -EPROTO;
		}
		seen[op / 8] |= (uint8_t)(1u << (op % 8));
	}
	free(seen);
	out->count = count;
	out->entries = e;
	return 0;
}

void cxl_cel_free(struct cxl_cel *cel)
{
	if (!cel)
		return;
	free(cel->entries);
	cel->entries = NULL;
	cel->count = 0;
}

const struct cxl_cel_entry *cxl_cel_find(const struct cxl_cel *cel, uint16_t opcode)
{
	if (!cel)
		return NULL;
	for (size_t i = 0; i < cel->count; i++)
		if (cel->entries[i].opcode == opcode)
			return &cel->entries[i];
	return NULL;
}

uint16_t cxl_effects_reserved_bits(uint16_t effects)
{
	uint16_t bad = effects & CXL_EFFECT_RESERVED_MASK;
	if (!(effects & CXL_EFFECT_EXTENDED_VALID))
		bad |= effects & (CXL_EFFECT_CONFIG_CHANGE_CONV_RESET |
				  CXL_EFFECT_CONFIG_CHANGE_CXL_RESET);
	return bad;
}

struct opcode_name {
	uint16_t opcode;
	const char *name;
};

static const struct opcode_name opcode_names[] = {
	{ 0x0002, "Background Operation Status" },
	{ 0x0100, "Get Event Records" },
	{ 0x0101, "Clear Event Records" },
	{ 0x0102, "Get Event Interrupt Policy" },
	{ 0x0103, "Set Event Interrupt Policy" },
	{ 0x0200, "Get FW Info" },
	{ 0x0201, "Transfer FW" },
	{ 0x0202, "Activate FW" },
	{ 0x0300, "Get Timestamp" },
	{ 0x0301, "Set Timestamp" },
	{ 0x0400, "Get Supported Logs" },
	{ 0x0401, "Get Log" },
	{ 0x0402, "Get Log Capabilities" },
	{ 0x0403, "Clear Log" },
	{ 0x0404, "Populate Log" },
	{ 0x0405, "Get Supported Logs Sub-List" },
	{ 0x0500, "Get Supported Features" },
	{ 0x0501, "Get Feature" },
	{ 0x0502, "Set Feature" },
	{ 0x4000, "Identify" },
	{ 0x4100, "Get Partition Info" },
	{ 0x4101, "Set Partition Info" },
	{ 0x4102, "Get LSA" },
	{ 0x4103, "Set LSA" },
	{ 0x4200, "Get Health Info" },
	{ 0x4201, "Get Alert Config" },
	{ 0x4202, "Set Alert Config" },
	{ 0x4203, "Get Shutdown State" },
	{ 0x4204, "Set Shutdown State" },
	{ 0x4300, "Get Poison List" },
	{ 0x4301, "Inject Poison" },
	{ 0x4302, "Clear Poison" },
	{ 0x4303, "Get Scan Media Capabilities" },
	{ 0x4304, "Scan Media" },
	{ 0x4305, "Get Scan Media Results" },
	{ 0x4400, "Sanitize" },
	{ 0x4401, "Secure Erase" },
	{ 0x4500, "Get Security State" },
	{ 0x4501, "Set Passphrase" },
	{ 0x4502, "Disable Passphrase" },
	{ 0x4503, "Unlock" },
	{ 0x4504, "Freeze Security State" },
	{ 0x4505, "Passphrase Secure Erase" },
};

const char *cxl_opcode_name(uint16_t opcode)
{
	for (size_t i = 0; i < sizeof(opcode_names) / sizeof(opcode_names[0]); i++)
		if (opcode_names[i].opcode == opcode)
			return opcode_names[i].name;
	return NULL;
}

/* Indexed by return code (CXL r3.0 8.2.8.4.5.1, as in the kernel's table). */
static const char *const mbox_rc_names[] = {
	[0x00] = "Success",
	[0x01] = "Background Command Started",
	[0x02] = "Invalid Input",
	[0x03] = "Unsupported",
	[0x04] = "Internal Error",
	[0x05] = "Retry Required",
	[0x06] = "Busy",
	[0x07] = "Media Disabled",
	[0x08] = "FW Transfer in Progress",
	[0x09] = "FW Transfer Out of Order",
	[0x0A] = "FW Authentication Failed",
	[0x0B] = "Invalid Slot",
	[0x0C] = "Activation Failed, FW Rolled Back",
	[0x0D] = "Activation Failed, Cold Reset Required",
	[0x0E] = "Invalid Handle",
	[0x0F] = "Invalid Physical Address",
	[0x10] = "Inject Poison Limit Reached",
	[0x11] = "Permanent Media Failure",
	[0x12] = "Aborted",
	[0x13] = "Invalid Security State",
	[0x14] = "Incorrect Passphrase",
	[0x15] = "Unsupported Mailbox or CCI",
	[0x16] = "Invalid Payload Length",
	[0x17] = "Invalid Log",
	[0x18] = "Interrupted",
	[0x19] = "Unsupported Feature Version",
	[0x1A] = "Unsupported Feature Selection Value",
	[0x1B] = "Feature Transfer in Progress",
	[0x1C] = "Feature Transfer Out of Order",
	[0x1D] = "Resources Exhausted",
	[0x1E] = "Invalid Extent List",
};

const char *cxl_mbox_rc_name(uint16_t rc)
{
	if (rc >= sizeof(mbox_rc_names) / sizeof(mbox_rc_names[0]))
		return NULL;
	return mbox_rc_names[rc];
}

int cxl_opcode_kernel_owned(uint16_t opcode)
{
	if (opcode >= 0x4400 && opcode <= 0x46FF)
		return 1; /* sanitize, persistent-memory security, security passthrough */
	if (opcode >= 0x4300 && opcode <= 0x4305)
		return 1; /* poison and scan media */
	switch (opcode) {
	case CXL_OP_TRANSFER_FW:
	case CXL_OP_ACTIVATE_FW:
	case CXL_OP_SET_PARTITION_INFO:
	case CXL_OP_SET_LSA:
	case CXL_OP_SET_SHUTDOWN_STATE:
		return 1;
	default:
		return 0;
	}
}
