/* Redfish sessions: an in-memory table of (id, SHA-256 of the token, user,
 * origin, times). The token itself is returned once, at creation, and never
 * kept: a lookup hashes the presented token and compares hashes in constant
 * time. Sessions live in memory only and do not survive a restart (see
 * README.md, Sessions); expired entries are swept on every operation, so the
 * table never holds more than the limits allow. Thread-safe. */
#ifndef CXLA_AUTH_SESSIONS_H
#define CXLA_AUTH_SESSIONS_H

#include <stddef.h>
#include <time.h>

#include "auth/identity.h"
#include "util/clock.h"

/* 256 random bits from GnuTLS's key generator, written as 64 hex digits. */
#define SESSION_TOKEN_BYTES 32
#define SESSION_TOKEN_MAX (2 * SESSION_TOKEN_BYTES + 1)
#define SESSION_CONTEXT_MAX 128
#define SESSION_PEER_MAX 48

struct sessions;

struct session_info {
	char id[SESSION_ID_MAX];
	char user[IDENTITY_NAME_MAX];
	char peer[SESSION_PEER_MAX];       /* ClientOriginIPAddress */
	char context[SESSION_CONTEXT_MAX]; /* client-supplied Context, "" if none */
	time_t created;                    /* wall clock */
	time_t expires;                    /* wall clock estimate of the idle deadline */
};

/* timeout_s: idle lifetime (sliding); max_total, max_per_user: limits. */
int sessions_new(unsigned timeout_s, unsigned max_total, unsigned max_per_user,
		 struct sessions **out);
void sessions_free(struct sessions *s);
/* Idle time runs on clock's monotonic clock, created/expires on its wall
 * clock; clock is borrowed and must outlive s (NULL: the system clocks). */
void sessions_set_clock(struct sessions *s, const struct clock_source *clock);
unsigned sessions_timeout(struct sessions *s);

/* SessionTimeout's range (DMTF SessionService: 30 s to 24 h). */
#define SESSIONS_TIMEOUT_MIN 30u
#define SESSIONS_TIMEOUT_MAX 86400u
/* Keep the settings in path ({"SessionTimeout": n}, borrowed), loading them
 * when the file exists: they override the configured timeout. A file that
 * holds anything else is -EINVAL with "file:line:column: message" in err
 * (the caller must not start on a guess); or -errno. */
int sessions_open_store(struct sessions *s, const char *path, char *err, size_t errlen);
/* Change the idle lifetime, for live sessions too. With a store, the file
 * is replaced first (atomically): on failure nothing changes. 0, -ERANGE,
 * or -errno from the write. */
int sessions_set_timeout(struct sessions *s, unsigned timeout_s);

/* Create a session for user (already authenticated). token receives the
 * secret (toklen >= SESSION_TOKEN_MAX); out (may be NULL) the session.
 * Returns 0, -EUSERS (per-user limit), -ENOSPC (total limit), -EIO. */
int sessions_create(struct sessions *s, const char *user, const char *peer, const char *context,
		    char *token, size_t toklen, struct session_info *out);
/* The last reserved places of the table are kept for
 * sessions_create_privileged: ordinary accounts filling the table cannot
 * lock out an administrator. 0 by default; at most max_total - 1. */
void sessions_set_reserve(struct sessions *s, unsigned reserved);
/* As sessions_create, for an account that administers the service (the
 * caller decides which): it may also take a reserved place. */
int sessions_create_privileged(struct sessions *s, const char *user, const char *peer,
			       const char *context, char *token, size_t toklen,
			       struct session_info *out);
/* Find the live session of token and restart its idle timer. 0 or -ENOENT. */
int sessions_lookup(struct sessions *s, const char *token, struct session_info *out);
/* The live session with id, without touching its timer. 0 or -ENOENT. */
int sessions_get(struct sessions *s, const char *id, struct session_info *out);
/* All live sessions (oldest first); *out is new (free()). */
int sessions_list(struct sessions *s, struct session_info **out, size_t *n);
/* End one session. 0 or -ENOENT. */
int sessions_delete(struct sessions *s, const char *id);
/* End every session of user except keep_id (may be NULL); returns how many. */
size_t sessions_delete_user(struct sessions *s, const char *user, const char *keep_id);
/* Live sessions (sweeps expired ones first). */
size_t sessions_count(struct sessions *s);

#endif
