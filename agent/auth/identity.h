/* Who is calling: the outcome of authentication, passed to handlers. */
#ifndef CXLA_AUTH_IDENTITY_H
#define CXLA_AUTH_IDENTITY_H

#include "auth/privilege.h"

enum auth_method {
	AUTH_NONE = 0,
	AUTH_BASIC,
	AUTH_SESSION,
	AUTH_CERTIFICATE,
};

#define IDENTITY_NAME_MAX 64
#define SESSION_ID_MAX 40

struct identity {
	enum auth_method method;
	char user[IDENTITY_NAME_MAX];   /* "" when unauthenticated */
	char role[IDENTITY_NAME_MAX];
	privset_t privileges;
	char session_id[SESSION_ID_MAX]; /* set for AUTH_SESSION */
	const char *peer;                /* borrowed source address */
};

/* "Basic", "Session", "Certificate" or "None". */
const char *auth_method_name(enum auth_method m);

#endif
