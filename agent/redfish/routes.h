/* Every route of the agent: one table per resource family, each declared in
 * its resource file beside its handlers with the privileges it needs.
 * Standard routes follow DMTF's PrivilegeRegistry 1.8.0; the deliberate
 * deviations, each with its reason, are the one list in
 * tests/unit/redfish/test_privileges.c, which checks every route. */
#ifndef CXLA_REDFISH_ROUTES_H
#define CXLA_REDFISH_ROUTES_H

#include <stddef.h>

#include "redfish/router.h"

/* Each zero-terminated. */
extern const struct route root_routes[];            /* root.c */
extern const struct route manager_routes[];         /* managers.c */
extern const struct route task_routes[];            /* tasks.c */
extern const struct route chassis_routes[];         /* chassis.c */
extern const struct route logical_device_routes[];  /* logical_devices.c */
extern const struct route cel_routes[];             /* cel.c */
extern const struct route vendor_command_routes[];  /* vendor_commands.c */
extern const struct route system_routes[];          /* systems.c */
extern const struct route memory_routes[];          /* memory.c */
extern const struct route account_routes[];         /* accounts.c */
extern const struct route role_routes[];            /* roles.c */
extern const struct route session_routes[];         /* sessions.c */
extern const struct route event_service_routes[];   /* event_service.c */
extern const struct route registry_routes[];        /* registries.c */
extern const struct route metrics_routes[];         /* metrics/endpoint.c */

/* The tables above, in the order --print-routes lists them; for router_new. */
extern const struct route *const agent_route_tables[];
extern const size_t agent_route_table_count;

#endif
