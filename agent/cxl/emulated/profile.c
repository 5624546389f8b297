/* Reading emulated device profiles. Defaults here are the model's: a device
 * starts at 35 degrees C and 2 % life used, warming by one degree every 100
 * commands and ageing by one percent every 1000. */
#include "cxl/emulated/profile.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxl/backend.h"
#include "cxl/emulated/emulated.h"
#include "cxl/mbox.h"
#include "util/jsonfile.h"

#define EMU_PROFILE_MAX (1u << 20)

static const char builtin_profile[] =
	"{\n"
	"  \"devices\": [\n"
	"    {\n"
	"      \"name\": \"emu0\",\n"
	"      \"serial\": \"0x1000000000000001\",\n"
	"      \"pci_vendor_id\": \"0x8086\",\n"
	"      \"pci_device_id\": \"0x0d93\",\n"
	"      \"firmware_revision\": \"EMU FW 1.0.0\",\n"
	"      \"volatile_bytes\": 4294967296,\n"
	"      \"persistent_bytes\": 4294967296,\n"
	"      \"lsa_bytes\": 131072,\n"
	"      \"payload_max\": 4096,\n"
	"      \"numa_node\": 0\n"
	"    },\n"
	"    {\n"
	"      \"name\": \"emu1\",\n"
	"      \"serial\": \"0x1000000000000002\",\n"
	"      \"pci_vendor_id\": \"0x8086\",\n"
	"      \"pci_device_id\": \"0x0d93\",\n"
	"      \"firmware_revision\": \"EMU FW 1.0.0\",\n"
	"      \"volatile_bytes\": 8589934592,\n"
	"      \"persistent_bytes\": 0,\n"
	"      \"lsa_bytes\": 131072,\n"
	"      \"payload_max\": 2048,\n"
	"      \"numa_node\": -1\n"
	"    }\n"
	"  ]\n"
	"}\n";

const char *cxl_emu_builtin_profile(void)
{
	return builtin_profile;
}

/* ---- profile ---- */

struct prof_ctx {
	const struct jsonfile *jf;
	char idx[24];
	char *err;
	size_t errlen;
};

static int prof_err(struct prof_ctx *c, const char *key, const char *sub, const char *msg)
{
	const char *path[] = { "devices", c->idx, key, sub, NULL };
	jsonfile_error(c->jf, path, 0, c->err, c->errlen, "%s%s%s: %s", key, sub ? "." : "",
		       sub ? sub : "", msg);
	return -EINVAL;
}

static int prof_hex(struct prof_ctx *c, json_t *dev, const char *key, uint64_t max,
		    uint64_t *out)
{
	json_t *v = json_object_get(dev, key);
	const char *s;
	char *end;
	unsigned long long x;

	if (!v)
		return prof_err(c, key, NULL, "missing");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strncmp(s, "0x", 2) != 0 || !s[2] || strlen(s) > 18)
		return prof_err(c, key, NULL, "expected a hex string like \"0x1f\"");
	errno = 0;
	x = strtoull(s + 2, &end, 16);
	if (errno || *end || x > max)
		return prof_err(c, key, NULL, "bad or out-of-range hex value");
	*out = x;
	return 0;
}

static int prof_int(struct prof_ctx *c, json_t *obj, const char *key, const char *sub,
		    bool required, long long lo, long long hi, long long def, long long *out)
{
	json_t *v = json_object_get(obj, sub ? sub : key);

	if (!v) {
		if (required)
			return prof_err(c, key, sub, "missing");
		*out = def;
		return 0;
	}
	if (!json_is_integer(v))
		return prof_err(c, key, sub, "expected an integer");
	if (json_integer_value(v) < lo || json_integer_value(v) > hi) {
		char msg[96];
		snprintf(msg, sizeof(msg), "out of range [%lld, %lld]", lo, hi);
		return prof_err(c, key, sub, msg);
	}
	*out = json_integer_value(v);
	return 0;
}

static int prof_str(struct prof_ctx *c, json_t *dev, const char *key, bool required,
		    size_t maxlen, const char **out)
{
	json_t *v = json_object_get(dev, key);
	*out = NULL;
	if (!v) {
		if (required)
			return prof_err(c, key, NULL, "missing");
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > maxlen)
		return prof_err(c, key, NULL, "expected a non-empty string");
	*out = json_string_value(v);
	for (const char *p = *out; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return prof_err(c, key, NULL, "printable ASCII only");
	return 0;
}

/* The optional "health" object: where the model's health starts and how
 * fast it moves. */
static int prof_health(struct prof_ctx *c, json_t *h, struct emu_profile_dev *d)
{
	static const char *const hkeys[] = { "temperature_c", "life_used_pct",
					     "commands_per_degree", "commands_per_life_pct",
					     "dirty_shutdowns", NULL };
	const char *hpath[] = { "devices", c->idx, "health", NULL };
	long long v;
	int rc;

	d->base_temp = 35;
	d->base_life = 2;
	d->per_degree = 100;
	d->per_life = 1000;
	if (!h)
		return 0;
	if (!json_is_object(h))
		return prof_err(c, "health", NULL, "expected an object");
	if ((rc = jsonfile_only_keys(c->jf, hpath, h, hkeys, c->err, c->errlen)))
		return rc;
	if ((rc = prof_int(c, h, "health", "temperature_c", false, -40, EMU_MAX_TEMP, 35, &v)))
		return rc;
	d->base_temp = (int)v;
	if ((rc = prof_int(c, h, "health", "life_used_pct", false, 0, 100, 2, &v)))
		return rc;
	d->base_life = (int)v;
	if ((rc = prof_int(c, h, "health", "commands_per_degree", false, 1, INT_MAX, 100, &v)))
		return rc;
	d->per_degree = (unsigned)v;
	if ((rc = prof_int(c, h, "health", "commands_per_life_pct", false, 1, INT_MAX, 1000,
			   &v)))
		return rc;
	d->per_life = (unsigned)v;
	if ((rc = prof_int(c, h, "health", "dirty_shutdowns", false, 0, UINT32_MAX, 0, &v)))
		return rc;
	d->dirty_shutdowns = (uint32_t)v;
	return 0;
}

static int prof_device(struct prof_ctx *c, json_t *dev, struct emu_profile_dev *d)
{
	static const char *const keys[] = { "name", "serial", "pci_vendor_id", "pci_device_id",
					    "firmware_revision", "volatile_bytes",
					    "persistent_bytes", "lsa_bytes", "payload_max",
					    "numa_node", "host", "fault_control", "exec_journal",
					    "health", NULL };
	const char *path[] = { "devices", c->idx, NULL };
	const char *s;
	uint64_t x;
	long long v;
	int rc;

	if (!json_is_object(dev))
		return jsonfile_error(c->jf, path, 0, c->err, c->errlen, "expected an object");
	if ((rc = jsonfile_only_keys(c->jf, path, dev, keys, c->err, c->errlen)))
		return rc;
	if ((rc = prof_str(c, dev, "name", true, sizeof(d->name) - 1, &s)))
		return rc;
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p))
			return prof_err(c, "name", NULL, "letters, digits, '_', '.', '-' only");
	snprintf(d->name, sizeof(d->name), "%s", s);
	if ((rc = prof_hex(c, dev, "serial", UINT64_MAX, &d->serial)))
		return rc;
	if ((rc = prof_hex(c, dev, "pci_vendor_id", 0xFFFF, &x)))
		return rc;
	d->vid = (uint16_t)x;
	if ((rc = prof_hex(c, dev, "pci_device_id", 0xFFFF, &x)))
		return rc;
	d->did = (uint16_t)x;
	if ((rc = prof_str(c, dev, "firmware_revision", true, CXL_FW_REV_LEN, &s)))
		return rc;
	snprintf(d->fw, sizeof(d->fw), "%s", s);
	if ((rc = prof_int(c, dev, "volatile_bytes", NULL, true, 0, 1LL << 50, 0, &v)))
		return rc;
	d->vol = (uint64_t)v;
	if (d->vol % CXL_CAPACITY_UNIT)
		return prof_err(c, "volatile_bytes", NULL, "not a multiple of 256 MiB");
	if ((rc = prof_int(c, dev, "persistent_bytes", NULL, true, 0, 1LL << 50, 0, &v)))
		return rc;
	d->pers = (uint64_t)v;
	if (d->pers % CXL_CAPACITY_UNIT)
		return prof_err(c, "persistent_bytes", NULL, "not a multiple of 256 MiB");
	if (!d->vol && !d->pers)
		return prof_err(c, "volatile_bytes", NULL, "a device needs some capacity");
	if ((rc = prof_int(c, dev, "lsa_bytes", NULL, true, 0, EMU_LSA_MAX, 0, &v)))
		return rc;
	d->lsa_size = (uint32_t)v;
	if ((rc = prof_int(c, dev, "payload_max", NULL, true, 256, 1 << 20, 0, &v)))
		return rc;
	if (v & (v - 1))
		return prof_err(c, "payload_max", NULL, "not a power of two");
	d->payload_max = (uint32_t)v;
	if ((rc = prof_int(c, dev, "numa_node", NULL, true, -1, 4095, -1, &v)))
		return rc;
	d->numa = (int)v;
	if ((rc = prof_str(c, dev, "host", false, sizeof(d->host) - 1, &s)))
		return rc;
	snprintf(d->host, sizeof(d->host), "%s", s ? s : "");
	if ((rc = prof_str(c, dev, "fault_control", false, PATH_MAX - 1, &s)))
		return rc;
	if (s && !(d->fault_path = strdup(s)))
		return -ENOMEM;
	if ((rc = prof_str(c, dev, "exec_journal", false, PATH_MAX - 1, &s)))
		return rc;
	if (s && !(d->journal_path = strdup(s)))
		return -ENOMEM;
	return prof_health(c, json_object_get(dev, "health"), d);
}

int emu_profile_load(const char *path, struct emu_profile *out, char *errbuf, size_t errlen)
{
	static const char *const top_keys[] = { "devices", NULL };
	static const char *const root[] = { NULL };
	struct jsonfile jf;
	struct prof_ctx c;
	json_t *devs;
	int rc;

	memset(out, 0, sizeof(*out));
	if (path)
		rc = jsonfile_load(path, EMU_PROFILE_MAX, &jf, errbuf, errlen);
	else
		rc = jsonfile_parse("built-in demo profile", builtin_profile, strlen(builtin_profile),
				    &jf, errbuf, errlen);
	if (rc)
		return rc;
	c.jf = &jf;
	c.err = errbuf;
	c.errlen = errlen;
	if (!json_is_object(jf.root)) {
		rc = jsonfile_error(&jf, root, 0, errbuf, errlen, "expected an object");
		goto fail;
	}
	if ((rc = jsonfile_only_keys(&jf, root, jf.root, top_keys, errbuf, errlen)))
		goto fail;
	devs = json_object_get(jf.root, "devices");
	if (!json_is_array(devs) || json_array_size(devs) == 0 ||
	    json_array_size(devs) > CXL_MAX_DEVICES) {
		const char *p[] = { "devices", NULL };
		rc = jsonfile_error(&jf, p, 0, errbuf, errlen,
				    "\"devices\" must be an array of 1 to %d devices", CXL_MAX_DEVICES);
		goto fail;
	}
	out->dev = calloc(json_array_size(devs), sizeof(*out->dev));
	if (!out->dev) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < json_array_size(devs); i++) {
		struct emu_profile_dev *d = &out->dev[i];
		out->n = i + 1;
		snprintf(c.idx, sizeof(c.idx), "[%zu]", i);
		if ((rc = prof_device(&c, json_array_get(devs, i), d)))
			goto fail;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(out->dev[j].name, d->name) == 0) {
				rc = prof_err(&c, "name", NULL, "duplicate device name");
				goto fail;
			}
			if (d->serial && out->dev[j].serial == d->serial) {
				rc = prof_err(&c, "serial", NULL, "duplicate serial");
				goto fail;
			}
		}
	}
	jsonfile_release(&jf);
	return 0;
fail:
	if (rc == -ENOMEM)
		snprintf(errbuf, errlen, "out of memory");
	jsonfile_release(&jf);
	emu_profile_release(out);
	return rc;
}

void emu_profile_release(struct emu_profile *p)
{
	for (size_t i = 0; p->dev && i < p->n; i++) {
		free(p->dev[i].fault_path);
		free(p->dev[i].journal_path);
	}
	free(p->dev);
	memset(p, 0, sizeof(*p));
}
