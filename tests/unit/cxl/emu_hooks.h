/* The emulated backend's test hooks addressed by a device set and a device
 * index, as most tests hold them. */
#ifndef CXLA_TEST_EMU_HOOKS_H
#define CXLA_TEST_EMU_HOOKS_H

#include "cxl/backend.h"
#include "cxl/emulated/emulated.h"

static inline int emu_inject(struct cxl_devset *set, size_t idx, enum cxl_emu_fault f, int count,
			     int opcode)
{
	struct cxl_backend *be;
	size_t local;
	int rc = cxl_devset_locate(set, idx, &be, &local);
	return rc ? rc : cxl_emu_inject(be, local, f, count, opcode);
}

static inline int emu_add_event(struct cxl_devset *set, size_t idx, enum cxl_event_log log)
{
	struct cxl_backend *be;
	size_t local;
	int rc = cxl_devset_locate(set, idx, &be, &local);
	return rc ? rc : cxl_emu_add_event(be, local, log);
}

static inline int emu_commands_executed(struct cxl_devset *set, size_t idx, uint64_t *out)
{
	struct cxl_backend *be;
	size_t local;
	int rc = cxl_devset_locate(set, idx, &be, &local);
	return rc ? rc : cxl_emu_commands_executed(be, local, out);
}

#endif
