/* Telling the service manager how the agent is doing (systemd's sd_notify
 * datagram protocol). Outside systemd (no NOTIFY_SOCKET) every call
 * does nothing and returns 0, so the agent behaves the same in a terminal. */
#ifndef CXLA_APP_NOTIFY_H
#define CXLA_APP_NOTIFY_H

#include <stdbool.h>
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

/* Whether NOTIFY_SOCKET names a manager at all. */
bool notify_manager_present(void);
/* FDSTORE=1: the manager keeps a copy of fd (borrowed: the caller still
 * closes its own) under name ([A-Za-z0-9._-], at most 255) and passes it to
 * the service's next main process (LISTEN_FDS, LISTEN_FDNAMES). Unlike the
 * calls above this fails, -ENOTCONN, without a manager: a descriptor meant
 * for someone must not silently go nowhere. */
int notify_store_fd(const char *name, int fd);
/* FDSTOREREMOVE=1: the manager closes its copies stored under name. */
int notify_remove_fd(const char *name);
/* BARRIER=1: wait up to timeout_ms until the manager has handled every
 * message sent before it. 0, -ETIMEDOUT or -errno; 0 without a manager. */
int notify_barrier(int timeout_ms);

#endif
