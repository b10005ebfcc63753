/*
 * blas.c — lazy loading of OpenBLAS and thin wrappers (see blas.h).
 */
#include "core/blas.h"
#include "core/memory.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef AML_OPENBLAS_LIBRARY
#define AML_OPENBLAS_LIBRARY "libopenblas.so.0"
#endif

/* CBLAS enums (values fixed by the CBLAS standard). */
enum
{
	CblasColMajor = 102,
	CblasNoTrans = 111,
	CblasTrans = 112,
	CblasUpper = 121
};

typedef struct BlasTable
{
	double		(*ddot) (int, const double *, int, const double *, int);
	void		(*daxpy) (int, double, const double *, int, double *, int);
	void		(*dscal) (int, double, double *, int);
	double		(*dnrm2) (int, const double *, int);
	void		(*dgemv) (int, int, int, int, double, const double *, int,
						  const double *, int, double, double *, int);
	void		(*dgemm) (int, int, int, int, int, int, double, const double *, int,
						  const double *, int, double, double *, int);
	void		(*dsyrk) (int, int, int, int, int, double, const double *, int,
						  double, double *, int);
	void		(*dgelsy) (const int *, const int *, const int *, double *, const int *,
						   double *, const int *, int *, const double *, int *,
						   double *, const int *, int *);
	void		(*dgesdd) (const char *, const int *, const int *, double *, const int *,
						   double *, double *, const int *, double *, const int *,
						   double *, const int *, int *, int *);
	void		(*dsyevd) (const char *, const char *, const int *, double *, const int *,
						   double *, double *, const int *, int *, const int *, int *);
	void		(*dpotrf) (const char *, const int *, double *, const int *, int *);
	void		(*dpotrs) (const char *, const int *, const int *, const double *,
						   const int *, double *, const int *, int *);
	void		(*dpotri) (const char *, const int *, double *, const int *, int *);
	void		(*set_num_threads) (int);
	char	   *(*get_config) (void);
} BlasTable;

static BlasTable blas;
static void *blas_handle = NULL;
static int	blas_thread_count = 0;
static char blas_path[512];

static bool
resolve(void **slot, const char *symbol, AmlError *err)
{
	*slot = dlsym(blas_handle, symbol);
	if (*slot == NULL)
	{
		aml_error(err, AML_ERR_UNAVAILABLE, "OpenBLAS library \"%s\" has no symbol \"%s\"",
				  blas_path, symbol);
		return false;
	}
	return true;
}

AmlStatus
aml_blas_init(int threads, AmlError *err)
{
	if (threads < 1)
		threads = 1;
	if (blas_handle == NULL)
	{
		char		count[16];
		void	   *handle;

		/*
		 * The library constructor sizes its thread pool from this variable;
		 * set it first so no thread beyond the requested count is started.
		 */
		snprintf(count, sizeof(count), "%d", threads);
		setenv("OPENBLAS_NUM_THREADS", count, 1);
		snprintf(blas_path, sizeof(blas_path), "%s", AML_OPENBLAS_LIBRARY);
		handle = dlopen(blas_path, RTLD_NOW | RTLD_LOCAL);
		if (handle == NULL)
		{
			snprintf(blas_path, sizeof(blas_path), "%s", "libopenblas.so.0");
			handle = dlopen(blas_path, RTLD_NOW | RTLD_LOCAL);
		}
		if (handle == NULL)
		{
			const char *why = dlerror();

			aml_error(err, AML_ERR_UNAVAILABLE, "could not load OpenBLAS");
			aml_error_detail(err, "%s", why ? why : "dlopen failed");
			aml_error_hint(err, "Install the libopenblas0 package.");
			return err->status;
		}
		blas_handle = handle;
		if (!resolve((void **) &blas.ddot, "cblas_ddot", err) ||
			!resolve((void **) &blas.daxpy, "cblas_daxpy", err) ||
			!resolve((void **) &blas.dscal, "cblas_dscal", err) ||
			!resolve((void **) &blas.dnrm2, "cblas_dnrm2", err) ||
			!resolve((void **) &blas.dgemv, "cblas_dgemv", err) ||
			!resolve((void **) &blas.dgemm, "cblas_dgemm", err) ||
			!resolve((void **) &blas.dsyrk, "cblas_dsyrk", err) ||
			!resolve((void **) &blas.dgelsy, "dgelsy_", err) ||
			!resolve((void **) &blas.dgesdd, "dgesdd_", err) ||
			!resolve((void **) &blas.dsyevd, "dsyevd_", err) ||
			!resolve((void **) &blas.dpotrf, "dpotrf_", err) ||
			!resolve((void **) &blas.dpotrs, "dpotrs_", err) ||
			!resolve((void **) &blas.dpotri, "dpotri_", err) ||
			!resolve((void **) &blas.set_num_threads, "openblas_set_num_threads", err) ||
			!resolve((void **) &blas.get_config, "openblas_get_config", err))
		{
			dlclose(blas_handle);
			blas_handle = NULL;
			return err->status;
		}
	}
	if (threads != blas_thread_count)
	{
		blas.set_num_threads(threads);
		blas_thread_count = threads;
	}
	return AML_OK;
}

bool
aml_blas_loaded(void)
{
	return blas_handle != NULL;
}

int
aml_blas_threads(void)
{
	return blas_thread_count;
}

const char *
aml_blas_library(void)
{
	return blas_handle ? blas_path : "";
}

const char *
aml_blas_config(void)
{
	return blas_handle ? blas.get_config() : "";
}

/*
 * If a routine is reached before aml_blas_init() (a bug in the caller), load
 * the library with one thread rather than crash.
 */
static inline void
ensure_loaded(void)
{
	if (blas_handle == NULL)
	{
		AmlError	err;

		if (aml_blas_init(1, &err) != AML_OK)
		{
			fprintf(stderr, "automl: %s\n", err.message);
			abort();
		}
	}
}

#define TRANS(c) (((c) == 'T' || (c) == 't') ? CblasTrans : CblasNoTrans)

double
aml_ddot(int n, const double *x, int incx, const double *y, int incy)
{
	ensure_loaded();
	return blas.ddot(n, x, incx, y, incy);
}

void
aml_daxpy(int n, double alpha, const double *x, int incx, double *y, int incy)
{
	ensure_loaded();
	blas.daxpy(n, alpha, x, incx, y, incy);
}

void
aml_dscal(int n, double alpha, double *x, int incx)
{
	ensure_loaded();
	blas.dscal(n, alpha, x, incx);
}

double
aml_dnrm2(int n, const double *x, int incx)
{
	ensure_loaded();
	return blas.dnrm2(n, x, incx);
}

void
aml_dgemv(char trans, int m, int n, double alpha, const double *a, int lda,
		  const double *x, int incx, double beta, double *y, int incy)
{
	ensure_loaded();
	blas.dgemv(CblasColMajor, TRANS(trans), m, n, alpha, a, lda, x, incx, beta, y, incy);
}

void
aml_dgemm(char transa, char transb, int m, int n, int k, double alpha,
		  const double *a, int lda, const double *b, int ldb,
		  double beta, double *c, int ldc)
{
	ensure_loaded();
	blas.dgemm(CblasColMajor, TRANS(transa), TRANS(transb), m, n, k, alpha,
			   a, lda, b, ldb, beta, c, ldc);
}

void
aml_dsyrk(char trans, int n, int k, double alpha, const double *a, int lda,
		  double beta, double *c, int ldc)
{
	ensure_loaded();
	blas.dsyrk(CblasColMajor, CblasUpper, TRANS(trans), n, k, alpha, a, lda, beta, c, ldc);
}

int
aml_dgelsy(int m, int n, int nrhs, double *a, int lda, double *b, int ldb,
		   int *jpvt, double rcond, int *rank)
{
	int			info = 0;
	int			lwork = -1;
	double		query;
	double	   *work;

	ensure_loaded();
	blas.dgelsy(&m, &n, &nrhs, a, &lda, b, &ldb, jpvt, &rcond, rank, &query, &lwork, &info);
	if (info != 0)
		return info;
	lwork = (int) query;
	work = aml_alloc_array(lwork > 1 ? (size_t) lwork : 1, sizeof(double));
	if (work == NULL)
		return AML_LAPACK_NOMEM;
	blas.dgelsy(&m, &n, &nrhs, a, &lda, b, &ldb, jpvt, &rcond, rank, work, &lwork, &info);
	aml_free(work);
	return info;
}

int
aml_dgesdd(char jobz, int m, int n, double *a, int lda, double *s,
		   double *u, int ldu, double *vt, int ldvt)
{
	int			info = 0;
	int			lwork = -1;
	int			mn = m < n ? m : n;
	double		query;
	double	   *work;
	int		   *iwork;

	ensure_loaded();
	iwork = aml_alloc_array((size_t) 8 * (mn > 0 ? mn : 1), sizeof(int));
	if (iwork == NULL)
		return AML_LAPACK_NOMEM;
	blas.dgesdd(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, &query, &lwork, iwork, &info);
	if (info != 0)
	{
		aml_free(iwork);
		return info;
	}
	lwork = (int) query;
	work = aml_alloc_array(lwork > 1 ? (size_t) lwork : 1, sizeof(double));
	if (work == NULL)
	{
		aml_free(iwork);
		return AML_LAPACK_NOMEM;
	}
	blas.dgesdd(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, &info);
	aml_free(work);
	aml_free(iwork);
	return info;
}

int
aml_dsyevd(char jobz, int n, double *a, int lda, double *w)
{
	int			info = 0;
	int			lwork = -1;
	int			liwork = -1;
	double		query;
	int			iquery;
	double	   *work;
	int		   *iwork;
	char		uplo = 'U';

	ensure_loaded();
	blas.dsyevd(&jobz, &uplo, &n, a, &lda, w, &query, &lwork, &iquery, &liwork, &info);
	if (info != 0)
		return info;
	lwork = (int) query;
	liwork = iquery;
	work = aml_alloc_array(lwork > 1 ? (size_t) lwork : 1, sizeof(double));
	iwork = aml_alloc_array(liwork > 1 ? (size_t) liwork : 1, sizeof(int));
	if (work == NULL || iwork == NULL)
	{
		aml_free(work);
		aml_free(iwork);
		return AML_LAPACK_NOMEM;
	}
	blas.dsyevd(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info);
	aml_free(work);
	aml_free(iwork);
	return info;
}

int
aml_dpotrf(int n, double *a, int lda)
{
	int			info = 0;
	char		uplo = 'U';

	ensure_loaded();
	blas.dpotrf(&uplo, &n, a, &lda, &info);
	return info;
}

int
aml_dpotrs(int n, int nrhs, const double *a, int lda, double *b, int ldb)
{
	int			info = 0;
	char		uplo = 'U';

	ensure_loaded();
	blas.dpotrs(&uplo, &n, &nrhs, a, &lda, b, &ldb, &info);
	return info;
}

int
aml_dpotri(int n, double *a, int lda)
{
	int			info = 0;
	char		uplo = 'U';

	ensure_loaded();
	blas.dpotri(&uplo, &n, a, &lda, &info);
	return info;
}
