/* The approved-command catalogue: a JSON policy file listing the vendor
 * mailbox commands an operator has approved, each for a set of devices
 * (schemas/policy-catalogue.schema.json, example in packaging/).
 *
 * File format (every key is checked; unknown keys and wrong types are errors
 * reported as "file:line:column: message"):
 *
 *   {
 *     "$schema": "...",                 optional string, ignored
 *     "version": 1,                      optional, must be 1
 *     "commands": [                      required array (may be empty)
 *       {
 *         "id": "read-telemetry",        required, [A-Za-z0-9_-]{1,64}, unique;
 *                                        used in URIs (VendorCommands/{id})
 *         "name": "Read telemetry",      required, non-empty string
 *         "description": "...",          optional string
 *         "opcode": "0xC000",            required, "0x" + 4 hex digits; never a
 *                                        kernel-owned opcode (cxl_opcode_kernel_owned)
 *         "match": {                     required: which devices this approves
 *           "vendor_id": "0x1e98",       required, PCI vendor id, "0x" + 4 hex
 *           "device_id": "0x0001",       required, PCI device id, "0x" + 4 hex
 *           "serials": ["1000000000000001"],  optional non-empty list of device
 *                                        serial numbers, 1-16 hex digits with an
 *                                        optional "0x" (the device's Redfish Id)
 *           "firmware": "EMU-FW 1.*"     optional fnmatch(3) pattern over the
 *                                        firmware revision (trailing blanks and
 *                                        NULs of the Identify field removed)
 *         },
 *         "effects": ["ImmediateLogChange"],  required list of CEL effect names
 *                                        (cxl_effect_names); must equal the
 *                                        device's CEL effects exactly; never
 *                                        "SecurityStateChange"; the two
 *                                        ConfigChangeAfter*Reset flags of bits
 *                                        10/11 only with ExtendedEffectsValid
 *         "input": {"min_bytes": 0, "max_bytes": 64},  required, 0 <= min <= max
 *                                        <= 1048576 (CXL's largest payload)
 *         "privilege_floor": "CxlCommandConfigure"  optional, one of
 *                                        CxlCommandRead/Configure/WriteFull;
 *                                        can only raise the CEL-derived need
 *       }
 *     ]
 *   }
 *
 * Two commands with the same opcode must not match the same device: for equal
 * vendor/device ids, overlapping serial lists (an absent list is "all") and
 * firmware patterns that may overlap (absent, equal, or one matching the other
 * literally) the file is rejected. Overlaps this check cannot see make lookups
 * ambiguous, and catalogue_find() then fails closed (returns NULL).
 *
 * Lifetime: a catalogue is immutable once loaded and reference counted, so a
 * reload (SIGHUP) can swap in a new one while in-flight requests keep the old
 * one. struct catalogue_cell is the swappable holder the daemon keeps. */
#ifndef CXLA_POLICY_CATALOGUE_H
#define CXLA_POLICY_CATALOGUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/privilege.h"

#define POLICY_ID_MAX 64
#define POLICY_MAX_INPUT_BYTES (1u << 20)
/* Largest catalogue file accepted. */
#define POLICY_FILE_MAX_BYTES (4u << 20)

/* Identity of a device as policy sees it. All pointers borrowed. */
struct policy_device {
	uint16_t vendor_id;
	uint16_t device_id;
	uint64_t serial;
	const char *firmware; /* Identify FW revision; NULL if unknown */
	uint32_t payload_max; /* largest mailbox payload the device takes */
};

struct policy_match {
	uint16_t vendor_id;
	uint16_t device_id;
	uint64_t *serials; /* NULL: any serial */
	size_t n_serials;
	char *firmware;    /* fnmatch pattern; NULL: any firmware */
};

/* One approved command. Strings are owned by the catalogue. */
struct policy_command {
	char id[POLICY_ID_MAX + 1];
	char *name;
	char *description; /* "" when absent */
	uint16_t opcode;
	struct policy_match match;
	uint16_t effects;         /* declared CEL effects */
	uint32_t min_bytes;
	uint32_t max_bytes;
	privset_t privilege_floor; /* one OEM privilege bit, or 0 */
};

/* Why an approval does not fit a device (first mismatching field). */
enum policy_match_result {
	POLICY_MATCH_OK = 0,
	POLICY_MATCH_VENDOR,
	POLICY_MATCH_DEVICE,
	POLICY_MATCH_SERIAL,
	POLICY_MATCH_FIRMWARE,
};

struct policy_catalogue;

/* Load and validate path. On success *out is a new catalogue (refcount 1).
 * A file that is empty or only whitespace is an empty catalogue. On failure
 * returns -errno (-ENOENT when missing: the caller decides whether that means
 * "empty"), -EINVAL for any content error, with "file:line:col: message"
 * in err. */
int catalogue_load(const char *path, struct policy_catalogue **out, char *err,
		   size_t errlen);
/* Same from a buffer; name is used in messages. */
int catalogue_parse(const char *name, const char *text, size_t len,
		    struct policy_catalogue **out, char *err, size_t errlen);
/* A new empty catalogue (NULL on out of memory). */
struct policy_catalogue *catalogue_new_empty(void);

/* Reference counting (atomic). catalogue_ref returns its argument;
 * catalogue_unref frees on the last reference. Both accept NULL. */
struct policy_catalogue *catalogue_ref(struct policy_catalogue *cat);
void catalogue_unref(struct policy_catalogue *cat);

/* Where it came from (borrowed, "" for catalogue_new_empty) and the SHA-256
 * of the file contents as 64 hex digits ("" when empty). */
const char *catalogue_source(const struct policy_catalogue *cat);
const char *catalogue_digest(const struct policy_catalogue *cat);
/* The text it was parsed from (borrowed, "" for catalogue_new_empty or
 * NULL): another process can parse exactly the same catalogue from it. */
const char *catalogue_text(const struct policy_catalogue *cat, size_t *len);

/* Iteration in file order. catalogue_at returns a borrowed entry or NULL when
 * i >= count; entries live as long as the catalogue. */
size_t catalogue_count(const struct policy_catalogue *cat);
const struct policy_command *catalogue_at(const struct policy_catalogue *cat, size_t i);
/* Borrowed entry with this id, or NULL. */
const struct policy_command *catalogue_find_id(const struct policy_catalogue *cat,
					       const char *id);
/* The one entry approving opcode for dev, or NULL when none does or more than
 * one does (ambiguity fails closed). Borrowed. */
const struct policy_command *catalogue_find(const struct policy_catalogue *cat,
					    uint16_t opcode, const struct policy_device *dev);

/* Whether cmd's match fits dev; POLICY_MATCH_OK or the first mismatch, checked
 * in the order vendor, device, serial, firmware. Pure. */
enum policy_match_result policy_match_device(const struct policy_command *cmd,
					     const struct policy_device *dev);

/* Swappable holder for the catalogue in force (thread-safe). */
struct catalogue_cell {
	pthread_mutex_t lock;
	struct policy_catalogue *cat;
};
/* Takes over the caller's reference to cat (may be NULL). Returns 0 or -errno. */
int catalogue_cell_init(struct catalogue_cell *cell, struct policy_catalogue *cat);
/* Drops the held reference. */
void catalogue_cell_destroy(struct catalogue_cell *cell);
/* A new reference to the catalogue in force (release with catalogue_unref), or
 * NULL when none is set. */
struct policy_catalogue *catalogue_cell_get(struct catalogue_cell *cell);
/* Installs cat (takes over the caller's reference) and drops the old one;
 * requests holding the old catalogue keep it until they unref it. */
void catalogue_cell_replace(struct catalogue_cell *cell, struct policy_catalogue *cat);

#endif
