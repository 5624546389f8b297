/* The agent's OEM schemas (schemas/ in the source tree), embedded at build
 * time and served so that validators and clients can resolve them. */
#ifndef CXLA_REDFISH_SCHEMAS_H
#define CXLA_REDFISH_SCHEMAS_H

#include <stddef.h>

struct embedded_schema {
	const char *name;            /* file name, e.g. "CxlAgent_v1.xml" */
	const unsigned char *data;
	size_t len;
};
/* Ends with an entry whose name is NULL. */
extern const struct embedded_schema embedded_schemas[];

#define OEM_SCHEMA_URI "/redfish/v1/Schemas"

#endif
