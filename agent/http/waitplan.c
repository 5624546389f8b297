#include "http/waitplan.h"

unsigned wait_idle_passes(unsigned idle_passes, bool moved, bool empty)
{
	if (moved || !empty)
		return 0;
	/* Past the longest wait, more passes change nothing. */
	return idle_passes > WAIT_IDLE_MAX_SHIFT ? idle_passes : idle_passes + 1;
}

int wait_plan_ms(long long mhd_ms, unsigned idle_passes, bool closed, long long idle_ms)
{
	long long ms = mhd_ms < 0 ? -1 : mhd_ms > WAIT_MAX_MS ? WAIT_MAX_MS : mhd_ms;

	if (ms == 0 && idle_passes)
		ms = (long long)WAIT_IDLE_MS << (idle_passes > WAIT_IDLE_MAX_SHIFT
							 ? WAIT_IDLE_MAX_SHIFT
							 : idle_passes - 1);

	/* Pending work is never delayed, and a trim never shortens it to 0:
	 * one that is due is done before planning the wait. */
	if (ms != 0 && closed) {
		long long left = idle_ms < 0 ? WAIT_TRIM_IDLE_MS : WAIT_TRIM_IDLE_MS - idle_ms;
		if (left < 1)
			left = 1;
		if (ms < 0 || left < ms)
			ms = left;
	}
	return (int)ms;
}

bool wait_trim_due(bool closed, long long idle_ms)
{
	return closed && idle_ms >= WAIT_TRIM_IDLE_MS;
}
