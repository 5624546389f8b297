/* Emulated device profiles: the JSON text that says which devices the
 * emulated backend models (schemas/emulated-profile.schema.json), read into
 * plain descriptions. Parsing only: no device is created, no state file is
 * touched, so a configuration check can load a profile as a start would. */
#ifndef CXLA_CXL_EMULATED_PROFILE_H
#define CXLA_CXL_EMULATED_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "cxl/device.h"

#define EMU_MAX_TEMP 125           /* degrees C, the model's ceiling */
#define EMU_LSA_MAX (16u << 20)    /* largest label storage area */

/* One device as the profile describes it. */
struct emu_profile_dev {
	char name[32];
	uint64_t serial;
	char host[64];
	uint16_t vid, did;
	char fw[CXL_FW_REV_LEN + 1];
	uint64_t vol, pers;        /* bytes, multiples of 256 MiB */
	uint32_t lsa_size, payload_max;
	int numa;
	int base_temp, base_life;  /* health at creation */
	unsigned per_degree, per_life;
	uint32_t dirty_shutdowns;
	char *fault_path;          /* owned, NULL when absent */
	char *journal_path;        /* owned, NULL when absent */
};

struct emu_profile {
	size_t n;
	struct emu_profile_dev *dev; /* owned, n entries */
};

/* Read the profile at path (NULL: the built-in demo profile) into *out.
 * Names and serials are unique across devices. Returns 0, or -errno with
 * file:line:column and the offending key in errbuf. *out is to be released
 * with emu_profile_release() after success only. */
int emu_profile_load(const char *path, struct emu_profile *out, char *errbuf, size_t errlen);
void emu_profile_release(struct emu_profile *p);

#endif
