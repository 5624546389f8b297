#include "core/host.h"

#include <ctype.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"

#define DMI "sys/class/dmi/id/"

/* The namespace of the name-based system UUID (RFC 9562 version 5): fixed,
 * so one machine-id always gives the same UUID, and specific to this
 * product, so the UUID does not disclose the machine-id. */
static const uint8_t uuid_namespace[16] = { 0x6f, 0x1c, 0x2a, 0x4e, 0x93, 0x57, 0x4d, 0x0b,
					    0xa6, 0x1e, 0x27, 0xc8, 0x51, 0x0d, 0x3b, 0x94 };

/* The first line of root/leaf, trimmed, into out. 0 or -errno. */
static int read_line(const char *root, const char *leaf, char *out, size_t len)
{
	char path[512], *text = NULL;
	size_t n = 0, end;
	int rc;

	out[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s", root, leaf) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((rc = file_read_all(path, 4096, &text, &n)))
		return rc;
	end = strcspn(text, "\n");
	while (end > 0 && isspace((unsigned char)text[end - 1]))
		end--;
	if (end >= len || memchr(text, '\0', end)) {
		free(text);
		return -EINVAL;
	}
	memcpy(out, text, end);
	out[end] = '\0';
	free(text);
	return 0;
}

/* Values firmware leaves in unset DMI fields: no identity at all. */
static bool placeholder(const char *v)
{
	static const char *const junk[] = { "", "None", "Not Specified", "Not Applicable",
					    "To Be Filled By O.E.M.", "To be filled by O.E.M.",
					    "Default string", "System Serial Number",
					    "Chassis Serial Number", "0", "N/A", "Unknown" };
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		if (strcmp(v, junk[i]) == 0)
			return true;
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return true;
	return false;
}

static void read_field(const char *root, const char *leaf, char *out, size_t len)
{
	if (read_line(root, leaf, out, len) || placeholder(out))
		out[0] = '\0';
}

/* A canonical UUID (any case) into lower case; false for the all-zero and
 * all-ones values firmware uses for "not set". */
static bool take_uuid(const char *v, char *out)
{
	bool zero = true, ones = true;

	if (strlen(v) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? v[i] != '-' : !isxdigit((unsigned char)v[i]))
			return false;
		if (!dash) {
			zero = zero && v[i] == '0';
			ones = ones && (v[i] == 'f' || v[i] == 'F');
		}
		out[i] = (char)tolower((unsigned char)v[i]);
	}
	out[36] = '\0';
	return !zero && !ones;
}

static void format_uuid(const uint8_t *b, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

/* Version 5 UUID of the machine-id (32 hex digits) in uuid_namespace. */
static bool uuid_from_machine_id(const char *id, char *out)
{
	uint8_t md[20];
	gnutls_hash_hd_t h;
	int rc;

	if (strlen(id) != 32 || strspn(id, "0123456789abcdef") != 32)
		return false;
	/* SHA-1 because RFC 4122 defines version 5 with it; not a security use */
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA1))
		return false;
	rc = gnutls_hash(h, uuid_namespace, sizeof(uuid_namespace));
	if (!rc)
		rc = gnutls_hash(h, id, 32);
	gnutls_hash_deinit(h, md);
	if (rc)
		return false;
	md[6] = (uint8_t)((md[6] & 0x0f) | 0x50);
	md[8] = (uint8_t)((md[8] & 0x3f) | 0x80);
	format_uuid(md, out);
	return true;
}

int host_identity_read(const char *root, struct host_identity *out)
{
	char line[HOST_FIELD_MAX];

	memset(out, 0, sizeof(*out));
	if (snprintf(out->root, sizeof(out->root), "%s", root ? root : "/") >=
	    (int)sizeof(out->root))
		return -ENAMETOOLONG;
	if (read_line(out->root, DMI "product_uuid", line, sizeof(line)) == 0 &&
	    take_uuid(line, out->uuid))
		out->uuid_from_dmi = true;
	else if (read_line(out->root, "etc/machine-id", line, sizeof(line)) == 0 &&
		 !uuid_from_machine_id(line, out->uuid))
		out->uuid[0] = '\0';
	read_field(out->root, DMI "chassis_serial", out->serial, sizeof(out->serial));
	read_field(out->root, DMI "chassis_vendor", out->manufacturer, sizeof(out->manufacturer));
	if (!out->manufacturer[0])
		read_field(out->root, DMI "sys_vendor", out->manufacturer, sizeof(out->manufacturer));
	read_field(out->root, DMI "product_name", out->model, sizeof(out->model));
	return 0;
}

int host_name(const struct host_identity *h, char *buf, size_t len)
{
	int rc = read_line(h->root, "proc/sys/kernel/hostname", buf, len);
	if (rc == 0 && !buf[0])
		rc = -ENOENT;
	return rc;
}
