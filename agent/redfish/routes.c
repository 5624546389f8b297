#include "redfish/routes.h"

#include "redfish/handlers.h"

#define NOAUTH { PRIV_NOAUTH }
#define LOGIN { PRIV_LOGIN }
#define MANAGE { PRIV_CONFIGURE_MANAGER }
#define USERS { PRIV_CONFIGURE_USERS }
#define GET_HEAD (HTTP_GET | HTTP_HEAD)
/* No body cache: content depends on the caller or changes on every read. */
#define UNCACHED NULL
#define DEVICE "/redfish/v1/Chassis/" CHASSIS_ID "/PCIeDevices/{dev}"

/* Privileges follow Redfish's PrivilegeRegistry 1.8.0 for standard
 * resources; device commands need the OEM CxlCommand* privileges. */
const struct route agent_routes[] = {
	{ GET_HEAD, "/redfish", NOAUTH, h_redfish_versions, UNCACHED },
	{ GET_HEAD, "/redfish/v1", NOAUTH, h_service_root, v_static },
	{ GET_HEAD, "/redfish/v1/odata", NOAUTH, h_odata, v_static },
	{ GET_HEAD, "/redfish/v1/$metadata", NOAUTH, h_metadata, UNCACHED },
	{ GET_HEAD, "/redfish/v1/Schemas/{file}", NOAUTH, h_oem_schema, UNCACHED },

	{ GET_HEAD, "/redfish/v1/Managers", LOGIN, h_manager_collection, UNCACHED },
	{ GET_HEAD, "/redfish/v1/Managers/{manager}", LOGIN, h_manager, UNCACHED },
	{ GET_HEAD, "/redfish/v1/Managers/{manager}/LogServices", MANAGE, h_manager_log_services, UNCACHED },
	{ GET_HEAD, "/redfish/v1/Managers/{manager}/LogServices/Audit", MANAGE, h_audit_log_service, UNCACHED },
	{ GET_HEAD, "/redfish/v1/Managers/{manager}/LogServices/Audit/Entries", MANAGE,
	  h_audit_entries, UNCACHED },
	{ GET_HEAD, "/redfish/v1/Managers/{manager}/LogServices/Audit/Entries/{entry}", MANAGE,
	  h_audit_entry, UNCACHED },

	{ GET_HEAD, "/redfish/v1/TaskService", LOGIN, h_task_service, UNCACHED },
	{ GET_HEAD, "/redfish/v1/TaskService/Tasks", LOGIN, h_task_collection, UNCACHED },
	{ GET_HEAD, "/redfish/v1/TaskService/Tasks/{task}", LOGIN, h_task, UNCACHED },

	{ GET_HEAD, "/redfish/v1/Chassis", LOGIN, h_chassis_collection, v_static },
	{ GET_HEAD, "/redfish/v1/Chassis/{chassis}", LOGIN, h_chassis, v_static },
	{ GET_HEAD, "/redfish/v1/Chassis/{chassis}/PCIeDevices", LOGIN, h_pcie_device_collection,
	  v_static },
	{ GET_HEAD, "/redfish/v1/Chassis/{chassis}/PCIeDevices/{dev}", LOGIN, h_pcie_device, v_device },
	{ GET_HEAD, "/redfish/v1/Chassis/{chassis}/PCIeDevices/{dev}/CXLLogicalDevices", LOGIN,
	  h_cxl_ld_collection, UNCACHED },
	{ GET_HEAD, "/redfish/v1/Chassis/{chassis}/PCIeDevices/{dev}/CXLLogicalDevices/{ld}", LOGIN,
	  h_cxl_ld, v_device },
	{ GET_HEAD, "/redfish/v1/Chassis/{chassis}/PCIeDevices/{dev}/CXLLogicalDevices/{ld}/DeviceLog",
	  LOGIN, h_device_log, UNCACHED },
	{ GET_HEAD,
	  "/redfish/v1/Chassis/{chassis}/PCIeDevices/{dev}/CXLLogicalDevices/{ld}/DeviceLog/Entries",
	  LOGIN, h_device_log_entries, v_device },
	{ GET_HEAD,
	  "/redfish/v1/Chassis/{chassis}/PCIeDevices/{dev}/CXLLogicalDevices/{ld}/DeviceLog/Entries/{entry}",
	  LOGIN, h_device_log_entry, v_device },
	{ GET_HEAD, DEVICE "/Oem/CxlAgent/CommandEffectsLog", LOGIN, h_command_effects_log, UNCACHED },
	{ GET_HEAD, DEVICE "/Oem/CxlAgent/VendorCommands", LOGIN, h_vendor_command_collection, UNCACHED },
	{ GET_HEAD, DEVICE "/Oem/CxlAgent/VendorCommands/{cmd}", LOGIN, h_vendor_command, UNCACHED },
	/* Any caller may try: the policy decides from the CEL effects and the
	 * caller's CxlCommand* privileges, and every attempt is audited. */
	{ HTTP_POST, DEVICE "/Oem/CxlAgent/VendorCommands/{cmd}/Actions/CxlVendorCommand.Submit",
	  LOGIN, h_vendor_command_submit, UNCACHED },

	{ GET_HEAD, "/redfish/v1/Systems", LOGIN, h_system_collection, v_static },
	{ GET_HEAD, "/redfish/v1/Systems/{system}", LOGIN, h_system, v_static },
	{ GET_HEAD, "/redfish/v1/Systems/{system}/Memory", LOGIN, h_memory_collection, v_static },
	{ GET_HEAD, "/redfish/v1/Systems/{system}/Memory/{dev}", LOGIN, h_memory, v_device },
	{ GET_HEAD, "/redfish/v1/Systems/{system}/MemoryDomains", LOGIN, h_memory_domain_collection, UNCACHED },
	{ GET_HEAD, "/redfish/v1/Systems/{system}/MemoryDomains/{dev}", LOGIN, h_memory_domain,
	  v_device },

	/* AccountService, SessionService: PrivilegeRegistry 1.8.0, except that
	 * roles are managed with ConfigureUsers (like accounts) and that login
	 * needs no prior authentication. "Self" alternatives let the handler
	 * admit the caller's own account or session only. */
	{ GET_HEAD, "/redfish/v1/AccountService", LOGIN, h_account_service, UNCACHED },
	{ HTTP_PATCH, "/redfish/v1/AccountService", USERS, h_account_service_patch, UNCACHED },
	{ GET_HEAD, "/redfish/v1/AccountService/Accounts", LOGIN, h_account_collection, UNCACHED },
	{ HTTP_POST, "/redfish/v1/AccountService/Accounts", USERS, h_account_create, UNCACHED },
	{ GET_HEAD, "/redfish/v1/AccountService/Accounts/{account}",
	  { PRIV_CONFIGURE_MANAGER, PRIV_CONFIGURE_USERS, PRIV_CONFIGURE_SELF }, h_account, UNCACHED },
	{ HTTP_PATCH, "/redfish/v1/AccountService/Accounts/{account}",
	  { PRIV_CONFIGURE_USERS, PRIV_CONFIGURE_SELF }, h_account_patch, UNCACHED },
	{ HTTP_DELETE, "/redfish/v1/AccountService/Accounts/{account}", USERS, h_account_delete, UNCACHED },
	{ GET_HEAD, "/redfish/v1/AccountService/Roles", LOGIN, h_role_collection, UNCACHED },
	{ HTTP_POST, "/redfish/v1/AccountService/Roles", USERS, h_role_create, UNCACHED },
	{ GET_HEAD, "/redfish/v1/AccountService/Roles/{role}", LOGIN, h_role, UNCACHED },
	{ HTTP_PATCH, "/redfish/v1/AccountService/Roles/{role}", USERS, h_role_patch, UNCACHED },
	{ HTTP_DELETE, "/redfish/v1/AccountService/Roles/{role}", USERS, h_role_delete, UNCACHED },
	{ GET_HEAD, "/redfish/v1/SessionService", LOGIN, h_session_service, UNCACHED },
	{ GET_HEAD, "/redfish/v1/SessionService/Sessions", LOGIN, h_session_collection, UNCACHED },
	{ HTTP_POST, "/redfish/v1/SessionService/Sessions", NOAUTH, h_session_create, UNCACHED },
	{ GET_HEAD, "/redfish/v1/SessionService/Sessions/{session}",
	  { PRIV_CONFIGURE_MANAGER, PRIV_CONFIGURE_SELF }, h_session, UNCACHED },
	{ HTTP_DELETE, "/redfish/v1/SessionService/Sessions/{session}",
	  { PRIV_CONFIGURE_MANAGER, PRIV_CONFIGURE_SELF }, h_session_delete, UNCACHED },
	{ 0 },
};
