/* The backend table: every backend the agent can use, in the order auto
 * tries them. The kernel comes first (real devices win); the emulated
 * model probes true everywhere and so is the fallback on a host without
 * CXL devices. Auto stops at the first backend that finds devices: if it
 * cannot open them, the start fails rather than serve another backend's. A new backend is its
 * directory under cxl/ plus one row here. */
#include "cxl/backend.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cxl/emulated/emulated.h"
#include "cxl/kernel/kernel.h"
#include "cxl/mctp/backend.h"
#include "util/log.h"

static const struct cxl_backend_desc *const table[] = {
	&cxl_kernel_backend_desc,
	&cxl_emu_backend_desc,
	&cxl_mctp_backend_desc,
};

const struct cxl_backend_desc *const *cxl_backend_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct cxl_backend_desc *cxl_backend_lookup(const struct cxl_backend_desc *const *tab,
						  size_t n, const char *name)
{
	if (!tab)
		tab = cxl_backend_table(&n);
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(tab[i]->name, name) == 0)
			return tab[i];
	return NULL;
}

bool cxl_backend_known(const char *name)
{
	return name && (strcmp(name, "auto") == 0 || cxl_backend_lookup(NULL, 0, name));
}

void cxl_backend_names(char *buf, size_t len)
{
	size_t off = 0, n;
	const struct cxl_backend_desc *const *tab = cxl_backend_table(&n);
	int k = snprintf(buf, len, "auto");

	for (size_t i = 0; k >= 0 && (off += (size_t)k) < len && i < n; i++)
		k = snprintf(buf + off, len - off, "|%s", tab[i]->name);
}

/* Adds "name: note tail; " to the reasons gathered so far, truncating. */
static void note_append(char *buf, size_t size, const char *name, const char *note,
			const char *tail)
{
	size_t used = strlen(buf);
	if (used + 1 < size)
		snprintf(buf + used, size - used, "%s: %s%s; ", name, note, tail);
}

static int choose_auto(const struct cxl_backend_desc *const *tab, size_t n,
		       const struct cxl_devset_config *cfg, struct cxl_backend **out, char *why,
		       size_t whylen, char *errbuf, size_t errlen)
{
	char passed[256] = "";

	for (size_t i = 0; i < n; i++) {
		char note[160] = "";
		int rc;

		if (!tab[i]->probe)
			continue;
		if (!tab[i]->probe(note, sizeof(note))) {
			note_append(passed, sizeof(passed), tab[i]->name, note, "");
			continue;
		}
		rc = tab[i]->open(cfg, out, errbuf, errlen);
		if (!rc) {
			snprintf(why, whylen, "auto: %s%s: %s, using the %s backend", passed,
				 tab[i]->name, note, tab[i]->name);
			return 0;
		}
		/* Devices were found: serving another backend's in their place
		 * would show a host what it does not have. The start fails and
		 * says why (a service manager retries; a device node's group
		 * may not be set yet). */
		note_append(passed, sizeof(passed), tab[i]->name, note, " but cannot be opened");
		log_error("cxl: %s backend unavailable: %s", tab[i]->name, errbuf);
		return rc;
	}
	snprintf(errbuf, errlen, "auto: no backend found devices (%s)", passed);
	return -ENOENT;
}

int cxl_backend_choose(const struct cxl_backend_desc *const *tab, size_t n, const char *name,
		       const struct cxl_devset_config *cfg, struct cxl_backend **out, char *why,
		       size_t whylen, char *errbuf, size_t errlen)
{
	const struct cxl_backend_desc *d;

	*out = NULL;
	if (!tab)
		tab = cxl_backend_table(&n);
	if (!name || strcmp(name, "auto") == 0)
		return choose_auto(tab, n, cfg, out, why, whylen, errbuf, errlen);
	d = cxl_backend_lookup(tab, n, name);
	if (!d) {
		snprintf(errbuf, errlen, "unknown backend \"%s\"", name);
		return -ENOENT;
	}
	snprintf(why, whylen, "%s backend requested by configuration", d->name);
	return d->open(cfg, out, errbuf, errlen);
}
