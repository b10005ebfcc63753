/*
 * blas.h — OpenBLAS (BLAS + LAPACK), loaded on first use in the process that
 * needs it.
 *
 * Why not link it directly: the extension library is preloaded into the
 * postmaster (for its background workers), and OpenBLAS starts its thread
 * pool in a library constructor; threads in the postmaster do not survive
 * fork() and interfere with its signal handling.  So libopenblas is opened
 * with dlopen() by aml_blas_init(), in a backend or worker, with its thread
 * count set explicitly, and every routine is called through this table.
 *
 * All matrices are column-major; integer arguments are LAPACK's 32-bit ints.
 */
#ifndef AML_BLAS_H
#define AML_BLAS_H

#include <stdbool.h>
#include "core/status.h"

/* Load OpenBLAS if needed and set its thread count (>= 1).  Idempotent. */
AmlStatus	aml_blas_init(int threads, AmlError *err);
bool		aml_blas_loaded(void);
int			aml_blas_threads(void);
/* Where the library was loaded from, and its configuration string. */
const char *aml_blas_library(void);
const char *aml_blas_config(void);

/* ---- BLAS (no transposition flags beyond 'N'/'T'; alpha/beta as in BLAS) ---- */
double		aml_ddot(int n, const double *x, int incx, const double *y, int incy);
void		aml_daxpy(int n, double alpha, const double *x, int incx, double *y, int incy);
void		aml_dscal(int n, double alpha, double *x, int incx);
double		aml_dnrm2(int n, const double *x, int incx);
/* y := alpha * op(A) x + beta y, A is m x n with leading dimension lda */
void		aml_dgemv(char trans, int m, int n, double alpha, const double *a, int lda,
					  const double *x, int incx, double beta, double *y, int incy);
/* C := alpha * op(A) op(B) + beta C, op(A) m x k, op(B) k x n */
void		aml_dgemm(char transa, char transb, int m, int n, int k, double alpha,
					  const double *a, int lda, const double *b, int ldb,
					  double beta, double *c, int ldc);
/* C := alpha * A' A + beta C (trans='T', A is k x n) or alpha * A A' (trans='N'); upper triangle */
void		aml_dsyrk(char trans, int n, int k, double alpha, const double *a, int lda,
					  double beta, double *c, int ldc);

/* ---- LAPACK: return LAPACK's info (0 = success, AML_LAPACK_NOMEM = no workspace) ---- */
#define AML_LAPACK_NOMEM (-1000)
/* QR with column pivoting least squares (rank-revealing): A m x n, B m x nrhs */
int			aml_dgelsy(int m, int n, int nrhs, double *a, int lda, double *b, int ldb,
					   int *jpvt, double rcond, int *rank);
/* SVD A = U S Vt, thin (jobz 'S') or none ('N') */
int			aml_dgesdd(char jobz, int m, int n, double *a, int lda, double *s,
					   double *u, int ldu, double *vt, int ldvt);
/* symmetric eigen decomposition (jobz 'V' or 'N'), upper triangle */
int			aml_dsyevd(char jobz, int n, double *a, int lda, double *w);
/* Cholesky factorisation (upper), solve, and inverse from the factor */
int			aml_dpotrf(int n, double *a, int lda);
int			aml_dpotrs(int n, int nrhs, const double *a, int lda, double *b, int ldb);
int			aml_dpotri(int n, double *a, int lda);

#endif
