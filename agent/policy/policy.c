#include "policy/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const scope_names[] = {
	[POLICY_SCOPE_READ] = "Read",
	[POLICY_SCOPE_CONFIGURE] = "Configure",
	[POLICY_SCOPE_WRITE_FULL] = "WriteFull",
	[POLICY_SCOPE_REFUSED] = "Refused",
};

static const char *const reason_names[POLICY_REASON_COUNT] = {
	[POLICY_ALLOW] = "Allowed",
	[POLICY_DENY_NOT_APPROVED] = "NotApproved",
	[POLICY_DENY_DEVICE_MISMATCH] = "DeviceMismatch",
	[POLICY_DENY_KERNEL_OWNED] = "KernelOwned",
	[POLICY_DENY_NOT_IN_CEL] = "NotInCEL",
	[POLICY_DENY_EFFECTS_MISMATCH] = "EffectsMismatch",
	[POLICY_DENY_REFUSED_EFFECTS] = "RefusedEffects",
	[POLICY_DENY_INSUFFICIENT_PRIVILEGE] = "InsufficientPrivilege",
	[POLICY_DENY_PAYLOAD_TOO_SMALL] = "PayloadTooSmall",
	[POLICY_DENY_PAYLOAD_TOO_LARGE] = "PayloadTooLarge",
};

const char *policy_scope_name(enum policy_scope scope)
{
	if ((unsigned)scope > POLICY_SCOPE_REFUSED)
		return "Refused";
	return scope_names[scope];
}

const char *policy_reason_name(enum policy_reason reason)
{
	if ((unsigned)reason >= POLICY_REASON_COUNT)
		return "Unknown";
	return reason_names[reason];
}

enum policy_scope policy_scope_of(uint16_t effects, int background_declared)
{
	if (cxl_effects_reserved_bits(effects) || (effects & CXL_EFFECT_SECURITY_STATE_CHANGE))
		return POLICY_SCOPE_REFUSED;
	if ((effects & CXL_EFFECT_BACKGROUND_OPERATION) && !background_declared)
		return POLICY_SCOPE_REFUSED;
	if (effects & CXL_EFFECT_IMMEDIATE_MASK)
		return POLICY_SCOPE_WRITE_FULL;
	if (effects & (CXL_EFFECT_RESET_MASK | CXL_EFFECT_BACKGROUND_OPERATION))
		return POLICY_SCOPE_CONFIGURE;
	return POLICY_SCOPE_READ;
}

enum policy_scope policy_scope_of_effects(uint16_t effects)
{
	return policy_scope_of(effects, 0);
}

privset_t policy_scope_privilege(enum policy_scope scope)
{
	switch (scope) {
	case POLICY_SCOPE_READ: return PRIV_CXL_COMMAND_READ;
	case POLICY_SCOPE_CONFIGURE: return PRIV_CXL_COMMAND_CONFIGURE;
	case POLICY_SCOPE_WRITE_FULL: return PRIV_CXL_COMMAND_WRITE_FULL;
	case POLICY_SCOPE_REFUSED: break;
	}
	return 0;
}

/* Rank of an OEM command privilege, for "the floor raises, never lowers". */
static int privilege_rank(privset_t bit)
{
	switch (bit) {
	case PRIV_CXL_COMMAND_READ: return 1;
	case PRIV_CXL_COMMAND_CONFIGURE: return 2;
	case PRIV_CXL_COMMAND_WRITE_FULL: return 3;
	default: break;
	}
	return 0;
}

static void deny(struct policy_decision *out, enum policy_reason reason, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

static void deny(struct policy_decision *out, enum policy_reason reason, const char *fmt, ...)
{
	va_list ap;

	out->reason = reason;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
	va_end(ap);
}

static const char *const mismatch_what[] = {
	[POLICY_MATCH_OK] = "",
	[POLICY_MATCH_VENDOR] = "vendor id",
	[POLICY_MATCH_DEVICE] = "device id",
	[POLICY_MATCH_SERIAL] = "serial number",
	[POLICY_MATCH_FIRMWARE] = "firmware revision",
};

void policy_decide(const struct policy_command *approval, const struct cxl_cel_entry *cel,
		   const struct policy_device *dev, privset_t caller,
		   const struct policy_request *req, struct policy_decision *out)
{
	const uint16_t op = req->opcode;
	enum policy_match_result match;
	privset_t floor;

	if (approval && approval->opcode != op)
		approval = NULL;
	if (cel && cel->opcode != op)
		cel = NULL;

	memset(out, 0, sizeof(*out));
	out->scope = cel ? policy_scope_of(cel->effects,
					   approval && (approval->effects &
							CXL_EFFECT_BACKGROUND_OPERATION))
			 : POLICY_SCOPE_REFUSED;
	out->required = policy_scope_privilege(out->scope);
	floor = approval ? approval->privilege_floor : 0;
	if (out->required && privilege_rank(floor) > privilege_rank(out->required))
		out->required |= floor;

	/* 1 */
	if (!approval) {
		deny(out, POLICY_DENY_NOT_APPROVED,
		     "opcode 0x%04X is not approved for this device", op);
		return;
	}
	match = policy_match_device(approval, dev);
	if (match != POLICY_MATCH_OK) {
		deny(out, POLICY_DENY_DEVICE_MISMATCH,
		     "approval \"%s\" does not cover this device: %s differs", approval->id,
		     mismatch_what[match]);
		return;
	}
	/* 2 */
	if (cxl_opcode_kernel_owned(op)) {
		deny(out, POLICY_DENY_KERNEL_OWNED,
		     "opcode 0x%04X is owned by the kernel and is never forwarded", op);
		return;
	}
	/* 3 */
	if (!cel) {
		deny(out, POLICY_DENY_NOT_IN_CEL,
		     "opcode 0x%04X is not in the device's Command Effects Log", op);
		return;
	}
	/* 4 */
	if (cel->effects != approval->effects) {
		deny(out, POLICY_DENY_EFFECTS_MISMATCH,
		     "the device reports effects 0x%04X for opcode 0x%04X but the approval "
		     "declares 0x%04X",
		     cel->effects, op, approval->effects);
		return;
	}
	/* 5 */
	if (out->scope == POLICY_SCOPE_REFUSED) {
		deny(out, POLICY_DENY_REFUSED_EFFECTS,
		     "effects 0x%04X (security state, reserved or undeclared background) are "
		     "never allowed",
		     cel->effects);
		return;
	}
	/* 6 */
	if ((caller & out->required) != out->required) {
		privset_t missing = out->required & ~caller;
		privset_t first = missing & (~missing + 1);
		const char *name = privilege_name(first);
		deny(out, POLICY_DENY_INSUFFICIENT_PRIVILEGE,
		     "scope %s needs privilege %s", policy_scope_name(out->scope),
		     name ? name : "?");
		return;
	}
	/* 7 */
	if (req->payload_len < approval->min_bytes) {
		deny(out, POLICY_DENY_PAYLOAD_TOO_SMALL,
		     "payload of %zu bytes is below the approved minimum of %u", req->payload_len,
		     approval->min_bytes);
		return;
	}
	if (req->payload_len > approval->max_bytes) {
		deny(out, POLICY_DENY_PAYLOAD_TOO_LARGE,
		     "payload of %zu bytes exceeds the approved maximum of %u", req->payload_len,
		     approval->max_bytes);
		return;
	}
	if (req->payload_len > dev->payload_max) {
		deny(out, POLICY_DENY_PAYLOAD_TOO_LARGE,
		     "payload of %zu bytes exceeds the device's payload_max of %u",
		     req->payload_len, dev->payload_max);
		return;
	}
	out->reason = POLICY_ALLOW;
	snprintf(out->detail, sizeof(out->detail), "approved as \"%s\", scope %s", approval->id,
		 policy_scope_name(out->scope));
}
