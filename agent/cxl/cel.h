/* Command Effects Log: decoding of Get Supported Logs / Get Log replies and the
 * effect bits, plus name tables for opcodes and mailbox return codes.
 * Pure functions over byte buffers; no I/O. */
#ifndef CXLA_CXL_CEL_H
#define CXLA_CXL_CEL_H

#include <stddef.h>
#include <stdint.h>

/* CEL effect bits (CXL 2.0 / 3.x, see CXL-REFERENCE.md section 2). */
enum cxl_effect {
	CXL_EFFECT_CONFIG_CHANGE_COLD_RESET = 1u << 0,
	CXL_EFFECT_IMMEDIATE_CONFIG_CHANGE = 1u << 1,
	CXL_EFFECT_IMMEDIATE_DATA_CHANGE = 1u << 2,
	CXL_EFFECT_IMMEDIATE_POLICY_CHANGE = 1u << 3,
	CXL_EFFECT_IMMEDIATE_LOG_CHANGE = 1u << 4,
	CXL_EFFECT_SECURITY_STATE_CHANGE = 1u << 5,
	CXL_EFFECT_BACKGROUND_OPERATION = 1u << 6,
	CXL_EFFECT_SECONDARY_MAILBOX = 1u << 7,
	CXL_EFFECT_REQUEST_ABORT = 1u << 8,
	CXL_EFFECT_EXTENDED_VALID = 1u << 9, /* bits 10-11 are meaningful */
	CXL_EFFECT_CONFIG_CHANGE_CONV_RESET = 1u << 10,
	CXL_EFFECT_CONFIG_CHANGE_CXL_RESET = 1u << 11,
};
#define CXL_EFFECT_RESERVED_MASK 0xF000u
#define CXL_EFFECT_IMMEDIATE_MASK                                            \
	(CXL_EFFECT_IMMEDIATE_CONFIG_CHANGE | CXL_EFFECT_IMMEDIATE_DATA_CHANGE | \
	 CXL_EFFECT_IMMEDIATE_POLICY_CHANGE | CXL_EFFECT_IMMEDIATE_LOG_CHANGE)
#define CXL_EFFECT_RESET_MASK                                                   \
	(CXL_EFFECT_CONFIG_CHANGE_COLD_RESET | CXL_EFFECT_CONFIG_CHANGE_CONV_RESET | \
	 CXL_EFFECT_CONFIG_CHANGE_CXL_RESET)

/* One decoded effect flag: bit number and its schema property name
 * (e.g. "ImmediateDataChange"). The table ends with a NULL name. */
struct cxl_effect_name {
	unsigned bit;
	const char *name;
};
extern const struct cxl_effect_name cxl_effect_names[];

struct cxl_cel_entry {
	uint16_t opcode;
	uint16_t effects;
};

/* A decoded CEL. entries is owned; free with cxl_cel_free(). */
struct cxl_cel {
	size_t count;
	struct cxl_cel_entry *entries;
};

/* UUIDs of the logs the agent knows. */
extern const uint8_t cxl_log_uuid_cel[16];
extern const uint8_t cxl_log_uuid_vendor_debug[16];

struct cxl_supported_log {
	uint8_t uuid[16];
	uint32_t size;
};

/* Parse a Get Supported Logs reply (le16 count, 6 reserved, 20-byte entries).
 * Reserved bytes are ignored (QEMU 7.2 leaves junk there).
 * On success *out is a new array of *n entries (free()).
 * Returns 0, -EPROTO on any length mismatch, -ENOMEM. */
int cxl_parse_supported_logs(const uint8_t *buf, size_t len,
			     struct cxl_supported_log **out, size_t *n);

/* Entries a CEL may hold: a 64 KiB log. Every layer that carries a CEL
 * (the device set, the broker's snapshots to the front) takes this many, so
 * a longer one is refused where it is read, as malformed, and never stops a
 * layer above. */
#define CXL_CEL_MAX_ENTRIES 16384u

/* Parse raw CEL bytes (4-byte entries). A size that is not a multiple of 4,
 * more than CXL_CEL_MAX_ENTRIES entries or an opcode listed twice is
 * -EPROTO. */
int cxl_cel_parse(const uint8_t *buf, size_t len, struct cxl_cel *out);
void cxl_cel_free(struct cxl_cel *cel);
/* Borrowed pointer to the entry for opcode, or NULL. */
const struct cxl_cel_entry *cxl_cel_find(const struct cxl_cel *cel, uint16_t opcode);
/* The bits of effects that must be treated as reserved: 15:12 always, and
 * 11:10 when bit 9 (extended effects valid) is clear. 0 when clean. */
uint16_t cxl_effects_reserved_bits(uint16_t effects);

/* Name of a standard opcode ("Identify"), or NULL for unknown/vendor. */
const char *cxl_opcode_name(uint16_t opcode);
/* Name of a mailbox return code ("Busy"), or NULL if out of the table. */
const char *cxl_mbox_rc_name(uint16_t rc);

/* True for opcodes the kernel owns and that no catalogue may approve:
 * sanitize/security 0x44xx-0x46xx, firmware activation, partition, label
 * storage, shutdown state, poison and scan media. */
int cxl_opcode_kernel_owned(uint16_t opcode);

/* Standard opcodes used by the agent itself. */
enum cxl_opcode {
	CXL_OP_GET_EVENT_RECORDS = 0x0100,
	CXL_OP_CLEAR_EVENT_RECORDS = 0x0101,
	CXL_OP_GET_EVENT_INT_POLICY = 0x0102,
	CXL_OP_SET_EVENT_INT_POLICY = 0x0103,
	CXL_OP_GET_FW_INFO = 0x0200,
	CXL_OP_TRANSFER_FW = 0x0201,
	CXL_OP_ACTIVATE_FW = 0x0202,
	CXL_OP_GET_TIMESTAMP = 0x0300,
	CXL_OP_SET_TIMESTAMP = 0x0301,
	CXL_OP_GET_SUPPORTED_LOGS = 0x0400,
	CXL_OP_GET_LOG = 0x0401,
	CXL_OP_IDENTIFY = 0x4000,
	CXL_OP_GET_PARTITION_INFO = 0x4100,
	CXL_OP_SET_PARTITION_INFO = 0x4101,
	CXL_OP_GET_LSA = 0x4102,
	CXL_OP_SET_LSA = 0x4103,
	CXL_OP_GET_HEALTH_INFO = 0x4200,
	CXL_OP_GET_ALERT_CONFIG = 0x4201,
	CXL_OP_SET_ALERT_CONFIG = 0x4202,
	CXL_OP_GET_SHUTDOWN_STATE = 0x4203,
	CXL_OP_SET_SHUTDOWN_STATE = 0x4204,
	CXL_OP_GET_POISON = 0x4300,
	CXL_OP_INJECT_POISON = 0x4301,
	CXL_OP_CLEAR_POISON = 0x4302,
	CXL_OP_GET_SCAN_MEDIA_CAPS = 0x4303,
	CXL_OP_SCAN_MEDIA = 0x4304,
	CXL_OP_GET_SCAN_MEDIA = 0x4305,
	CXL_OP_SANITIZE = 0x4400,
	CXL_OP_BG_OP_STATUS = 0x0002,
};

/* Mailbox return codes the agent reacts to. */
enum cxl_mbox_rc {
	CXL_MBOX_SUCCESS = 0x00,
	CXL_MBOX_BACKGROUND_STARTED = 0x01,
	CXL_MBOX_INVALID_INPUT = 0x02,
	CXL_MBOX_UNSUPPORTED = 0x03,
	CXL_MBOX_INTERNAL_ERROR = 0x04,
	CXL_MBOX_RETRY_REQUIRED = 0x05,
	CXL_MBOX_BUSY = 0x06,
	CXL_MBOX_MEDIA_DISABLED = 0x07,
	CXL_MBOX_INVALID_PAYLOAD_LENGTH = 0x16,
};

#endif
