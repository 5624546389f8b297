/* Mailbox reply decoders as the device set applies them to what a device
 * (or the kernel on its behalf) returned: the first byte picks the reply
 * (Get Supported Logs, the CEL, Identify, Get Partition Info, Get Health
 * Info, Get Event Records, Background Operation Status), the rest is the
 * payload. */
#include <stdint.h>
#include <stdlib.h>

#include "cxl/cel.h"
#include "cxl/device.h"
#include "cxl/mbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void supported_logs(const uint8_t *p, size_t n)
{
	struct cxl_supported_log *logs = NULL;
	size_t count = 0;

	if (cxl_parse_supported_logs(p, n, &logs, &count) == 0)
		free(logs);
}

static void cel(const uint8_t *p, size_t n)
{
	struct cxl_cel c = { 0 };

	if (cxl_cel_parse(p, n, &c))
		return;
	for (size_t i = 0; i < c.count; i++) {
		if (cxl_cel_find(&c, c.entries[i].opcode) != &c.entries[i])
			abort();
		cxl_effects_reserved_bits(c.entries[i].effects);
		cxl_opcode_name(c.entries[i].opcode);
		cxl_opcode_kernel_owned(c.entries[i].opcode);
	}
	cxl_cel_free(&c);
}

static void events(const uint8_t *p, size_t n)
{
	struct cxl_event out[4];
	struct cxl_event_page page;

	if (n < 1)
		return;
	cxl_parse_event_records(p + 1, n - 1, (enum cxl_event_log)(p[0] & 3), &page, out,
				(size_t)(p[0] >> 2) % 5);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1;
	size_t n = size ? size - 1 : 0;
	struct cxl_identify id;
	struct cxl_partition part;
	struct cxl_health health;
	struct cxl_bg_status bg;

	if (size < 1)
		return 0;
	switch (data[0] % 7) {
	case 0: supported_logs(p, n); break;
	case 1: cel(p, n); break;
	case 2: cxl_parse_identify(p, n, &id); break;
	case 3: cxl_parse_partition(p, n, &part); break;
	case 4: cxl_parse_health(p, n, &health); break;
	case 5: events(p, n); break;
	default: cxl_parse_bg_status(p, n, &bg); break;
	}
	return 0;
}
