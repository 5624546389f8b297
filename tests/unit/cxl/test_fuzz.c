/* Randomised robustness: arbitrary bytes into every reply decoder, and a
 * backend answering random bytes with random lengths and errors under the
 * whole device set. Deterministic seed, bounded by iterations and time.
 * Buffers are allocated at their exact length so the sanitizer build catches
 * any over-read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cxl/backend.h"
#include "cxl/cel.h"
#include "cxl/device.h"
#include "cxl/mbox.h"
#include "util/log.h"

#define ITERATIONS 200000
#define TIME_BUDGET_S 2.0

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Lengths biased towards the interesting edges of each format. */
static size_t pick_len(void)
{
	static const size_t edges[] = { 0, 1, 3, 4, 5, 7, 8, 27, 28, 29, 31, 32, 0x12, 0x11,
					0x20, 0x1F, 0x43, 0x42, 0xA0, 0x9F, 0x120, 48, 52 };
	if (rnd() % 3 == 0)
		return edges[rnd() % (sizeof(edges) / sizeof(edges[0]))];
	return rnd() % 600;
}

static void fill(uint8_t *p, size_t n)
{
	int mode = (int)(rnd() % 4);
	for (size_t i = 0; i < n; i++)
		p[i] = mode == 0 ? 0 : mode == 1 ? 0xFF : (uint8_t)rnd();
	/* sometimes a plausible count in the first bytes */
	if (n >= 2 && rnd() % 2)
		cxl_put_le16(p, (uint16_t)(rnd() % 40));
	if (n >= 0x16 && rnd() % 2)
		cxl_put_le16(p + 0x14, (uint16_t)(rnd() % 5));
}

static void test_parsers_random(void **state)
{
	double t0 = now_s();
	long it;
	long ok = 0;
	(void)state;

	rng_state = 0x9E3779B97F4A7C15ull;
	for (it = 0; it < ITERATIONS && now_s() - t0 < TIME_BUDGET_S; it++) {
		size_t len = pick_len();
		uint8_t *buf = malloc(len ? len : 1);
		struct cxl_supported_log *logs = NULL;
		size_t n = 0;
		struct cxl_cel cel;
		struct cxl_identify id;
		struct cxl_partition part;
		struct cxl_health h;
		struct cxl_event_page page;
		struct cxl_event ev[4];
		struct cxl_bg_status bg;
		int rc;

		assert_non_null(buf);
		fill(buf, len);
		switch (it % 7) {
		case 0:
			rc = cxl_parse_supported_logs(buf, len, &logs, &n);
			if (rc == 0) {
				assert_int_equal(len, 8 + 20 * n);
				assert_true(n == 0 || logs != NULL);
			} else {
				assert_null(logs);
			}
			free(logs);
			break;
		case 1:
			rc = cxl_cel_parse(buf, len, &cel);
			if (rc == 0) {
				assert_int_equal(cel.count * 4, len);
				for (size_t i = 0; i < cel.count; i++)
					assert_ptr_equal(cxl_cel_find(&cel, cel.entries[i].opcode),
							 &cel.entries[i]);
			}
			cxl_cel_free(&cel);
			break;
		case 2:
			rc = cxl_parse_identify(buf, len, &id);
			if (rc == 0)
				assert_true(strlen(id.fw_revision) <= CXL_FW_REV_LEN);
			break;
		case 3:
			rc = cxl_parse_partition(buf, len, &part);
			break;
		case 4:
			memset(&h, 0, sizeof(h));
			rc = cxl_parse_health(buf, len, &h);
			assert_true(rc != 0 || h.valid);
			break;
		case 5:
			rc = cxl_parse_event_records(buf, len, CXL_EVENT_LOG_WARN, &page, ev, 4);
			if (rc == 0)
				assert_true(CXL_EVENT_HDR_LEN + (size_t)page.record_count * 0x80 <= len);
			break;
		default:
			rc = cxl_parse_bg_status(buf, len, &bg);
			if (rc == 0)
				assert_true(bg.percent <= 100);
			break;
		}
		assert_true(rc == 0 || rc == -EPROTO);
		if (rc == 0)
			ok++;
		free(buf);
	}
	print_message("%ld iterations, %ld accepted\n", it, ok);
	assert_true(it >= 1000);
	assert_true(ok > 0);
}

/* A backend whose every answer is noise: random transport results, return
 * codes, lengths (including more than out_max) and bytes. */
static int noise_enumerate(struct cxl_backend *be, struct cxl_dev_info *info, size_t max)
{
	(void)be;
	(void)max;
	memset(info, 0, 2 * sizeof(*info));
	strcpy(info[0].name, "noise0");
	info[0].serial = 1;
	info[0].payload_max = 256;
	strcpy(info[1].name, "noise1");
	info[1].serial = 2;
	info[1].payload_max = (uint32_t)(rnd() % 1024); /* even below the minimum */
	return 2;
}

static int noise_submit(struct cxl_backend *be, size_t idx, uint16_t opcode, const uint8_t *in,
			size_t in_len, uint8_t *out, size_t out_max, size_t *out_len,
			uint16_t *mbox_rc, const struct timespec *deadline)
{
	static const int errs[] = { 0, 0, 0, 0, 0, 0, -ENOTTY, -EIO, -EBUSY, -ETIMEDOUT };
	size_t n;
	(void)be;
	(void)idx;
	(void)opcode;
	(void)in;
	(void)in_len;
	(void)deadline;
	*mbox_rc = rnd() % 5 ? 0 : (uint16_t)rnd();
	n = rnd() % 4 == 0 ? out_max + (size_t)(rnd() % 100) : (size_t)(rnd() % (out_max + 1));
	/* structured-looking answers now and then */
	if (opcode == CXL_OP_GET_SUPPORTED_LOGS && rnd() % 2 && out_max >= 28) {
		memset(out, 0, 28);
		cxl_put_le16(out, 1);
		memcpy(out + 8, cxl_log_uuid_cel, 16);
		cxl_put_le32(out + 24, (uint32_t)(rnd() % 2000));
		*out_len = 28;
		return 0;
	}
	for (size_t i = 0; i < n && i < out_max; i++)
		out[i] = (uint8_t)rnd();
	*out_len = n;
	return errs[rnd() % (sizeof(errs) / sizeof(errs[0]))];
}

static void noise_delivery(struct cxl_backend *be, size_t idx, uint16_t opcode,
			   struct cxl_delivery_info *out)
{
	(void)be;
	(void)idx;
	(void)opcode;
	memset(out, 0, sizeof(*out));
}

static void noise_free(struct cxl_backend *be)
{
	(void)be;
}

static const struct cxl_backend_ops noise_ops = {
	.name = "noise",
	.enumerate = noise_enumerate,
	.submit = noise_submit,
	.delivery = noise_delivery,
	.free = noise_free,
};

static void test_device_set_over_noise(void **state)
{
	struct cxl_backend be = { .ops = &noise_ops };
	struct cxl_devset_config cfg = { .refresh_interval_ms = 1, .event_ring_size = 8 };
	double t0 = now_s();
	int opens = 0;
	(void)state;

	log_set_level(LOG_LVL_ERROR);
	rng_state = 0x0123456789ABCDEFull;
	while (opens < 300 && now_s() - t0 < TIME_BUDGET_S) {
		struct cxl_devset *set = NULL;
		char err[256];
		opens++;
		assert_int_equal(cxl_devset_open_backend(&cfg, &be, &set, err, sizeof(err)), 0);
		for (int k = 0; k < 20; k++) {
			size_t idx = rnd() % 2;
			struct cxl_dev_info info;
			struct cxl_health h;
			struct cxl_event ev[8];
			struct cxl_cel cel;
			uint8_t in[16];
			struct cxl_cmd cmd = { .opcode = (uint16_t)rnd(), .in = in,
					       .in_len = rnd() % sizeof(in), .timeout_ms = 50 };
			struct cxl_cmd_result r;
			struct timespec ts = { 0, 1100000 };
			nanosleep(&ts, NULL); /* let refreshes run */
			assert_int_equal(cxl_devset_info(set, idx, &info), 0);
			assert_true(info.payload_max >= 256);
			assert_true(strlen(info.fw_revision) <= CXL_FW_REV_LEN);
			assert_int_equal(cxl_devset_health(set, idx, &h), 0);
			assert_true(cxl_devset_events(set, idx, 0, ev, 8) >= 0);
			assert_int_equal(cxl_devset_cel(set, idx, &cel), 0);
			cxl_cel_free(&cel);
			assert_int_equal(cxl_devset_submit(set, idx, &cmd, &r), 0);
			assert_true(r.out_len <= info.payload_max);
			assert_true((r.out == NULL) == (r.out_len == 0));
			if (r.transport)
				assert_int_equal(r.out_len, 0);
			cxl_cmd_result_clear(&r);
		}
		cxl_devset_free(set);
	}
	print_message("%d device sets over noise\n", opens);
	assert_true(opens >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsers_random),
		cmocka_unit_test(test_device_set_over_noise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
