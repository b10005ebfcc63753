/*
 * web_auth.c — HTTP Basic credentials checked the way the server checks a
 * password (auth.c's CheckPasswordAuth): get_role_password() reads the
 * verifier from pg_authid and refuses a password past rolvaliduntil,
 * plain_crypt_verify() checks the password against a SCRAM-SHA-256 or md5
 * verifier.  Besides: the role must have rolcanlogin and CONNECT on the
 * database, and superusers are refused unless automl.http_allow_superuser.
 * pg_hba.conf is not consulted (the HTTP listener is its own front door).
 *
 * SCRAM verification costs thousands of HMAC rounds by design; a successful
 * check is remembered for CACHE_SECONDS as SHA-256(process secret, verifier,
 * password), so a changed verifier or password misses the cache, and the
 * password itself is never kept.  rolcanlogin, rolvaliduntil and CONNECT are
 * checked on every request.
 *
 * Failures are counted per client address in one-minute windows; past
 * automl.http_auth_max_failures the address gets 429 until the window ends.
 * Failures are logged with the user name and address, never the password.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "libpq/crypt.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "web/web.h"

#define CACHE_SECONDS 60
#define CACHE_MAX 1024
#define THROTTLE_MAX 65536
#define WINDOW_SECONDS 60
#define ADDR_LEN 64

typedef struct CacheEntry
{
	char		role[NAMEDATALEN];	/* key */
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	TimestampTz expires;
} CacheEntry;

typedef struct ThrottleEntry
{
	char		addr[ADDR_LEN];	/* key */
	TimestampTz window_start;
	int			failures;
} ThrottleEntry;

static HTAB *cache = NULL;
static HTAB *throttle = NULL;
static uint8 secret[32];
static bool secret_ready = false;

static void
ensure_tables(void)
{
	HASHCTL		ctl;

	if (cache == NULL)
	{
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = NAMEDATALEN;
		ctl.entrysize = sizeof(CacheEntry);
		cache = hash_create("automl http auth cache", 64, &ctl, HASH_ELEM | HASH_STRINGS);
	}
	if (throttle == NULL)
	{
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = ADDR_LEN;
		ctl.entrysize = sizeof(ThrottleEntry);
		throttle = hash_create("automl http auth failures", 64, &ctl, HASH_ELEM | HASH_STRINGS);
	}
	if (!secret_ready)
	{
		if (!pg_strong_random(secret, sizeof(secret)))
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate a random secret")));
		secret_ready = true;
	}
}

static void
clear_table(HTAB *h)
{
	HASH_SEQ_STATUS s;
	void	   *e;

	hash_seq_init(&s, h);
	while ((e = hash_seq_search(&s)) != NULL)
		(void) hash_search(h, e, HASH_REMOVE, NULL);
}

void
aml_web_auth_reset(void)
{
	if (throttle != NULL)
		clear_table(throttle);
	if (cache != NULL)
		clear_table(cache);
}

static void
digest_of(const char *shadow, const char *password, uint8 *out)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		zero = 0;

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, secret, sizeof(secret)) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) shadow, strlen(shadow)) < 0 ||
		pg_cryptohash_update(ctx, &zero, 1) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) password, strlen(password)) < 0 ||
		pg_cryptohash_final(ctx, out, PG_SHA256_DIGEST_LENGTH) < 0)
	{
		pg_cryptohash_free(ctx);
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not compute a SHA-256 digest")));
	}
	pg_cryptohash_free(ctx);
}

static void
key_of(const char *addr, char *key)
{
	strlcpy(key, addr ? addr : "unknown", ADDR_LEN);
}

int
aml_web_auth_retry_after(const char *addr)
{
	char		key[ADDR_LEN];
	ThrottleEntry *e;
	TimestampTz now = GetCurrentTimestamp();
	long		secs;
	int			usecs;

	ensure_tables();
	key_of(addr, key);
	e = hash_search(throttle, key, HASH_FIND, NULL);
	if (e == NULL || e->failures < aml_http_auth_max_failures)
		return 0;
	TimestampDifference(now, TimestampTzPlusMilliseconds(e->window_start, WINDOW_SECONDS * 1000), &secs, &usecs);
	if (secs == 0 && usecs == 0)
	{
		(void) hash_search(throttle, key, HASH_REMOVE, NULL);
		return 0;
	}
	return (int) secs + 1;
}

/* A user name as it may appear in the log: printable ASCII, at most 64 bytes. */
static char *
loggable(const char *user)
{
	char	   *out = palloc(68);
	int			i;

	for (i = 0; user[i] && i < 64; i++)
		out[i] = (user[i] >= 0x20 && user[i] < 0x7f && user[i] != '"') ? user[i] : '?';
	strcpy(out + i, user[i] ? "..." : "");
	return out;
}

static void
note_failure(const char *user, const char *addr, const char *why)
{
	char		key[ADDR_LEN];
	ThrottleEntry *e;
	bool		found;
	TimestampTz now = GetCurrentTimestamp();

	key_of(addr, key);
	if (hash_get_num_entries(throttle) >= THROTTLE_MAX)
		clear_table(throttle);
	e = hash_search(throttle, key, HASH_ENTER, &found);
	if (!found || TimestampDifferenceExceeds(e->window_start, now, WINDOW_SECONDS * 1000))
	{
		e->window_start = now;
		e->failures = 0;
	}
	e->failures++;
	ereport(LOG,
			(errmsg("automl http: authentication failed for user \"%s\" from %s", loggable(user), key),
			 why ? errdetail_log("%s", why) : 0));
}

AmlAuthOutcome
aml_web_authenticate(const char *user, const char *password, const char *addr, Oid *role)
{
	HeapTuple	tup;
	Form_pg_authid form;
	const char *logdetail = NULL;
	char	   *shadow;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	CacheEntry *ce;
	bool		found;
	Oid			roleid;
	bool		super;

	ensure_tables();
	*role = InvalidOid;
	if (aml_web_auth_retry_after(addr) > 0)
		return AML_AUTH_THROTTLED;
	if (user == NULL || password == NULL)
		return AML_AUTH_MISSING;
	if (user[0] == '\0' || strlen(user) >= NAMEDATALEN || password[0] == '\0' ||
		!pg_verifymbstr(user, strlen(user), true))
	{
		note_failure(user, addr, "Empty, too long or wrongly encoded user name, or empty password.");
		return AML_AUTH_FAILED;
	}

	tup = SearchSysCache1(AUTHNAME, CStringGetDatum(user));
	if (!HeapTupleIsValid(tup))
	{
		note_failure(user, addr, "Role does not exist.");
		return AML_AUTH_FAILED;
	}
	form = (Form_pg_authid) GETSTRUCT(tup);
	roleid = form->oid;
	super = form->rolsuper;
	if (!form->rolcanlogin)
	{
		ReleaseSysCache(tup);
		note_failure(user, addr, "Role is not permitted to log in.");
		return AML_AUTH_FAILED;
	}
	ReleaseSysCache(tup);

	/* NULL: no password, or past rolvaliduntil (logdetail says which) */
	shadow = get_role_password(user, &logdetail);
	if (shadow == NULL)
	{
		note_failure(user, addr, logdetail);
		return AML_AUTH_FAILED;
	}

	digest_of(shadow, password, digest);
	ce = hash_search(cache, user, HASH_FIND, NULL);
	if (ce == NULL || ce->expires < GetCurrentTimestamp() ||
		memcmp(ce->digest, digest, sizeof(digest)) != 0)
	{
		if (plain_crypt_verify(user, shadow, password, &logdetail) != STATUS_OK)
		{
			if (ce != NULL)
				(void) hash_search(cache, user, HASH_REMOVE, NULL);
			note_failure(user, addr, logdetail);
			return AML_AUTH_FAILED;
		}
		if (hash_get_num_entries(cache) >= CACHE_MAX)
			clear_table(cache);
		ce = hash_search(cache, user, HASH_ENTER, &found);
		memcpy(ce->digest, digest, sizeof(digest));
		ce->expires = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), CACHE_SECONDS * 1000);
	}
	pfree(shadow);

	if (pg_database_aclcheck(MyDatabaseId, roleid, ACL_CONNECT) != ACLCHECK_OK)
	{
		note_failure(user, addr, "Role has no CONNECT privilege on the database.");
		return AML_AUTH_FAILED;
	}
	if (super && !aml_http_allow_superuser)
	{
		ereport(LOG, (errmsg("automl http: superuser \"%s\" refused from %s", loggable(user), addr ? addr : "unknown"),
					  errdetail_log("automl.http_allow_superuser is off.")));
		return AML_AUTH_FORBIDDEN;
	}
	*role = roleid;
	return AML_AUTH_OK;
}
