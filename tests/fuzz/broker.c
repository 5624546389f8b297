/* The broker protocol decoder, as either side applies it to a datagram from
 * the other: anything it accepts must encode again (a decoded message holds
 * only what the protocol can say) and decode to the same type, and whatever
 * it allocated is released. */
#include <stdint.h>
#include <stdlib.h>

#include "broker/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct broker_msg m, again;
	uint8_t *buf = NULL;
	size_t len = 0;

	if (broker_msg_decode(data, size, &m))
		return 0;
	if (broker_msg_encode(&m, &buf, &len))
		abort();
	if (broker_msg_decode(buf, len, &again) || again.type != m.type || again.id != m.id)
		abort();
	broker_msg_release(&again);
	broker_msg_release(&m);
	free(buf);
	return 0;
}
