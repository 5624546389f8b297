#include "http/waitplan.h"

int wait_plan_ms(long long mhd_ms, bool stuck, bool closed, long long idle_ms)
{
	long long ms = mhd_ms < 0 ? -1 : mhd_ms > WAIT_MAX_MS ? WAIT_MAX_MS : mhd_ms;

	if (ms == 0 && stuck)
		ms = WAIT_STUCK_MS;

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
