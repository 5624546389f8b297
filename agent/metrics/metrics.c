#include "metrics/metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define OPCODE_SLOTS 32
#define PREFIX "cxl_agent_"

/* Seconds; mailbox commands run from microseconds to the command timeout. */
static const double cmd_buckets[] = { 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30 };
#define CMD_BUCKETS (sizeof(cmd_buckets) / sizeof(cmd_buckets[0]))
/* Seconds; one fdatasync'ed append. */
static const double audit_buckets[] = { 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1 };
#define AUDIT_BUCKETS (sizeof(audit_buckets) / sizeof(audit_buckets[0]))

static const char *const result_names[CMD_RESULT_COUNT] = {
	"ok", "device_error", "transport_error", "denied", "busy", "audit_failed",
};

struct histogram {
	atomic_ullong buckets[16]; /* cumulative at render time, per bucket here */
	atomic_ullong count;
	atomic_ullong sum_us;
};

struct opcode_slot {
	atomic_int used;     /* 0 free, 1 being claimed, 2 ready */
	int opcode;          /* -1: "other" */
	enum command_result result;
	atomic_ullong total;
	struct histogram latency;
};

struct metrics {
	atomic_ullong http[5]; /* 1xx..5xx */
	atomic_ullong auth_failures;
	atomic_ullong decisions[POLICY_REASON_COUNT];
	pthread_mutex_t claim;
	struct opcode_slot ops[OPCODE_SLOTS + CMD_RESULT_COUNT]; /* tail: "other" */
	struct histogram audit;
};

int metrics_new(struct metrics **out)
{
	struct metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->claim, NULL);
	for (int r = 0; r < CMD_RESULT_COUNT; r++) {
		struct opcode_slot *s = &m->ops[OPCODE_SLOTS + r];
		s->opcode = -1;
		s->result = (enum command_result)r;
		atomic_store(&s->used, 2);
	}
	*out = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->claim);
	free(m);
}

void metrics_http(struct metrics *m, int status)
{
	if (m && status >= 100 && status <= 599)
		atomic_fetch_add(&m->http[status / 100 - 1], 1);
}

void metrics_auth_failure(struct metrics *m)
{
	if (m)
		atomic_fetch_add(&m->auth_failures, 1);
}

void metrics_decision(struct metrics *m, enum policy_reason reason)
{
	if (m && (unsigned)reason < POLICY_REASON_COUNT)
		atomic_fetch_add(&m->decisions[reason], 1);
}

static void observe(struct histogram *h, const double *bounds, size_t n, uint64_t us)
{
	double s = (double)us / 1e6;
	size_t i = 0;
	while (i < n && s > bounds[i])
		i++;
	atomic_fetch_add(&h->buckets[i], 1); /* i == n: only +Inf */
	atomic_fetch_add(&h->count, 1);
	atomic_fetch_add(&h->sum_us, us);
}

static struct opcode_slot *slot_for(struct metrics *m, uint16_t opcode, enum command_result r)
{
	struct opcode_slot *s = NULL;

	for (size_t i = 0; i < OPCODE_SLOTS; i++) {
		struct opcode_slot *c = &m->ops[i];
		if (atomic_load(&c->used) == 2 && c->opcode == opcode && c->result == r)
			return c;
	}
	pthread_mutex_lock(&m->claim);
	for (size_t i = 0; i < OPCODE_SLOTS && !s; i++) {
		struct opcode_slot *c = &m->ops[i];
		if (atomic_load(&c->used) == 2 && c->opcode == opcode && c->result == r)
			s = c;
		else if (atomic_load(&c->used) == 0) {
			c->opcode = opcode;
			c->result = r;
			atomic_store(&c->used, 2);
			s = c;
		}
	}
	pthread_mutex_unlock(&m->claim);
	return s ? s : &m->ops[OPCODE_SLOTS + r];
}

void metrics_command(struct metrics *m, uint16_t opcode, enum command_result result,
		     uint64_t duration_us, int reached_device)
{
	struct opcode_slot *s;

	if (!m || (unsigned)result >= CMD_RESULT_COUNT)
		return;
	s = slot_for(m, opcode, result);
	atomic_fetch_add(&s->total, 1);
	if (reached_device)
		observe(&s->latency, cmd_buckets, CMD_BUCKETS, duration_us);
}

void metrics_audit_write(struct metrics *m, uint64_t duration_us)
{
	if (m)
		observe(&m->audit, audit_buckets, AUDIT_BUCKETS, duration_us);
}

void metrics_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
}

static void write_histogram(FILE *f, const char *name, const char *labels, struct histogram *h,
			    const double *bounds, size_t n)
{
	unsigned long long cum = 0;

	for (size_t i = 0; i < n; i++) {
		cum += atomic_load(&h->buckets[i]);
		fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, labels[0] ? "," : "",
			bounds[i], cum);
	}
	cum += atomic_load(&h->buckets[n]);
	fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, labels[0] ? "," : "", cum);
	fprintf(f, "%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
		(unsigned long long)atomic_load(&h->count));
	fprintf(f, "%s_sum%s%s%s %.6f\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
		(double)atomic_load(&h->sum_us) / 1e6);
}

static void op_labels(const struct opcode_slot *s, char *buf, size_t len)
{
	if (s->opcode < 0)
		snprintf(buf, len, "opcode=\"other\",outcome=\"%s\"", result_names[s->result]);
	else
		snprintf(buf, len, "opcode=\"0x%04x\",outcome=\"%s\"", s->opcode,
			 result_names[s->result]);
}

static void write_commands(struct metrics *m, FILE *f)
{
	char labels[96];

	metrics_family(f, PREFIX "mailbox_commands", "counter",
		       "Vendor mailbox commands by opcode and outcome.");
	for (size_t i = 0; i < OPCODE_SLOTS + CMD_RESULT_COUNT; i++) {
		struct opcode_slot *s = &m->ops[i];
		if (atomic_load(&s->used) != 2 || (s->opcode < 0 && !atomic_load(&s->total)))
			continue;
		op_labels(s, labels, sizeof(labels));
		fprintf(f, PREFIX "mailbox_commands_total{%s} %llu\n", labels,
			(unsigned long long)atomic_load(&s->total));
	}
	metrics_family(f, PREFIX "mailbox_command_seconds", "histogram",
		       "Time from submission to the device's answer, by opcode and outcome.");
	for (size_t i = 0; i < OPCODE_SLOTS + CMD_RESULT_COUNT; i++) {
		struct opcode_slot *s = &m->ops[i];
		if (atomic_load(&s->used) != 2 || !atomic_load(&s->latency.count))
			continue;
		op_labels(s, labels, sizeof(labels));
		write_histogram(f, PREFIX "mailbox_command_seconds", labels, &s->latency,
				cmd_buckets, CMD_BUCKETS);
	}
}

int metrics_write(struct metrics *m, FILE *f)
{
	static const char *const classes[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };

	metrics_family(f, PREFIX "http_requests", "counter", "HTTP requests answered, by status class.");
	for (int i = 0; i < 5; i++)
		fprintf(f, PREFIX "http_requests_total{class=\"%s\"} %llu\n", classes[i],
			(unsigned long long)atomic_load(&m->http[i]));
	metrics_family(f, PREFIX "auth_failures", "counter",
		       "Requests refused for missing or bad credentials.");
	fprintf(f, PREFIX "auth_failures_total %llu\n",
		(unsigned long long)atomic_load(&m->auth_failures));
	metrics_family(f, PREFIX "policy_decisions", "counter",
		       "Vendor command policy decisions, by reason.");
	for (int r = 0; r < POLICY_REASON_COUNT; r++)
		fprintf(f, PREFIX "policy_decisions_total{reason=\"%s\"} %llu\n",
			policy_reason_name((enum policy_reason)r),
			(unsigned long long)atomic_load(&m->decisions[r]));
	write_commands(m, f);
	metrics_family(f, PREFIX "audit_write_seconds", "histogram",
		       "Time to append and fdatasync one audit intent record.");
	write_histogram(f, PREFIX "audit_write_seconds", "", &m->audit, audit_buckets, AUDIT_BUCKETS);
	return ferror(f) ? -EIO : 0;
}
