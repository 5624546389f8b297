#include "redfish/resource.h"

#include <stdarg.h>
#include <stdio.h>

json_t *rf_link(const char *fmt, ...)
{
	char uri[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(uri, sizeof(uri), fmt, ap);
	va_end(ap);
	return json_pack("{s:s}", "@odata.id", uri);
}

json_t *rf_collection(const char *odata_id, const char *type, const char *name, json_t *members)
{
	char otype[128];

	if (!members)
		members = json_array();
	if (!members)
		return NULL;
	snprintf(otype, sizeof(otype), "#%s.%s", type, type);
	return json_pack("{s:s, s:s, s:s, s:I, s:o}", "@odata.id", odata_id, "@odata.type", otype,
			 "Name", name, "Members@odata.count", (json_int_t)json_array_size(members),
			 "Members", members);
}

void rf_datetime(struct timespec ts, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
