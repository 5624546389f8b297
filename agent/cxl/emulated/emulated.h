/* Emulated CXL Type-3 devices: the backend's row in the backend table, its
 * constructor and its test hooks. The model itself is described at the top
 * of model.c; profiles follow schemas/emulated-profile.schema.json.
 *
 * Fault injection is deterministic and off by default. It is reachable only
 * from this C API and from the per-device control file named in the profile
 * ("fault_control"), never from the network. The control file holds one JSON
 * object, re-read whenever its inode, size or mtime change (checked before
 * every command):
 *   {"fault": "<name>", "count": N, "opcode": "0xC000", "event": "warn"}
 * fault:  one of the names below (default "none");
 * count:  how many matching commands it hits; -1 (default) until cleared;
 * opcode: optional filter, only this opcode is affected;
 * event:  optional "info"/"warn"/"fail"/"fatal": appends one vendor event
 *         record to that log each time the file changes. */
#ifndef CXLA_CXL_EMULATED_H
#define CXLA_CXL_EMULATED_H

#include <stddef.h>
#include <stdint.h>

#include "cxl/backend.h"
#include "cxl/device.h"

/* The backend table's row (backends.c), and its one delivery path. */
extern const struct cxl_backend_desc cxl_emu_backend_desc;
extern const struct cxl_delivery_path cxl_emu_path;

/* Devices of the profile at path (NULL: the built-in demo profile); label
 * storage persists under state_dir (created 0700 when missing; NULL: in
 * memory only). 0 and a new backend, or -errno with errbuf. */
int cxl_emu_backend_new(const char *profile, const char *state_dir, struct cxl_backend **out,
			char *errbuf, size_t errlen);

enum cxl_emu_fault {
	CXL_EMU_FAULT_NONE = 0,
	CXL_EMU_FAULT_BUSY,               /* "busy": mailbox rc Busy (06h), not executed */
	CXL_EMU_FAULT_RETRY,              /* "retry": Retry Required (05h), not executed */
	CXL_EMU_FAULT_INTERNAL,           /* "internal": Internal Error (04h), not executed */
	CXL_EMU_FAULT_BAD_PAYLOAD_LENGTH, /* "bad_payload_length": 16h, not executed */
	CXL_EMU_FAULT_TIMEOUT,            /* "timeout": no answer; the submit blocks until its
					     deadline and gives -ETIMEDOUT, not executed */
	CXL_EMU_FAULT_VANISH,             /* "vanish": device gone for good, -ENODEV from then on */
	CXL_EMU_FAULT_OVERSIZE_REPLY,     /* "oversize_reply": executed, out_len claims more
					     than the buffer / payload_max */
	CXL_EMU_FAULT_LONG_REPLY,         /* "long_reply": executed, 4 junk bytes appended to
					     the reply (more than asked, within payload_max) */
	CXL_EMU_FAULT_BAD_CEL,            /* "bad_cel": Get Supported Logs reports a CEL size
					     that is not a multiple of 4 */
	CXL_EMU_FAULT_BG_STARTED,         /* "bg_started": Background Command Started (01h)
					     for anything, not executed (a broken device) */
	CXL_EMU_FAULT__COUNT,
};

/* "busy", ...; NULL when out of range. */
const char *cxl_emu_fault_name(enum cxl_emu_fault f);
/* 0 and *out, or -EINVAL for an unknown name. */
int cxl_emu_fault_parse(const char *name, enum cxl_emu_fault *out);

/* Test hooks on device idx of an emulated backend be (borrowed; for a
 * device set, cxl_devset_locate() gives both). Each returns 0, -ERANGE, or
 * -EOPNOTSUPP when be is not emulated. */
/* Arm a fault for the next count matching commands (-1: until cleared with
 * CXL_EMU_FAULT_NONE); opcode < 0 matches every opcode. Replaces any
 * previous fault. */
int cxl_emu_inject(struct cxl_backend *be, size_t idx, enum cxl_emu_fault fault, int count,
		   int opcode);
/* Append one vendor-defined event record to a log of the device. */
int cxl_emu_add_event(struct cxl_backend *be, size_t idx, enum cxl_event_log log);
/* Commands the model has executed (its virtual clock). */
int cxl_emu_commands_executed(struct cxl_backend *be, size_t idx, uint64_t *out);

/* Vendor opcodes of the model. */
enum cxl_emu_vendor_opcode {
	CXL_EMU_OP_READ_TELEMETRY = 0xC000,  /* no effects: 64-byte telemetry blob */
	CXL_EMU_OP_SET_CONFIG_RESET = 0xC001, /* le32 in: pending config, applied at cold reset */
	CXL_EMU_OP_SET_MODE = 0xC002,        /* le32 in (0..3): immediate config + data change */
	CXL_EMU_OP_BACKGROUND = 0xC003,      /* [le32 ms]: background operation */
};
#define CXL_EMU_TELEMETRY_LEN 64

/* The built-in demo profile (JSON text, borrowed), used when no profile is
 * configured. */
const char *cxl_emu_builtin_profile(void);

#endif
