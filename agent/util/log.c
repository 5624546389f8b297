#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic int current_level = LOG_LVL_INFO;

void log_set_level(enum log_level lvl)
{
	current_level = (int)lvl;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	char stamp[40] = "";
	size_t off;
	va_list ap;

	if ((int)lvl > current_level)
		return;
	if (getenv("CXLA_LOG_TIME")) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	off = (size_t)snprintf(line, sizeof(line), "<%d>%s", (int)lvl, stamp);
	va_start(ap, fmt);
	vsnprintf(line + off, sizeof(line) - off - 1, fmt, ap);
	va_end(ap);
	/* one event, one line: fold any embedded newline */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	off = strlen(line);
	line[off] = '\n';
	line[off + 1] = '\0';
	fputs(line, stderr);
}
