/* The device layer: one interface over CXL memory devices, whatever backend
 * (kernel ioctl or the in-process emulated model) sits underneath.
 *
 * Contract for callers above this layer:
 *  - cxl_devset_info()/cxl_devset_cel()/cxl_devset_health() return cached
 *    copies and never wait behind a running mailbox command.
 *  - cxl_devset_submit() runs at most one command per device at a time;
 *    commands to different devices run in parallel. A caller waits at most
 *    its timeout for the device to become free and for the command to finish.
 *  - The transport result (0 or -errno from the path to the device) and the
 *    device's mailbox return code are kept apart all the way up.
 * Thread-safe: every function may be called from any thread. */
#ifndef CXLA_CXL_DEVICE_H
#define CXLA_CXL_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cxl/cel.h"

#define CXL_ID_MAX 64
#define CXL_FW_REV_LEN 16

#define CXL_MAX_BACKENDS 4 /* backends in one device set */

/* Inventory of one memory device. Capacities in bytes. Fields a device does
 * not report are marked by the corresponding has_* flag being false. */
struct cxl_dev_info {
	char id[CXL_ID_MAX];   /* stable: serial as 16 hex digits, else kernel name */
	char name[32];         /* kernel name (mem0) or emulated name */
	uint64_t serial;
	char host[64];         /* PCI address of the host device, "" if unknown */
	uint16_t pci_vendor_id;
	uint16_t pci_device_id;
	char fw_revision[CXL_FW_REV_LEN + 1];
	uint64_t total_bytes;
	uint64_t volatile_only_bytes;
	uint64_t persistent_only_bytes;
	uint64_t partition_align_bytes;
	bool has_partition;    /* Get Partition Info answered */
	uint64_t active_volatile_bytes;
	uint64_t active_persistent_bytes;
	uint64_t next_volatile_bytes;
	uint64_t next_persistent_bytes;
	uint32_t lsa_size;
	uint32_t payload_max;
	int numa_node;         /* -1 when none */
	bool has_timestamp;    /* Get Timestamp answered at the last refresh */
	uint64_t device_timestamp_ns; /* what it said (ns since the epoch; 0: never set) */
	bool present;          /* false once the device vanished */
	uint64_t generation;   /* bumps whenever any cached field changes */
	struct timespec read_at; /* CLOCK_REALTIME of the last successful refresh */
};

/* a + b bytes of capacity, saturated at UINT64_MAX: a device's fields are
 * its own word (each up to 2^64 - 256 MiB), and a sum over devices must not
 * wrap into a small plausible figure. */
static inline uint64_t cxl_bytes_add(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

/* Get Health Info, decoded. valid is false when the device does not provide
 * health (e.g. the command is absent from its CEL or the kernel refuses it);
 * upper layers then omit health instead of inventing it. */
struct cxl_health {
	bool valid;
	uint8_t health_status;     /* bit0 maintenance, bit1 perf degraded, bit2 replace */
	uint8_t media_status;
	uint8_t additional_status; /* [1:0] life used, [3:2] temperature: 0 ok 1 warn 2 crit */
	uint8_t life_used_pct;     /* 0xff: not implemented */
	int16_t temperature_c;     /* INT16_MAX: not implemented */
	uint32_t dirty_shutdowns;
	uint32_t corrected_volatile_errors;
	uint32_t corrected_persistent_errors;
	struct timespec read_at;
};

/* One device event record (Get Event Records), kept by the device layer in a
 * bounded in-memory ring. */
enum cxl_event_log {
	CXL_EVENT_LOG_INFO = 0,
	CXL_EVENT_LOG_WARN = 1,
	CXL_EVENT_LOG_FAIL = 2,
	CXL_EVENT_LOG_FATAL = 3,
};
/* Where a record came from: the device's mailbox (the agent read and cleared
 * it), or the kernel driver's trace events (the driver read and cleared it). */
enum cxl_event_source {
	CXL_EVENT_SOURCE_MAILBOX = 0,
	CXL_EVENT_SOURCE_KERNEL_TRACE = 1,
};
struct cxl_event {
	uint64_t seq;              /* agent-assigned, monotonic per device */
	enum cxl_event_log log;
	uint16_t handle;
	uint64_t timestamp_ns;     /* device timestamp, ns since the epoch */
	uint8_t uuid[16];
	uint8_t flags;
	uint8_t data[0x50];
	uint8_t data_len;          /* bytes of data known: 0x50, or 0 when only decoded */
	enum cxl_event_source source;
	char detail[256];          /* the kernel's decoding of a traced record, else "" */
};

/* A way a backend carries commands to a device ("a named kernel command",
 * "the kernel's raw command", "the emulated mailbox", ...). Each backend
 * defines its own, in static storage; they are compared by address. */
struct cxl_delivery_path {
	const char *method;         /* stable name shown to clients, e.g. "KernelRawCommand" */
	const char *description;    /* one line for operators */
	/* The device layer may send its own reads (inventory, health, event
	 * records) this way. False where another owner (the kernel driver)
	 * consumes what the agent would read. */
	bool agent_reads;
};
/* How this host can deliver an opcode to a device. */
struct cxl_delivery_info {
	const struct cxl_delivery_path *path; /* borrowed, static; NULL: unavailable */
	char reason[128];           /* "" unless path is NULL */
};
/* path->method, or "Unavailable" when there is no path. Static. */
const char *cxl_delivery_method(const struct cxl_delivery_info *d);

/* What the host kernel says about the agent's use of it (kernel backend). */
enum cxl_raw_state {
	CXL_RAW_UNAVAILABLE = 0,    /* no device lists CXL_MEM_COMMAND_ID_RAW */
	CXL_RAW_AVAILABLE,          /* listed, not used since start */
	CXL_RAW_USED,               /* a raw command passed the kernel's checks */
};
/* Who reads the devices' event records on this host. */
enum cxl_event_reader {
	CXL_EVENTS_NOT_READ = 0,    /* nobody the agent can see */
	CXL_EVENTS_DRIVER_TRACE,    /* the driver; the agent reads its trace events */
};
struct cxl_host_state {
	enum cxl_raw_state raw;
	enum cxl_event_reader events;
	char events_note[192];      /* why, or where the trace events are read */
	bool taint_known;           /* /proc/sys/kernel/tainted was readable */
	unsigned long taint;        /* its value */
	char taint_flags[32];       /* one letter per set bit, as in oops reports */
};

/* A mailbox command and its outcome. */
struct cxl_cmd {
	uint16_t opcode;
	const uint8_t *in;          /* borrowed */
	size_t in_len;
	unsigned timeout_ms;        /* 0: the device set's default */
};
struct cxl_cmd_result {
	int transport;              /* 0, or -errno: -ETIMEDOUT, -ENODEV, -EBUSY, -EPERM, -ENOTTY, -EPROTO ... */
	uint16_t mbox_rc;           /* meaningful only when transport == 0 */
	uint8_t *out;               /* new, free() it; NULL when out_len is 0 */
	size_t out_len;
	uint64_t duration_us;
};
void cxl_cmd_result_clear(struct cxl_cmd_result *res);

/* Background Operation Status (opcode 0002h), decoded. */
struct cxl_bg_status {
	bool running;
	uint8_t percent;
	uint16_t opcode;
	uint16_t rc;                /* return code of the finished operation */
};

struct cxl_ktrace_handover;

struct cxl_devset_config {
	/* Backends by their name in the backend table (backend.h), in order:
	 * devices of the first come first. Unused slots NULL. All NULL, or
	 * "auto" alone: the first backend of the table whose probe finds
	 * devices and that opens. */
	const char *backends[CXL_MAX_BACKENDS];
	const char *emulated_profile; /* path of a JSON profile, NULL: built-in demo */
	const char *state_dir;        /* where emulated label storage persists */
	unsigned default_timeout_ms;  /* for submissions without their own */
	unsigned refresh_interval_ms; /* health/inventory cache lifetime */
	size_t event_ring_size;       /* per device, bound on kept event records */
	/* MCTP endpoints (cxl/mctp/endpoint.h syntax), borrowed; and the
	 * per-attempt timeout and resend count of those that set neither. */
	const char *const *mctp_endpoints;
	size_t mctp_endpoint_count;
	unsigned mctp_timeout_ms;
	unsigned mctp_retries;
	/* The kernel's trace pipe as a privileged step before the start left
	 * it (cxl/kernel/trace.h), borrowed; NULL: the kernel backend opens its
	 * own, which needs root. */
	const struct cxl_ktrace_handover *kernel_trace;
};

struct cxl_devset;

/* Whether name is "auto" or names a row of the backend table. */
bool cxl_backend_known(const char *name);
/* "auto|kernel|emulated|...": the names cxl_backend_known() accepts. */
void cxl_backend_names(char *buf, size_t len);

/* Open the backends named by cfg (auto: see cxl_backend_choose()); *why is
 * set to a string owned by the set saying which and why. Opens every device
 * so the process can drop privileges afterwards. Returns 0 and a new set in
 * *out, or -errno with a message in errbuf. */
int cxl_devset_open(const struct cxl_devset_config *cfg, struct cxl_devset **out,
		    const char **why, char *errbuf, size_t errlen);
void cxl_devset_free(struct cxl_devset *set);

/* Name of the backend in use ("kernel", "emulated"), or the names joined by
 * '+' when the set has several. Borrowed. */
const char *cxl_devset_backend(const struct cxl_devset *set);
size_t cxl_devset_count(const struct cxl_devset *set);
/* Index of the device with this stable id, or -ENOENT. */
int cxl_devset_find(const struct cxl_devset *set, const char *id);

/* Copy of the cached inventory, with read_at saying how old it is. Never
 * talks to the device (a GET must not change device state, and a refresh
 * clears event records). 0 or -ERANGE for a bad index. */
int cxl_devset_info(struct cxl_devset *set, size_t idx, struct cxl_dev_info *out);
int cxl_devset_health(struct cxl_devset *set, size_t idx, struct cxl_health *out);
/* Copy of the decoded CEL (read at open, again when an absent device returns
 * or Identify shows another firmware revision).
 * out must be freed with cxl_cel_free(). Empty (count 0) when the device's CEL
 * could not be read or was malformed: nothing is then known to be supported. */
int cxl_devset_cel(struct cxl_devset *set, size_t idx, struct cxl_cel *out);
/* Copy of up to max cached events with seq > after_seq, oldest first.
 * Returns the count copied or -errno. */
int cxl_devset_events(struct cxl_devset *set, size_t idx, uint64_t after_seq,
		      struct cxl_event *out, size_t max);
int cxl_devset_delivery(struct cxl_devset *set, size_t idx, uint16_t opcode,
			struct cxl_delivery_info *out);

/* Re-read inventory and health from device idx and drain its event records
 * into the ring (reading and clearing them on the device). For the
 * background poller only: readers get the cache. Runs when force is set, or
 * the cache is stale or older than refresh_interval. Returns 0 when it ran,
 * -EAGAIN when not due, -EBUSY when a command holds the device (the cache
 * stays as it is), -ERANGE for a bad index. */
int cxl_devset_refresh(struct cxl_devset *set, size_t idx, bool force);
/* hook(arg) is called, from the submitting thread and with no device lock
 * held, after a command that may have changed what is cached; NULL clears.
 * The poller uses it to refresh promptly. */
void cxl_devset_set_stale_hook(struct cxl_devset *set, void (*hook)(void *arg), void *arg);

/* Submit one mailbox command (serialised per device, bounded by timeout).
 * Returns 0 when the command reached a verdict (res->transport and
 * res->mbox_rc tell which); -ERANGE for a bad index; -EINVAL for a NULL
 * payload with a length; -ENOMEM.
 * res->transport -EBUSY: the device stayed busy with another command until
 * the timeout, nothing was sent. -ETIMEDOUT: sent, no answer in time (it may
 * have executed). -ENODEV: the device is gone. -EPROTO: the reply was longer
 * than the buffer / payload_max. -EINVAL: in_len > payload_max.
 * -EOPNOTSUPP: this host has no path for the opcode (cxl_devset_delivery()
 * says why). Kernel errors (-ENOTTY, -EPERM, -EBUSY) are passed on as is.
 * res must be released with cxl_cmd_result_clear(). */
int cxl_devset_submit(struct cxl_devset *set, size_t idx, const struct cxl_cmd *cmd,
		      struct cxl_cmd_result *res);

/* The host kernel's state (raw commands, taint). -EOPNOTSUPP for backends
 * that do not go through a kernel (emulated). */
int cxl_devset_host_state(struct cxl_devset *set, struct cxl_host_state *out);

/* Number of mailbox commands sent to a device since open (for tests and the
 * Manager's diagnostics). */
uint64_t cxl_devset_mailbox_count(struct cxl_devset *set, size_t idx);

#endif
