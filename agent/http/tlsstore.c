#include "http/tlsstore.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAIN_MAX 16

struct tls_pair {
	gnutls_pcert_st pcert[CHAIN_MAX];
	unsigned n;
	gnutls_privkey_t key;
	struct tls_pair *older;
};

struct tls_store {
	pthread_mutex_t lock;
	struct tls_pair *current; /* newest; ->older links every earlier one */
	unsigned generation;
};

static void pair_free(struct tls_pair *p)
{
	for (unsigned i = 0; i < p->n; i++)
		gnutls_pcert_deinit(&p->pcert[i]);
	if (p->key)
		gnutls_privkey_deinit(p->key);
	free(p);
}

static int pair_new(const char *cert_pem, const char *key_pem, struct tls_pair **out, char *err,
		    size_t errlen)
{
	gnutls_datum_t cert = { (unsigned char *)(uintptr_t)cert_pem, (unsigned)strlen(cert_pem) };
	gnutls_datum_t key = { (unsigned char *)(uintptr_t)key_pem, (unsigned)strlen(key_pem) };
	struct tls_pair *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return -ENOMEM;
	p->n = CHAIN_MAX;
	rc = gnutls_pcert_list_import_x509_raw(p->pcert, &p->n, &cert, GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0) {
		p->n = 0;
		snprintf(err, errlen, "certificate chain: %s", gnutls_strerror(rc));
		goto fail;
	}
	if ((rc = gnutls_privkey_init(&p->key)) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(p->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(err, errlen, "private key: %s", gnutls_strerror(rc));
		goto fail;
	}
	*out = p;
	return 0;
fail:
	pair_free(p);
	return -EINVAL;
}

int tls_store_new(const char *cert_pem, const char *key_pem, struct tls_store **out, char *err,
		  size_t errlen)
{
	struct tls_store *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	if ((rc = pair_new(cert_pem, key_pem, &s->current, err, errlen))) {
		free(s);
		return rc;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->generation = 1;
	*out = s;
	return 0;
}

int tls_store_replace(struct tls_store *s, const char *cert_pem, const char *key_pem, char *err,
		      size_t errlen)
{
	struct tls_pair *p;
	int rc = pair_new(cert_pem, key_pem, &p, err, errlen);

	if (rc)
		return rc;
	pthread_mutex_lock(&s->lock);
	p->older = s->current;
	s->current = p;
	s->generation++;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void tls_store_current(struct tls_store *s, gnutls_pcert_st **pcert, unsigned *n,
		       gnutls_privkey_t *key)
{
	pthread_mutex_lock(&s->lock);
	*pcert = s->current->pcert;
	*n = s->current->n;
	*key = s->current->key;
	pthread_mutex_unlock(&s->lock);
}

unsigned tls_store_generation(struct tls_store *s)
{
	unsigned g;

	pthread_mutex_lock(&s->lock);
	g = s->generation;
	pthread_mutex_unlock(&s->lock);
	return g;
}

void tls_store_free(struct tls_store *s)
{
	struct tls_pair *p, *older;

	if (!s)
		return;
	for (p = s->current; p; p = older) {
		older = p->older;
		pair_free(p);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}
