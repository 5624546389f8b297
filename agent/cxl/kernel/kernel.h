/* Kernel backend: its row of the backend table, its delivery paths, and
 * internals exposed for tests: the system-call seam and a constructor over an
 * already-enumerated device list, so the marshalling of
 * CXL_MEM_QUERY_COMMANDS / CXL_MEM_SEND_COMMAND can be checked without
 * hardware. */
#ifndef CXLA_CXL_KERNEL_H
#define CXLA_CXL_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cxl/backend.h"
#include "cxl/kernel/trace.h"
#include "cxl/kernel/trace.h"

/* The backend table's row (backends.c). */
extern const struct cxl_backend_desc cxl_kernel_backend_desc;
/* Delivery paths: the kernel's named command id, and its raw command. */
extern const struct cxl_delivery_path cxl_kernel_path_named;
extern const struct cxl_delivery_path cxl_kernel_path_raw;

/* Enumerates /dev/cxl/mem* through libcxl and opens each. -ENODEV when
 * there is no device; errbuf says why. */
int cxl_kernel_backend_new(struct cxl_backend **out, char *errbuf, size_t errlen);

/* Every system call the backend makes after enumeration. Each returns what
 * the libc call returns (-1 and errno on failure); read_file returns the
 * byte count or -errno. */
struct cxl_kernel_sys {
	int (*open)(const char *path, int flags);
	int (*close)(int fd);
	int (*ioctl)(int fd, unsigned long request, void *arg);
	ssize_t (*read_file)(const char *path, char *buf, size_t len);
};
extern const struct cxl_kernel_sys cxl_kernel_sys_default;

/* Build a kernel backend for devs (as libcxl enumerated them: name "memN",
 * serial, host, sizes, label size, fw, numa node). For each device it opens
 * /dev/cxl/<name>, reads /sys/bus/cxl/devices/<name>/payload_max and the
 * PCI ids under /sys/bus/pci/devices/<host>/, and queries the kernel's
 * command list. sys is borrowed and must outlive the backend. */
int cxl_kernel_backend_new_with(const struct cxl_kernel_sys *sys, const struct cxl_dev_info *devs,
				size_t n, struct cxl_backend **out, char *errbuf, size_t errlen);

/* Read the driver's CXL trace events (cxl/kernel/trace.h) from tracefs
 * under root (NULL: the usual mounts) instead of leaving the devices' event
 * logs unread. Called by the backend's open while still privileged. 0, or
 * -errno when the kernel or tracefs does not allow it: the reason is then
 * what the host state reports, and no event records are read. With h (a
 * privileged step's result, borrowed) the backend opens nothing itself: it
 * reads h's trace pipe, or reports h's note. */
int cxl_kernel_backend_trace(struct cxl_backend *be, const char *root,
			     const struct cxl_ktrace_handover *h);

/* Kernel command id (CXL_MEM_COMMAND_ID_*) naming opcode, or 0 when the
 * kernel has no named command for it. */
unsigned cxl_kernel_cmd_id(uint16_t opcode);

#define CXL_KERNEL_REASON_NO_RAW "kernel built without CONFIG_CXL_MEM_RAW_COMMANDS"
#define CXL_KERNEL_REASON_RAW_REFUSED "kernel refused raw command (lockdown or kernel-owned opcode)"

#endif
