#include "util/fanout.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct fanout_item {
	void (*fn)(void *arg, size_t i);
	void *arg;
	size_t i;
	pthread_t thread;
	bool started;
};

static void *item_main(void *p)
{
	struct fanout_item *it = p;
	it->fn(it->arg, it->i);
	return NULL;
}

/* Without memory for the items, or attributes, everything runs inline: the
 * old serial behaviour, never a skipped item. */
void fanout_run(size_t n, size_t stack_bytes, void (*fn)(void *arg, size_t i), void *arg)
{
	struct fanout_item *it = n > 1 ? calloc(n, sizeof(*it)) : NULL;
	pthread_attr_t attr;
	bool attr_ok;

	if (!it) {
		for (size_t i = 0; i < n; i++)
			fn(arg, i);
		return;
	}
	attr_ok = pthread_attr_init(&attr) == 0;
	if (attr_ok && stack_bytes && pthread_attr_setstacksize(&attr, stack_bytes) != 0) {
		pthread_attr_destroy(&attr);
		attr_ok = false;
	}
	for (size_t i = 0; i < n; i++) {
		it[i] = (struct fanout_item){ .fn = fn, .arg = arg, .i = i };
		it[i].started = attr_ok && pthread_create(&it[i].thread, &attr, item_main, &it[i]) == 0;
		if (!it[i].started)
			fn(arg, i);
	}
	for (size_t i = 0; i < n; i++)
		if (it[i].started)
			pthread_join(it[i].thread, NULL);
	if (attr_ok)
		pthread_attr_destroy(&attr);
	free(it);
}
