/* Fault injection for the emulated model: the faults by name, the control
 * file a test writes (emulated.h describes its format), and the decision
 * whether an armed fault hits a command. */
#include "cxl/emulated/model.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"
#include "util/jsonfile.h"
#include "util/jsonmembers.h"
#include "util/log.h"

#define EMU_CONTROL_MAX 4096u

static const char *const fault_names[CXL_EMU_FAULT__COUNT] = {
	[CXL_EMU_FAULT_NONE] = "none",
	[CXL_EMU_FAULT_BUSY] = "busy",
	[CXL_EMU_FAULT_RETRY] = "retry",
	[CXL_EMU_FAULT_INTERNAL] = "internal",
	[CXL_EMU_FAULT_BAD_PAYLOAD_LENGTH] = "bad_payload_length",
	[CXL_EMU_FAULT_TIMEOUT] = "timeout",
	[CXL_EMU_FAULT_VANISH] = "vanish",
	[CXL_EMU_FAULT_OVERSIZE_REPLY] = "oversize_reply",
	[CXL_EMU_FAULT_LONG_REPLY] = "long_reply",
	[CXL_EMU_FAULT_BAD_CEL] = "bad_cel",
	[CXL_EMU_FAULT_BG_STARTED] = "bg_started",
};

const char *cxl_emu_fault_name(enum cxl_emu_fault f)
{
	if ((unsigned)f >= CXL_EMU_FAULT__COUNT)
		return NULL;
	return fault_names[f];
}

int cxl_emu_fault_parse(const char *name, enum cxl_emu_fault *out)
{
	for (int i = 0; i < CXL_EMU_FAULT__COUNT; i++) {
		if (strcmp(fault_names[i], name) == 0) {
			*out = (enum cxl_emu_fault)i;
			return 0;
		}
	}
	return -EINVAL;
}

void emu_set_fault(struct emu_dev *d, enum cxl_emu_fault f, int count, int opcode)
{
	d->fault = count == 0 ? CXL_EMU_FAULT_NONE : f;
	d->fault_count = count < 0 ? -1 : count;
	d->fault_opcode = opcode;
}

static int parse_hex_u16(json_t *v, int *out)
{
	const char *s;
	char *end;
	unsigned long x;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0 || i > 0xFFFF)
			return -EINVAL;
		*out = (int)i;
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	if (strncmp(s, "0x", 2) != 0 && strncmp(s, "0X", 2) != 0)
		return -EINVAL;
	errno = 0;
	x = strtoul(s + 2, &end, 16);
	if (errno || *end || end == s + 2 || x > 0xFFFF)
		return -EINVAL;
	*out = (int)x;
	return 0;
}

void emu_vendor_event(struct emu_dev *d, int log)
{
	uint8_t data[8] = { 0x02 }; /* vendor event type: injected */
	cxl_put_le32(data + 4, (uint32_t)d->executed);
	emu_push_event(d, log, emu_uuid_vendor, data, sizeof(data));
}

static const char *const log_names[] = { "info", "warn", "fail", "fatal", NULL };
enum { F_FAULT, F_COUNT, F_OPCODE, F_EVENT, F__N };
static const struct jm_member control_members[F__N] = {
	[F_FAULT] = { "fault", JM_STRING, 0, 0, 0, NULL, NULL },
	[F_COUNT] = { "count", JM_INTEGER, 0, -1, INT_MAX, NULL, NULL },
	[F_OPCODE] = { "opcode", JM_ANY, 0, 0, 0, NULL, NULL }, /* integer or "0x..." */
	[F_EVENT] = { "event", JM_STRING, 0, 0, 0, log_names, NULL },
};

static void emu_apply_control(struct emu_dev *d, const char *text, size_t len)
{
	static const char *const root[] = { NULL };
	struct jm_value v[F__N];
	struct jsonfile jf;
	char err[512];
	enum cxl_emu_fault f = CXL_EMU_FAULT_NONE;
	int count = -1, opcode = -1, log = -1;

	if (jsonfile_parse(d->p.fault_path, text, len, &jf, err, sizeof(err))) {
		log_warn("emulated %s: fault control ignored: %s", d->id, err);
		emu_set_fault(d, CXL_EMU_FAULT_NONE, 0, -1);
		return;
	}
	if (jm_read_file(&jf, root, jf.root, control_members, F__N, v, err, sizeof(err))) {
		log_warn("emulated %s: fault control ignored: %s", d->id, err);
		goto bad;
	}
	if (v[F_FAULT].json && cxl_emu_fault_parse(v[F_FAULT].str, &f)) {
		log_warn("emulated %s: fault control %s: unknown fault", d->id, d->p.fault_path);
		goto bad;
	}
	if (v[F_COUNT].json)
		count = (int)v[F_COUNT].num;
	if (v[F_OPCODE].json && parse_hex_u16(v[F_OPCODE].json, &opcode)) {
		log_warn("emulated %s: fault control %s: bad opcode", d->id, d->p.fault_path);
		goto bad;
	}
	if (v[F_EVENT].json)
		log = v[F_EVENT].choice;
	emu_set_fault(d, f, count, opcode);
	if (log >= 0)
		emu_vendor_event(d, log);
	log_info("emulated %s: fault control: %s count %d opcode %d%s", d->id,
		 cxl_emu_fault_name(f), count, opcode, log >= 0 ? " (+1 event)" : "");
	jsonfile_release(&jf);
	return;
bad:
	emu_set_fault(d, CXL_EMU_FAULT_NONE, 0, -1);
	jsonfile_release(&jf);
}

/* The control file is re-read only when it changed, so a count in it is
 * consumed across commands rather than re-armed before each one. */
void emu_poll_control(struct emu_dev *d)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!d->p.fault_path)
		return;
	if (stat(d->p.fault_path, &st) < 0) {
		if (d->ctl_seen) {
			d->ctl_seen = false;
			emu_set_fault(d, CXL_EMU_FAULT_NONE, 0, -1);
		}
		return;
	}
	if (d->ctl_seen && st.st_ino == d->ctl_st.st_ino && st.st_size == d->ctl_st.st_size &&
	    st.st_mtim.tv_sec == d->ctl_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == d->ctl_st.st_mtim.tv_nsec)
		return;
	d->ctl_seen = true;
	d->ctl_st = st;
	rc = file_read_all(d->p.fault_path, EMU_CONTROL_MAX, &text, &len);
	if (rc) {
		log_warn("emulated %s: cannot read fault control %s: %s", d->id, d->p.fault_path,
			 strerror(-rc));
		emu_set_fault(d, CXL_EMU_FAULT_NONE, 0, -1);
		return;
	}
	emu_apply_control(d, text, len);
	free(text);
}

/* Whether the armed fault hits this command; consumes one count. bad_cel
 * only ever concerns Get Supported Logs. */
enum cxl_emu_fault emu_take_fault(struct emu_dev *d, uint16_t opcode)
{
	enum cxl_emu_fault f = d->fault;

	if (f == CXL_EMU_FAULT_NONE)
		return f;
	if (d->fault_opcode >= 0 && d->fault_opcode != opcode)
		return CXL_EMU_FAULT_NONE;
	if (f == CXL_EMU_FAULT_BAD_CEL && opcode != CXL_OP_GET_SUPPORTED_LOGS)
		return CXL_EMU_FAULT_NONE;
	if (d->fault_count > 0 && --d->fault_count == 0)
		d->fault = CXL_EMU_FAULT_NONE;
	return f;
}
