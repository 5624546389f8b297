#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/logthrottle.h"

/* The defaults of the log_burst and log_window_s keys. */
#define DEFAULT_BURST 5
#define DEFAULT_WINDOW_S 60

static _Atomic int current_level = LOG_LVL_INFO;
/* One per process, like stderr itself: each of the broker and the front
 * counts the lines it writes. */
static struct log_throttle throttle = LOG_THROTTLE_INITIALIZER(DEFAULT_BURST, DEFAULT_WINDOW_S);
static _Atomic unsigned window_s = DEFAULT_WINDOW_S;

void log_set_level(enum log_level lvl)
{
	current_level = (int)lvl;
}

__attribute__((format(printf, 2, 0)))
static void log_line(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[1024];
	char stamp[40] = "";
	size_t off;

	if (getenv("CXLA_LOG_TIME")) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	off = (size_t)snprintf(line, sizeof(line), "<%d>%s", (int)lvl, stamp);
	vsnprintf(line + off, sizeof(line) - off - 1, fmt, ap);
	/* one event, one line: fold any embedded newline */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	off = strlen(line);
	line[off] = '\n';
	line[off + 1] = '\0';
	fputs(line, stderr);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if ((int)lvl > current_level)
		return;
	va_start(ap, fmt);
	log_line(lvl, fmt, ap);
	va_end(ap);
}

static void summary(void *arg, const struct log_throttle_summary *s)
{
	(void)arg;
	log_msg((enum log_level)s->level, "%s: %llu more like this%s%s in the last %u s", s->kind,
		(unsigned long long)s->held, s->source[0] ? " from " : "", s->source, s->window_s);
}

void log_limited(enum log_level lvl, const char *kind, const char *source, const char *fmt, ...)
{
	va_list ap;

	if ((int)lvl > current_level)
		return;
	if (!log_throttle_admit(&throttle, (int)lvl, kind, source, summary, NULL))
		return;
	va_start(ap, fmt);
	log_line(lvl, fmt, ap);
	va_end(ap);
}

void log_set_limit(unsigned burst, unsigned window)
{
	log_throttle_set(&throttle, burst, window);
	window_s = window ? window : 1;
}

unsigned log_flush_limited(int all)
{
	log_throttle_flush(&throttle, all != 0, summary, NULL);
	return window_s;
}
