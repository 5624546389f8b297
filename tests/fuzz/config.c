/* The configuration loader from text, and the dump of what it accepted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];
	char *text = malloc(size + 1);

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (config_defaults(&cfg))
		abort();
	if (config_load_string(&cfg, "fuzz.json", text, err, sizeof(err)) == 0)
		free(config_dump(&cfg));
	config_release(&cfg);
	free(text);
	return 0;
}
