/* Little-endian field writer and reader under the broker protocol. The
 * writer grows its buffer and remembers the first failure; the reader never
 * reads past the datagram and remembers the first overrun, so a codec checks
 * one flag at the end instead of every field. Internal to agent/broker. */
#ifndef CXLA_BROKER_WIRE_H
#define CXLA_BROKER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wire_out {
	uint8_t *buf;  /* new, taken by the caller on success */
	size_t len;
	size_t cap;
	int err;       /* first failure: -ENOMEM, -EINVAL, -EMSGSIZE */
};

void wout_u8(struct wire_out *w, uint8_t v);
void wout_u16(struct wire_out *w, uint16_t v);
void wout_u32(struct wire_out *w, uint32_t v);
void wout_u64(struct wire_out *w, uint64_t v);
void wout_i32(struct wire_out *w, int32_t v);
void wout_raw(struct wire_out *w, const void *p, size_t n);
/* u32 length + bytes. */
void wout_bytes(struct wire_out *w, const void *p, size_t n);
/* A NUL-terminated string that must be shorter than max (its destination's
 * size on the other side); -EINVAL otherwise. NULL is "". */
void wout_str(struct wire_out *w, const char *s, size_t max);

struct wire_in {
	const uint8_t *p;
	size_t left;
	bool bad;
};

uint8_t win_u8(struct wire_in *r);
uint16_t win_u16(struct wire_in *r);
uint32_t win_u32(struct wire_in *r);
uint64_t win_u64(struct wire_in *r);
int32_t win_i32(struct wire_in *r);
void win_raw(struct wire_in *r, void *p, size_t n);
/* u32 length + bytes, borrowed; at most max bytes. */
const uint8_t *win_bytes(struct wire_in *r, size_t max, size_t *n);
/* A string into dst (size dstlen, NUL-terminated): refused when it does not
 * fit or holds a NUL. */
void win_str(struct wire_in *r, char *dst, size_t dstlen);

#endif
