#include "app/notify.h"

#include <errno.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

/* sd_notify returns >0 when sent, 0 without NOTIFY_SOCKET, <0 on error. */
static int sent(int rc)
{
	return rc < 0 ? rc : 0;
}

int notify_ready(const char *status)
{
	return sent(sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : ""));
}

int notify_reloading(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return -errno;
	return sent(sd_notifyf(0, "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu",
			       (unsigned long long)now.tv_sec * 1000000ull +
				       (unsigned long long)now.tv_nsec / 1000ull));
}

int notify_stopping(void)
{
	return sent(sd_notify(0, "STOPPING=1\nSTATUS=stopping"));
}

int notify_failed(const char *why, int errnum)
{
	return sent(sd_notifyf(0, "STATUS=%s\nERRNO=%d", why ? why : "", errnum));
}

int notify_watchdog(void)
{
	return sent(sd_notify(0, "WATCHDOG=1"));
}

uint64_t notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}
