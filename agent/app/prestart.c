#include "app/prestart.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http/tlsfiles.h"
#include "util/fileio.h"

/* More than any answer fn gives (each PEM file is read up to 1 MiB). */
#define ANSWER_MAX (8u << 20)
#define NO_TEXT UINT32_MAX

/* A length (NO_TEXT for NULL) and the bytes, without the NUL. */
static int put_text(int fd, const char *s)
{
	uint32_t len = s ? (uint32_t)strlen(s) : NO_TEXT;
	int rc = fd_write_all(fd, &len, sizeof(len));

	return rc || !s ? rc : fd_write_all(fd, s, len);
}

/* The child: the work, its answer, and an exit that runs no handler of the
 * parent's (atexit, leak checks) and flushes only what the work wrote. */
static void child(int fd, prestart_fn fn, void *ctx)
{
	struct prestart_result r = { 0 };
	char err[8192] = "";
	int32_t rc = fn(ctx, &r, err, sizeof(err));
	int ok = fd_write_all(fd, &rc, sizeof(rc)) == 0 && put_text(fd, err) == 0 &&
		 put_text(fd, r.cert_pem) == 0 && put_text(fd, r.key_pem) == 0 &&
		 put_text(fd, r.client_ca_pem) == 0;

	prestart_result_release(&r);
	fflush(NULL);
	_exit(ok ? 0 : 1);
}

/* Everything the child wrote, up to its end. */
static int read_answer(int fd, uint8_t **out, size_t *outlen)
{
	size_t len = 0, cap = 0;
	uint8_t *buf = NULL;

	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? 2 * cap : 16384;
			uint8_t *nbuf = ncap <= ANSWER_MAX ? malloc(ncap) : NULL;
			if (!nbuf)
				break;
			if (buf)
				memcpy(nbuf, buf, len);
			if (buf) {
				OPENSSL_cleanse(buf, len);
				free(buf);
			}
			buf = nbuf;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*out = buf;
			*outlen = len;
			return n < 0 ? -errno : 0;
		}
		len += (size_t)n;
	}
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return -EMSGSIZE;
}

static int take_text(const uint8_t *buf, size_t len, size_t *pos, char **out)
{
	uint32_t n;

	*out = NULL;
	if (len - *pos < sizeof(n))
		return -EPROTO;
	memcpy(&n, buf + *pos, sizeof(n));
	*pos += sizeof(n);
	if (n == NO_TEXT)
		return 0;
	if (len - *pos < n)
		return -EPROTO;
	*out = malloc((size_t)n + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, buf + *pos, n);
	(*out)[n] = '\0';
	*pos += n;
	return 0;
}

/* The child's answer into *fnrc, err and *out. 0, or -EPROTO for one cut
 * short (the child died writing it), -ENOMEM. */
static int parse_answer(const uint8_t *buf, size_t len, int *fnrc, struct prestart_result *out,
			char *err, size_t errlen)
{
	size_t pos = sizeof(int32_t);
	char *msg = NULL;
	int32_t rc;
	int prc;

	if (len < sizeof(rc))
		return -EPROTO;
	memcpy(&rc, buf, sizeof(rc));
	if ((prc = take_text(buf, len, &pos, &msg)) ||
	    (prc = take_text(buf, len, &pos, &out->cert_pem)) ||
	    (prc = take_text(buf, len, &pos, &out->key_pem)) ||
	    (prc = take_text(buf, len, &pos, &out->client_ca_pem)) || (prc = pos == len ? 0 : -EPROTO)) {
		free(msg);
		prestart_result_release(out);
		return prc;
	}
	snprintf(err, errlen, "%s", msg ? msg : "");
	free(msg);
	*fnrc = rc;
	return 0;
}

static void describe_end(int status, char *err, size_t errlen)
{
	if (WIFSIGNALED(status))
		snprintf(err, errlen, "start-up checks ended by signal %d", WTERMSIG(status));
	else
		snprintf(err, errlen, "start-up checks ended with status %d without an answer",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int prestart_run(prestart_fn fn, void *ctx, struct prestart_result *out, char *err,
		 size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int p[2], rc, fnrc = 0, status = 0;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (pid == 0) {
		close(p[0]);
		child(p[1], fn, ctx);
	}
	close(p[1]);
	rc = read_answer(p[0], &buf, &len);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!rc)
		rc = parse_answer(buf, len, &fnrc, out, err, errlen);
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	if (rc == -EPROTO) {
		describe_end(status, err, errlen);
		return -ECHILD;
	}
	if (!rc && fnrc)
		prestart_result_release(out);
	return rc ? rc : fnrc;
}

void prestart_result_release(struct prestart_result *out)
{
	free(out->cert_pem);
	tls_free_secret(out->key_pem);
	free(out->client_ca_pem);
	memset(out, 0, sizeof(*out));
}
