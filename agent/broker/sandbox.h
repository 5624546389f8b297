/* Privileges of the two processes. Both switch to the service user, lose
 * every capability (effective, permitted, inheritable, ambient and the
 * bounding set) and set no_new_privs. The front also gets a mount namespace
 * in which the audit directory and the device nodes are empty, and a
 * seccomp filter that kills it on any system call outside its list. The
 * broker gets a filter of its own, once everything it serves is open.
 *
 * The user: "user" from the configuration; when none is configured and the
 * agent starts as root, the dedicated system account "cxl-agent" when it
 * exists, otherwise start-up is refused (running the network-facing code
 * as root, or as a "nobody" shared with other daemons, is what this
 * prevents). "root" may be named explicitly for development and tests: the
 * processes keep uid 0 but still lose every capability. */
#ifndef CXLA_BROKER_SANDBOX_H
#define CXLA_BROKER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SANDBOX_DEFAULT_USER "cxl-agent"

struct sandbox_user {
	bool change;        /* false: not started as root, stay who we are */
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* Decide the user from configured (NULL: none) and the current euid. */
int sandbox_user_resolve(const char *configured, struct sandbox_user *out, char *err,
			 size_t errlen);
/* Give the process (still root) a private mount namespace where each of
 * paths (NULL-terminated; missing ones skipped) is an empty read-only
 * directory. -EPERM when not permitted (not root). */
int sandbox_hide_paths(const char *const *paths, char *err, size_t errlen);
/* Switch to u and drop every capability, set no_new_privs; verified. */
int sandbox_drop(const struct sandbox_user *u, char *err, size_t errlen);
/* The same, but with net_raw CAP_NET_RAW stays permitted, effective and
 * ambient in the calling thread and the threads it starts from then on
 * (AF_MCTP checks it on every send, in the sending thread); it must be held
 * on entry. */
int sandbox_drop_keep(const struct sandbox_user *u, bool net_raw, char *err, size_t errlen);
/* Load the front's system call filter (all threads). */
int sandbox_front_filter(char *err, size_t errlen);
/* Load the broker's system call filter (all threads); front is the pid it
 * may signal. */
int sandbox_broker_filter(pid_t front, char *err, size_t errlen);

#endif
