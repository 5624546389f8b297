#include "redfish/routes.h"

const struct route *const agent_route_tables[] = {
	root_routes,
	manager_routes,
	task_routes,
	chassis_routes,
	logical_device_routes,
	cel_routes,
	vendor_command_routes,
	system_routes,
	memory_routes,
	account_routes,
	role_routes,
	session_routes,
	event_service_routes,
	registry_routes,
	metrics_routes,
};
const size_t agent_route_table_count = sizeof(agent_route_tables) / sizeof(agent_route_tables[0]);
