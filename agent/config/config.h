/* Daemon configuration: every key declared once in CONFIG_KEYS and expanded
 * for the struct, the defaults, strict parsing and --print-config. */
#ifndef CXLA_CONFIG_CONFIG_H
#define CXLA_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "auth/certmap.h"
#include "http/server.h"
#include "util/log.h"

#define CONFIG_MAX_LISTEN 8

/* X(type, name, default, min, max, secret, help)
 * type: STR (string or null), INT (integer within [min,max]), STRS (array of
 * at least min strings), ENUM (one of the names in config.c's table for the key, held as
 * the enum its consumer declares: config_<name>_t below; default is a name). */
#define CONFIG_KEYS(X)                                                                     \
	X(STRS, listen_addresses, "127.0.0.1 ::1", 1, 0, false,                                \
	  "addresses to listen on, IPv4 and/or IPv6")                                          \
	X(INT, port, 8443, 1, 65535, false, "TCP port")                                        \
	X(STR, tls_certificate, NULL, 0, 0, false, "server certificate chain (PEM)")           \
	X(STR, tls_key, NULL, 0, 0, true, "server private key (PEM)")                          \
	X(STR, tls_client_ca, NULL, 0, 0, false, "CA bundle for client certificates (PEM)")    \
	X(ENUM, tls_client_auth, "off", 0, 0, false,                                           \
	  "whether clients present certificates")                      \
	X(ENUM, tls_client_identity, "cn", 0, 0, false,                                        \
	  "which certificate name maps to an account")                                 \
	X(STR, state_dir, "/var/lib/cxl-agent", 0, 0, false,                                   \
	  "accounts, identity, emulated label storage")                                       \
	X(ENUM, log_level, "info", 0, 0, false, "stderr verbosity")  \
	X(INT, log_burst, 5, 0, 100000, false,                                                 \
	  "lines a client or device can cause, of one kind, per log_window_s (0: no limit)")   \
	X(INT, log_window_s, 60, 1, 3600, false,                                               \
	  "window of log_burst; then one line counts the rest")                                \
	X(INT, max_body_bytes, 65536, 256, 16777216, false, "largest accepted request body")  \
	X(INT, threads, 2, 1, 64, false, "HTTPS worker threads")                               \
	X(INT, connection_limit, 0, 0, 1048576, false,                                         \
	  "simultaneous connections (0: as many as the raised descriptor limit allows)")     \
	X(INT, connections_per_address, 256, 1, 1048576, false,                              \
	  "simultaneous connections from one client address")                                 \
	X(INT, connection_timeout_s, 60, 1, 3600, false, "idle connection timeout")            \
	X(INT, shutdown_grace_ms, 5000, 0, 60000, false,                                       \
	  "how long in-flight requests may finish at shutdown")                                \
	X(STR, user, NULL, 0, 0, false,                                                        \
	  "user both processes run as (null: cxl-agent; \"root\": uid 0, no capabilities)")   \
	X(STR, backend, "auto", 0, 0, false, "device backend: auto or a backend table name")     \
	X(STRS, mctp_endpoints, "", 0, 0, false,                                               \
	  "MCTP endpoints: \"net=N,eid=N[,name=X]\" or \"serial:/dev/PATH[,eid=N][,name=X]\"") \
	X(INT, mctp_timeout_ms, 1000, 10, 60000, false, "MCTP per-attempt reply timeout")        \
	X(INT, mctp_retries, 2, 0, 7, false, "MCTP resends after an attempt without a reply")     \
	X(STR, emulated_profile, NULL, 0, 0, false,                                            \
	  "JSON profile of emulated devices (null: built-in demo)")                            \
	X(INT, refresh_interval_ms, 5000, 100, 3600000, false, "device data cache lifetime")   \
	X(INT, command_timeout_ms, 5000, 10, 600000, false, "default mailbox timeout")         \
	X(INT, event_ring_size, 256, 1, 65536, false, "device event records kept per device")  \
	X(INT, session_timeout_s, 1800, 30, 86400, false, "idle session lifetime")             \
	X(INT, max_sessions, 64, 1, 4096, false, "sessions in total")                          \
	X(INT, max_sessions_per_user, 8, 1, 4096, false, "sessions per account")               \
	X(STR, policy_file, NULL, 0, 0, false, "approved vendor command catalogue (JSON)")     \
	X(STR, audit_dir, NULL, 0, 0, false, "audit log directory (null: state_dir/audit)")    \
	X(INT, audit_max_bytes, 8388608, 4096, 1073741824, false, "rotate the audit log at")   \
	X(INT, audit_keep_files, 8, 1, 1000, false, "rotated audit files kept")                \
	X(ENUM, audit_forward, "off", 0, 0, false,                                             \
	  "also send each audit record to syslog (authpriv), as it is written")               \
	X(INT, auth_failures_per_minute, 30, 1, 100000, false,                                 \
	  "failed logins per source address and user name per minute before 429")         \
	X(INT, event_replay_size, 1024, 1, 1048576, false,                                     \
	  "Redfish events kept for Last-Event-ID replay")                                      \
	X(INT, event_queue_len, 1024, 1, 1048576, false,                                       \
	  "events queued per stream or subscription before drops")                             \
	X(INT, sse_max_streams, 32, 0, 4096, false, "open event streams (SSE) at most")         \
	X(INT, sse_keepalive_s, 15, 1, 3600, false, "comment line on a quiet event stream")     \
	X(INT, max_subscriptions, 16, 0, 1024, false, "push subscriptions at most")            \
	X(STR, event_destination_ca, NULL, 0, 0, false,                                        \
	  "the only CAs trusted for subscription destinations (PEM; null: the system's)")      \
	X(INT, delivery_retry_attempts, 3, 0, 1000, false, "failed deliveries before the policy") \
	X(INT, delivery_retry_interval_s, 30, 1, 86400, false, "between delivery attempts")      \
	X(INT, delivery_timeout_s, 10, 1, 300, false, "one delivery attempt at most")

/* The type each ENUM key is parsed into: the one its consumer uses, so
 * there is no second copy of the same choice to translate. */
typedef enum http_client_auth config_tls_client_auth_t;
typedef enum certmap_field config_tls_client_identity_t;
typedef enum log_level config_log_level_t;
typedef enum audit_forward config_audit_forward_t;

#define CONFIG_FIELD_STR(name) char *name;
#define CONFIG_FIELD_INT(name) long long name;
#define CONFIG_FIELD_ENUM(name) config_##name##_t name;
#define CONFIG_FIELD_STRS(name) \
	char *name[CONFIG_MAX_LISTEN]; \
	size_t name##_count;
#define CONFIG_FIELD(type, name, def, min, max, secret, help) CONFIG_FIELD_##type(name)

struct config {
	CONFIG_KEYS(CONFIG_FIELD)
	char *source;   /* file it was read from, or NULL for defaults */
};

/* For every ENUM key, config_<name>_name(cfg): its value as written in the
 * file ("syslog"), for showing it. Borrowed, static. */
#define CONFIG_NAME_FN_STR(name)
#define CONFIG_NAME_FN_INT(name)
#define CONFIG_NAME_FN_STRS(name)
#define CONFIG_NAME_FN_ENUM(name) const char *config_##name##_name(const struct config *cfg);
#define CONFIG_NAME_FN(type, name, def, min, max, secret, help) CONFIG_NAME_FN_##type(name)
CONFIG_KEYS(CONFIG_NAME_FN)

/* Fill cfg with the defaults. Returns 0 or -ENOMEM. */
int config_defaults(struct config *cfg);
/* Read path strictly on top of the defaults, then check the rules between
 * keys. On error returns -errno/-EINVAL and writes "file:line:column:
 * message" into err. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* Same, from a string (name is used in messages). */
int config_load_string(struct config *cfg, const char *name, const char *text, char *err,
		       size_t errlen);
void config_release(struct config *cfg);
/* Effective configuration as a new JSON string, secrets redacted. */
char *config_dump(const struct config *cfg);
/* Directory of the audit log: audit_dir, or "<state_dir>/audit". -ENAMETOOLONG. */
int config_audit_dir(const struct config *cfg, char *buf, size_t len);
/* Where a first start puts the certificate and key it generates when
 * neither tls_certificate nor tls_key is configured, under state_dir. */
#define CONFIG_TLS_GENERATED_CERT "tls/server.crt"
#define CONFIG_TLS_GENERATED_KEY "tls/server.key"
/* The TLS pair in force: tls_certificate and tls_key when configured, else
 * the generated pair under state_dir; *generated says which. Returns 0,
 * -ENAMETOOLONG, or -EINVAL when only one of the two keys is set. */
int config_tls_paths(const struct config *cfg, char *cert, size_t certlen, char *key,
		     size_t keylen, bool *generated);
/* Path under state_dir: writes "<state_dir>/<leaf>" into buf. -ENAMETOOLONG. */
int config_state_path(const struct config *cfg, const char *leaf, char *buf, size_t len);

#endif
