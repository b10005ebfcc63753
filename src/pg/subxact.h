/*
 * subxact.h — run a piece of work in an internal subtransaction and get its
 * error back instead of losing the caller's transaction (the one place the
 * BeginInternalSubTransaction / PG_TRY / rollback dance is written).
 */
#ifndef AML_PG_SUBXACT_H
#define AML_PG_SUBXACT_H

#include "postgres.h"

/*
 * fn(arg) in an internal subtransaction.  NULL when it succeeded (the
 * subtransaction is released into the caller's: what fn wrote stays);
 * otherwise the subtransaction is rolled back and its error returned,
 * copied into the caller's memory context (FreeErrorData when done).
 * With rethrow_session, a query cancel and a shutdown are re-thrown
 * instead: they belong to the session, not to the work.  (Out of memory is
 * 53200, which automl's own memory budget raises too: the caller decides.)  The
 * caller's memory context and resource owner are as they were either way.
 */
ErrorData  *aml_subxact_try(void (*fn) (void *arg), void *arg, bool rethrow_session);

#endif
