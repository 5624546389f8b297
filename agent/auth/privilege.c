#include "auth/privilege.h"

#include <string.h>

static const struct {
	privset_t bit;
	const char *name;
} names[] = {
	{ PRIV_LOGIN, "Login" },
	{ PRIV_CONFIGURE_MANAGER, "ConfigureManager" },
	{ PRIV_CONFIGURE_USERS, "ConfigureUsers" },
	{ PRIV_CONFIGURE_SELF, "ConfigureSelf" },
	{ PRIV_CONFIGURE_COMPONENTS, "ConfigureComponents" },
	{ PRIV_CXL_COMMAND_READ, "CxlCommandRead" },
	{ PRIV_CXL_COMMAND_CONFIGURE, "CxlCommandConfigure" },
	{ PRIV_CXL_COMMAND_WRITE_FULL, "CxlCommandWriteFull" },
};

const char *privilege_name(privset_t bit)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].bit == bit)
			return names[i].name;
	return NULL;
}

privset_t privilege_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].bit;
	return 0;
}

int privilege_is_oem(privset_t bit)
{
	return (bit & PRIV_OEM_MASK) != 0;
}

/* Write-full is deliberately in no predefined role: it is granted only
 * through a role an administrator creates on purpose. */
const struct role_def predefined_roles[] = {
	{ "Administrator", PRIV_LOGIN | PRIV_CONFIGURE_MANAGER | PRIV_CONFIGURE_USERS |
				   PRIV_CONFIGURE_SELF | PRIV_CONFIGURE_COMPONENTS |
				   PRIV_CXL_COMMAND_READ | PRIV_CXL_COMMAND_CONFIGURE },
	{ "Operator", PRIV_LOGIN | PRIV_CONFIGURE_SELF | PRIV_CONFIGURE_COMPONENTS |
			      PRIV_CXL_COMMAND_READ | PRIV_CXL_COMMAND_CONFIGURE },
	{ "ReadOnly", PRIV_LOGIN | PRIV_CONFIGURE_SELF },
};
const unsigned predefined_role_count = sizeof(predefined_roles) / sizeof(predefined_roles[0]);

const struct role_def *role_predefined(const char *id)
{
	for (unsigned i = 0; i < predefined_role_count; i++)
		if (strcmp(predefined_roles[i].id, id) == 0)
			return &predefined_roles[i];
	return NULL;
}
