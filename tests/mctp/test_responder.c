/* The MCTP responder on a pty, driven from this side with the agent's CCI
 * codec, MCTP packetisation, DSP0253 framing and endpoint transport (the
 * user-space serial binding): the same device model answers over MCTP as
 * through the emulated backend, and each injected fault gives the error the
 * transport promises. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cxl/cel.h"
#include "cxl/mbox.h"
#include "cxl/mctp/cci.h"
#include "cxl/mctp/serial_io.h"
#include "cxl/mctp/transport.h"
#include "util/fileio.h"
#include "util/log.h"

#define OWN_EID 9
#define PEER_EID 8
#define PAYLOAD_MAX 4096 /* emu0 of the built-in profile */
/* How long a request waits when it is meant to be lost (dropped, delayed
 * past it), and when it is meant to be answered: generous, since a
 * loaded machine (the sanitizer suite beside others) can take a second. */
#define LOST_MS 300
#define ANSWER_MS 5000
/* A reply refused does not end the wait (a good one may still come), so a
 * request answered only so waits this out, then fails -EPROTO: long enough
 * for the reply to arrive on a loaded machine, short enough to wait. */
#define REFUSED_MS 1000

struct fx {
	pid_t pid;
	int master;
	char dir[64];
	char control[128];
	struct cxl_mctp_serial_io *sio;
	struct cxl_mctp_ep *ep;
};

static void fx_control(struct fx *fx, const char *json)
{
	assert_int_equal(file_write_atomic(fx->control, json, strlen(json), 0600), 0);
}

static int fx_start(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *bin = getenv("CXLA_MCTP_RESPONDER");
	struct termios t;
	int slave;

	assert_non_null(fx);
	assert_non_null(bin);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/cxla-mctp-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->control, sizeof(fx->control), "%s/control.json", fx->dir);
	fx_control(fx, "{\"fault\": \"none\"}");
	assert_int_equal(openpty(&fx->master, &slave, NULL, NULL, NULL), 0);
	/* Raw before the responder starts, so the first request is not
	 * mangled by the line discipline while it is still setting up. */
	assert_int_equal(tcgetattr(slave, &t), 0);
	cfmakeraw(&t);
	assert_int_equal(tcsetattr(slave, TCSANOW, &t), 0);
	fx->pid = fork();
	assert_true(fx->pid >= 0);
	if (fx->pid == 0) {
		/* Through the descriptor, not the name: the name of a pty
		 * closed just before can linger in /dev/pts for a moment and
		 * hide the new one of the same number (ENOENT, seen on a
		 * loaded machine). */
		char path[64];
		close(fx->master);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", slave);
		execl(bin, bin, "--tty", path, "--eid", "8", "--control", fx->control, (char *)NULL);
		_exit(127);
	}
	close(slave);
	assert_int_equal(cxl_mctp_serial_io_new(fx->master, OWN_EID, CXL_CCI_HDR_LEN + 2 * PAYLOAD_MAX,
						&fx->sio), 0);
	*state = fx;
	return 0;
}

static int fx_stop(void **state)
{
	struct fx *fx = *state;
	int status = 0;

	cxl_mctp_ep_free(fx->ep);
	cxl_mctp_serial_io_free(fx->sio);
	close(fx->master); /* hang-up: the responder exits by itself */
	for (int i = 0; i < 50 && waitpid(fx->pid, &status, WNOHANG) == 0; i++) {
		struct timespec d = { 0, 20000000 };
		nanosleep(&d, NULL);
		if (i == 49) {
			kill(fx->pid, SIGKILL);
			waitpid(fx->pid, &status, 0);
			fail_msg("responder did not exit on hang-up");
		}
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(fx->control);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void fx_ep(struct fx *fx, unsigned timeout_ms, unsigned retries)
{
	struct cxl_mctp_ep_config cfg = {
		.peer = { .network = 1, .eid = PEER_EID, .type = CXL_MCTP_TYPE_CCI },
		.timeout_ms = timeout_ms,
		.retries = retries,
		.payload_max = PAYLOAD_MAX,
	};
	cxl_mctp_ep_free(fx->ep);
	fx->ep = NULL;
	assert_int_equal(cxl_mctp_ep_new(&cfg, cxl_mctp_io_serial(), fx->sio, &fx->ep), 0);
}

struct res {
	int rc;
	uint16_t mbox_rc;
	bool bo;
	size_t len;
	uint8_t out[PAYLOAD_MAX];
};

static void run(struct fx *fx, uint16_t opcode, const uint8_t *in, size_t in_len, struct res *r)
{
	memset(r, 0, sizeof(*r));
	r->rc = cxl_mctp_ep_exec(fx->ep, opcode, in, in_len, r->out, sizeof(r->out), &r->len,
				 &r->mbox_rc, &r->bo, NULL);
}

static void assert_identify_ok(struct fx *fx)
{
	struct cxl_cci_identify id;
	struct res r;
	run(fx, CXL_CCI_OP_IDENTIFY, NULL, 0, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.mbox_rc, CXL_MBOX_SUCCESS);
	assert_int_equal(r.len, CXL_CCI_IDENTIFY_LEN);
	assert_int_equal(cxl_cci_parse_identify(r.out, r.len, &id), 0);
	assert_int_equal(id.vendor_id, 0x8086);
	assert_int_equal(id.device_id, 0x0d93);
	assert_int_equal(id.serial, 0x1000000000000001ull);
	assert_int_equal(id.max_msg_log2, 12); /* payload_max 4096 */
	assert_int_equal(id.component_type, CXL_CCI_COMPONENT_TYPE3);
}

/* The responder serving before a test's first request, so that a request
 * meant to be lost is not lost to its start-up instead (exec and the
 * sanitizer's start take a second on a loaded machine). */
static int fx_up(void **state)
{
	int rc = fx_start(state);

	if (rc)
		return rc;
	fx_ep(*state, ANSWER_MS, 0);
	assert_identify_ok(*state);
	return 0;
}

static void test_identify_and_cel(void **state)
{
	struct fx *fx = *state;
	struct cxl_supported_log *logs = NULL;
	struct cxl_identify id;
	struct cxl_cel cel;
	uint8_t celbuf[1024], in[CXL_GET_LOG_IN_LEN];
	size_t nlogs = 0, cel_size = 0, got = 0;
	struct res r;

	fx_ep(fx, ANSWER_MS, 0);
	assert_identify_ok(fx);
	run(fx, CXL_OP_IDENTIFY, NULL, 0, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.mbox_rc, 0);
	assert_int_equal(cxl_parse_identify(r.out, r.len, &id), 0);
	assert_int_equal(id.total_bytes, 8ull << 30);
	assert_string_equal(id.fw_revision, "EMU FW 1.0.0");

	run(fx, CXL_OP_GET_SUPPORTED_LOGS, NULL, 0, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(cxl_parse_supported_logs(r.out, r.len, &logs, &nlogs), 0);
	for (size_t i = 0; i < nlogs; i++)
		if (memcmp(logs[i].uuid, cxl_log_uuid_cel, 16) == 0)
			cel_size = logs[i].size;
	free(logs);
	assert_true(cel_size > 64 && cel_size <= sizeof(celbuf)); /* several MCTP packets */

	/* In 100-byte pieces: offsets and lengths travel in the request. */
	while (got < cel_size) {
		uint32_t n = cel_size - got < 100 ? (uint32_t)(cel_size - got) : 100;
		memcpy(in, cxl_log_uuid_cel, 16);
		cxl_put_le32(in + 16, (uint32_t)got);
		cxl_put_le32(in + 20, n);
		run(fx, CXL_OP_GET_LOG, in, sizeof(in), &r);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.mbox_rc, 0);
		assert_int_equal(r.len, n);
		memcpy(celbuf + got, r.out, n);
		got += n;
	}
	assert_int_equal(cxl_cel_parse(celbuf, cel_size, &cel), 0);
	assert_non_null(cxl_cel_find(&cel, CXL_OP_IDENTIFY));
	assert_non_null(cxl_cel_find(&cel, 0xC000));
	cxl_cel_free(&cel);

	run(fx, 0x7777, NULL, 0, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.mbox_rc, CXL_MBOX_UNSUPPORTED);
	assert_int_equal(r.len, 0);
}

/* A request of many packets and a reply of many: label storage written and
 * read back. */
static void test_large_messages(void **state)
{
	struct fx *fx = *state;
	uint8_t in[CXL_SET_LSA_HDR_LEN + 1500], q[CXL_GET_LSA_IN_LEN];
	struct res r;

	fx_ep(fx, ANSWER_MS, 0);
	memset(in, 0, sizeof(in));
	cxl_put_le32(in, 512); /* offset */
	for (size_t i = 0; i < 1500; i++)
		in[CXL_SET_LSA_HDR_LEN + i] = (uint8_t)(i * 7 + 0x7D); /* escapes included */
	run(fx, CXL_OP_SET_LSA, in, sizeof(in), &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.mbox_rc, 0);
	cxl_put_le32(q, 512);
	cxl_put_le32(q + 4, 1500);
	run(fx, CXL_OP_GET_LSA, q, sizeof(q), &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.mbox_rc, 0);
	assert_int_equal(r.len, 1500);
	assert_memory_equal(r.out, in + CXL_SET_LSA_HDR_LEN, 1500);
}

static void test_fault_drop_then_retry(void **state)
{
	struct fx *fx = *state;
	struct cxl_mctp_ep_stats st;
	struct res r;

	fx_ep(fx, LOST_MS, 0);
	fx_control(fx, "{\"fault\": \"drop\", \"count\": 1}");
	run(fx, CXL_CCI_OP_IDENTIFY, NULL, 0, &r);
	assert_int_equal(r.rc, -ETIMEDOUT);
	fx_ep(fx, ANSWER_MS, 0);
	assert_identify_ok(fx); /* the count ran out */

	/* each attempt waits long enough for an answer: the third one has it */
	fx_ep(fx, 1500, 2);
	fx_control(fx, "{\"fault\": \"drop\", \"count\": 2}");
	assert_identify_ok(fx); /* third attempt answered */
	cxl_mctp_ep_stats_get(fx->ep, &st);
	assert_int_equal(st.sent, 3);
	assert_int_equal(st.timeouts, 2);
	assert_int_equal(st.replies, 1);
}

static void test_fault_delay(void **state)
{
	struct fx *fx = *state;
	struct res r;

	fx_ep(fx, 150, 0); /* the answer comes 400 ms late */
	fx_control(fx, "{\"fault\": \"delay\", \"count\": 1, \"delay_ms\": 400}");
	run(fx, CXL_CCI_OP_IDENTIFY, NULL, 0, &r);
	assert_int_equal(r.rc, -ETIMEDOUT);
	/* The late answer arrives during the next request; it carries the old
	 * MCTP tag and must not be taken for the new answer. */
	fx_ep(fx, ANSWER_MS, 0);
	assert_identify_ok(fx);
}

static void test_fault_bad_crc(void **state)
{
	struct fx *fx = *state;
	uint64_t frames, crc, errs, dropped;
	struct res r;

	fx_ep(fx, REFUSED_MS, 0); /* the reply comes, and is refused */
	fx_control(fx, "{\"fault\": \"bad_crc\", \"count\": 1}");
	run(fx, CXL_OP_IDENTIFY, NULL, 0, &r);
	assert_int_equal(r.rc, -ETIMEDOUT);
	cxl_mctp_serial_io_counters(fx->sio, &frames, &crc, &errs, &dropped);
	assert_true(crc >= 2); /* an Identify reply spans two packets */
	fx_ep(fx, ANSWER_MS, 0);
	assert_identify_ok(fx);
}

static void expect_refused(struct fx *fx, const char *control, enum cxl_cci_err why)
{
	struct cxl_mctp_ep_stats st;
	struct res r;

	fx_ep(fx, REFUSED_MS, 0);
	fx_control(fx, control);
	run(fx, CXL_OP_GET_SUPPORTED_LOGS, NULL, 0, &r);
	assert_int_equal(r.rc, -EPROTO);
	assert_int_equal(r.len, 0);
	cxl_mctp_ep_stats_get(fx->ep, &st);
	if (why != CXL_CCI_OK)
		assert_int_equal(st.refused[why], 1);
	fx_ep(fx, ANSWER_MS, 0);
	assert_identify_ok(fx);
}

static void test_fault_wrong_tag(void **state)
{
	expect_refused(*state, "{\"fault\": \"wrong_tag\", \"count\": 1}", CXL_CCI_ERR_TAG);
}

static void test_fault_oversize(void **state)
{
	expect_refused(*state, "{\"fault\": \"oversize\", \"count\": 1}", CXL_CCI_ERR_TOO_LONG);
}

static void test_fault_bad_length(void **state)
{
	expect_refused(*state, "{\"fault\": \"bad_length\", \"count\": 1}", CXL_CCI_ERR_LENGTH);
}

static void test_fault_garbage(void **state)
{
	/* Random bytes refuse for whichever check they trip first. */
	expect_refused(*state, "{\"fault\": \"garbage\", \"count\": 1}", CXL_CCI_OK);
}

static void test_fault_noise(void **state)
{
	struct fx *fx = *state;
	uint64_t frames, crc, errs, dropped;

	fx_ep(fx, ANSWER_MS, 0);
	fx_control(fx, "{\"fault\": \"noise\", \"count\": 3}");
	for (int i = 0; i < 3; i++)
		assert_identify_ok(fx);
	cxl_mctp_serial_io_counters(fx->sio, &frames, &crc, &errs, &dropped);
	assert_true(errs + crc >= 1);
}

/* A fault limited to one opcode leaves the others alone. */
static void test_fault_opcode_filter(void **state)
{
	struct fx *fx = *state;
	struct res r;

	fx_ep(fx, LOST_MS, 0);
	fx_control(fx, "{\"fault\": \"drop\", \"opcode\": \"0x4000\"}");
	run(fx, CXL_OP_IDENTIFY, NULL, 0, &r);
	assert_int_equal(r.rc, -ETIMEDOUT);
	fx_ep(fx, ANSWER_MS, 0);
	assert_identify_ok(fx);
	run(fx, CXL_OP_GET_HEALTH_INFO, NULL, 0, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.len, CXL_HEALTH_INFO_LEN);
	fx_control(fx, "{\"fault\": \"none\"}");
	run(fx, CXL_OP_IDENTIFY, NULL, 0, &r);
	assert_int_equal(r.rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identify_and_cel, fx_up, fx_stop),
		cmocka_unit_test_setup_teardown(test_large_messages, fx_up, fx_stop),
		cmocka_unit_test_setup_teardown(test_fault_drop_then_retry, fx_up, fx_stop),
		cmocka_unit_test_setup_teardown(test_fault_delay, fx_up, fx_stop),
		cmocka_unit_test_setup_teardown(test_fault_bad_crc, fx_up, fx_stop),
		cmocka_unit_test_setup_teardown(test_fault_wrong_tag, fx_up, fx_stop),
		cmocka_unit_test_setup_teardown(test_fault_oversize, fx_up, fx_stop),
		cmocka_unit_test_setup_teardown(test_fault_bad_length, fx_up, fx_stop),
		cmocka_unit_test_setup_teardown(test_fault_garbage, fx_up, fx_stop),
		cmocka_unit_test_setup_teardown(test_fault_noise, fx_up, fx_stop),
		cmocka_unit_test_setup_teardown(test_fault_opcode_filter, fx_up, fx_stop),
	};
	log_set_level(LOG_LVL_ERROR);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
