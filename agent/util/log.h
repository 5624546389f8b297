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

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
