/* A pool of threads for work that blocks (device commands can take seconds):
 * threads are created on demand up to a maximum and kept a while when idle,
 * so a burst of work does not pay a thread creation per item, and slow items
 * never hold up others while the pool can still grow. */
#ifndef CXLA_UTIL_WORKPOOL_H
#define CXLA_UTIL_WORKPOOL_H

#include <stddef.h>

struct workpool;

/* max_threads: at most this many run at once (items beyond wait in order);
 * idle_ms: how long an idle thread waits for work before it ends. */
int workpool_new(unsigned max_threads, unsigned idle_ms, struct workpool **out);
/* Name the pool's threads (at most 15 characters kept), so that they are
 * told apart from the thread that happened to start them. */
void workpool_name(struct workpool *p, const char *name);
/* Run fn(arg) on a pool thread. 0, or -ENOMEM / -EAGAIN when neither a
 * queue entry nor (with no thread at all) a thread could be had. */
int workpool_submit(struct workpool *p, void (*fn)(void *arg), void *arg);
/* Items submitted and not yet finished. */
unsigned workpool_pending(struct workpool *p);
/* Wait for every item to finish and every thread to end, then free. */
void workpool_free(struct workpool *p);

#endif
