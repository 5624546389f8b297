/* policy_decide(): may this caller send this opcode to this device?
 * A pure function (no I/O, no globals, no allocation), so it can be tested
 * exhaustively and called from any thread.
 *
 * Scope of a command, from its CEL effects (fwctl's rules; agent/README.md,
 * "Invariants"):
 *   - Refused: security-state change (bit 5), any reserved bit (12-15, and
 *     10-11 when bit 9 "extended effects valid" is clear, as
 *     cxl_effects_reserved_bits() says), or a background operation (bit 6)
 *     the approval does not declare;
 *   - WriteFull: any immediate config/data/policy/log change (bits 1-4);
 *   - Configure: only config change after cold/conventional/CXL reset (bits 0,
 *     10, 11; the latter two with bit 9), or a declared background operation with no other change bits:
 *     a background command keeps the device's mailbox busy, which is more
 *     than a read;
 *   - Read: no change bits at all.
 * Bits 7 (secondary mailbox), 8 (request abort) and 9 (extended effects
 * valid) are capability flags and do not change the scope, but they are part
 * of the effects that must equal the approval's.
 *
 * Rules, checked in this order; the first failing one is the verdict:
 *   1. approval non-NULL for req->opcode (NotApproved), and its match fits the
 *      device: vendor id, device id, serial list, firmware pattern
 *      (DeviceMismatch);
 *   2. the opcode is not kernel-owned (KernelOwned; defence in depth, the
 *      catalogue already refuses such approvals);
 *   3. the opcode is in the device's CEL (NotInCEL);
 *   4. the CEL effects equal the approval's declared effects, all 16 bits
 *      (EffectsMismatch: a firmware that changed semantics fails closed);
 *   5. the scope is not Refused (RefusedEffects);
 *   6. the caller holds the scope's privilege and, when the approval's
 *      privilege_floor ranks higher (Read < Configure < WriteFull), that one
 *      too (InsufficientPrivilege). Privileges are independent bits: holding
 *      CxlCommandWriteFull does not imply CxlCommandRead;
 *   7. min_bytes <= payload length (PayloadTooSmall), and length <= max_bytes
 *      and <= the device's payload_max (PayloadTooLarge). */
#ifndef CXLA_POLICY_POLICY_H
#define CXLA_POLICY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "auth/privilege.h"
#include "cxl/cel.h"
#include "cxl/device.h"
#include "policy/catalogue.h"

enum policy_scope {
	POLICY_SCOPE_READ = 0,
	POLICY_SCOPE_CONFIGURE,
	POLICY_SCOPE_WRITE_FULL,
	POLICY_SCOPE_REFUSED,
};

enum policy_reason {
	POLICY_ALLOW = 0,
	POLICY_DENY_NOT_APPROVED,
	POLICY_DENY_DEVICE_MISMATCH,
	POLICY_DENY_KERNEL_OWNED,
	POLICY_DENY_NOT_IN_CEL,
	POLICY_DENY_EFFECTS_MISMATCH,
	POLICY_DENY_REFUSED_EFFECTS,
	POLICY_DENY_INSUFFICIENT_PRIVILEGE,
	POLICY_DENY_PAYLOAD_TOO_SMALL,
	POLICY_DENY_PAYLOAD_TOO_LARGE,
};
#define POLICY_REASON_COUNT (POLICY_DENY_PAYLOAD_TOO_LARGE + 1)

struct policy_request {
	uint16_t opcode;
	size_t payload_len;
};

struct policy_decision {
	enum policy_reason reason; /* POLICY_ALLOW or the denial */
	/* From the CEL effects (and the approval's declared background bit);
	 * POLICY_SCOPE_REFUSED when the opcode is not in the CEL. Filled for
	 * denials too. */
	enum policy_scope scope;
	/* Every privilege bit the caller needs (scope's plus a higher floor);
	 * 0 when the scope is Refused. */
	privset_t required;
	char detail[192]; /* one human-readable sentence */
};

/* Decide. approval and cel are borrowed and may be NULL (not approved for
 * this device / absent from its CEL); dev and req must not be NULL. An
 * approval or CEL entry for another opcode than req->opcode counts as absent.
 * Always fills *out. */
void policy_decide(const struct policy_command *approval, const struct cxl_cel_entry *cel,
		   const struct policy_device *dev, privset_t caller,
		   const struct policy_request *req, struct policy_decision *out);

static inline int policy_allowed(const struct policy_decision *d)
{
	return d->reason == POLICY_ALLOW;
}

/* Policy's view of a device from its inventory (pointers into info). */
static inline void policy_device_from_info(const struct cxl_dev_info *info,
					   struct policy_device *out)
{
	out->vendor_id = info->pci_vendor_id;
	out->device_id = info->pci_device_id;
	out->serial = info->serial;
	out->firmware = info->fw_revision;
	out->payload_max = info->payload_max;
}

/* Scope of a bare effects value, without an approval (the CEL resource):
 * background, security and reserved bits are Refused. */
enum policy_scope policy_scope_of_effects(uint16_t effects);
/* Scope when an approval declares background_declared (nonzero) for bit 6. */
enum policy_scope policy_scope_of(uint16_t effects, int background_declared);
/* OEM privilege bit a scope needs; 0 for Refused (nobody may). */
privset_t policy_scope_privilege(enum policy_scope scope);

/* "Read", "Configure", "WriteFull", "Refused". Static strings. */
const char *policy_scope_name(enum policy_scope scope);
/* "Allowed", "NotApproved", "DeviceMismatch", "KernelOwned", "NotInCEL",
 * "EffectsMismatch", "RefusedEffects", "InsufficientPrivilege",
 * "PayloadTooSmall", "PayloadTooLarge". Stable, machine-readable; static. */
const char *policy_reason_name(enum policy_reason reason);

#endif
