/*
 * unit.h — a minimal unit-test harness for the pure-C layers.
 *
 *   static void test_something(void) { CHECK(x == 1); CHECK_NEAR(a, b, 1e-9); }
 *   int main(void) { unit_begin(); RUN(test_something); return unit_end(); }
 *
 * Every CHECK counts; a failing CHECK prints file:line and the values and the
 * program exits non-zero at unit_end().  unit_begin() loads OpenBLAS with one
 * thread and turns on memory accounting, so tests can assert no leaks with
 * CHECK_NO_LEAKS().
 */
#ifndef AML_UNIT_H
#define AML_UNIT_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/memory.h"
#include "core/status.h"

extern int	unit_checks;
extern int	unit_failures;
extern const char *unit_current;

void		unit_begin(void);
int			unit_end(void);
void		unit_fail(const char *file, int line, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
/* relative-or-absolute closeness: |a-b| <= tol * max(1, |a|, |b|) */
bool		unit_near(double a, double b, double tol);
/* Path of a data file in test/data (tests run from test/unit). */
const char *unit_data_path(const char *name);
/* The parsed JSON file at path (e.g. "reference/trees.json"); exits 2 when it cannot be read. */
struct json_object *unit_load_json(const char *path);
/* o[key]; exits 2 when o has no such key (a reference file out of step with its test). */
struct json_object *unit_json_get(struct json_object *o, const char *key);

#define RUN(fn) do { unit_current = #fn; size_t before_ = aml_memory_in_use(); fn(); \
	if (aml_memory_in_use() != before_) unit_fail(__FILE__, __LINE__, \
		"%s leaked %zu bytes", #fn, aml_memory_in_use() - before_); } while (0)

#define CHECK(cond) do { unit_checks++; if (!(cond)) \
	unit_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); } while (0)

#define CHECK_MSG(cond, ...) do { unit_checks++; if (!(cond)) \
	unit_fail(__FILE__, __LINE__, __VA_ARGS__); } while (0)

#define CHECK_NEAR(a, b, tol) do { double a_ = (a), b_ = (b); unit_checks++; \
	if (!unit_near(a_, b_, (tol))) unit_fail(__FILE__, __LINE__, \
		"CHECK_NEAR(%s, %s): %.17g vs %.17g (tol %g)", #a, #b, a_, b_, (double) (tol)); } while (0)

#define CHECK_OK(expr, errp) do { AmlStatus st_ = (expr); unit_checks++; if (st_ != AML_OK) \
	unit_fail(__FILE__, __LINE__, "%s failed: %s: %s", #expr, aml_status_name(st_), (errp)->message); } while (0)

#define CHECK_STATUS(expr, status, errp) do { AmlStatus st_ = (expr); unit_checks++; if (st_ != (status)) \
	unit_fail(__FILE__, __LINE__, "%s returned %s (%s), expected %s", #expr, aml_status_name(st_), \
		(errp)->message, aml_status_name(status)); } while (0)

#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); unit_checks++; \
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) unit_fail(__FILE__, __LINE__, \
		"CHECK_STR(%s, %s): \"%s\" vs \"%s\"", #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)

#endif
