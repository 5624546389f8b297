/* Telling the service manager how the agent is doing (systemd's sd_notify
 * datagram protocol). Outside systemd (no NOTIFY_SOCKET) every call
 * does nothing and returns 0, so the agent behaves the same in a terminal. */
#ifndef CXLA_APP_NOTIFY_H
#define CXLA_APP_NOTIFY_H

#include <stdint.h>

/* READY=1 with a one-line STATUS (borrowed). Returns 0 or -errno. */
int notify_ready(const char *status);
/* RELOADING=1 (with MONOTONIC_USEC, which newer systemd wants) before a
 * reload; notify_ready() after it. */
int notify_reloading(void);
/* STOPPING=1 when shutdown begins. */
int notify_stopping(void);
/* Start-up failed: STATUS=why (shown by systemctl status) and ERRNO=errnum. */
int notify_failed(const char *why, int errnum);
/* WATCHDOG=1: call only while the agent is healthy. */
int notify_watchdog(void);
/* The watchdog interval the manager expects pings within, in microseconds,
 * or 0 when no watchdog is armed for this process. */
uint64_t notify_watchdog_usec(void);

#endif
