/* The agent's route table: every URI, method and privilege in one place. */
#ifndef CXLA_REDFISH_ROUTES_H
#define CXLA_REDFISH_ROUTES_H

#include "redfish/router.h"

#define MANAGER_ID "agent"
#define CHASSIS_ID "host"
#define SYSTEM_ID "host"

/* Zero-terminated. */
extern const struct route agent_routes[];

#endif
