/* A bound on log lines that a remote party (or a device) can cause one per
 * request: per kind of line and source, the first `burst` lines of a window
 * pass, the rest are only counted, and once the window has ended one summary
 * says how many were held back. A window starts with a key's first line.
 *
 * Memory is fixed: LOG_THROTTLE_SOURCES keys of a kind and a source, then
 * one key per kind for the sources that found no room (so a flood from many
 * addresses of one kind never silences another kind), then one key for
 * everything else. Output is therefore bounded even with every table full.
 * Thread-safe; no allocation. */
#ifndef CXLA_UTIL_LOGTHROTTLE_H
#define CXLA_UTIL_LOGTHROTTLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "util/clock.h"

#define LOG_THROTTLE_SOURCES 64
#define LOG_THROTTLE_KINDS 16
/* An IPv6 address with a zone and a short reason fit; a longer source is
 * cut, which at worst counts two sources together. */
#define LOG_THROTTLE_SOURCE_MAX 96
/* The kind of the last key, shared by lines with no room of their own. */
#define LOG_THROTTLE_OTHER "log lines of throttled kinds"

struct log_throttle_slot {
	const char *kind; /* NULL: free; borrowed, a string that outlives the throttle */
	char source[LOG_THROTTLE_SOURCE_MAX];
	time_t start;
	unsigned passed;
	uint64_t held;
	int level; /* the most severe (lowest) level held back */
};

/* What a summary says: `held` lines of `kind` from `source` ("" when the key
 * has none) held back in the `window_s` seconds of the window (fewer when
 * it is summarised before its end, at least 1). */
struct log_throttle_summary {
	const char *kind;
	const char *source;
	uint64_t held;
	unsigned window_s;
	int level;
};

/* Called with the throttle's lock held: it must not call the throttle. */
typedef void (*log_throttle_emit_fn)(void *arg, const struct log_throttle_summary *s);

struct log_throttle {
	pthread_mutex_t lock;
	const struct clock_source *clock; /* borrowed; NULL: the system clock */
	unsigned burst;			  /* 0: every line passes */
	unsigned window_s;
	struct log_throttle_slot sources[LOG_THROTTLE_SOURCES];
	struct log_throttle_slot kinds[LOG_THROTTLE_KINDS];
	struct log_throttle_slot other;
};

/* A throttle with no lines seen, for a static one (the system clock). */
#define LOG_THROTTLE_INITIALIZER(burst_, window_s_)                                  \
	{ .lock = PTHREAD_MUTEX_INITIALIZER, .burst = (burst_), .window_s = (window_s_) }

/* Returns 0 or a positive error number, as pthread_mutex_init does. */
int log_throttle_init(struct log_throttle *t, const struct clock_source *clock, unsigned burst,
		      unsigned window_s);
void log_throttle_destroy(struct log_throttle *t);

/* New limits for the windows that start from now on; window_s 0 is taken
 * as 1. */
void log_throttle_set(struct log_throttle *t, unsigned burst, unsigned window_s);

/* Whether a line of `kind` (a string that outlives the throttle, compared by
 * content) from `source` (NULL or "": the kind alone) at `level` is to be
 * written now. Before answering, every key whose window has ended is
 * summarised through emit (when it held lines back) and forgotten, so the
 * summary of a key comes before its next line. */
bool log_throttle_admit(struct log_throttle *t, int level, const char *kind, const char *source,
			log_throttle_emit_fn emit, void *arg);

/* Summarises the keys whose window has ended (all: every key that held
 * lines back, as at exit) through emit; returns how many summaries. */
unsigned log_throttle_flush(struct log_throttle *t, bool all, log_throttle_emit_fn emit,
			    void *arg);

#endif
