/* The wall clock stepped, as the agent's own code reads it: the linker's
 * --wrap routes the agent's clock_gettime() calls through a wrapper that
 * adds an armed offset to CLOCK_REALTIME and leaves every other clock
 * alone. The kernel's clocks do not move, so a wait timed by a wall-clock
 * deadline the agent read (a condition variable on CLOCK_REALTIME) lasts
 * the offset longer, as if the clock had been set back by that much just
 * after the read; a wait on CLOCK_MONOTONIC is untouched. Not in
 * production code; reads made inside shared libraries are not affected. */
#ifndef CXLA_TEST_CLOCK_STEP_H
#define CXLA_TEST_CLOCK_STEP_H

/* From now on CLOCK_REALTIME reads seconds ahead (negative: behind); 0
 * disarms. */
void clock_step_realtime(long long seconds);

#endif
