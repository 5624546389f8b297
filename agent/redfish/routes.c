#include "redfish/routes.h"

#include "redfish/handlers.h"

#define NOAUTH { PRIV_NOAUTH }
#define LOGIN { PRIV_LOGIN }
#define GET_HEAD (HTTP_GET | HTTP_HEAD)

/* Privileges follow Redfish's PrivilegeRegistry 1.8.0 for standard
 * resources; device commands need the OEM CxlCommand* privileges. */
const struct route agent_routes[] = {
	{ GET_HEAD, "/redfish", NOAUTH, h_redfish_versions },
	{ GET_HEAD, "/redfish/v1", NOAUTH, h_service_root },
	{ GET_HEAD, "/redfish/v1/odata", NOAUTH, h_odata },
	{ GET_HEAD, "/redfish/v1/$metadata", NOAUTH, h_metadata },

	{ GET_HEAD, "/redfish/v1/Managers", LOGIN, h_manager_collection },
	{ GET_HEAD, "/redfish/v1/Managers/{manager}", LOGIN, h_manager },
	{ 0 },
};
