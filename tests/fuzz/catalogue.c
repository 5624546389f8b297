/* The vendor command catalogue parser, and lookups in what it accepted. */
#include <stdint.h>
#include <stdlib.h>

#include "policy/catalogue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_catalogue *cat = NULL;
	char err[512];

	if (catalogue_parse("fuzz.json", (const char *)data, size, &cat, err, sizeof(err)))
		return 0;
	for (size_t i = 0; i < catalogue_count(cat); i++) {
		const struct policy_command *c = catalogue_at(cat, i);
		if (catalogue_find_id(cat, c->id) != c)
			abort();
	}
	catalogue_unref(cat);
	return 0;
}
