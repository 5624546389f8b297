#include "audit/limiter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void denial_limiter_init(struct denial_limiter *l, unsigned burst, uint64_t window_us)
{
	if (l->slot)
		memset(l->slot, 0, DENIAL_LIMITER_SLOTS * sizeof(*l->slot));
	l->burst = burst;
	l->window_us = window_us;
}

void denial_limiter_release(struct denial_limiter *l)
{
	free(l->slot);
	l->slot = NULL;
}

static size_t make_key(char key[DENIAL_KEY_MAX], const char *user, const char *source)
{
	int n = snprintf(key, DENIAL_KEY_MAX, "%s%c%s", user ? user : "", '\0',
			 source ? source : "");
	return n < 0 ? 0 : (size_t)n >= DENIAL_KEY_MAX ? DENIAL_KEY_MAX - 1 : (size_t)n;
}

/* Keys start with the user name, which may be empty: the separator after
 * it tells a used slot from a free one. */
static int slot_used(const struct denial_slot *s)
{
	return s->key[0] || s->key[1];
}

static int same_key(const char *a, const char *b, size_t len)
{
	return memcmp(a, b, len) == 0 && a[len] == '\0';
}

/* Hand over a slot's suppressed count, if any, and clear it. */
static void take_pending(struct denial_slot *s, struct denial_summary *flush)
{
	if (s->pending.suppressed && flush)
		*flush = s->pending;
	memset(&s->pending, 0, sizeof(s->pending));
}

static void start_window(struct denial_slot *s, const char *key, size_t klen, const char *user,
			 const char *source, uint64_t now_us)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->key, key, klen + 1);
	s->start_us = now_us;
	snprintf(s->pending.user, sizeof(s->pending.user), "%s", user ? user : "");
	snprintf(s->pending.source, sizeof(s->pending.source), "%s", source ? source : "");
}

int denial_limiter_admit(struct denial_limiter *l, const char *user, const char *source,
			 uint64_t now_us, uint64_t wall_us, struct denial_summary *flush)
{
	char key[DENIAL_KEY_MAX];
	size_t klen = make_key(key, user, source);
	struct denial_slot *s = NULL, *victim = NULL;

	if (flush)
		memset(flush, 0, sizeof(*flush));
	if (!l->burst)
		return 1;
	if (!l->slot && !(l->slot = calloc(DENIAL_LIMITER_SLOTS, sizeof(*l->slot))))
		return 1;
	for (size_t i = 0; i < DENIAL_LIMITER_SLOTS && !s; i++) {
		struct denial_slot *c = &l->slot[i];
		if (!slot_used(c)) {
			if (!victim || slot_used(victim))
				victim = c;
		} else if (same_key(c->key, key, klen)) {
			s = c;
		} else if (!victim || (slot_used(victim) && c->start_us < victim->start_us)) {
			victim = c;
		}
	}
	if (!s) {
		/* A free slot, or that of the caller whose window began longest
		 * ago: its count is handed over, not lost. */
		s = victim;
		take_pending(s, flush);
		start_window(s, key, klen, user, source, now_us);
	} else if (now_us - s->start_us >= l->window_us) {
		take_pending(s, flush);
		start_window(s, key, klen, user, source, now_us);
	}
	if (s->written < l->burst) {
		s->written++;
		return 1;
	}
	if (!s->pending.suppressed)
		s->pending.first_us = wall_us;
	s->pending.suppressed++;
	s->pending.last_us = wall_us;
	return 0;
}

size_t denial_limiter_drain(struct denial_limiter *l, uint64_t now_us, int all,
			    struct denial_summary *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; l->slot && i < DENIAL_LIMITER_SLOTS && n < max; i++) {
		struct denial_slot *s = &l->slot[i];
		if (!s->pending.suppressed || (!all && now_us - s->start_us < l->window_us))
			continue;
		out[n++] = s->pending;
		s->pending.suppressed = 0;
	}
	return n;
}
