/* The emulated device profile: the input is written as the profile file and
 * a device set is opened over it (no state directory: nothing persists). */
#include <stdint.h>
#include <stdlib.h>

#include "cxl/backend.h"
#include "cxl/device.h"
#include "cxl/emulated/emulated.h"
#include "fuzz_agent.h"
#include "util/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[256];
	struct cxl_backend *be = NULL;
	char err[512];

	if (!path[0])
		snprintf(path, sizeof(path), "%s", fuzz_scratch_file("profile.json"));
	if (file_write_atomic(path, data, size, 0600))
		abort();
	if (cxl_emu_backend_new(path, NULL, &be, err, sizeof(err)) == 0) {
		struct cxl_dev_info info[CXL_MAX_DEVICES];
		if (be->ops->enumerate(be, info, CXL_MAX_DEVICES) < 0)
			abort();
		be->ops->free(be);
	}
	return 0;
}
