/* A tracefs tree as Linux 6.12 shows it to the agent, in a temporary
 * directory, with the agent's instance already made and its trace_pipe a
 * FIFO the test writes lines into. */
#ifndef CXLA_TEST_FAKE_TRACEFS_H
#define CXLA_TEST_FAKE_TRACEFS_H

#include <stdbool.h>
#include <stddef.h>

struct fake_tracefs {
	char root[64];
	int writer; /* the FIFO's other end, or -1 */
};

/* Make the tree; without with_events the kernel has no CXL event trace
 * point (as before 6.3). */
void fake_tracefs(struct fake_tracefs *t, bool with_events);
/* Open the FIFO's writing end (after a reader has opened it). */
void fake_writer(struct fake_tracefs *t);
/* Write n bytes of s into the FIFO. */
void put(struct fake_tracefs *t, const char *s, size_t n);
void fake_remove(struct fake_tracefs *t);

#endif
