/* Decoding of the Linux CXL driver's trace events, as tracefs prints them
 * (trace_pipe text), into device event records.
 *
 * From Linux 6.3 the driver reads and clears the devices' event logs itself
 * and reports each record as a trace event of the "cxl" system:
 * cxl_generic_event, cxl_general_media, cxl_dram, cxl_memory_module, and,
 * when a poison list is read, cxl_poison. Their print formats (the kernel's
 * drivers/cxl/core/trace.h, unchanged in shape from 6.3 to 6.12) share a
 * header:
 *
 *   <name>: memdev=%s host=%s serial=%lld log=%s : time=%llu uuid=%pUb len=%d
 *           flags='%s' handle=%x related_handle=%x maint_op_class=%u : <rest>
 *
 * where <rest> is the record's 80 bytes as space-separated hex for the
 * generic event and decoded fields for the others; cxl_poison has its own
 * line (memdev, host, serial, trace_type, region, hpa, dpa, ...). Lines may
 * carry tracefs' context prefix (task, cpu, flags, timestamp) or not.
 *
 * The text is the kernel's, but a line can be cut short (a full pipe buffer,
 * a truncated read) or interleaved with other events of the same instance:
 * anything that does not decode is rejected, never guessed at. Pure: no I/O,
 * no allocation. */
#ifndef CXLA_CXL_KERNEL_TRACE_PARSE_H
#define CXLA_CXL_KERNEL_TRACE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "cxl/device.h"

/* The trace events read, NULL-terminated (for enabling them). Static. */
extern const char *const cxl_trace_event_names[];

struct cxl_trace_rec {
	char memdev[32];     /* the kernel's device name, "mem0" */
	uint64_t serial;     /* the device serial the driver printed */
	struct cxl_event ev; /* seq unset; source CXL_EVENT_SOURCE_KERNEL_TRACE */
};

/* Decode one line (len bytes, no newline needed, not NUL-terminated) into
 * out. Returns 0 for one of the events above, -ENOENT for a line that is not
 * one (comments, other events), -EPROTO for one that is but does not decode
 * (cut short, a field out of range). */
int cxl_trace_parse_line(const char *line, size_t len, struct cxl_trace_rec *out);

#endif
