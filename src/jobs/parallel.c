/*
 * parallel.c — evaluating a search's candidates in helper processes
 * (the search's batch hook, search/batch.h; installed through
 * pg/eval_hook.h).  The unit of work is one split of one candidate's
 * cross-validation (aml_cv_fold), so a batch whose candidates take very
 * different times still keeps every process busy.
 *
 * The leader (the backend or job worker running automl_train) puts the
 * training rows once in a DSM segment — the schema as JSON, the raw matrix,
 * the targets — and starts automl.max_parallel_workers dynamic background
 * workers ("automl evaluation helper") that attach to it.  Each
 * helper builds the same cross-validation folds as the search (same seed
 * stream) once, then evaluates the splits posted in its slot of the
 * segment, with the candidate's random stream and time cap
 * (CLOCK_MONOTONIC is the same clock in every process), and writes back the
 * score and the split's predictions.  The leader hands out one split at a
 * time to whichever helper is free (it only waits on its latch, so a helper
 * never waits for it; when fewer helpers could start than wanted, the
 * leader evaluates splits too), and takes the outcomes of each candidate in
 * split order
 * (aml_cv_take_fold): pruning and failures end a candidate exactly where
 * the serial evaluation would (splits already run past that point are
 * dropped).  A candidate's result therefore does not depend on which
 * process evaluated which split, and with max_evaluations the search's
 * result is identical for any number of helpers (batch.h).
 *
 * Cancelling: the leader's cancel check fires (query cancel, automl_cancel)
 * -> it raises the segment's stop flag, which every helper's interrupt hook
 * reads (inside a fit too) -> the batch ends with AML_ERR_INTERRUPTED.
 * Ending: the leader detaches the segment at the end of the search or with
 * the transaction's resources on an error; the detach callback raises the
 * stop flag and sets the helpers' latches: each exits at its next wait or
 * interrupt check (inside a fit too); the segment goes with the last process
 * attached to it.  A helper that dies: its split is evaluated by the leader.
 * No free background worker slot: the search runs in the calling process,
 * with a NOTICE.
 *
 * Memory: every helper works within automl.max_memory divided by the
 * number of helpers plus one (the leader keeps a share for its own folds and
 * the candidates' out-of-fold predictions).
 */
#include "postgres.h"

#include <math.h>
#include <unistd.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/memory.h"
#include "ml/metrics.h"
#include "search/batch.h"
#include "jobs/jobs.h"
#include "pg/automl.h"
#include "pg/core_bridge.h"
#include "pg/eval_hook.h"

#define HELPER_TYPE "automl evaluation helper"
#define MAX_HELPERS 64
#define SPEC_MAX 16384
#define WAIT_MS 100

int			aml_max_parallel_workers = 1;

enum
{
	SLOT_STARTING = 0,			/* not attached yet */
	SLOT_IDLE,
	SLOT_REQUEST,				/* posted by the leader */
	SLOT_DONE,					/* result written by the helper */
	SLOT_GONE					/* the helper could not start or exited */
};

typedef struct Slot
{
	pg_atomic_uint32 state;
	Latch	   *latch;			/* the helper's */
	/* request: split `fold` of candidate `number` */
	int			number;
	int			fold;
	double		cap;			/* aml_clock() after which it stops */
	double		cap_seconds;	/* for the timed-out reason */
	bool		want_pred;
	char		spec[SPEC_MAX];
	/* result */
	AmlStatus	error_status;	/* != AML_OK: the evaluation ended the search */
	char		error_message[256];
	AmlFoldOutcome outcome;		/* pred points nowhere: in the slot's area */
	int			pred_rows;		/* 0: none */
	int			pred_cols;
} Slot;

typedef struct Header
{
	pg_atomic_uint32 stop;
	Latch	   *leader_latch;
	int			n_helpers;
	int			rows;
	int			cols;
	int			n_classes;
	int			folds;
	int			repeats;
	uint64		seed;
	int			task;
	char		metric[64];
	size_t		budget;			/* bytes per helper */
	Size		schema_off;
	Size		raw_off;
	Size		y_off;
	Size		slots_off;
	Size		slot_size;		/* Slot + its out-of-fold area */
	Size		oof_capacity;	/* doubles per slot */
} Header;

/*
 * The leader's view of one request: from its first split handed out to the
 * end of the call that finishes it (a request of the next batch may be
 * started during an earlier call: batch.h).
 */
typedef struct Work
{
	AmlEvalRequest req;			/* the search's; its spec text outlives us */
	bool		wanted;			/* named by the current call */
	bool		started;
	bool		finished;
	double		cap;
	double		cap_seconds;
	int			next;			/* next split to hand out */
	int			taken;			/* splits taken into the result, in order */
	bool		have[AML_MAX_FOLDS];
	AmlFoldOutcome out[AML_MAX_FOLDS];
	AmlRng		rng;
	json_object *spec;			/* parsed when the leader runs one of its splits */
	AmlCandidate result;
} Work;

typedef struct Parallel
{
	dsm_segment *seg;
	Header	   *hdr;
	int			n_helpers;
	BackgroundWorkerHandle *handles[MAX_HELPERS];
	bool		ended;
	bool		leader_computes;	/* fewer helpers started than wanted */
	int			by_helpers;		/* splits the helpers evaluated */
	int			by_leader;
	int			ahead;			/* splits of a next batch handed out early */
	/* the split each helper holds: candidate number (0: none) and split */
	int			held_number[MAX_HELPERS];
	int			held_fold[MAX_HELPERS];
	Work	  **work;			/* requests started or named, in TopTransactionContext */
	int			n_work;
	int			cap_work;
} Parallel;

#define SLOT(hdr, i) ((Slot *) ((char *) (hdr) + (hdr)->slots_off + (Size) (i) * (hdr)->slot_size))
#define SLOT_OOF(slot) ((double *) ((char *) (slot) + MAXALIGN(sizeof(Slot))))

/* ------------------------------------------------------------ the leader */

static void
stop_helpers(dsm_segment *seg, Datum arg)
{
	Parallel   *p = (Parallel *) DatumGetPointer(arg);

	/* each helper sees it at its next wait or interrupt check, and exits */
	pg_atomic_write_u32(&p->hdr->stop, 1);
	for (int i = 0; i < p->n_helpers; i++)
		if (SLOT(p->hdr, i)->latch != NULL)
			SetLatch(SLOT(p->hdr, i)->latch);
	p->ended = true;
}

static bool
helper_alive(Parallel *p, int i)
{
	pid_t		pid;

	if (pg_atomic_read_u32(&SLOT(p->hdr, i)->state) == SLOT_GONE)
		return false;
	if (GetBackgroundWorkerPid(p->handles[i], &pid) == BGWH_STOPPED)
	{
		pg_atomic_write_u32(&SLOT(p->hdr, i)->state, SLOT_GONE);
		return false;
	}
	return true;
}

static bool
any_helper_alive(Parallel *p)
{
	for (int i = 0; i < p->n_helpers; i++)
		if (helper_alive(p, i))
			return true;
	return false;
}

static Work *
find_work(Parallel *p, int number)
{
	for (int i = 0; i < p->n_work; i++)
		if (p->work[i]->req.number == number)
			return p->work[i];
	return NULL;
}

/* The entry of a request, made when it is first named. */
static Work *
get_work(Parallel *p, const AmlEvalRequest *req)
{
	Work	   *w = find_work(p, req->number);

	if (w == NULL)
	{
		if (p->n_work == p->cap_work)
		{
			p->cap_work = p->cap_work ? 2 * p->cap_work : 16;
			p->work = p->work == NULL
				? MemoryContextAlloc(TopTransactionContext, sizeof(Work *) * p->cap_work)
				: repalloc(p->work, sizeof(Work *) * p->cap_work);
		}
		w = MemoryContextAllocZero(TopTransactionContext, sizeof(Work));
		w->req = *req;
		/* the rest of its splits may run in every process at once */
		w->req.prune.splits_at_once = p->n_helpers + (p->leader_computes ? 1 : 0);
		p->work[p->n_work++] = w;
	}
	w->wanted = true;
	return w;
}

/* Forget a request (its result, if any, taken out before). */
static void
release_work(Parallel *p, Work *w)
{
	for (int f = 0; f < AML_MAX_FOLDS; f++)
		if (w->have[f])
			aml_fold_outcome_clear(&w->out[f]);
	if (w->spec != NULL)
		json_object_put(w->spec);
	aml_matrix_free(w->result.oof);
	for (int i = 0; i < p->n_work; i++)
		if (p->work[i] == w)
		{
			p->work[i] = p->work[--p->n_work];
			break;
		}
	pfree(w);
}

static void
take_outcome(const AmlEvalContext *ctx, Work *w, int f, AmlFoldOutcome *o)
{
	if (w->finished)
	{
		aml_fold_outcome_clear(o);
		return;
	}
	w->out[f] = *o;
	w->have[f] = true;
	while (!w->finished && w->taken < ctx->cv->k && w->have[w->taken])
	{
		int			t = w->taken++;

		w->have[t] = false;
		if (aml_cv_take_fold(ctx->cv, &w->req.prune, w->req.keep_oof, t, &w->out[t], &w->result))
			w->finished = true;
	}
	if (w->finished)
	{
		for (int i = 0; i < ctx->cv->k; i++)
			if (w->have[i])
			{
				aml_fold_outcome_clear(&w->out[i]);
				w->have[i] = false;
			}
		aml_cv_candidate_end(ctx->cv, &w->result, AML_OK);
	}
}

/* Start w if it is not yet (false: it is skipped, no time left). */
static bool
pick_split(const AmlEvalContext *ctx, Work *w)
{
	double		now;

	if (w->started)
		return true;
	now = aml_clock();
	w->started = true;
	aml_cv_candidate_begin(&w->result);
	if (now >= w->req.deadline)
	{
		w->result.status = AML_CANDIDATE_SKIPPED;
		w->result.signed_mean = -INFINITY;
		snprintf(w->result.reason, sizeof(w->result.reason),
				 "not started: no time left in the budget");
		w->finished = true;
		return false;
	}
	w->cap = aml_eval_cap(&w->req, now, &w->cap_seconds);
	aml_eval_rng(ctx->seed, w->req.number, &w->rng);
	return true;
}

/*
 * The next split to hand out: *out, *f; false when none is left.  order:
 * the call's requests, then the next batch's.
 */
static bool
next_split(const AmlEvalContext *ctx, Work **order, int n, Work **out, int *f)
{
	/*
	 * Requests in proposal order, their splits one after the other; but
	 * while pruning may stop a candidate after its first split, its second
	 * is not handed out before the first is back (another candidate's first
	 * split is), so that processes do not run splits a prune would drop.
	 */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++)
		{
			Work	   *w = order[i];

			if (w->finished || w->next >= ctx->cv->k)
				continue;
			if (pass == 0 && w->req.prune.active && w->next > 0 && w->taken == 0)
				continue;
			if (pick_split(ctx, w))
			{
				*out = w;
				*f = w->next++;
				return true;
			}
		}
	return false;
}

/* The leader runs split f of w itself. */
static AmlStatus
leader_split(Parallel *p, const AmlEvalContext *ctx, Work *w, int f, AmlError *err)
{
	AmlFoldOutcome o;

	if (w->spec == NULL)
		AML_TRY(aml_json_parse(w->req.spec, strlen(w->req.spec), &w->spec, err));
	if (aml_cv_fold(ctx->cv, w->spec, f, &w->rng, w->cap, w->cap_seconds, w->req.keep_oof,
					ctx->cancelled, &o, err) != AML_OK)
	{
		aml_fold_outcome_clear(&o);
		return err->status;
	}
	p->by_leader++;
	take_outcome(ctx, w, f, &o);
	return AML_OK;
}

/* The outcome a helper wrote in its slot (predictions copied out). */
static void
slot_outcome(Slot *slot, AmlFoldOutcome *o)
{
	*o = slot->outcome;
	o->pred = NULL;
	if (slot->pred_rows > 0)
	{
		o->pred = aml_matrix_new(slot->pred_rows, slot->pred_cols);
		if (o->pred != NULL)
			memcpy(o->pred->data, SLOT_OOF(slot), sizeof(double) * slot->pred_rows * slot->pred_cols);
		else
		{
			o->status = AML_CANDIDATE_FAILED;
			snprintf(o->reason, sizeof(o->reason), "out of memory for its out-of-fold predictions");
		}
	}
}

/*
 * Hand out splits until the first n_finish requests of order are finished;
 * splits of the others (the next batch) go to processes that would idle.
 * Splits still running when it returns stay with their helpers: their
 * outcomes are taken by a later call (or dropped when their request is
 * finished or forgotten).
 */
static AmlStatus
run_batch(Parallel *p, const AmlEvalContext *ctx, Work **order, int n_finish, int n_order,
		  AmlError *err)
{
	Header	   *hdr = p->hdr;

	for (;;)
	{
		Work	   *w;
		int			f;
		bool		more;
		bool		done;

		if (ctx->cancelled != NULL && ctx->cancelled())
		{
			/* the helpers' interrupt hooks read this, inside a fit too */
			pg_atomic_write_u32(&hdr->stop, 1);
			for (int i = 0; i < p->n_helpers; i++)
				if (SLOT(hdr, i)->latch != NULL)
					SetLatch(SLOT(hdr, i)->latch);
			return aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
		}
		/* collect, and give what helpers lost to the leader */
		for (int i = 0; i < p->n_helpers; i++)
		{
			Slot	   *slot = SLOT(hdr, i);
			uint32		state = pg_atomic_read_u32(&slot->state);
			int			held = p->held_number[i];

			if (held > 0 && state == SLOT_DONE)
			{
				AmlFoldOutcome o;

				pg_read_barrier();
				if (slot->error_status != AML_OK)
					return aml_error(err, slot->error_status, "%s", slot->error_message);
				slot_outcome(slot, &o);
				p->by_helpers++;
				p->held_number[i] = 0;
				pg_atomic_write_u32(&slot->state, SLOT_IDLE);
				if ((w = find_work(p, held)) != NULL)
					take_outcome(ctx, w, p->held_fold[i], &o);
				else
					aml_fold_outcome_clear(&o);
			}
			else if (held > 0 && !helper_alive(p, i))
			{
				p->held_number[i] = 0;
				if ((w = find_work(p, held)) != NULL && !w->finished)
					AML_TRY(leader_split(p, ctx, w, p->held_fold[i], err));
			}
		}
		/* hand out */
		more = true;
		for (int i = 0; i < p->n_helpers; i++)
		{
			Slot	   *slot = SLOT(hdr, i);

			if (p->held_number[i] > 0 || pg_atomic_read_u32(&slot->state) != SLOT_IDLE)
				continue;
			if (!(more = next_split(ctx, order, n_order, &w, &f)))
				break;
			if (strlen(w->req.spec) >= SPEC_MAX)
			{
				/* too long for a slot: the leader takes it */
				AML_TRY(leader_split(p, ctx, w, f, err));
				continue;
			}
			for (int k = n_finish; k < n_order; k++)
				if (order[k] == w)
					p->ahead++;
			slot->number = w->req.number;
			slot->fold = f;
			slot->cap = w->cap;
			slot->cap_seconds = w->cap_seconds;
			slot->want_pred = w->req.keep_oof;
			strlcpy(slot->spec, w->req.spec, SPEC_MAX);
			pg_write_barrier();
			pg_atomic_write_u32(&slot->state, SLOT_REQUEST);
			SetLatch(slot->latch);
			p->held_number[i] = w->req.number;
			p->held_fold[i] = f;
		}
		done = true;
		for (int i = 0; i < n_finish && done; i++)
			done = order[i]->finished;
		if (done)
			return AML_OK;
		/*
		 * nobody free: the leader evaluates a split itself if it must (fewer
		 * helpers than wanted, or none left alive)
		 */
		if (more && (p->leader_computes || !any_helper_alive(p)) &&
			next_split(ctx, order, n_order, &w, &f))
		{
			AML_TRY(leader_split(p, ctx, w, f, err));
			continue;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, WAIT_MS,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

static AmlStatus
parallel_batch(void *arg, const AmlEvalContext *ctx, const AmlEvalRequest *requests, int n,
			   AmlCandidate *results, AmlError *err)
{
	Parallel   *p = arg;
	int			n_next = ctx->next != NULL ? ctx->n_next : 0;
	Work	  **order = palloc(sizeof(Work *) * Max(n + n_next, 1));
	AmlStatus	st;

	for (int i = 0; i < p->n_work; i++)
		p->work[i]->wanted = false;
	for (int i = 0; i < n; i++)
		order[i] = get_work(p, &requests[i]);
	for (int i = 0; i < n_next; i++)
		order[n + i] = get_work(p, &ctx->next[i]);
	/* started early for a batch the search no longer asks for: forgotten */
	for (int i = p->n_work - 1; i >= 0; i--)
		if (!p->work[i]->wanted)
			release_work(p, p->work[i]);
	st = run_batch(p, ctx, order, n, n + n_next, err);
	if (st == AML_OK)
		for (int i = 0; i < n; i++)
		{
			results[i] = order[i]->result;
			order[i]->result.oof = NULL;	/* passes to the search */
			release_work(p, order[i]);
		}
	else
		while (p->n_work > 0)
			release_work(p, p->work[p->n_work - 1]);
	pfree(order);
	return st;
}

static int
default_workers(void)
{
	long		cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return (int) Max(Min(cpus, (long) MAX_HELPERS), 1L);
}

static void *
parallel_begin(const AmlSchema *schema, const AmlMatrix *raw, const double *y, int n_classes,
			   AmlSearchOptions *options)
{
	int			want = Min(aml_max_parallel_workers, MAX_HELPERS);
	json_object *sj;
	const char *stext;
	Size		size;
	Size		off;
	Header	   *hdr;
	Parallel   *p;
	int			started = 0;

	if (aml_max_parallel_workers <= 1)
		return NULL;
	sj = aml_schema_to_json(schema);
	if (sj == NULL)
		return NULL;
	stext = aml_json_text(sj);

	/* the layout: header, schema text, raw data, targets, slots with their out-of-fold areas */
	off = MAXALIGN(sizeof(Header));
	size = off + MAXALIGN(strlen(stext) + 1);
	size += MAXALIGN(sizeof(double) * (Size) raw->rows * raw->cols);
	size += MAXALIGN(sizeof(double) * (Size) raw->rows);
	{
		Size		oof = (Size) raw->rows * Max(n_classes, 1);
		Size		slot_size = MAXALIGN(sizeof(Slot)) + MAXALIGN(sizeof(double) * oof);

		size += slot_size * want;
		p = MemoryContextAllocZero(TopTransactionContext, sizeof(Parallel));
		p->seg = dsm_create(size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
		if (p->seg == NULL)
		{
			json_object_put(sj);
			return NULL;
		}
		hdr = dsm_segment_address(p->seg);
		memset(hdr, 0, sizeof(Header));
		hdr->slot_size = slot_size;
		hdr->oof_capacity = oof;
	}
	p->hdr = hdr;
	pg_atomic_init_u32(&hdr->stop, 0);
	hdr->leader_latch = MyLatch;
	hdr->rows = raw->rows;
	hdr->cols = raw->cols;
	hdr->n_classes = n_classes;
	hdr->folds = options->cv_folds;
	hdr->repeats = options->cv_repeats > 1 ? options->cv_repeats : 1;
	hdr->seed = options->seed;
	hdr->task = schema->task;
	strlcpy(hdr->metric, options->metric->name, sizeof(hdr->metric));
	/* the leader keeps its share: its own folds and the candidates' out-of-fold predictions */
	hdr->budget = aml_pg_memory_budget() / (want + 1);
	hdr->schema_off = off;
	memcpy((char *) hdr + off, stext, strlen(stext) + 1);
	off += MAXALIGN(strlen(stext) + 1);
	hdr->raw_off = off;
	memcpy((char *) hdr + off, raw->data, sizeof(double) * (Size) raw->rows * raw->cols);
	off += MAXALIGN(sizeof(double) * (Size) raw->rows * raw->cols);
	hdr->y_off = off;
	memcpy((char *) hdr + off, y, sizeof(double) * (Size) raw->rows);
	off += MAXALIGN(sizeof(double) * (Size) raw->rows);
	hdr->slots_off = off;
	json_object_put(sj);
	for (int i = 0; i < want; i++)
		pg_atomic_init_u32(&SLOT(hdr, i)->state, SLOT_STARTING);
	hdr->n_helpers = want;
	on_dsm_detach(p->seg, stop_helpers, PointerGetDatum(p));

	for (int i = 0; i < want; i++)
	{
		BackgroundWorker worker;
		MemoryContext old;
		bool		ok;

		memset(&worker, 0, sizeof(worker));
		/* a connection to no database: visible in pg_stat_activity, no catalog read */
		worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
		worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
		worker.bgw_restart_time = BGW_NEVER_RESTART;
		snprintf(worker.bgw_library_name, BGW_MAXLEN, "automl");
		snprintf(worker.bgw_function_name, BGW_MAXLEN, "aml_eval_helper_main");
		snprintf(worker.bgw_name, BGW_MAXLEN, "%s for PID %d", HELPER_TYPE, MyProcPid);
		snprintf(worker.bgw_type, BGW_MAXLEN, HELPER_TYPE);
		worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(p->seg));
		memcpy(worker.bgw_extra, &i, sizeof(int));
		worker.bgw_notify_pid = MyProcPid;
		old = MemoryContextSwitchTo(TopTransactionContext);
		ok = RegisterDynamicBackgroundWorker(&worker, &p->handles[i]);
		MemoryContextSwitchTo(old);
		if (!ok)
			break;
		started++;
		p->n_helpers = started;
	}
	if (started == 0)
	{
		ereport(NOTICE,
				(errmsg("automl: no background worker slot is free for parallel evaluation: candidates are evaluated in this process"),
				 errhint("Raise max_worker_processes, or lower automl.max_parallel_workers.")));
		dsm_detach(p->seg);
		return NULL;
	}
	hdr->n_helpers = started;
	p->leader_computes = started < want;
	for (int i = started; i < want; i++)
		pg_atomic_write_u32(&SLOT(hdr, i)->state, SLOT_GONE);
	options->evaluate_batch = parallel_batch;
	options->evaluate_batch_arg = p;
	return p;
}

static void
parallel_end(void *state)
{
	Parallel   *p = state;

	elog(DEBUG1, "automl: %d splits evaluated by %d helper%s (%d of them started ahead of their batch), %d by the leader",
		 p->by_helpers, p->n_helpers, p->n_helpers == 1 ? "" : "s", p->ahead, p->by_leader);
	while (p->n_work > 0)
		release_work(p, p->work[p->n_work - 1]);
	if (!p->ended)
		dsm_detach(p->seg);		/* stop_helpers runs */
}

void
aml_parallel_init(void)
{
	aml_max_parallel_workers = default_workers();
	DefineCustomIntVariable("automl.max_parallel_workers",
							"Processes that evaluate the candidates of one search.",
							"1 evaluates in the calling process only; N > 1 starts N helper processes "
							"while the caller hands out the work. The default is the number of CPUs; "
							"helpers take slots of max_worker_processes, and the search goes on with "
							"fewer (the caller evaluating too) or none when there are not enough.",
							&aml_max_parallel_workers, aml_max_parallel_workers, 1, MAX_HELPERS,
							PGC_USERSET, 0, NULL, NULL, NULL);
	aml_parallel_begin_hook = parallel_begin;
	aml_parallel_end_hook = parallel_end;
}

/* ------------------------------------------------------------ a helper */

static Header *helper_hdr = NULL;

static bool
helper_interrupted(void *state)
{
	return ProcDiePending || (helper_hdr != NULL && pg_atomic_read_u32(&helper_hdr->stop) != 0);
}

static bool
helper_cancelled(void)
{
	return helper_interrupted(NULL);
}

static void
helper_fail(Slot *slot, Header *hdr)
{
	pg_atomic_write_u32(&slot->state, SLOT_GONE);
	SetLatch(hdr->leader_latch);
	proc_exit(0);
}

void
aml_eval_helper_main(Datum main_arg)
{
	dsm_segment *seg;
	Header	   *hdr;
	Slot	   *slot;
	int			index;
	AmlSchema	schema;
	json_object *sj;
	AmlMatrix	raw;
	const AmlMetric *metric;
	AmlRng		root;
	AmlRng		fold_rng;
	AmlCvData  *cv;
	AmlError	err;
	AmlMemoryBudget saved;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	memcpy(&index, MyBgworkerEntry->bgw_extra, sizeof(int));
	CurrentResourceOwner = ResourceOwnerCreate(NULL, HELPER_TYPE);
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		proc_exit(0);			/* the leader is gone already */
	hdr = dsm_segment_address(seg);
	if (index < 0 || index >= MAX_HELPERS)
		proc_exit(0);
	slot = SLOT(hdr, index);
	helper_hdr = hdr;
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname(HELPER_TYPE);
	pgstat_report_activity(STATE_RUNNING, "evaluating candidate pipelines");

	(void) aml_core_session_begin(HELPER_TYPE);
	aml_set_memory_budget(hdr->budget, &saved);
	aml_set_interrupt_hook(helper_interrupted, NULL);

	/* the same folds as the leader's search */
	if (aml_json_parse((char *) hdr + hdr->schema_off, strlen((char *) hdr + hdr->schema_off), &sj, &err) != AML_OK ||
		aml_schema_from_json(sj, &schema, &err) != AML_OK ||
		aml_metric_lookup(hdr->metric, (AmlTask) hdr->task, &metric, &err) != AML_OK)
		helper_fail(slot, hdr);
	raw.rows = hdr->rows;
	raw.cols = hdr->cols;
	raw.data = (double *) ((char *) hdr + hdr->raw_off);	/* shared, not copied */
	raw.owns_data = false;
	aml_rng_seed(&root, hdr->seed);
	aml_rng_derive(&root, 2, &fold_rng);
	if (aml_cv_data_create(&schema, &raw, (double *) ((char *) hdr + hdr->y_off), hdr->n_classes,
						   hdr->folds, hdr->repeats, metric, &fold_rng, &cv, &err) != AML_OK)
		helper_fail(slot, hdr);

	slot->latch = MyLatch;
	pg_write_barrier();
	pg_atomic_write_u32(&slot->state, SLOT_IDLE);
	SetLatch(hdr->leader_latch);

	for (;;)
	{
		AmlFoldOutcome o;
		AmlRng		rng;
		json_object *spec;
		AmlStatus	st;

		CHECK_FOR_INTERRUPTS();
		if (pg_atomic_read_u32(&hdr->stop) != 0)
			break;
		if (pg_atomic_read_u32(&slot->state) != SLOT_REQUEST)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			continue;
		}
		pg_read_barrier();
		memset(&o, 0, sizeof(o));
		st = aml_json_parse(slot->spec, strlen(slot->spec), &spec, &err);
		if (st == AML_OK)
		{
			aml_eval_rng(hdr->seed, slot->number, &rng);
			st = aml_cv_fold(cv, spec, slot->fold, &rng, slot->cap, slot->cap_seconds,
							 slot->want_pred, helper_cancelled, &o, &err);
			json_object_put(spec);
		}
		slot->error_status = st;
		if (st != AML_OK)
			strlcpy(slot->error_message, err.message, sizeof(slot->error_message));
		slot->outcome = o;
		slot->outcome.pred = NULL;
		slot->pred_rows = 0;
		if (st == AML_OK && o.pred != NULL &&
			(Size) o.pred->rows * o.pred->cols <= hdr->oof_capacity)
		{
			slot->pred_rows = o.pred->rows;
			slot->pred_cols = o.pred->cols;
			memcpy(SLOT_OOF(slot), o.pred->data, sizeof(double) * o.pred->rows * o.pred->cols);
		}
		else if (st == AML_OK && o.pred != NULL)
		{
			slot->outcome.status = AML_CANDIDATE_FAILED;
			snprintf(slot->outcome.reason, sizeof(slot->outcome.reason),
					 "its out-of-fold predictions did not fit");
		}
		aml_fold_outcome_clear(&o);
		pg_write_barrier();
		pg_atomic_write_u32(&slot->state, SLOT_DONE);
		SetLatch(hdr->leader_latch);
	}
	proc_exit(0);
}
