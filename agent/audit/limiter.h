/* Per-caller rate limit for audit records of denied commands. A caller that
 * keeps being refused (a script looping on 403, or somebody probing) would
 * otherwise fill the audit log and rotate earlier history away: past a
 * burst, its denials are counted instead of written one by one, and a
 * summary record with the count is written when its window ends. */
#ifndef CXLA_AUDIT_LIMITER_H
#define CXLA_AUDIT_LIMITER_H

#include <stddef.h>
#include <stdint.h>

#define DENIAL_LIMITER_SLOTS 256
#define DENIAL_KEY_MAX 192

/* A window whose suppressed denials need a summary record. */
struct denial_summary {
	char user[96];
	char source[64];
	unsigned suppressed;
	uint64_t first_us, last_us; /* wall clock of the first and last suppressed */
};

struct denial_slot {
	char key[DENIAL_KEY_MAX]; /* user NUL source; empty: free */
	uint64_t start_us;        /* window start, monotonic */
	unsigned written;
	struct denial_summary pending;
};

struct denial_limiter {
	unsigned burst;      /* denials written per caller per window; 0: no limit */
	uint64_t window_us;
	/* DENIAL_LIMITER_SLOTS of them (96 KiB), allocated at the first denial
	 * to limit: most agents never deny anyone often enough to need them. */
	struct denial_slot *slot;
};

/* Sets the parameters and empties the slots. l is zeroed memory (calloc, a
 * static) or a limiter initialised before; denial_limiter_release() frees
 * what it holds. */
void denial_limiter_init(struct denial_limiter *l, unsigned burst, uint64_t window_us);
void denial_limiter_release(struct denial_limiter *l);

/* A denial by (user, source) at now_us, a monotonic time that windows are
 * counted on (a wall clock set forward would end them early, one set back
 * keep them), and wall_us, the wall-clock time a summary shows. Returns 1
 * when it should be written,
 * 0 when it is counted instead. When an earlier window of the same caller
 * (or a slot being reused for another caller) ends with suppressed
 * denials, *flush gets its summary and the function returns with
 * flush->suppressed > 0: the caller writes the summary first. Without
 * memory for the slots every denial is written (returns 1). */
int denial_limiter_admit(struct denial_limiter *l, const char *user, const char *source,
			 uint64_t now_us, uint64_t wall_us, struct denial_summary *flush);

/* Summaries of every window with suppressed denials (that has ended by
 * now_us, monotonic, unless all), for the caller to
 * write (at shutdown, or periodically). Returns how many were put into out
 * (at most max); they are cleared from the limiter. */
size_t denial_limiter_drain(struct denial_limiter *l, uint64_t now_us, int all,
			    struct denial_summary *out, size_t max);

#endif
