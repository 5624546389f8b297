/* One call's independent items run at the same time, a thread each, and
 * waited for: for work that mostly waits on a device (opening each device at
 * start), where one item's timeout must not add to another's. */
#ifndef CXLA_UTIL_FANOUT_H
#define CXLA_UTIL_FANOUT_H

#include <stddef.h>

/* Run fn(arg, i) for every i < n, each on a thread of its own with a stack
 * of stack_bytes (0: the default), and return when all have finished. An
 * item whose thread cannot be started runs on the caller's thread, so every
 * item runs whatever the resources. */
void fanout_run(size_t n, size_t stack_bytes, void (*fn)(void *arg, size_t i), void *arg);

#endif
