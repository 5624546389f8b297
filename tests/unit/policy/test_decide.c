/* policy_decide(), exhaustively: every effect bit x privilege set x scenario,
 * checked against an oracle written from DESIGN.md's rules (not from
 * policy.c), plus explicit literal tables so a shared misreading shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth/privilege.h"
#include "cxl/cel.h"
#include "policy/policy.h"

#define R PRIV_CXL_COMMAND_READ
#define C PRIV_CXL_COMMAND_CONFIGURE
#define W PRIV_CXL_COMMAND_WRITE_FULL

static const uint16_t VENDOR = 0x1e98, DEVICE = 0x0001;
static const uint64_t SERIAL = 0x1000000000000001ull;
static const uint16_t OPCODE = 0xC000;

/* ---- the oracle ---------------------------------------------------------- */

enum oscope { O_READ, O_CONF, O_WF, O_REFUSED };

/* Literal per-bit table: what one effect bit alone asks for. */
static const enum oscope bit_alone[16] = {
	O_CONF,    /* 0 config change after cold reset */
	O_WF,      /* 1 immediate config */
	O_WF,      /* 2 immediate data */
	O_WF,      /* 3 immediate policy */
	O_WF,      /* 4 immediate log */
	O_REFUSED, /* 5 security state */
	O_REFUSED, /* 6 background, when the approval does not declare it */
	O_READ,    /* 7 secondary mailbox supported (capability) */
	O_READ,    /* 8 request abort supported (capability) */
	O_READ,    /* 9 extended effects valid (capability) */
	O_CONF,    /* 10 config change after conventional reset (needs bit 9) */
	O_CONF,    /* 11 config change after CXL reset (needs bit 9) */
	O_REFUSED, O_REFUSED, O_REFUSED, O_REFUSED, /* 12-15 reserved */
};

/* Scope of a combination: refused dominates, then the most demanding bit.
 * A declared background operation counts as configure. Bits 10 and 11 are
 * reserved, hence refused, unless bit 9 says they are valid. */
static enum oscope oracle_scope(uint16_t effects, int bg_declared)
{
	enum oscope worst = O_READ;
	int refused = 0;

	for (unsigned b = 0; b < 16; b++) {
		enum oscope s;
		if (!(effects & (1u << b)))
			continue;
		s = bit_alone[b];
		if (b == 6 && bg_declared)
			s = O_CONF;
		if ((b == 10 || b == 11) && !(effects & (1u << 9)))
			s = O_REFUSED;
		if (s == O_REFUSED)
			refused = 1;
		else if (s > worst)
			worst = s;
	}
	return refused ? O_REFUSED : worst;
}

static const enum policy_scope to_policy_scope[] = {
	[O_READ] = POLICY_SCOPE_READ,
	[O_CONF] = POLICY_SCOPE_CONFIGURE,
	[O_WF] = POLICY_SCOPE_WRITE_FULL,
	[O_REFUSED] = POLICY_SCOPE_REFUSED,
};
static const privset_t oracle_priv[] = { [O_READ] = R, [O_CONF] = C, [O_WF] = W,
					  [O_REFUSED] = 0 };

enum scenario {
	SC_APPROVED,
	SC_NOT_APPROVED,
	SC_NOT_IN_CEL,
	SC_EFFECTS_MISMATCH,
	SC_KERNEL_OWNED,
	SC_TOO_LARGE_APPROVAL,
	SC_TOO_LARGE_DEVICE,
	SC_TOO_SMALL,
	SC_MISMATCH_VENDOR,
	SC_MISMATCH_DEVICE,
	SC_MISMATCH_SERIAL,
	SC_MISMATCH_FIRMWARE,
	SC_COUNT,
};
static const char *const scenario_names[SC_COUNT] = {
	"approved",	  "not approved",	"not in CEL",	  "effects mismatch",
	"kernel owned",	  "too large (approval)", "too large (device)", "too small",
	"vendor mismatch", "device mismatch",	  "serial mismatch", "firmware mismatch",
};

struct privcase {
	const char *name;
	privset_t set;
};
static struct privcase privcases[] = {
	{ "none", 0 },
	{ "ReadOnly-like", PRIV_LOGIN | PRIV_CONFIGURE_SELF },
	{ "Operator-like", PRIV_LOGIN | PRIV_CONFIGURE_SELF | R | C },
	{ "Administrator", 0 }, /* filled from the predefined role */
	{ "WriteFull only", W },
	{ "read+configure+writefull", R | C | W },
};

static enum policy_reason oracle(enum scenario sc, uint16_t effects, privset_t caller,
				 enum oscope *scope_out)
{
	enum oscope s = oracle_scope(effects, (effects >> 6) & 1);

	*scope_out = s;
	switch (sc) {
	case SC_NOT_APPROVED:
		/* no approval declares the background bit: the bare scope */
		*scope_out = oracle_scope(effects, 0);
		return POLICY_DENY_NOT_APPROVED;
	case SC_MISMATCH_VENDOR:
	case SC_MISMATCH_DEVICE:
	case SC_MISMATCH_SERIAL:
	case SC_MISMATCH_FIRMWARE: return POLICY_DENY_DEVICE_MISMATCH;
	case SC_KERNEL_OWNED: return POLICY_DENY_KERNEL_OWNED;
	case SC_NOT_IN_CEL: *scope_out = O_REFUSED; return POLICY_DENY_NOT_IN_CEL;
	case SC_EFFECTS_MISMATCH:
		/* the CEL, not the approval, decides the scope */
		*scope_out = oracle_scope((uint16_t)(effects ^ 0x0010), (effects >> 6) & 1);
		return POLICY_DENY_EFFECTS_MISMATCH;
	default: break;
	}
	if (s == O_REFUSED)
		return POLICY_DENY_REFUSED_EFFECTS;
	if (!(caller & oracle_priv[s]))
		return POLICY_DENY_INSUFFICIENT_PRIVILEGE;
	if (sc == SC_TOO_SMALL)
		return POLICY_DENY_PAYLOAD_TOO_SMALL;
	if (sc == SC_TOO_LARGE_APPROVAL || sc == SC_TOO_LARGE_DEVICE)
		return POLICY_DENY_PAYLOAD_TOO_LARGE;
	return POLICY_ALLOW;
}

/* ---- building inputs ----------------------------------------------------- */

static uint64_t serial_list[] = { 0x1000000000000001ull, 0x1000000000000002ull };

static void make_case(enum scenario sc, uint16_t effects, struct policy_command *cmd,
		      struct cxl_cel_entry *cel, struct policy_device *dev,
		      struct policy_request *req, const struct policy_command **cmdp,
		      const struct cxl_cel_entry **celp)
{
	uint16_t op = sc == SC_KERNEL_OWNED ? 0x4400 : OPCODE;

	memset(cmd, 0, sizeof(*cmd));
	snprintf(cmd->id, sizeof(cmd->id), "test-cmd");
	cmd->name = (char *)"Test";
	cmd->description = (char *)"";
	cmd->opcode = op;
	cmd->match.vendor_id = VENDOR;
	cmd->match.device_id = DEVICE;
	cmd->match.serials = serial_list;
	cmd->match.n_serials = 2;
	cmd->match.firmware = (char *)"EMU-FW 1.*";
	cmd->effects = effects;
	cmd->min_bytes = 2;
	cmd->max_bytes = 64;

	cel->opcode = op;
	cel->effects = sc == SC_EFFECTS_MISMATCH ? (uint16_t)(effects ^ 0x0010) : effects;

	dev->vendor_id = sc == SC_MISMATCH_VENDOR ? 0x8086 : VENDOR;
	dev->device_id = sc == SC_MISMATCH_DEVICE ? 0x0002 : DEVICE;
	dev->serial = sc == SC_MISMATCH_SERIAL ? 0x2000000000000001ull : SERIAL;
	dev->firmware = sc == SC_MISMATCH_FIRMWARE ? "EMU-FW 2.0      " : "EMU-FW 1.3      ";
	dev->payload_max = sc == SC_TOO_LARGE_DEVICE ? 16 : 2048;

	req->opcode = op;
	req->payload_len = 8;
	if (sc == SC_TOO_LARGE_APPROVAL)
		req->payload_len = 65;
	if (sc == SC_TOO_LARGE_DEVICE)
		req->payload_len = 17;
	if (sc == SC_TOO_SMALL)
		req->payload_len = 1;

	*cmdp = sc == SC_NOT_APPROVED ? NULL : cmd;
	*celp = sc == SC_NOT_IN_CEL ? NULL : cel;
}

/* ---- tests --------------------------------------------------------------- */

static void test_matrix(void **state)
{
	unsigned checked = 0, allowed = 0;
	(void)state;

	privcases[3].set = role_predefined("Administrator")->privileges;
	for (unsigned bit = 0; bit < 16; bit++) {
		uint16_t effects = (uint16_t)(1u << bit);
		for (size_t p = 0; p < sizeof(privcases) / sizeof(privcases[0]); p++) {
			for (int sc = 0; sc < SC_COUNT; sc++) {
				struct policy_command cmd;
				struct cxl_cel_entry cel;
				struct policy_device dev;
				struct policy_request req;
				const struct policy_command *cmdp;
				const struct cxl_cel_entry *celp;
				struct policy_decision d;
				enum oscope want_scope;
				enum policy_reason want;

				make_case((enum scenario)sc, effects, &cmd, &cel, &dev, &req, &cmdp,
					  &celp);
				want = oracle((enum scenario)sc, effects, privcases[p].set,
					      &want_scope);
				memset(&d, 0xA5, sizeof(d));
				policy_decide(cmdp, celp, &dev, privcases[p].set, &req, &d);
				if (d.reason != want || d.scope != to_policy_scope[want_scope] ||
				    d.required != oracle_priv[want_scope]) {
					fail_msg("bit %u, %s, %s: got %s/%s/0x%x, want %s/%s/0x%x (%s)",
						 bit, privcases[p].name, scenario_names[sc],
						 policy_reason_name(d.reason),
						 policy_scope_name(d.scope), d.required,
						 policy_reason_name(want),
						 policy_scope_name(to_policy_scope[want_scope]),
						 oracle_priv[want_scope], d.detail);
				}
				assert_true(strlen(d.detail) > 0);
				assert_true(strlen(d.detail) < sizeof(d.detail));
				checked++;
				allowed += d.reason == POLICY_ALLOW;
			}
		}
	}
	assert_int_equal(checked, 16 * 6 * SC_COUNT);
	assert_true(allowed > 0);
}

/* Explicit expectations for the approved case, independent of the oracle:
 * which single-bit commands each role may run. */
static void test_literal_table(void **state)
{
	/* bit -> expected reason for Operator-like, WriteFull-only, all-three */
	static const struct {
		unsigned bit;
		enum policy_reason op, wf, all;
	} rows[] = {
		{ 0, POLICY_ALLOW, POLICY_DENY_INSUFFICIENT_PRIVILEGE, POLICY_ALLOW },
		{ 1, POLICY_DENY_INSUFFICIENT_PRIVILEGE, POLICY_ALLOW, POLICY_ALLOW },
		{ 2, POLICY_DENY_INSUFFICIENT_PRIVILEGE, POLICY_ALLOW, POLICY_ALLOW },
		{ 3, POLICY_DENY_INSUFFICIENT_PRIVILEGE, POLICY_ALLOW, POLICY_ALLOW },
		{ 4, POLICY_DENY_INSUFFICIENT_PRIVILEGE, POLICY_ALLOW, POLICY_ALLOW },
		{ 5, POLICY_DENY_REFUSED_EFFECTS, POLICY_DENY_REFUSED_EFFECTS,
		  POLICY_DENY_REFUSED_EFFECTS },
		/* declared background, no other bits: configure */
		{ 6, POLICY_ALLOW, POLICY_DENY_INSUFFICIENT_PRIVILEGE, POLICY_ALLOW },
		{ 7, POLICY_ALLOW, POLICY_DENY_INSUFFICIENT_PRIVILEGE, POLICY_ALLOW },
		{ 8, POLICY_ALLOW, POLICY_DENY_INSUFFICIENT_PRIVILEGE, POLICY_ALLOW },
		{ 9, POLICY_ALLOW, POLICY_DENY_INSUFFICIENT_PRIVILEGE, POLICY_ALLOW },
		/* without bit 9, bits 10 and 11 are reserved */
		{ 10, POLICY_DENY_REFUSED_EFFECTS, POLICY_DENY_REFUSED_EFFECTS,
		  POLICY_DENY_REFUSED_EFFECTS },
		{ 11, POLICY_DENY_REFUSED_EFFECTS, POLICY_DENY_REFUSED_EFFECTS,
		  POLICY_DENY_REFUSED_EFFECTS },
		{ 12, POLICY_DENY_REFUSED_EFFECTS, POLICY_DENY_REFUSED_EFFECTS,
		  POLICY_DENY_REFUSED_EFFECTS },
		{ 15, POLICY_DENY_REFUSED_EFFECTS, POLICY_DENY_REFUSED_EFFECTS,
		  POLICY_DENY_REFUSED_EFFECTS },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct policy_command cmd;
		struct cxl_cel_entry cel;
		struct policy_device dev;
		struct policy_request req;
		const struct policy_command *cmdp;
		const struct cxl_cel_entry *celp;
		struct policy_decision d;
		const privset_t sets[3] = { PRIV_LOGIN | R | C, W, R | C | W };
		const enum policy_reason want[3] = { rows[i].op, rows[i].wf, rows[i].all };

		make_case(SC_APPROVED, (uint16_t)(1u << rows[i].bit), &cmd, &cel, &dev, &req,
			  &cmdp, &celp);
		for (int k = 0; k < 3; k++) {
			policy_decide(cmdp, celp, &dev, sets[k], &req, &d);
			if (d.reason != want[k])
				fail_msg("bit %u set %d: got %s want %s", rows[i].bit, k,
					 policy_reason_name(d.reason), policy_reason_name(want[k]));
		}
	}
}

static void test_scope_of_all_effects(void **state)
{
	(void)state;
	for (unsigned e = 0; e <= 0xFFFF; e++) {
		assert_int_equal(policy_scope_of_effects((uint16_t)e),
				 to_policy_scope[oracle_scope((uint16_t)e, 0)]);
		assert_int_equal(policy_scope_of((uint16_t)e, 1),
				 to_policy_scope[oracle_scope((uint16_t)e, 1)]);
	}
	/* a few by hand */
	assert_int_equal(policy_scope_of_effects(0), POLICY_SCOPE_READ);
	assert_int_equal(policy_scope_of_effects(0x0380), POLICY_SCOPE_READ);
	assert_int_equal(policy_scope_of_effects(0x0E01), POLICY_SCOPE_CONFIGURE);
	assert_int_equal(policy_scope_of_effects(0x0600), POLICY_SCOPE_CONFIGURE);
	assert_int_equal(policy_scope_of_effects(0x0A00), POLICY_SCOPE_CONFIGURE);
	assert_int_equal(policy_scope_of_effects(0x0C01), POLICY_SCOPE_REFUSED);
	assert_int_equal(policy_scope_of_effects(0x0400), POLICY_SCOPE_REFUSED);
	assert_int_equal(policy_scope_of_effects(0x0006), POLICY_SCOPE_WRITE_FULL); /* Set LSA */
	assert_int_equal(policy_scope_of_effects(0x0041), POLICY_SCOPE_REFUSED);
	assert_int_equal(policy_scope_of(0x0041, 1), POLICY_SCOPE_CONFIGURE);
	assert_int_equal(policy_scope_of(0x0044, 1), POLICY_SCOPE_WRITE_FULL);
	assert_int_equal(policy_scope_of(0x0060, 1), POLICY_SCOPE_REFUSED);
	assert_int_equal(policy_scope_of(0x1000, 1), POLICY_SCOPE_REFUSED);
}

/* Multi-bit effects: the approved case across all 2^16 values for one
 * privilege set that holds everything: allowed exactly when not refused. */
static void test_all_effect_values_approved(void **state)
{
	(void)state;
	for (unsigned e = 0; e <= 0xFFFF; e++) {
		struct policy_command cmd;
		struct cxl_cel_entry cel;
		struct policy_device dev;
		struct policy_request req;
		const struct policy_command *cmdp;
		const struct cxl_cel_entry *celp;
		struct policy_decision d;
		enum oscope s;
		enum policy_reason want;

		make_case(SC_APPROVED, (uint16_t)e, &cmd, &cel, &dev, &req, &cmdp, &celp);
		want = oracle(SC_APPROVED, (uint16_t)e, R | C | W, &s);
		policy_decide(cmdp, celp, &dev, R | C | W, &req, &d);
		if (d.reason != want)
			fail_msg("effects 0x%04x: got %s want %s", e, policy_reason_name(d.reason),
				 policy_reason_name(want));
		/* the three single privileges: allowed only with the scope's own */
		for (int k = 0; k < 3; k++) {
			privset_t one = (privset_t[]){ R, C, W }[k];
			policy_decide(cmdp, celp, &dev, one, &req, &d);
			want = oracle(SC_APPROVED, (uint16_t)e, one, &s);
			if (d.reason != want)
				fail_msg("effects 0x%04x priv 0x%x: got %s want %s", e, one,
					 policy_reason_name(d.reason), policy_reason_name(want));
		}
	}
}

/* Any difference in any of the 16 bits, capability flags included, fails. */
static void test_effects_mismatch_every_bit(void **state)
{
	(void)state;
	for (int a = -1; a < 16; a++) {
		uint16_t declared = a < 0 ? 0 : (uint16_t)(1u << a);
		for (unsigned b = 0; b < 16; b++) {
			struct policy_command cmd;
			struct cxl_cel_entry cel;
			struct policy_device dev;
			struct policy_request req;
			const struct policy_command *cmdp;
			const struct cxl_cel_entry *celp;
			struct policy_decision d;

			make_case(SC_APPROVED, declared, &cmd, &cel, &dev, &req, &cmdp, &celp);
			cel.effects = (uint16_t)(declared ^ (1u << b));
			policy_decide(cmdp, celp, &dev, R | C | W, &req, &d);
			if (d.reason != POLICY_DENY_EFFECTS_MISMATCH)
				fail_msg("declared 0x%04x, CEL 0x%04x: got %s", declared, cel.effects,
					 policy_reason_name(d.reason));
		}
	}
}

static void test_privilege_floor(void **state)
{
	struct policy_command cmd;
	struct cxl_cel_entry cel;
	struct policy_device dev;
	struct policy_request req;
	const struct policy_command *cmdp;
	const struct cxl_cel_entry *celp;
	struct policy_decision d;
	(void)state;

	/* read command, floor Configure: needs both */
	make_case(SC_APPROVED, 0, &cmd, &cel, &dev, &req, &cmdp, &celp);
	cmd.privilege_floor = C;
	policy_decide(cmdp, celp, &dev, R, &req, &d);
	assert_int_equal(d.reason, POLICY_DENY_INSUFFICIENT_PRIVILEGE);
	assert_int_equal(d.required, R | C);
	assert_non_null(strstr(d.detail, "CxlCommandConfigure"));
	policy_decide(cmdp, celp, &dev, C, &req, &d);
	assert_int_equal(d.reason, POLICY_DENY_INSUFFICIENT_PRIVILEGE);
	assert_non_null(strstr(d.detail, "CxlCommandRead"));
	policy_decide(cmdp, celp, &dev, R | C, &req, &d);
	assert_int_equal(d.reason, POLICY_ALLOW);
	assert_int_equal(d.scope, POLICY_SCOPE_READ);

	/* write-full command, floor Read: the floor never lowers */
	make_case(SC_APPROVED, CXL_EFFECT_IMMEDIATE_DATA_CHANGE, &cmd, &cel, &dev, &req, &cmdp,
		  &celp);
	cmd.privilege_floor = R;
	policy_decide(cmdp, celp, &dev, R, &req, &d);
	assert_int_equal(d.reason, POLICY_DENY_INSUFFICIENT_PRIVILEGE);
	assert_int_equal(d.required, W);
	policy_decide(cmdp, celp, &dev, W, &req, &d);
	assert_int_equal(d.reason, POLICY_ALLOW);

	/* configure command, floor WriteFull */
	make_case(SC_APPROVED, CXL_EFFECT_CONFIG_CHANGE_COLD_RESET, &cmd, &cel, &dev, &req,
		  &cmdp, &celp);
	cmd.privilege_floor = W;
	policy_decide(cmdp, celp, &dev, C, &req, &d);
	assert_int_equal(d.reason, POLICY_DENY_INSUFFICIENT_PRIVILEGE);
	policy_decide(cmdp, celp, &dev, C | W, &req, &d);
	assert_int_equal(d.reason, POLICY_ALLOW);
	assert_int_equal(d.scope, POLICY_SCOPE_CONFIGURE);
}

static void test_payload_edges(void **state)
{
	struct policy_command cmd;
	struct cxl_cel_entry cel;
	struct policy_device dev;
	struct policy_request req;
	const struct policy_command *cmdp;
	const struct cxl_cel_entry *celp;
	struct policy_decision d;
	(void)state;

	make_case(SC_APPROVED, 0, &cmd, &cel, &dev, &req, &cmdp, &celp);
	req.payload_len = 2; /* == min */
	policy_decide(cmdp, celp, &dev, R, &req, &d);
	assert_int_equal(d.reason, POLICY_ALLOW);
	req.payload_len = 64; /* == max */
	policy_decide(cmdp, celp, &dev, R, &req, &d);
	assert_int_equal(d.reason, POLICY_ALLOW);
	dev.payload_max = 64; /* == payload_max */
	policy_decide(cmdp, celp, &dev, R, &req, &d);
	assert_int_equal(d.reason, POLICY_ALLOW);
	dev.payload_max = 63;
	policy_decide(cmdp, celp, &dev, R, &req, &d);
	assert_int_equal(d.reason, POLICY_DENY_PAYLOAD_TOO_LARGE);
	assert_non_null(strstr(d.detail, "payload_max"));
	dev.payload_max = 2048;
	req.payload_len = 0;
	policy_decide(cmdp, celp, &dev, R, &req, &d);
	assert_int_equal(d.reason, POLICY_DENY_PAYLOAD_TOO_SMALL);
	req.payload_len = (size_t)1 << 40;
	policy_decide(cmdp, celp, &dev, R, &req, &d);
	assert_int_equal(d.reason, POLICY_DENY_PAYLOAD_TOO_LARGE);
}

/* An approval or CEL entry for another opcode must not be trusted. */
static void test_opcode_consistency(void **state)
{
	struct policy_command cmd;
	struct cxl_cel_entry cel;
	struct policy_device dev;
	struct policy_request req;
	const struct policy_command *cmdp;
	const struct cxl_cel_entry *celp;
	struct policy_decision d;
	(void)state;

	make_case(SC_APPROVED, 0, &cmd, &cel, &dev, &req, &cmdp, &celp);
	req.opcode = 0xC001;
	policy_decide(cmdp, celp, &dev, R, &req, &d);
	assert_int_equal(d.reason, POLICY_DENY_NOT_APPROVED);
	req.opcode = OPCODE;
	cel.opcode = 0xC001;
	policy_decide(cmdp, celp, &dev, R, &req, &d);
	assert_int_equal(d.reason, POLICY_DENY_NOT_IN_CEL);
}

/* Firmware patterns match the visible text; serial lists are optional. */
static void test_device_match(void **state)
{
	struct policy_command cmd;
	struct cxl_cel_entry cel;
	struct policy_device dev;
	struct policy_request req;
	const struct policy_command *cmdp;
	const struct cxl_cel_entry *celp;
	(void)state;

	make_case(SC_APPROVED, 0, &cmd, &cel, &dev, &req, &cmdp, &celp);
	assert_int_equal(policy_match_device(&cmd, &dev), POLICY_MATCH_OK);
	dev.firmware = "EMU-FW 1.3";
	assert_int_equal(policy_match_device(&cmd, &dev), POLICY_MATCH_OK);
	dev.firmware = NULL;
	assert_int_equal(policy_match_device(&cmd, &dev), POLICY_MATCH_FIRMWARE);
	cmd.match.firmware = NULL;
	assert_int_equal(policy_match_device(&cmd, &dev), POLICY_MATCH_OK);
	dev.serial = 0x1000000000000002ull;
	assert_int_equal(policy_match_device(&cmd, &dev), POLICY_MATCH_OK);
	dev.serial = 7;
	assert_int_equal(policy_match_device(&cmd, &dev), POLICY_MATCH_SERIAL);
	cmd.match.serials = NULL;
	cmd.match.n_serials = 0;
	assert_int_equal(policy_match_device(&cmd, &dev), POLICY_MATCH_OK);
	dev.device_id = 9;
	assert_int_equal(policy_match_device(&cmd, &dev), POLICY_MATCH_DEVICE);
	dev.vendor_id = 9;
	assert_int_equal(policy_match_device(&cmd, &dev), POLICY_MATCH_VENDOR);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(policy_scope_name(POLICY_SCOPE_READ), "Read");
	assert_string_equal(policy_scope_name(POLICY_SCOPE_CONFIGURE), "Configure");
	assert_string_equal(policy_scope_name(POLICY_SCOPE_WRITE_FULL), "WriteFull");
	assert_string_equal(policy_scope_name(POLICY_SCOPE_REFUSED), "Refused");
	assert_string_equal(policy_reason_name(POLICY_ALLOW), "Allowed");
	assert_string_equal(policy_reason_name(POLICY_DENY_NOT_APPROVED), "NotApproved");
	assert_string_equal(policy_reason_name(POLICY_DENY_DEVICE_MISMATCH), "DeviceMismatch");
	assert_string_equal(policy_reason_name(POLICY_DENY_KERNEL_OWNED), "KernelOwned");
	assert_string_equal(policy_reason_name(POLICY_DENY_NOT_IN_CEL), "NotInCEL");
	assert_string_equal(policy_reason_name(POLICY_DENY_EFFECTS_MISMATCH), "EffectsMismatch");
	assert_string_equal(policy_reason_name(POLICY_DENY_REFUSED_EFFECTS), "RefusedEffects");
	assert_string_equal(policy_reason_name(POLICY_DENY_INSUFFICIENT_PRIVILEGE),
			    "InsufficientPrivilege");
	assert_string_equal(policy_reason_name(POLICY_DENY_PAYLOAD_TOO_SMALL), "PayloadTooSmall");
	assert_string_equal(policy_reason_name(POLICY_DENY_PAYLOAD_TOO_LARGE), "PayloadTooLarge");
	assert_string_equal(policy_reason_name((enum policy_reason)99), "Unknown");
	assert_int_equal(policy_scope_privilege(POLICY_SCOPE_READ), R);
	assert_int_equal(policy_scope_privilege(POLICY_SCOPE_CONFIGURE), C);
	assert_int_equal(policy_scope_privilege(POLICY_SCOPE_WRITE_FULL), W);
	assert_int_equal(policy_scope_privilege(POLICY_SCOPE_REFUSED), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_literal_table),
		cmocka_unit_test(test_scope_of_all_effects),
		cmocka_unit_test(test_all_effect_values_approved),
		cmocka_unit_test(test_effects_mismatch_every_bit),
		cmocka_unit_test(test_privilege_floor),
		cmocka_unit_test(test_payload_edges),
		cmocka_unit_test(test_opcode_consistency),
		cmocka_unit_test(test_device_match),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
