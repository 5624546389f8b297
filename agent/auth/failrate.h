/* Failed password attempts per (source address, user name): a fixed window
 * of a minute opened by the first failure. IPv6 sources are counted per
 * /64, since one host usually holds a whole /64. A limited pair is refused
 * before any KDF work, for right and wrong passwords alike, so the limit
 * caps both guessing and the CPU spent on it. Keyed by the pair, guessing
 * at one user never locks out another user behind the same address (a
 * NAT), nor that user from elsewhere; guessing one user from many
 * addresses is what the account lockout counts. Thread-safe. */
#ifndef CXLA_AUTH_FAILRATE_H
#define CXLA_AUTH_FAILRATE_H

#include "util/clock.h"

struct failrate;

/* per_minute: failures a pair may have in a window (0: no limit); clock is
 * borrowed (NULL: the system clocks). */
int failrate_new(unsigned per_minute, const struct clock_source *clock, struct failrate **out);
void failrate_free(struct failrate *f);

/* Seconds the pair must wait before it may try again, 0 when it may now. */
unsigned failrate_wait(struct failrate *f, const char *peer, const char *user);
/* Count one failed attempt of the pair (logged when it reaches the limit,
 * naming the user as shown: already made safe for the log). */
void failrate_fail(struct failrate *f, const char *peer, const char *user, const char *shown);

#endif
