/* Lines of the CXL driver's trace events as trace_pipe prints them: the input
 * is one line (cut, garbled or not), decoded as the kernel backend decodes
 * what its tracefs instance yields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cxl/kernel/trace_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cxl_trace_rec r;

	if (cxl_trace_parse_line((const char *)data, size, &r) == 0) {
		if (!memchr(r.memdev, '\0', sizeof(r.memdev)) ||
		    !memchr(r.ev.detail, '\0', sizeof(r.ev.detail)) || r.ev.log > CXL_EVENT_LOG_FATAL ||
		    (r.ev.data_len != 0 && r.ev.data_len != sizeof(r.ev.data)))
			abort();
	}
	return 0;
}
