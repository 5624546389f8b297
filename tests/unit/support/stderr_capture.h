/* The agent's log lines, read back: stderr sent to a temporary file for a
 * while, then the lines that contain a string counted. One capture at a
 * time; not thread-safe against another capture. */
#ifndef CXLA_TEST_STDERR_CAPTURE_H
#define CXLA_TEST_STDERR_CAPTURE_H

struct stderr_capture {
	int fd;	   /* the temporary file, unlinked already */
	int saved; /* stderr as it was */
};

/* Returns 0 or -errno (stderr unchanged then). */
int stderr_capture_start(struct stderr_capture *c);
/* Gives stderr back and returns how many captured lines contain what, or
 * -errno. */
int stderr_capture_stop(struct stderr_capture *c, const char *what);

#endif
