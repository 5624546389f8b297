#include "broker/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker/proto.h"

static uint8_t *room(struct wire_out *w, size_t n)
{
	if (w->err)
		return NULL;
	if (n > BROKER_MSG_MAX || w->len > BROKER_MSG_MAX - n) {
		w->err = -EMSGSIZE;
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *nb = realloc(w->buf, cap);
		if (!nb) {
			w->err = -ENOMEM;
			return NULL;
		}
		w->buf = nb;
		w->cap = cap;
	}
	w->len += n;
	return w->buf + w->len - n;
}

void wout_raw(struct wire_out *w, const void *p, size_t n)
{
	uint8_t *d = room(w, n);
	if (d && n)
		memcpy(d, p, n);
}

void wout_u8(struct wire_out *w, uint8_t v)
{
	wout_raw(w, &v, 1);
}

void wout_u16(struct wire_out *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	wout_raw(w, b, 2);
}

void wout_u32(struct wire_out *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	wout_raw(w, b, 4);
}

void wout_u64(struct wire_out *w, uint64_t v)
{
	wout_u32(w, (uint32_t)v);
	wout_u32(w, (uint32_t)(v >> 32));
}

void wout_i32(struct wire_out *w, int32_t v)
{
	wout_u32(w, (uint32_t)v);
}

void wout_bytes(struct wire_out *w, const void *p, size_t n)
{
	if (n > BROKER_MSG_MAX) {
		if (!w->err)
			w->err = -EMSGSIZE;
		return;
	}
	wout_u32(w, (uint32_t)n);
	wout_raw(w, p, n);
}

void wout_str(struct wire_out *w, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n >= max) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	wout_bytes(w, s, n);
}

static const uint8_t *take(struct wire_in *r, size_t n)
{
	const uint8_t *p;
	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

void win_raw(struct wire_in *r, void *p, size_t n)
{
	const uint8_t *s = take(r, n);
	if (s)
		memcpy(p, s, n);
	else
		memset(p, 0, n);
}

uint8_t win_u8(struct wire_in *r)
{
	const uint8_t *s = take(r, 1);
	return s ? s[0] : 0;
}

uint16_t win_u16(struct wire_in *r)
{
	const uint8_t *s = take(r, 2);
	return s ? (uint16_t)(s[0] | s[1] << 8) : 0;
}

uint32_t win_u32(struct wire_in *r)
{
	const uint8_t *s = take(r, 4);
	return s ? (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 |
			   (uint32_t)s[3] << 24
		 : 0;
}

uint64_t win_u64(struct wire_in *r)
{
	uint64_t lo = win_u32(r);
	return lo | (uint64_t)win_u32(r) << 32;
}

int32_t win_i32(struct wire_in *r)
{
	return (int32_t)win_u32(r);
}

const uint8_t *win_bytes(struct wire_in *r, size_t max, size_t *n)
{
	uint32_t len = win_u32(r);
	const uint8_t *p;

	*n = 0;
	if (r->bad || len > max) {
		r->bad = true;
		return NULL;
	}
	p = take(r, len);
	if (p)
		*n = len;
	return p;
}

void win_str(struct wire_in *r, char *dst, size_t dstlen)
{
	size_t n;
	const uint8_t *p = win_bytes(r, dstlen ? dstlen - 1 : 0, &n);

	dst[0] = '\0';
	if (!p)
		return;
	if (memchr(p, '\0', n)) {
		r->bad = true;
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}
