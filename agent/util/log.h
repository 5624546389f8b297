/* Logging to stderr: one line per event, with a syslog-style "<N>" priority
 * prefix that journald understands, so no timestamp of our own is needed
 * there; CXLA_LOG_TIME=1 adds an ISO timestamp for plain terminals.
 * Never pass secrets. Thread-safe (one fputs per line). */
#ifndef CXLA_UTIL_LOG_H
#define CXLA_UTIL_LOG_H

enum log_level { LOG_LVL_ERROR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

void log_set_level(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* For a line written to stderr without log_msg (a start-up failure, whose
 * message may be longer than log_msg's line): journald files it at that
 * priority, not at the stream's default, info. */
#define LOG_PREFIX_ERROR "<3>"
#define LOG_PREFIX_WARN "<4>"

/* Lines a remote party (or a device) can cause one per request go through
 * log_limited: per `kind` (a string literal naming the line, used in its
 * summary) and `source` (the peer address or device; NULL: the kind alone),
 * the first lines of a window are written and the rest counted, and a
 * summary says how many ("<kind>: N more like this from <source> in the last
 * W s") once the window has ended (util/logthrottle.h). Every other line,
 * above all those about the agent's own health, goes through log_msg and is
 * never held back. */
void log_limited(enum log_level lvl, const char *kind, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Lines of one kind and source written per window (0: no limit), and the
 * window's length in seconds. */
void log_set_limit(unsigned burst, unsigned window_s);
/* Writes the summaries of windows that have ended (all: of every window that
 * held lines back, as before exiting). Returns the window length, the
 * longest wait before the next call that keeps summaries on time. */
unsigned log_flush_limited(int all);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_warn_limited(kind, source, ...) log_limited(LOG_LVL_WARN, kind, source, __VA_ARGS__)
#define log_info_limited(kind, source, ...) log_limited(LOG_LVL_INFO, kind, source, __VA_ARGS__)
#define log_debug_limited(kind, source, ...) log_limited(LOG_LVL_DEBUG, kind, source, __VA_ARGS__)

#endif
