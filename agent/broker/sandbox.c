#include "broker/sandbox.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"

int sandbox_user_resolve(const char *configured, struct sandbox_user *out, char *err,
			 size_t errlen)
{
	const char *name = configured;
	struct passwd *pw;

	memset(out, 0, sizeof(*out));
	if (!name && geteuid() != 0) {
		out->uid = geteuid();
		out->gid = getegid();
		snprintf(out->name, sizeof(out->name), "uid %u", (unsigned)out->uid);
		return 0;
	}
	if (!name) {
		if (!getpwnam(SANDBOX_DEFAULT_USER)) {
			snprintf(err, errlen,
				 "no \"user\" is configured and there is no \"%s\" account: create "
				 "one (useradd --system %s) or name the user to run as",
				 SANDBOX_DEFAULT_USER, SANDBOX_DEFAULT_USER);
			return -ENOENT;
		}
		name = SANDBOX_DEFAULT_USER;
	}
	if (!(pw = getpwnam(name))) {
		snprintf(err, errlen, "user \"%s\" does not exist", name);
		return -ENOENT;
	}
	if (geteuid() != 0 && geteuid() != pw->pw_uid) {
		snprintf(err, errlen, "not root: cannot switch to user \"%s\"", name);
		return -EPERM;
	}
	out->change = geteuid() == 0;
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	snprintf(out->name, sizeof(out->name), "%s", name);
	return 0;
}

int sandbox_hide_paths(const char *const *paths, char *err, size_t errlen)
{
	if (unshare(CLONE_NEWNS) < 0) {
		snprintf(err, errlen, "cannot make a mount namespace: %s", strerror(errno));
		return -errno;
	}
	/* Nothing done here may reach the host's mounts. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(err, errlen, "cannot make the mounts private: %s", strerror(errno));
		return -errno;
	}
	for (size_t i = 0; paths[i]; i++) {
		struct stat st;
		if (stat(paths[i], &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (mount("none", paths[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "size=4k,mode=0") < 0) {
			snprintf(err, errlen, "cannot hide %s: %s", paths[i], strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = CAP_LAST_CAP;
		fclose(f);
	}
	return n;
}

/* keep: capabilities (CAP_TO_MASK bits of the first word) left permitted,
 * effective, inheritable and ambient; 0 clears everything. */
static int caps_set(uint32_t keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	/* Already so (a service started without capabilities): no capset,
	 * which the unit's system call filter may refuse. */
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	bool same = d[0].effective == keep && d[0].permitted == keep &&
		    d[0].inheritable == keep && !d[1].effective && !d[1].permitted &&
		    !d[1].inheritable;
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = d[0].inheritable = keep;
	if (!same && syscall(SYS_capset, &h, d) < 0)
		return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	for (int c = 0; c < 32; c++)
		if ((keep & (1u << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return -errno;
	return 0;
}

/* Any capability beyond keep. */
static int caps_beyond(uint32_t keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return 1;
	return (d[0].effective & ~keep) || (d[0].permitted & ~keep) || d[1].effective ||
	       d[1].permitted;
}

int sandbox_drop(const struct sandbox_user *u, char *err, size_t errlen)
{
	return sandbox_drop_keep(u, false, err, errlen);
}

int sandbox_drop_keep(const struct sandbox_user *u, bool net_raw, char *err, size_t errlen)
{
	uint32_t keep = net_raw ? CAP_TO_MASK(CAP_NET_RAW) : 0;
	int top = last_cap();

	/* The bounding set first, while CAP_SETPCAP is still held: nothing
	 * executed later can gain a capability back. */
	for (int c = 0; c <= top; c++)
		if (!(c < 32 && (keep & (1u << c))) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			/* Started without privileges: the bounding set cannot be
			 * changed, and no_new_privs below already stops an execve
			 * from gaining anything through it. */
			if (errno == EPERM && geteuid() != 0)
				break;
			snprintf(err, errlen, "cannot drop capability %d from the bounding set: %s",
				 c, strerror(errno));
			return -errno;
		}
	/* Kept across the change of user in this thread only: the caller
	 * starts the threads that need the capability afterwards. */
	if (keep && u->change && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot keep capabilities: %s", strerror(errno));
		return -errno;
	}
	if (u->change && (setgroups(0, NULL) < 0 || setgid(u->gid) < 0 || setuid(u->uid) < 0)) {
		snprintf(err, errlen, "cannot switch to user \"%s\": %s", u->name, strerror(errno));
		return -errno;
	}
	if (caps_set(keep) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(errno));
		return -errno;
	}
	if (keep && u->change && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot clear keep-capabilities: %s", strerror(errno));
		return -errno;
	}
	if (caps_beyond(keep) || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
	    (u->uid != 0 && setuid(0) == 0)) {
		snprintf(err, errlen, "privileges could be regained after dropping them");
		return -EPERM;
	}
	return 0;
}
