/* The emulated backend: the devices of a profile behind the backend
 * interface, its row of the backend table, and its test hooks. The model
 * itself is described at the top of model.c. */
#include "cxl/emulated/emulated.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxl/backend.h"
#include "cxl/emulated/model.h"
#include "util/fileio.h"
#include "util/log.h"

struct emu_backend {
	struct cxl_backend be;
	size_t n;
	struct emu_dev *dev;
};

const struct cxl_delivery_path cxl_emu_path = {
	.method = "Emulated",
	.description = "the emulated device's mailbox, in process",
	.agent_reads = true,
};
static const struct cxl_delivery_path *const emu_paths[] = { &cxl_emu_path, NULL };

static int emu_submit(struct cxl_backend *be, size_t idx, uint16_t opcode, const uint8_t *in,
		      size_t in_len, uint8_t *out, size_t out_max, size_t *out_len,
		      uint16_t *mbox_rc, const struct timespec *deadline)
{
	struct emu_backend *eb = (struct emu_backend *)be;
	struct emu_dev *d;
	const struct emu_cmd *cmd;
	enum cxl_emu_fault f;
	uint16_t rc;
	int jrc;

	if (idx >= eb->n)
		return -ENODEV;
	d = &eb->dev[idx];
	*out_len = 0;
	*mbox_rc = 0;
	pthread_mutex_lock(&d->lock);
	emu_poll_control(d);
	if (d->vanished) {
		pthread_mutex_unlock(&d->lock);
		return -ENODEV;
	}
	f = emu_take_fault(d, opcode);
	switch (f) {
	case CXL_EMU_FAULT_VANISH:
		d->vanished = true;
		pthread_mutex_unlock(&d->lock);
		return -ENODEV;
	case CXL_EMU_FAULT_TIMEOUT:
		pthread_mutex_unlock(&d->lock);
		if (deadline)
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL) == EINTR)
				;
		return -ETIMEDOUT;
	case CXL_EMU_FAULT_BUSY:
		*mbox_rc = CXL_MBOX_BUSY;
		break;
	case CXL_EMU_FAULT_RETRY:
		*mbox_rc = CXL_MBOX_RETRY_REQUIRED;
		break;
	case CXL_EMU_FAULT_INTERNAL:
		*mbox_rc = CXL_MBOX_INTERNAL_ERROR;
		break;
	case CXL_EMU_FAULT_BAD_PAYLOAD_LENGTH:
		*mbox_rc = CXL_MBOX_INVALID_PAYLOAD_LENGTH;
		break;
	case CXL_EMU_FAULT_BG_STARTED:
		*mbox_rc = CXL_MBOX_BACKGROUND_STARTED;
		break;
	default:
		break;
	}
	if (*mbox_rc) {
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	emu_bg_update(d);
	cmd = emu_cmd_find(opcode);
	if (!cmd) {
		*mbox_rc = CXL_MBOX_UNSUPPORTED;
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	if (opcode >= 0xC000 && (jrc = emu_journal(d, opcode))) {
		log_warn("emulated %s: cannot write the execution journal %s: %s", d->id,
			 d->p.journal_path, strerror(-jrc));
		*mbox_rc = CXL_MBOX_INTERNAL_ERROR;
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	emu_tick(d);
	d->cur_fault = f;
	rc = cmd->fn(d, in, in_len, out, out_max, out_len);
	d->cur_fault = CXL_EMU_FAULT_NONE;
	if (rc != CXL_MBOX_SUCCESS && rc != CXL_MBOX_BACKGROUND_STARTED)
		*out_len = 0;
	if (f == CXL_EMU_FAULT_OVERSIZE_REPLY) {
		*out_len = out_max + 64;
	} else if (f == CXL_EMU_FAULT_LONG_REPLY) {
		size_t extra = out_max - *out_len < 4 ? out_max - *out_len : 4;
		memset(out + *out_len, 0xEE, extra);
		*out_len += extra;
	}
	*mbox_rc = rc;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static int emu_enumerate(struct cxl_backend *be, struct cxl_dev_info *info, size_t max)
{
	struct emu_backend *eb = (struct emu_backend *)be;
	size_t n = eb->n < max ? eb->n : max;

	for (size_t i = 0; i < n; i++) {
		const struct emu_dev *d = &eb->dev[i];
		struct cxl_dev_info *o = &info[i];
		memset(o, 0, sizeof(*o));
		snprintf(o->name, sizeof(o->name), "%s", d->p.name);
		o->serial = d->p.serial;
		snprintf(o->host, sizeof(o->host), "%s", d->p.host);
		o->pci_vendor_id = d->p.vid;
		o->pci_device_id = d->p.did;
		memcpy(o->fw_revision, d->p.fw, sizeof(o->fw_revision));
		o->total_bytes = d->p.vol + d->p.pers;
		o->volatile_only_bytes = d->p.vol;
		o->persistent_only_bytes = d->p.pers;
		o->lsa_size = d->p.lsa_size;
		o->payload_max = d->p.payload_max;
		o->numa_node = d->p.numa;
	}
	return (int)n;
}

static void emu_delivery(struct cxl_backend *be, size_t idx, uint16_t opcode,
			 struct cxl_delivery_info *out)
{
	(void)be;
	(void)idx;
	(void)opcode;
	memset(out, 0, sizeof(*out));
	out->path = &cxl_emu_path;
}

static void emu_free(struct cxl_backend *be)
{
	struct emu_backend *eb = (struct emu_backend *)be;
	if (!eb)
		return;
	for (size_t i = 0; i < eb->n; i++)
		emu_dev_release(&eb->dev[i]);
	free(eb->dev);
	free(eb);
}

static const struct cxl_backend_ops emu_ops = {
	.name = "emulated",
	.enumerate = emu_enumerate,
	.submit = emu_submit,
	.delivery = emu_delivery,
	.free = emu_free,
};

int cxl_emu_backend_new(const char *profile, const char *state_dir, struct cxl_backend **out,
			char *errbuf, size_t errlen)
{
	struct emu_backend *eb;
	struct emu_profile prof;
	int rc;

	*out = NULL;
	if ((rc = emu_profile_load(profile, &prof, errbuf, errlen)))
		return rc;
	if (state_dir && (rc = dir_ensure(state_dir, 0700))) {
		snprintf(errbuf, errlen, "state directory %s: %s", state_dir, strerror(-rc));
		emu_profile_release(&prof);
		return rc;
	}
	eb = calloc(1, sizeof(*eb));
	if (eb)
		eb->dev = calloc(prof.n, sizeof(*eb->dev));
	if (!eb || !eb->dev) {
		free(eb);
		emu_profile_release(&prof);
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	eb->be.ops = &emu_ops;
	for (size_t i = 0; i < prof.n; i++) {
		eb->n = i + 1;
		if ((rc = emu_dev_init(&eb->dev[i], &prof.dev[i], state_dir, errbuf, errlen))) {
			if (rc == -ENOMEM)
				snprintf(errbuf, errlen, "out of memory");
			emu_profile_release(&prof);
			emu_free(&eb->be);
			return rc;
		}
	}
	emu_profile_release(&prof);
	*out = &eb->be;
	return 0;
}

static bool emu_probe(char *note, size_t len)
{
	snprintf(note, len, "always available");
	return true;
}

static int emu_open(const struct cxl_devset_config *cfg, struct cxl_backend **out, char *errbuf,
		    size_t errlen)
{
	return cxl_emu_backend_new(cfg->emulated_profile, cfg->state_dir, out, errbuf, errlen);
}

const struct cxl_backend_desc cxl_emu_backend_desc = {
	.name = "emulated",
	.probe = emu_probe,
	.open = emu_open,
	.paths = emu_paths,
};

static struct emu_dev *emu_dev_of(struct cxl_backend *be, size_t idx, int *rc)
{
	struct emu_backend *eb = (struct emu_backend *)be;

	if (be->ops != &emu_ops) {
		*rc = -EOPNOTSUPP;
		return NULL;
	}
	if (idx >= eb->n) {
		*rc = -ERANGE;
		return NULL;
	}
	*rc = 0;
	return &eb->dev[idx];
}

int cxl_emu_inject(struct cxl_backend *be, size_t idx, enum cxl_emu_fault fault, int count,
		   int opcode)
{
	int rc;
	struct emu_dev *d = emu_dev_of(be, idx, &rc);

	if (!d)
		return rc;
	if ((unsigned)fault >= CXL_EMU_FAULT__COUNT || opcode > 0xFFFF)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	emu_set_fault(d, fault, count, opcode < 0 ? -1 : opcode);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int cxl_emu_add_event(struct cxl_backend *be, size_t idx, enum cxl_event_log log)
{
	int rc;
	struct emu_dev *d = emu_dev_of(be, idx, &rc);

	if (!d)
		return rc;
	if ((unsigned)log > CXL_EVENT_LOG_FATAL)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	emu_vendor_event(d, (int)log);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int cxl_emu_commands_executed(struct cxl_backend *be, size_t idx, uint64_t *out)
{
	int rc;
	struct emu_dev *d = emu_dev_of(be, idx, &rc);

	if (!d)
		return rc;
	pthread_mutex_lock(&d->lock);
	*out = d->executed;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

