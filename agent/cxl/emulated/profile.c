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
#include "util/jsonmembers.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

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

/* A problem with member key of device c->idx (sub: inside its "health"). */
static int prof_err(struct prof_ctx *c, const char *key, const char *sub, const char *msg)
{
	const char *path[] = { "devices", c->idx, key, sub, NULL };
	jsonfile_error(c->jf, path, 0, c->err, c->errlen, "%s%s%s: %s", key, sub ? "." : "",
		       sub ? sub : "", msg);
	return -EINVAL;
}

#define HEX_EXPECT "a hex string like \"0x1f\""

enum { H_TEMP, H_LIFE, H_PER_DEGREE, H_PER_LIFE, H_DIRTY, H__N };
static const struct jm_member health_members[H__N] = {
	[H_TEMP] = { "temperature_c", JM_INTEGER, 0, -40, EMU_MAX_TEMP, NULL, NULL },
	[H_LIFE] = { "life_used_pct", JM_INTEGER, 0, 0, 100, NULL, NULL },
	[H_PER_DEGREE] = { "commands_per_degree", JM_INTEGER, 0, 1, INT_MAX, NULL, NULL },
	[H_PER_LIFE] = { "commands_per_life_pct", JM_INTEGER, 0, 1, INT_MAX, NULL, NULL },
	[H_DIRTY] = { "dirty_shutdowns", JM_INTEGER, 0, 0, UINT32_MAX, NULL, NULL },
};

enum {
	D_NAME, D_SERIAL, D_VID, D_DID, D_FW, D_VOL, D_PERS, D_LSA, D_PAYLOAD, D_NUMA,
	D_HOST, D_FAULT, D_JOURNAL, D_HEALTH, D__N
};
static const struct jm_member device_members[D__N] = {
	[D_NAME] = { "name", JM_STRING, JM_REQUIRED, 1, 31, NULL, "a string of 1 to 31 characters" },
	[D_SERIAL] = { "serial", JM_STRING, JM_REQUIRED, 3, 18, NULL, HEX_EXPECT },
	[D_VID] = { "pci_vendor_id", JM_STRING, JM_REQUIRED, 3, 18, NULL, HEX_EXPECT },
	[D_DID] = { "pci_device_id", JM_STRING, JM_REQUIRED, 3, 18, NULL, HEX_EXPECT },
	[D_FW] = { "firmware_revision", JM_STRING, JM_REQUIRED, 1, CXL_FW_REV_LEN, NULL, NULL },
	[D_VOL] = { "volatile_bytes", JM_INTEGER, JM_REQUIRED, 0, 1LL << 50, NULL, NULL },
	[D_PERS] = { "persistent_bytes", JM_INTEGER, JM_REQUIRED, 0, 1LL << 50, NULL, NULL },
	[D_LSA] = { "lsa_bytes", JM_INTEGER, JM_REQUIRED, 0, EMU_LSA_MAX, NULL, NULL },
	[D_PAYLOAD] = { "payload_max", JM_INTEGER, JM_REQUIRED, 256, 1 << 20, NULL, NULL },
	[D_NUMA] = { "numa_node", JM_INTEGER, JM_REQUIRED, -1, 4095, NULL, NULL },
	[D_HOST] = { "host", JM_STRING, 0, 1, 63, NULL, NULL },
	[D_FAULT] = { "fault_control", JM_STRING, 0, 1, PATH_MAX - 1, NULL, NULL },
	[D_JOURNAL] = { "exec_journal", JM_STRING, 0, 1, PATH_MAX - 1, NULL, NULL },
	[D_HEALTH] = { "health", JM_OBJECT, 0, 0, 0, NULL, NULL },
};

static int prof_hex(struct prof_ctx *c, const char *key, const struct jm_value *v, uint64_t max,
		    uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (strncmp(v->str, "0x", 2) != 0)
		return prof_err(c, key, NULL, "expected " HEX_EXPECT);
	errno = 0;
	x = strtoull(v->str + 2, &end, 16);
	if (errno || *end || x > max)
		return prof_err(c, key, NULL, "bad or out-of-range hex value");
	*out = x;
	return 0;
}

static int prof_printable(struct prof_ctx *c, const char *key, const struct jm_value *v)
{
	for (const char *p = v->str; p && *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return prof_err(c, key, NULL, "printable ASCII only");
	return 0;
}

/* The optional "health" object: where the model's health starts and how
 * fast it moves. */
static int prof_health(struct prof_ctx *c, const json_t *h, struct emu_profile_dev *d)
{
	const char *hpath[] = { "devices", c->idx, "health", NULL };
	struct jm_value v[H__N];
	int rc;

	d->base_temp = 35;
	d->base_life = 2;
	d->per_degree = 100;
	d->per_life = 1000;
	if (!h)
		return 0;
	if ((rc = jm_read_file(c->jf, hpath, h, health_members, H__N, v, c->err, c->errlen)))
		return rc;
	if (v[H_TEMP].json)
		d->base_temp = (int)v[H_TEMP].num;
	if (v[H_LIFE].json)
		d->base_life = (int)v[H_LIFE].num;
	if (v[H_PER_DEGREE].json)
		d->per_degree = (unsigned)v[H_PER_DEGREE].num;
	if (v[H_PER_LIFE].json)
		d->per_life = (unsigned)v[H_PER_LIFE].num;
	if (v[H_DIRTY].json)
		d->dirty_shutdowns = (uint32_t)v[H_DIRTY].num;
	return 0;
}

static int prof_strings(struct prof_ctx *c, const struct jm_value *v, struct emu_profile_dev *d)
{
	static const int printable[] = { D_FW, D_HOST, D_FAULT, D_JOURNAL };
	int rc;

	for (const char *p = v[D_NAME].str; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p))
			return prof_err(c, "name", NULL, "letters, digits, '_', '.', '-' only");
	for (size_t i = 0; i < sizeof(printable) / sizeof(printable[0]); i++)
		if ((rc = prof_printable(c, device_members[printable[i]].name, &v[printable[i]])))
			return rc;
	snprintf(d->name, sizeof(d->name), "%s", v[D_NAME].str);
	snprintf(d->fw, sizeof(d->fw), "%s", v[D_FW].str);
	snprintf(d->host, sizeof(d->host), "%s", v[D_HOST].json ? v[D_HOST].str : "");
	if (v[D_FAULT].json && !(d->fault_path = strdup(v[D_FAULT].str)))
		return -ENOMEM;
	if (v[D_JOURNAL].json && !(d->journal_path = strdup(v[D_JOURNAL].str)))
		return -ENOMEM;
	return 0;
}

static int prof_sizes(struct prof_ctx *c, const struct jm_value *v, struct emu_profile_dev *d)
{
	d->vol = (uint64_t)v[D_VOL].num;
	if (d->vol % CXL_CAPACITY_UNIT)
		return prof_err(c, "volatile_bytes", NULL, "not a multiple of 256 MiB");
	d->pers = (uint64_t)v[D_PERS].num;
	if (d->pers % CXL_CAPACITY_UNIT)
		return prof_err(c, "persistent_bytes", NULL, "not a multiple of 256 MiB");
	if (!d->vol && !d->pers)
		return prof_err(c, "volatile_bytes", NULL, "a device needs some capacity");
	d->lsa_size = (uint32_t)v[D_LSA].num;
	if (v[D_PAYLOAD].num & (v[D_PAYLOAD].num - 1))
		return prof_err(c, "payload_max", NULL, "not a power of two");
	d->payload_max = (uint32_t)v[D_PAYLOAD].num;
	d->numa = (int)v[D_NUMA].num;
	return 0;
}

static int prof_device(struct prof_ctx *c, const json_t *dev, struct emu_profile_dev *d)
{
	const char *path[] = { "devices", c->idx, NULL };
	struct jm_value v[D__N];
	uint64_t x;
	int rc;

	if ((rc = jm_read_file(c->jf, path, dev, device_members, D__N, v, c->err, c->errlen)))
		return rc;
	if ((rc = prof_strings(c, v, d)) || (rc = prof_hex(c, "serial", &v[D_SERIAL], UINT64_MAX,
							   &d->serial)))
		return rc;
	if ((rc = prof_hex(c, "pci_vendor_id", &v[D_VID], 0xFFFF, &x)))
		return rc;
	d->vid = (uint16_t)x;
	if ((rc = prof_hex(c, "pci_device_id", &v[D_DID], 0xFFFF, &x)))
		return rc;
	d->did = (uint16_t)x;
	if ((rc = prof_sizes(c, v, d)))
		return rc;
	return prof_health(c, v[D_HEALTH].json, d);
}

static const struct jm_member profile_members[] = {
	{ "devices", JM_ARRAY, JM_REQUIRED, 1, CXL_MAX_DEVICES, NULL,
	  "an array of 1 to " STRINGIFY(CXL_MAX_DEVICES) " devices" },
};

int emu_profile_load(const char *path, struct emu_profile *out, char *errbuf, size_t errlen)
{
	static const char *const root[] = { NULL };
	struct jm_value top;
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
	if ((rc = jm_read_file(&jf, root, jf.root, profile_members, 1, &top, errbuf, errlen)))
		goto fail;
	devs = top.json;
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
