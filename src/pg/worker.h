/*
 * worker.h — plumbing shared by automl's background workers (the deploy
 * worker in src/registry, the job scheduler and job workers in src/jobs,
 * the HTTP worker in src/web).
 *
 *   shared memory   pieces requested while preloading (aml_shmem_add), set
 *                   up by one request hook and one startup hook
 *   worker slot     where a long-lived worker's latch and pid are, a "wake
 *                   requested" flag, and its state while connecting
 *   wake at commit  a committed transaction that queued work sets the
 *                   worker's latch (XactCallback; nothing on abort/PREPARE)
 *   connecting      to automl.database, waiting quietly while it is missing
 *   announcements   "a deployment or a job changed" to one listener (/events)
 *   main loop       interrupts, configuration reloads, one memory context
 *                   per round, errors reported and recovered from, the wait
 *   short xacts     one transaction with SPI and a snapshot; cached plans;
 *                   "is the extension installed here?"
 *
 * Only when automl is in shared_preload_libraries; aml_shmem_preloading()
 * says whether it is.
 */
#ifndef AML_PG_WORKER_H
#define AML_PG_WORKER_H

#include "postgres.h"

#include "fmgr.h"

#include "executor/spi.h"
#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/spin.h"
#include "utils/memutils.h"

/* ------------------------------------------------------- shared memory */
/*
 * Ask for `size` bytes of shared memory named `name` (call from _PG_init
 * while preloading; ignored otherwise).  At startup *where points at it;
 * `init` runs once, when the segment is created.  *where stays NULL when
 * the library was not preloaded.
 */
void		aml_shmem_add(const char *name, Size size, void (*init) (void *ptr), void **where);

/* ------------------------------------------------------- worker slot */
typedef struct AmlWorkerSlot
{
	slock_t		mutex;			/* protects latch and pid */
	Latch	   *latch;			/* the worker's MyLatch, NULL when not running */
	pid_t		pid;
	pg_atomic_uint32 wake_requested;	/* set by committers, cleared by the worker */
} AmlWorkerSlot;

/*
 * Connecting to automl.database across worker restarts, one state for all
 * workers (so that a missing database is logged once, and tried once).
 */
typedef struct AmlConnectState
{
	slock_t		mutex;
	bool		connecting;		/* a worker is connecting (still set: it failed) */
	pid_t		connecting_pid; /* the last worker that tried */
	int			connect_failures;	/* failed connections in a row */
	bool		missing_logged; /* "database does not exist" was logged */
} AmlConnectState;

extern AmlConnectState *aml_connect_state;	/* NULL unless preloaded */

void		aml_worker_slot_init(AmlWorkerSlot *slot);
/* Publish MyLatch and MyProcPid in the slot until the process exits. */
void		aml_worker_attach(AmlWorkerSlot *slot);
/* The worker's pid, 0 when none runs. */
pid_t		aml_worker_pid(AmlWorkerSlot *slot);
/* Was the worker asked to look for new work?  Clears the flag. */
bool		aml_worker_take_wake(AmlWorkerSlot *slot);
/* Raise the flag and set the worker's latch now / when this transaction commits. */
void		aml_worker_wake(AmlWorkerSlot *slot);
void		aml_worker_wake_at_commit(AmlWorkerSlot *slot);

/*
 * Register a worker started by the postmaster (restarted 1 s after it
 * exits): `function` in this library, `type` its bgw_type and name.
 */
void		aml_worker_register(const char *function, const char *type);

/*
 * Connect to automl.database as the bootstrap superuser.  While the
 * database does not exist, the worker logs one WARNING and waits (looking
 * again after 1 s, 2 s ... then every minute, and after a reload) and exits
 * once it exists, for the next worker to connect.
 */
void		aml_worker_connect(const char *type);

/*
 * For SQL functions that hand work to a worker: a clear error (55000) unless
 * the library was preloaded (`preloaded`: the area's shared memory is there)
 * and the current database is automl.database.  `what` is the function,
 * `worker` the worker's name ("automl deploy worker").
 */
void		aml_worker_require(const char *what, const char *worker, bool preloaded);

/*
 * The checks of a SQL function that waits for a worker's progress, f(id,
 * timeout interval) (automl_wait, automl_deployment_wait), in this order:
 * neither argument NULL (22004; id_name names the first), the timeout not
 * negative (22023), aml_worker_require(what, worker, preloaded), and a READ
 * COMMITTED transaction (25001), whose new snapshots show `progress` ("the
 * job's progress").  Returns the timeout in milliseconds.
 */
double		aml_worker_wait_timeout_ms(FunctionCallInfo fcinfo, const char *what, const char *id_name,
									   const char *worker, bool preloaded, const char *progress);

/* ------------------------------------------------------- announcements */
/*
 * One listener (the HTTP worker, for /events) hears when a worker committed
 * a change of state others may want to know of (a deployment's, a job's):
 * aml_events_announce(), called after the COMMIT, raises the listener's
 * flag and sets its latch.  No-ops when not preloaded or nobody listens.
 */
void		aml_events_listen(void);	/* the listener, once */
bool		aml_events_take(void);	/* was anything announced?  Clears the flag. */
void		aml_events_announce(void);

/* ------------------------------------------------------- main loop */
typedef struct AmlWorkerLoop
{
	const char *type;			/* for messages */
	MemoryContext worker_cxt;	/* lives as long as the worker */
	MemoryContext loop_cxt;		/* reset before every round */
	WaitEventSet *wait_set;		/* must contain MyLatch and postmaster death */
	int			error_pause_ms; /* no round for that long after an error */
	void		(*iteration) (void);	/* one round (in loop_cxt) */
	long		(*timeout_ms) (void);	/* longest wait before the next round */
	void		(*on_error) (void); /* after an error was reported: forget state */
	void		(*on_reload) (void);	/* after the configuration was reloaded */
} AmlWorkerLoop;

/* Create the contexts and a wait set of MyLatch, postmaster death and `extra_events` more. */
void		aml_worker_loop_init(AmlWorkerLoop *loop, const char *type, int extra_events);
pg_attribute_noreturn() void aml_worker_loop_run(AmlWorkerLoop *loop);

/* ------------------------------------------------------- short transactions */
void		aml_worker_begin_xact(const char *activity);
void		aml_worker_end_xact(void);
/* A kept plan, prepared once (*cache NULL: prepare; set *cache to NULL to forget). */
SPIPlanPtr	aml_worker_prepare(SPIPlanPtr *cache, const char *sql, int nargs, Oid *types);
/* Inside a transaction: is automl installed with table automl.<table>?  Its version in *version. */
bool		aml_worker_extension_ready(const char *table, char **version, MemoryContext into);

#endif
