/* The audit hash chain. Every record carries "prev_sha256": the SHA-256 of
 * the previous record's line exactly as written (without its newline), so a
 * record changed, removed, inserted or moved after the fact breaks the chain
 * at the first record that follows it. The chain runs on across rotation:
 * the first record of a new file links to the last one of the file before.
 * The first record ever links to AUDIT_CHAIN_GENESIS. */
#ifndef CXLA_AUDIT_CHAIN_H
#define CXLA_AUDIT_CHAIN_H

#include <stddef.h>
#include <stdio.h>

#define AUDIT_CHAIN_HEX 65 /* 64 hex digits and the NUL */
#define AUDIT_CHAIN_MEMBER "prev_sha256"
#define AUDIT_CHAIN_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* SHA-256 of len bytes at line as 64 lower-case hex digits. 0 or -EIO. */
int audit_chain_hash(const char *line, size_t len, char out[AUDIT_CHAIN_HEX]);

/* What audit_verify() found in a directory's audit files. */
struct audit_verify_report {
	size_t records;       /* parseable records checked */
	size_t torn;          /* unparseable lines (a crash mid-write) passed over */
	size_t unchained;     /* leading records written before the chain existed */
	char head[AUDIT_CHAIN_HEX];   /* hash of the last record: the chain head */
	char first_prev[AUDIT_CHAIN_HEX]; /* where the oldest kept record links to */
	/* The first broken record, when the chain is broken. */
	char broken_file[256];
	size_t broken_line;   /* 1-based line in broken_file */
	char broken_id[32];
	char broken_why[160];
};

/* Check the chain over dir's audit.log.N ... audit.log.1, audit.log, oldest
 * first. Returns 0 when intact, 1 when broken (the report says where), or
 * -errno when the files cannot be read. */
int audit_verify(const char *dir, struct audit_verify_report *rep);

/* `cxl-agent --verify-audit DIR`: run audit_verify() and say what it found
 * on out, with the records the audit journal holds past the log's end. Returns the process exit status: 0 intact, 1 broken, 2 unreadable. */
int audit_verify_print(const char *dir, FILE *out);

#endif
