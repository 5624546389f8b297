/* mctp-serial-link: one kernel MCTP serial link on a pty, with an endpoint
 * program on its other side, for tests in a guest whose kernel has
 * CONFIG_MCTP_SERIAL (the `mctp` tool is not packaged in Debian).
 *
 * Opens a pty pair and sets the N_MCTP line discipline on the slave side,
 * which makes the kernel create a mctpserialN network device; brings it up
 * (RTM_NEWLINK), gives it the local EID (RTM_NEWADDR, IFA_LOCAL) and a route
 * to the peer EID (RTM_NEWROUTE, RTA_DST + RTA_OIF) in the default MCTP
 * network. The endpoint program then runs with the pty's master side as
 * file descriptor 3: what the kernel sends on the link, it reads.
 *
 * The link lives as long as this process: it holds both sides of the pty, so
 * the endpoint program can be killed and started again on the same link:
 *   SIGUSR1  kill the endpoint program (SIGKILL): the endpoint disappears
 *   SIGUSR2  discard what the line holds and start it again
 *   SIGTERM  kill it and exit (the kernel removes the link with the pty)
 *
 * Usage: mctp-serial-link --local EID --peer EID [--ready FILE] -- PROG ARGS...
 * FILE gets "<ifname> <pid>\n" once the link is configured and PROG started.
 * The new link is found as the mctpserial device that was not there before
 * the line discipline was set: start one link at a time (wait for FILE). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef AF_MCTP
#define AF_MCTP 45
#endif
#ifndef N_MCTP
#define N_MCTP 28
#endif

#define ENDPOINT_FD 3

struct nlreq {
	struct nlmsghdr nh;
	union {
		struct ifinfomsg ifi;
		struct ifaddrmsg ifa;
		struct rtmsg rt;
	} u;
	uint8_t attrs[64];
};

static void nl_attr(struct nlreq *r, uint16_t type, const void *data, uint16_t len)
{
	struct rtattr *a = (struct rtattr *)((uint8_t *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send one request and wait for its acknowledgement: 0 or -errno. */
static int nl_call(int sk, struct nlreq *r)
{
	union {
		struct nlmsghdr nh;
		uint8_t buf[1024];
	} ans;
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	r->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (sendto(sk, r, r->nh.nlmsg_len, 0, (const struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		n = recv(sk, ans.buf, sizeof(ans.buf), 0);
		if (n < 0)
			return errno == EINTR ? -EINTR : -errno;
		for (struct nlmsghdr *h = &ans.nh; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->nh.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			return ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

static void nl_init(struct nlreq *r, uint16_t type, uint16_t flags, size_t body, uint32_t seq)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = flags;
	r->nh.nlmsg_seq = seq;
}

static int configure(unsigned ifindex, uint8_t local, uint8_t peer)
{
	struct nlreq r;
	uint32_t oif = ifindex;
	int sk, rc;

	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sk < 0)
		return -errno;
	nl_init(&r, RTM_NEWLINK, 0, sizeof(r.u.ifi), 1);
	r.u.ifi.ifi_family = AF_UNSPEC;
	r.u.ifi.ifi_index = (int)ifindex;
	r.u.ifi.ifi_flags = IFF_UP;
	r.u.ifi.ifi_change = IFF_UP;
	rc = nl_call(sk, &r);
	if (rc == 0) {
		nl_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(r.u.ifa), 2);
		r.u.ifa.ifa_family = AF_MCTP;
		r.u.ifa.ifa_index = ifindex;
		nl_attr(&r, IFA_LOCAL, &local, 1);
		rc = nl_call(sk, &r);
	}
	if (rc == 0) {
		nl_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(r.u.rt), 3);
		r.u.rt.rtm_family = AF_MCTP;
		r.u.rt.rtm_table = RT_TABLE_DEFAULT;
		r.u.rt.rtm_protocol = RTPROT_STATIC;
		r.u.rt.rtm_scope = RT_SCOPE_LINK;
		r.u.rt.rtm_type = RTN_UNICAST;
		nl_attr(&r, RTA_DST, &peer, 1);
		nl_attr(&r, RTA_OIF, &oif, sizeof(oif));
		rc = nl_call(sk, &r);
	}
	close(sk);
	return rc;
}

/* The mctpserialN device that appeared since `before` was listed. */
static unsigned new_link(const struct if_nameindex *before, char *name, size_t size)
{
	struct if_nameindex *now = if_nameindex();
	unsigned found = 0;

	for (const struct if_nameindex *i = now; i && i->if_index && !found; i++) {
		int seen = 0;
		if (strncmp(i->if_name, "mctpserial", 10) != 0)
			continue;
		for (const struct if_nameindex *b = before; b && b->if_index; b++)
			seen |= b->if_index == i->if_index;
		if (!seen) {
			found = i->if_index;
			snprintf(name, size, "%s", i->if_name);
		}
	}
	if_freenameindex(now);
	return found;
}

/* Open the pty, attach N_MCTP to its slave side. Returns the ifindex of the
 * new link (name in `name`), or -errno. */
static int open_link(int *master, int *slave, char *name, size_t size)
{
	struct if_nameindex *before = if_nameindex();
	int ldisc = N_MCTP, rc = 0;
	struct termios t;

	*slave = -1;
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) || unlockpt(*master)) {
		rc = -errno;
	} else {
		*slave = open(ptsname(*master), O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (*slave < 0)
			rc = -errno;
	}
	/* Raw bytes on both sides before the line discipline takes the slave. */
	if (rc == 0 && tcgetattr(*master, &t) == 0) {
		cfmakeraw(&t);
		(void)tcsetattr(*master, TCSANOW, &t);
	}
	if (rc == 0 && ioctl(*slave, TIOCSETD, &ldisc) != 0)
		rc = -errno;
	if (rc == 0) {
		unsigned idx = new_link(before, name, size);
		rc = idx ? (int)idx : -ENODEV;
	}
	if (before)
		if_freenameindex(before);
	return rc;
}

static pid_t start_endpoint(int master, char **argv, const sigset_t *mask)
{
	pid_t pid;

	(void)tcflush(master, TCIOFLUSH);
	pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, mask, NULL);
		/* dup2 onto itself would keep close-on-exec */
		if (master == ENDPOINT_FD ? fcntl(master, F_SETFD, 0) != 0
					  : dup2(master, ENDPOINT_FD) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "mctp-serial-link: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Serve signals until SIGTERM; `child` is the running endpoint or 0. */
static int supervise(int master, char **argv, const sigset_t *mask, pid_t child)
{
	struct signalfd_siginfo si;
	int sfd = signalfd(-1, mask, SFD_CLOEXEC);

	if (sfd < 0)
		return -errno;
	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int status;
		if (si.ssi_signo == SIGCHLD) {
			while (child > 0 && waitpid(child, &status, WNOHANG) == child) {
				fprintf(stderr, "mctp-serial-link: endpoint %d ended (status 0x%x)\n",
					(int)child, (unsigned)status);
				child = 0;
			}
		} else if (si.ssi_signo == SIGUSR1 && child > 0) {
			kill(child, SIGKILL);
		} else if (si.ssi_signo == SIGUSR2 && child == 0) {
			child = start_endpoint(master, argv, mask);
			fprintf(stderr, "mctp-serial-link: endpoint started again: %d\n", (int)child);
		} else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			break;
		}
	}
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	close(sfd);
	return 0;
}

static int write_ready(const char *path, const char *ifname, pid_t pid)
{
	char tmp[4096];
	FILE *f;

	if (!path)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s %d\n", ifname, (int)pid);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "local", required_argument, NULL, 'l' },
		{ "peer", required_argument, NULL, 'p' },
		{ "ready", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	long local = 0, peer = 0;
	const char *ready = NULL;
	char ifname[IF_NAMESIZE] = "";
	int c, master = -1, slave = -1, rc;
	sigset_t mask;
	pid_t child;

	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (c == 'l')
			local = strtol(optarg, NULL, 0);
		else if (c == 'p')
			peer = strtol(optarg, NULL, 0);
		else if (c == 'r')
			ready = optarg;
		else
			return 2;
	}
	if (local < 8 || local > 254 || peer < 8 || peer > 254 || local == peer || optind >= argc) {
		fprintf(stderr, "usage: %s --local EID --peer EID [--ready FILE] -- PROG ARGS...\n",
			argv[0]);
		return 2;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	rc = open_link(&master, &slave, ifname, sizeof(ifname));
	if (rc > 0)
		rc = configure((unsigned)rc, (uint8_t)local, (uint8_t)peer);
	if (rc < 0) {
		fprintf(stderr, "mctp-serial-link: %s: %s\n", ifname[0] ? ifname : "pty + N_MCTP",
			strerror(-rc));
		return 1;
	}
	child = start_endpoint(master, argv + optind, &mask);
	fprintf(stderr, "mctp-serial-link: %s up, local EID %ld, route to EID %ld, endpoint %d\n",
		ifname, local, peer, (int)child);
	rc = child > 0 ? write_ready(ready, ifname, child) : -ECHILD;
	if (rc == 0) {
		rc = supervise(master, argv + optind, &mask, child);
	} else {
		fprintf(stderr, "mctp-serial-link: %s\n", strerror(-rc));
		if (child > 0)
			kill(child, SIGKILL);
	}
	close(slave);
	close(master);
	return rc ? 1 : 0;
}
