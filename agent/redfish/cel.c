/* The Command Effects Log of a device as an OEM resource: every entry the
 * device declares, decoded, with the scope the agent's policy gives it and
 * how this host could deliver the command. */
#include <errno.h>
#include <stdio.h>

#include "core/agent.h"
#include "cxl/cel.h"
#include "cxl/device.h"
#include "policy/policy.h"
#include "redfish/resource.h"
#include "redfish/routes.h"

json_t *cel_delivery_json(struct agent *ag, size_t idx, uint16_t opcode)
{
	struct cxl_delivery_info d = { .path = NULL };
	json_t *o;

	if (cxl_devset_delivery(ag->devices, idx, opcode, &d) < 0)
		snprintf(d.reason, sizeof(d.reason), "device unavailable");
	/* The backend names its own paths; the resource only reports them. */
	o = json_pack("{s:s, s:b}", "Method", cxl_delivery_method(&d), "Available", d.path != NULL);
	if (o && !d.path)
		json_object_set_new(o, "Reason", json_string(d.reason));
	return o;
}

json_t *cel_effects_json(uint16_t effects)
{
	json_t *o = json_object();
	for (size_t i = 0; o && cxl_effect_names[i].name; i++)
		json_object_set_new(o, cxl_effect_names[i].name,
				    json_boolean(effects & (1u << cxl_effect_names[i].bit)));
	return o;
}

static json_t *entry_json(struct agent *ag, size_t idx, const struct cxl_cel_entry *e)
{
	char opcode[8];
	const char *name = cxl_opcode_name(e->opcode);
	/* Kernel-owned commands are never approvable, whatever their effects. */
	int kernel_owned = cxl_opcode_kernel_owned(e->opcode);
	enum policy_scope scope = kernel_owned ? POLICY_SCOPE_REFUSED
					       : policy_scope_of_effects(e->effects);
	json_t *o;

	snprintf(opcode, sizeof(opcode), "0x%04X", e->opcode);
	o = json_pack("{s:s, s:o, s:i, s:o, s:b, s:b, s:s, s:o}", "Opcode", opcode, "CommandName",
		      name ? json_string(name) : json_null(), "RawEffects", e->effects, "Effects",
		      cel_effects_json(e->effects), "ReservedBitsSet",
		      cxl_effects_reserved_bits(e->effects) != 0, "KernelOwned", kernel_owned,
		      "Scope",
		      policy_scope_name(scope), "Delivery", cel_delivery_json(ag, idx, e->opcode));
	if (o && scope != POLICY_SCOPE_REFUSED)
		json_object_set_new(o, "PrivilegeRequired",
				    json_string(privilege_name(policy_scope_privilege(scope))));
	return o;
}

static int h_command_effects_log(const struct route_ctx *ctx, struct http_response *resp)
{
	struct agent *ag = ctx->agent;
	struct cxl_dev_info info;
	struct cxl_cel cel = { 0 };
	char uri[300];
	json_t *entries;
	int idx;

	if ((idx = rf_device_lookup(ctx, "dev", resp, &info)) < 0)
		return 0;
	if (cxl_devset_cel(ag->devices, (size_t)idx, &cel) < 0)
		cel.count = 0;
	entries = json_array();
	for (size_t i = 0; entries && i < cel.count; i++)
		json_array_append_new(entries, entry_json(ag, (size_t)idx, &cel.entries[i]));
	cxl_cel_free(&cel);
	snprintf(uri, sizeof(uri), CHASSIS_URI
		 "/PCIeDevices/%s/Oem/CxlAgent/CommandEffectsLog", info.id);
	http_response_json(resp, 200,
			   json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "@odata.id", uri,
				     "@odata.type", "#CxlAgent.v1_0_0.CommandEffectsLog", "Id",
				     "CommandEffectsLog", "Name", "Command Effects Log",
				     "Description",
				     "Every command the device declares, with its effects as the device reports them",
				     "Entries@odata.count", (json_int_t)json_array_size(entries),
				     "Entries", entries));
	return resp->json ? 0 : -ENOMEM;
}

/* OEM: any authenticated caller may read what a device declares. */
const struct route cel_routes[] = {
	{ GET_HEAD, DEVICE_ROUTE "/Oem/CxlAgent/CommandEffectsLog", LOGIN, h_command_effects_log,
	  UNCACHED },
	{ 0 },
};
