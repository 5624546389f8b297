/* The CXL driver's trace events: decoding of trace_pipe lines (built from the
 * print formats of Linux 6.12, kept in tests/data/trace/linux-6.12/ as the
 * guest's tracefs printed them) and the tracefs instance reader over a fake
 * tracefs tree whose trace_pipe is a FIFO. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cxl/kernel/trace.h"
#include "cxl/kernel/trace_parse.h"
#include "support/fake_tracefs.h"
#include "support/stderr_capture.h"
#include "support/tmpdir.h"
#include "util/log.h"

#define HDR(ev, log, flags)                                                                  \
	ev ": memdev=mem0 host=0000:0d:00.0 serial=4096 log=" log                            \
	   " : time=1700000000123456789 uuid=fbcd0a77-c260-417f-85a9-088b1621eba6 len=128 " \
	   "flags='" flags "' handle=1a related_handle=0 maint_op_class=0 : "

#define HEX80                                                                                \
	"00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b " \
	"1c 1d 1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35 36 37 " \
	"38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f"
#define ZERO16 "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"

/* trace_pipe with tracefs' context columns */
static const char generic_line[] =
	"     kworker/1:2-97      [001] d..1.    42.123456: "
	HDR("cxl_generic_event", "Warning", "PERMANENT_CONDITION | MAINTENANCE_NEEDED") HEX80 "\n";
static const char media_line[] =
	HDR("cxl_general_media", "Failure", "") "dpa=7ffff000 dpa_flags='VOLATILE' "
	"descriptor='UNCORRECTABLE_EVENT|THRESHOLD_EVENT' type='ECC Error' "
	"transaction_type='Host Read' channel=1 rank=2 device=3 comp_id=" ZERO16 " "
	"validity_flags='CHANNEL|RANK' hpa=ffffffffffffffff region= "
	"region_uuid=00000000-0000-0000-0000-000000000000";
static const char dram_line[] =
	HDR("cxl_dram", "Informational", "0x40") "dpa=1000 dpa_flags='' descriptor='' "
	"type='Scrub Media ECC Error' transaction_type='Internal Media Scrub' channel=0 rank=0 "
	"nibble_mask=0 bank_group=0 bank=0 row=5 column=6 cor_mask=" ZERO16 " " ZERO16 " "
	"validity_flags='ROW|COLUMN' hpa=ffffffffffffffff region= "
	"region_uuid=00000000-0000-0000-0000-000000000000";
static const char module_line[] =
	HDR("cxl_memory_module", "Fatal", "HARDWARE_REPLACEMENT_NEEDED")
	"event_type='Temperature Change' health_status='' media_status='Normal' "
	"as_life_used=Normal as_dev_temp=Critical as_cor_vol_err_cnt=Normal "
	"as_cor_per_err_cnt=Normal life_used=3 device_temp=91 dirty_shutdown_cnt=0 "
	"cor_vol_err_cnt=0 cor_per_err_cnt=0";
static const char poison_line[] =
	"cxl_poison: memdev=mem1 host=0000:0e:00.0 serial=-1 trace_type=List region= "
	"region_uuid=00000000-0000-0000-0000-000000000000 hpa=0xffffffffffffffff dpa=0x40000000 "
	"dpa_length=0x40 source=Injected flags= overflow_time=0";

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_LVL_ERROR);
	return 0;
}

static int parse(const char *s, struct cxl_trace_rec *r)
{
	return cxl_trace_parse_line(s, strlen(s), r);
}

static void test_generic(void **state)
{
	static const uint8_t uuid[16] = { 0xfb, 0xcd, 0x0a, 0x77, 0xc2, 0x60, 0x41, 0x7f,
					  0x85, 0xa9, 0x08, 0x8b, 0x16, 0x21, 0xeb, 0xa6 };
	struct cxl_trace_rec r;
	(void)state;

	assert_int_equal(parse(generic_line, &r), 0);
	assert_string_equal(r.memdev, "mem0");
	assert_true(r.serial == 4096);
	assert_int_equal(r.ev.source, CXL_EVENT_SOURCE_KERNEL_TRACE);
	assert_int_equal(r.ev.log, CXL_EVENT_LOG_WARN);
	assert_true(r.ev.timestamp_ns == 1700000000123456789ull);
	assert_memory_equal(r.ev.uuid, uuid, 16);
	assert_int_equal(r.ev.flags, 0x0C); /* bits 2 and 3 */
	assert_int_equal(r.ev.handle, 0x1a);
	assert_int_equal(r.ev.data_len, 0x50);
	for (int i = 0; i < 0x50; i++)
		assert_int_equal(r.ev.data[i], i);
	assert_string_equal(r.ev.detail, "Generic");
}

static void test_specific_events(void **state)
{
	struct cxl_trace_rec r;
	(void)state;

	assert_int_equal(parse(media_line, &r), 0);
	assert_int_equal(r.ev.log, CXL_EVENT_LOG_FAIL);
	assert_int_equal(r.ev.flags, 0);
	assert_int_equal(r.ev.data_len, 0); /* only the kernel's decoding is known */
	assert_non_null(strstr(r.ev.detail, "General Media: dpa=7ffff000 dpa_flags='VOLATILE'"));
	assert_non_null(strstr(r.ev.detail, "type='ECC Error' transaction_type='Host Read'"));

	assert_int_equal(parse(dram_line, &r), 0);
	assert_int_equal(r.ev.log, CXL_EVENT_LOG_INFO);
	assert_int_equal(r.ev.flags, 0x40); /* an unnamed bit, as __print_flags leaves it */
	assert_int_equal(strncmp(r.ev.detail, "DRAM: dpa=1000 ", 15), 0);

	assert_int_equal(parse(module_line, &r), 0);
	assert_int_equal(r.ev.log, CXL_EVENT_LOG_FATAL);
	assert_int_equal(r.ev.flags, 0x20);
	assert_non_null(strstr(r.ev.detail, "Memory Module: event_type='Temperature Change'"));
	assert_non_null(strstr(r.ev.detail, "device_temp=91"));

	assert_int_equal(parse(poison_line, &r), 0);
	assert_string_equal(r.memdev, "mem1");
	assert_true(r.serial == UINT64_MAX); /* %lld of a serial with the top bit set */
	assert_int_equal(r.ev.log, CXL_EVENT_LOG_INFO);
	assert_int_equal(strncmp(r.ev.detail, "Poison: trace_type=List region= ", 32), 0);
	assert_non_null(strstr(r.ev.detail, "dpa=0x40000000 dpa_length=0x40 source=Injected"));
}

static void test_not_ours(void **state)
{
	static const char *const lines[] = {
		"",
		"# tracer: nop",
		"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
		"cxl_aer_correctable_error: memdev=mem0 host=0000:0d:00.0 serial=0: status: 'x'",
		"cxl_overflow: memdev=mem0 host=0000:0d:00.0 serial=0: log=Warning : 3 records",
		"xcxl_generic_event: memdev=mem0", /* not at a word start */
		"cxl_generic_event:memdev=mem0",
	};
	struct cxl_trace_rec r;
	(void)state;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(parse(lines[i], &r), -ENOENT);
}

/* Every cut of a record line before its last required field is rejected;
 * none is misread. */
static void test_cut_lines(void **state)
{
	static const struct {
		const char *line;
		const char *last; /* NULL: the whole line (the generic event's hex dump) */
	} cuts[] = {
		{ generic_line, NULL },
		{ media_line, "validity_flags=" },
		{ dram_line, "validity_flags=" },
		{ module_line, "cor_per_err_cnt=" },
		{ poison_line, "overflow_time=" },
	};
	struct cxl_trace_rec r;
	(void)state;

	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		const char *line = cuts[k].line;
		size_t must = cuts[k].last ? (size_t)(strstr(line, cuts[k].last) - line) +
						     strlen(cuts[k].last)
					   : strlen(line) - 1;
		for (size_t len = 0; len < must; len++) {
			int rc = cxl_trace_parse_line(line, len, &r);
			if (rc != -ENOENT && rc != -EPROTO)
				fail_msg("line %zu cut at %zu: %d", k, len, rc);
		}
		assert_int_equal(parse(line, &r), 0);
	}
}

static void test_bad_fields(void **state)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ "log=Warning", "log=0x4" },
		{ "handle=1a", "handle=1ffff" },
		{ "handle=1a", "handle=-1" },
		{ "handle=1a", "handle=" },
		{ "uuid=fbcd0a77-c260", "uuid=fbcd0a77xc260" },
		{ "uuid=fbcd0a77-c260", "uuid=fbcd0a7g-c260" },
		{ "time=1700000000123456789", "time=99999999999999999999" },
		{ "MAINTENANCE_NEEDED'", "NOT_A_FLAG'" },
		{ "memdev=mem0", "memdev=" },
		{ "4e 4f", "4e" },
		{ "4e 4f", "4e 4f 50" },
		{ "4e 4f", "4e 4g" },
		{ "flags='PERMANENT_CONDITION", "flags=PERMANENT_CONDITION" },
	};
	char buf[1024];
	struct cxl_trace_rec r;
	(void)state;

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		const char *at = strstr(generic_line, edits[i].from);
		assert_non_null(at);
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - generic_line), generic_line,
			 edits[i].to, at + strlen(edits[i].from));
		if (parse(buf, &r) != -EPROTO)
			fail_msg("edit %zu (%s) accepted", i, edits[i].to);
	}
	/* a NUL inside the line */
	memcpy(buf, generic_line, sizeof(generic_line));
	buf[60] = '\0';
	assert_int_equal(cxl_trace_parse_line(buf, sizeof(generic_line) - 1, &r), -EPROTO);
}

/* The keys the parser requires appear in the print formats of the kernel the
 * tests run against (captured from the 6.12 guest's tracefs). */
static void test_kernel_formats(void **state)
{
	static const struct {
		const char *event;
		const char *keys[8];
	} want[] = {
		{ "cxl_generic_event", { "memdev=", "serial=", "log=", "time=", "uuid=", "flags='",
					 "handle=", NULL } },
		{ "cxl_general_media", { "dpa=", "descriptor='", "type='", "transaction_type='",
					 "validity_flags='", NULL } },
		{ "cxl_dram", { "dpa=", "descriptor='", "row=", "cor_mask=", "validity_flags='",
				NULL } },
		{ "cxl_memory_module", { "event_type='", "health_status='", "media_status='",
					 "cor_vol_err_cnt=", "cor_per_err_cnt=", NULL } },
		{ "cxl_poison", { "trace_type=", "region=", "hpa=", "dpa=", "dpa_length=",
				  "overflow_time=", NULL } },
	};
	const char *dir = getenv("CXLA_TEST_DATA");
	char path[512], text[8192];
	(void)state;

	if (!dir)
		skip();
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		FILE *f;
		size_t n;
		char *fmt;
		snprintf(path, sizeof(path), "%s/trace/linux-6.12/%s.format", dir, want[i].event);
		f = fopen(path, "r");
		assert_non_null(f);
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = '\0';
		/* the common header prints log and flags exactly as the parser reads them */
		if (i < 4) {
			assert_non_null(strstr(text, "\"Informational\""));
			assert_non_null(strstr(text, "\"PERMANENT_CONDITION\""));
			assert_non_null(strstr(text, " : time=%llu uuid=%pUb"));
		}
		fmt = strstr(text, "print fmt: \"");
		assert_non_null(fmt);
		*strstr(fmt + 12, "\",") = '\0';
		for (size_t k = 0; want[i].keys[k]; k++)
			if (!strstr(fmt, want[i].keys[k]))
				fail_msg("%s: no %s in the kernel's format", want[i].event,
					 want[i].keys[k]);
	}
}

/* ---- the tracefs instance reader over a fake tracefs ---------------------- */

struct got {
	struct cxl_trace_rec rec[8];
	int n;
};

static void collect(void *arg, const struct cxl_trace_rec *rec)
{
	struct got *g = arg;
	assert_true(g->n < 8);
	g->rec[g->n++] = *rec;
}

static void test_reader(void **state)
{
	struct fake_tracefs t;
	struct cxl_ktrace *kt;
	struct got g = { .n = 0 };
	char why[256], path[512], val[8] = "";
	size_t half = strlen(generic_line) / 2;
	char junk[9000];
	FILE *f;
	(void)state;

	fake_tracefs(&t, true);
	assert_int_equal(cxl_ktrace_open(t.root, CXL_KTRACE_INSTANCE, &kt, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "/instances/" CXL_KTRACE_INSTANCE));
	/* the events the kernel has are enabled in the instance, not globally */
	snprintf(path, sizeof(path), "%s/instances/" CXL_KTRACE_INSTANCE
		 "/events/cxl/cxl_dram/enable", t.root);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(val, sizeof(val), f));
	fclose(f);
	assert_string_equal(val, "1");
	/* the instance's ring is sized down from the kernel's default */
	snprintf(path, sizeof(path), "%s/instances/" CXL_KTRACE_INSTANCE "/buffer_size_kb", t.root);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(val, sizeof(val), f));
	fclose(f);
	assert_string_equal(val, "128");
	fake_writer(&t);
	/* nothing yet: no block, no record */
	assert_int_equal(cxl_ktrace_poll(kt, collect, &g), 0);
	/* half a line waits for its end */
	put(&t, generic_line, half);
	assert_int_equal(cxl_ktrace_poll(kt, collect, &g), 0);
	put(&t, generic_line + half, strlen(generic_line) - half);
	put(&t, "# comment\n", 10);
	put(&t, media_line, strlen(media_line));
	put(&t, "\n", 1);
	assert_int_equal(cxl_ktrace_poll(kt, collect, &g), 2);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.rec[0].ev.handle, 0x1a);
	assert_int_equal(g.rec[1].ev.log, CXL_EVENT_LOG_FAIL);
	/* a line longer than the buffer is dropped whole, and counted */
	memset(junk, 'x', sizeof(junk));
	put(&t, junk, sizeof(junk));
	assert_int_equal(cxl_ktrace_poll(kt, collect, &g), 0);
	put(&t, "tail of the long line\n", 22);
	put(&t, module_line, strlen(module_line));
	put(&t, "\n", 1);
	/* a record cut short is counted too */
	put(&t, module_line, 100);
	put(&t, "\n", 1);
	assert_int_equal(cxl_ktrace_poll(kt, collect, &g), 1);
	assert_int_equal(g.rec[2].ev.log, CXL_EVENT_LOG_FATAL);
	assert_true(cxl_ktrace_rejected(kt) == 2);
	cxl_ktrace_free(kt);
	fake_remove(&t);
}

/* A device whose every record comes out malformed: the counter has them
 * all, the log (stderr, captured here) only the first few. */
#define FLOOD 200
static void test_reader_flood(void **state)
{
	struct fake_tracefs t;
	struct cxl_ktrace *kt;
	struct got g = { .n = 0 };
	struct stderr_capture cap;
	char why[256];
	int logged;
	(void)state;

	fake_tracefs(&t, true);
	assert_int_equal(cxl_ktrace_open(t.root, CXL_KTRACE_INSTANCE, &kt, why, sizeof(why)), 0);
	fake_writer(&t);
	log_set_level(LOG_LVL_WARN);
	assert_int_equal(stderr_capture_start(&cap), 0);
	for (int i = 0; i < FLOOD; i++) {
		put(&t, module_line, 100);
		put(&t, "\n", 1);
	}
	for (int i = 0; i < 100 && cxl_ktrace_rejected(kt) < FLOOD; i++)
		assert_int_equal(cxl_ktrace_poll(kt, collect, &g), 0);
	logged = stderr_capture_stop(&cap, "cxl: trace line not decoded");
	log_set_level(LOG_LVL_ERROR);
	assert_true(cxl_ktrace_rejected(kt) == FLOOD);
	assert_true(logged >= 1 && logged <= 5);
	cxl_ktrace_free(kt);
	fake_remove(&t);
}

static void test_reader_absent(void **state)
{
	struct fake_tracefs t;
	struct cxl_ktrace *kt = (struct cxl_ktrace *)&t;
	char why[256];
	(void)state;

	/* 6.1: tracefs, cxl trace points for AER only */
	fake_tracefs(&t, false);
	assert_int_equal(cxl_ktrace_open(t.root, CXL_KTRACE_INSTANCE, &kt, why, sizeof(why)),
			 -ENOENT);
	assert_null(kt);
	assert_non_null(strstr(why, "cxl_generic_event"));
	assert_non_null(strstr(why, "6.3"));
	fake_remove(&t);
	/* no tracefs */
	assert_int_equal(cxl_ktrace_open("/nonexistent/tracing", CXL_KTRACE_INSTANCE, &kt, why,
					 sizeof(why)),
			 -ENODEV);
	assert_non_null(strstr(why, "no tracefs"));
}

/* A trace_pipe opened by someone else (the service's privileged step) reads
 * like one the reader opened, from a copy: closing the original does not
 * stop it, and the copy neither blocks nor reaches an exec'd program. */
static void test_adopt(void **state)
{
	struct fake_tracefs t;
	struct cxl_ktrace *kt;
	struct got g = { .n = 0 };
	char why[256], path[512];
	int fd;
	(void)state;

	fake_tracefs(&t, true);
	snprintf(path, sizeof(path), "%s/instances/" CXL_KTRACE_INSTANCE "/trace_pipe", t.root);
	fd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(fd >= 0);
	/* blocking as handed over: the reader makes its copy non-blocking */
	assert_int_equal(fcntl(fd, F_SETFL, 0), 0);
	struct cxl_ktrace_handover h = { .fd = fd, .instance = "/sys/kernel/tracing/instances/x",
					  .note = "opened" };
	assert_int_equal(cxl_ktrace_adopt(&h, &kt, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "/sys/kernel/tracing/instances/x"));
	assert_string_equal(cxl_ktrace_path(kt), "/sys/kernel/tracing/instances/x");
	assert_int_not_equal(cxl_ktrace_fd(kt), fd);
	assert_true(fcntl(cxl_ktrace_fd(kt), F_GETFD) & FD_CLOEXEC);
	close(fd);
	fake_writer(&t);
	assert_int_equal(cxl_ktrace_poll(kt, collect, &g), 0); /* would block otherwise */
	put(&t, generic_line, strlen(generic_line));
	assert_int_equal(cxl_ktrace_poll(kt, collect, &g), 1);
	assert_int_equal(g.rec[0].ev.handle, 0x1a);
	cxl_ktrace_free(kt);
	fake_remove(&t);
}

/* No trace_pipe handed over: the step's note is the reason. */
static void test_adopt_none(void **state)
{
	struct cxl_ktrace_handover h = { .fd = -1, .instance = "",
					  .note = "the kernel has no cxl:cxl_generic_event" };
	struct cxl_ktrace *kt = (struct cxl_ktrace *)&h; /* must come back NULL */
	char why[256];
	(void)state;

	assert_int_equal(cxl_ktrace_adopt(&h, &kt, why, sizeof(why)), -ENOENT);
	assert_null(kt);
	assert_string_equal(why, "the kernel has no cxl:cxl_generic_event");
	/* a closed descriptor is an error, not a reader */
	h.fd = 1000;
	assert_int_equal(cxl_ktrace_adopt(&h, &kt, why, sizeof(why)), -EBADF);
	assert_null(kt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_generic, setup),
		cmocka_unit_test_setup(test_specific_events, setup),
		cmocka_unit_test_setup(test_not_ours, setup),
		cmocka_unit_test_setup(test_cut_lines, setup),
		cmocka_unit_test_setup(test_bad_fields, setup),
		cmocka_unit_test_setup(test_kernel_formats, setup),
		cmocka_unit_test_setup(test_reader, setup),
		cmocka_unit_test_setup(test_reader_flood, setup),
		cmocka_unit_test_setup(test_reader_absent, setup),
		cmocka_unit_test_setup(test_adopt, setup),
		cmocka_unit_test_setup(test_adopt_none, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
