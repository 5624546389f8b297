/* One configured MCTP endpoint, as written in the "mctp_endpoints" setting:
 * comma-separated key=value words, e.g.
 *   "net=1,eid=8,name=dev0"            AF_MCTP, kernel network 1, EID 8
 *   "serial:/dev/ttyS2,eid=8,name=cxl0" DSP0253 framing done by the agent on
 *                                       a serial line or pty
 * Keys: net (MCTP network id, 0..4294967295; default 0: any), eid (8..254,
 * default 8 on a serial line, required otherwise), local (the agent's own
 * EID on a serial line, 8..254, default 9), name (1..31 of [A-Za-z0-9_-];
 * default "mctp-<net>-<eid>" or "mctp-serial-<eid>"), timeout_ms (per
 * attempt, 10..60000) and retries (0..7), which override the agent-wide
 * mctp_timeout_ms and mctp_retries for this endpoint. Pure: no I/O. */
#ifndef CXLA_CXL_MCTP_ENDPOINT_H
#define CXLA_CXL_MCTP_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CXL_MCTP_NAME_MAX 32
#define CXL_MCTP_PATH_MAX 108

struct cxl_mctp_endpoint_spec {
	char name[CXL_MCTP_NAME_MAX];
	char serial_path[CXL_MCTP_PATH_MAX]; /* "" for AF_MCTP */
	uint32_t network;
	uint8_t eid;
	uint8_t local_eid;
	unsigned timeout_ms;  /* 0: the agent-wide default */
	int retries;          /* -1: the agent-wide default */
};

/* Parse text into *out. Returns 0, or -EINVAL with a one-line reason in
 * why (whylen bytes). */
int cxl_mctp_endpoint_parse(const char *text, struct cxl_mctp_endpoint_spec *out, char *why,
			    size_t whylen);

/* Whether any of the n endpoint texts is reached through kernel MCTP
 * (AF_MCTP): the kernel asks CAP_NET_RAW of every message sent on such a
 * socket, so the agent must keep that capability when it drops root.
 * Texts that do not parse count as kernel endpoints (the configuration
 * refuses them anyway). */
bool cxl_mctp_endpoints_need_net_raw(const char *const *texts, size_t n);

#endif
