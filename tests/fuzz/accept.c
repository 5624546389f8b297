/* The Accept header, as every request may carry it: read against each media
 * type the agent serves. Whatever the bytes, the reading stays inside them
 * and answers; a header of one readable element that names the type with
 * no weight always admits it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/accept.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const media[] = { "application/json", "application/xml",
					     "text/event-stream", "application/openmetrics-text" };
	char *text = malloc(size + 1);

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < sizeof(media) / sizeof(media[0]); i++) {
		(void)http_accept_allows(text, media[i]);
		if (!http_accept_allows(media[i], media[i]))
			abort();
	}
	free(text);
	return 0;
}
