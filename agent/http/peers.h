/* Open connections per client address, shared by every server thread: each
 * thread runs its own listener, so a per-listener count would let one host
 * take the limit once per thread. */
#ifndef CXLA_HTTP_PEERS_H
#define CXLA_HTTP_PEERS_H

#include <stdbool.h>
#include <sys/socket.h>

struct peer_counts;

/* limit: connections one address may hold. */
int peer_counts_new(unsigned limit, struct peer_counts **out);
void peer_counts_free(struct peer_counts *p);
/* Whether another connection from sa is within the limit: a cheap check
 * before accepting. Threads accepting at the same moment may each pass it;
 * peer_counts_get is the one that holds. */
bool peer_counts_allowed(struct peer_counts *p, const struct sockaddr *sa);
/* Count a connection from sa if the address is within its limit, checked
 * and counted as one step: 0, -EUSERS (the address holds its limit;
 * nothing counted), -ENOMEM, or -EAFNOSUPPORT. Every 0 is matched by one
 * peer_counts_put with the same address. */
int peer_counts_get(struct peer_counts *p, const struct sockaddr *sa);
void peer_counts_put(struct peer_counts *p, const struct sockaddr *sa);
/* Connections counted for sa now. */
unsigned peer_counts_of(struct peer_counts *p, const struct sockaddr *sa);

#endif
