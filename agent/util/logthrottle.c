#include "util/logthrottle.h"

#include <stdio.h>
#include <string.h>

int log_throttle_init(struct log_throttle *t, const struct clock_source *clock, unsigned burst,
		      unsigned window_s)
{
	memset(t, 0, sizeof(*t));
	t->clock = clock;
	t->burst = burst;
	t->window_s = window_s ? window_s : 1;
	return pthread_mutex_init(&t->lock, NULL);
}

void log_throttle_destroy(struct log_throttle *t)
{
	pthread_mutex_destroy(&t->lock);
}

void log_throttle_set(struct log_throttle *t, unsigned burst, unsigned window_s)
{
	pthread_mutex_lock(&t->lock);
	t->burst = burst;
	t->window_s = window_s ? window_s : 1;
	pthread_mutex_unlock(&t->lock);
}

/* The span is the window's, or the part of it gone by when summarised
 * early (at exit). */
static void summarise(const struct log_throttle *t, const struct log_throttle_slot *s,
		      time_t now, log_throttle_emit_fn emit, void *arg)
{
	time_t span = now - s->start;
	struct log_throttle_summary sum = { s->kind, s->source, s->held, t->window_s, s->level };

	if (span < (time_t)t->window_s)
		sum.window_s = span > 0 ? (unsigned)span : 1;
	if (s->held && emit)
		emit(arg, &sum);
}

/* Summarises and frees the slot when its window has ended (or always);
 * returns 1 when it said something. */
static unsigned expire(const struct log_throttle *t, struct log_throttle_slot *s, time_t now,
		       bool all, log_throttle_emit_fn emit, void *arg)
{
	unsigned said;

	if (!s->kind || (!all && now - s->start < (time_t)t->window_s))
		return 0;
	said = s->held ? 1 : 0;
	summarise(t, s, now, emit, arg);
	s->kind = NULL;
	return said;
}

static unsigned expire_all(struct log_throttle *t, time_t now, bool all,
			   log_throttle_emit_fn emit, void *arg)
{
	unsigned n = 0;

	for (size_t i = 0; i < LOG_THROTTLE_SOURCES; i++)
		n += expire(t, &t->sources[i], now, all, emit, arg);
	for (size_t i = 0; i < LOG_THROTTLE_KINDS; i++)
		n += expire(t, &t->kinds[i], now, all, emit, arg);
	n += expire(t, &t->other, now, all, emit, arg);
	return n;
}

/* The slot of (kind, source) in tab, or a free one taken for it, or NULL. */
static struct log_throttle_slot *slot_in(struct log_throttle_slot *tab, size_t n,
					 const char *kind, const char *source, time_t now)
{
	struct log_throttle_slot *free_slot = NULL;

	for (size_t i = 0; i < n; i++) {
		if (!tab[i].kind) {
			if (!free_slot)
				free_slot = &tab[i];
			continue;
		}
		if (strcmp(tab[i].kind, kind) == 0 && strcmp(tab[i].source, source) == 0)
			return &tab[i];
	}
	if (!free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->kind = kind;
	snprintf(free_slot->source, sizeof(free_slot->source), "%s", source);
	free_slot->start = now;
	return free_slot;
}

static struct log_throttle_slot *slot_for(struct log_throttle *t, const char *kind,
					  const char *source, time_t now)
{
	struct log_throttle_slot *s = NULL;
	char cut[LOG_THROTTLE_SOURCE_MAX];

	if (source[0]) {
		/* compared as it is kept, so a long source still finds its slot */
		snprintf(cut, sizeof(cut), "%s", source);
		s = slot_in(t->sources, LOG_THROTTLE_SOURCES, kind, cut, now);
	}
	if (!s)
		s = slot_in(t->kinds, LOG_THROTTLE_KINDS, kind, "", now);
	if (!s)
		s = slot_in(&t->other, 1, LOG_THROTTLE_OTHER, "", now);
	return s;
}

bool log_throttle_admit(struct log_throttle *t, int level, const char *kind, const char *source,
			log_throttle_emit_fn emit, void *arg)
{
	time_t now = clock_monotonic_s(t->clock);
	struct log_throttle_slot *s;
	bool pass = true;

	pthread_mutex_lock(&t->lock);
	if (!t->burst)
		goto out;
	expire_all(t, now, false, emit, arg);
	s = slot_for(t, kind, source ? source : "", now);
	if (s->passed < t->burst) {
		s->passed++;
		goto out;
	}
	if (!s->held || level < s->level)
		s->level = level;
	s->held++;
	pass = false;
out:
	pthread_mutex_unlock(&t->lock);
	return pass;
}

unsigned log_throttle_flush(struct log_throttle *t, bool all, log_throttle_emit_fn emit,
			    void *arg)
{
	time_t now = clock_monotonic_s(t->clock);
	unsigned n;

	pthread_mutex_lock(&t->lock);
	n = expire_all(t, now, all, emit, arg);
	pthread_mutex_unlock(&t->lock);
	return n;
}
