/* Password checks shared by the requests that carry the same credential.
 *
 * A client that opens many connections at once with one Basic credential
 * (a load generator, a fleet tool, parallel scripts) would otherwise take
 * one place on the password pool per connection and run one KDF each,
 * although they all get the same answer. Here the first request whose
 * credential is not cached leads a check; the requests with the same key
 * (a keyed hash of user name and password) and the same accounts
 * generation that come while it is under way join it: they wait for its
 * outcome and never run a KDF of their own. A flood of one wrong
 * credential therefore costs one KDF per check, not one per request.
 *
 * Bounded: at most max_checks checks at once (the callers lead only with a
 * place on the password pool, so there are never more), and at most
 * joiners_per_check requests join each; past that a request leads a check
 * of its own or is refused. Thread-safe. */
#ifndef CXLA_AUTH_KDFJOIN_H
#define CXLA_AUTH_KDFJOIN_H

#include <stdbool.h>
#include <stdint.h>

#define KDFJOIN_KEY_LEN 32
/* The outcome of a check that ended without one (it never ran, or the
 * accounts changed while it ran). */
#define KDFJOIN_NONE (-1)

struct kdfjoin;
/* One request's place in a check: leading it or joined to it. */
struct kdfjoin_wait;

int kdfjoin_new(unsigned max_checks, unsigned joiners_per_check, struct kdfjoin **out);
/* Every place must have been released. */
void kdfjoin_free(struct kdfjoin *j);

/* A place in the check of key (KDFJOIN_KEY_LEN bytes) at accounts
 * generation gen: joined to the one under way when it has room, else, with
 * lead, leading a new one. 0 with *out (new; kdfjoin_release), -ENOENT
 * (nothing to join and not lead), -ENOSPC (no free check), -ENOMEM. */
int kdfjoin_take(struct kdfjoin *j, const unsigned char *key, uint64_t gen, bool lead,
		 struct kdfjoin_wait **out);
bool kdfjoin_joined(const struct kdfjoin_wait *w);

/* Joined places: call fn(arg) once, from whichever thread ends the check,
 * or before returning when it has already ended. */
void kdfjoin_notify(struct kdfjoin *j, struct kdfjoin_wait *w, void (*fn)(void *arg),
		    void *arg);

/* The leader's outcome (0 or more; KDFJOIN_NONE for none) for the accounts
 * generation gen it was reached at: the check stops being joinable and
 * every joined place that asked is notified. Only the first call counts. */
void kdfjoin_end(struct kdfjoin *j, struct kdfjoin_wait *w, int outcome, uint64_t gen);

/* The outcome of the check w is in, when it has ended and was reached at
 * generation gen; else KDFJOIN_NONE. */
int kdfjoin_outcome(struct kdfjoin *j, const struct kdfjoin_wait *w, uint64_t gen);

/* Give the place up (frees w). A leader that has not ended its check ends
 * it with KDFJOIN_NONE, so that nobody waits for it for ever. */
void kdfjoin_release(struct kdfjoin *j, struct kdfjoin_wait *w);

#endif
