/* Redfish privileges plus the agent's OEM privileges for device commands, as
 * a bit set. Roles are named privilege sets. */
#ifndef CXLA_AUTH_PRIVILEGE_H
#define CXLA_AUTH_PRIVILEGE_H

#include <stdint.h>

enum privilege {
	PRIV_LOGIN = 1u << 0,
	PRIV_CONFIGURE_MANAGER = 1u << 1,
	PRIV_CONFIGURE_USERS = 1u << 2,
	PRIV_CONFIGURE_SELF = 1u << 3,
	PRIV_CONFIGURE_COMPONENTS = 1u << 4,
	PRIV_CXL_COMMAND_READ = 1u << 8,      /* OEM CxlCommandRead */
	PRIV_CXL_COMMAND_CONFIGURE = 1u << 9, /* OEM CxlCommandConfigure */
	PRIV_CXL_COMMAND_WRITE_FULL = 1u << 10, /* OEM CxlCommandWriteFull */
};
typedef uint32_t privset_t;

#define PRIV_STANDARD_MASK 0x1Fu
#define PRIV_OEM_MASK 0x700u
/* Marks a route that needs no authentication at all (Redfish "NoAuth"). */
#define PRIV_NOAUTH (1u << 31)

/* Name of one privilege bit ("ConfigureUsers", "CxlCommandRead"), or NULL. */
const char *privilege_name(privset_t bit);
/* Bit for a name, or 0 when unknown. */
privset_t privilege_from_name(const char *name);
/* Whether a name is one of the OEM privileges. */
int privilege_is_oem(privset_t bit);

/* Predefined roles: Administrator, Operator, ReadOnly. */
struct role_def {
	const char *id;
	privset_t privileges;
};
extern const struct role_def predefined_roles[];
extern const unsigned predefined_role_count;
/* Predefined role by id, or NULL. */
const struct role_def *role_predefined(const char *id);

#endif
