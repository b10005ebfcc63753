# Makefile — builds the automl extension with PGXS, the C unit tests of the
# pure layers, and runs the test suites.
#
#   make && make install      build and install (as root)
#   make unit                 C unit tests of src/core, src/ml, src/search (no server)
#   make regress              pg_regress suites on a temporary instance (not as root)
#   make tap                  TAP tests with background workers (not as root)
#   WERROR=1                  warnings are errors (CI)
#   SANITIZE=address,undefined   build the extension and the unit tests with
#                             AddressSanitizer and UndefinedBehaviorSanitizer
#                             (test/check.sh's sanitizer stage; see there for
#                             how the server runs it)
#
# The whole suite, with its dependencies, is run by test/check.sh (README).

EXTENSION = automl
MODULE_big = automl
# The install script is built from one part per area (sql/install/*.sql, in
# name order); upgrade scripts sql/automl--X--Y.sql are written by hand.
AML_INSTALL_SQL = sql/automl--0.1.sql
AML_INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
DATA = $(AML_INSTALL_SQL) $(filter-out $(AML_INSTALL_SQL),$(wildcard sql/automl--*.sql))

PURE_SRCS = $(sort $(wildcard src/core/*.c src/ml/*.c src/stats/*.c src/search/*.c))
GLUE_SRCS = $(sort $(wildcard src/pg/*.c src/jobs/*.c src/registry/*.c src/web/*.c src/federation/*.c src/init/*.c))
OBJS = $(PURE_SRCS:.c=.o) $(GLUE_SRCS:.c=.o)

# pg_regress suites: install first, then every other sql/<name>.sql (each suite
# creates what it needs, so they also run alone: make regress REGRESS=loader)
REGRESS_SUITES = $(filter-out automl--%,$(basename $(notdir $(wildcard sql/*.sql))))
REGRESS = install $(sort $(filter-out install,$(REGRESS_SUITES)))
REGRESS_OPTS = --temp-config=test/regress.conf --inputdir=. --outputdir=test

PKG_CONFIG ?= pkg-config
# OpenBLAS is opened with dlopen() on first use in a backend (src/core/blas.h
# explains why); pkg-config tells where the library lives.
OPENBLAS_LIBDIR := $(shell $(PKG_CONFIG) --variable=libdir openblas)
OPENBLAS_LIBRARY = $(if $(OPENBLAS_LIBDIR),$(OPENBLAS_LIBDIR)/libopenblas.so.0,libopenblas.so.0)
DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags json-c libcurl libmicrohttpd)
DEP_LIBS := $(shell $(PKG_CONFIG) --libs json-c libcurl libmicrohttpd)

WARNINGS = -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers -Wno-cast-function-type -Wno-declaration-after-statement $(if $(WERROR),-Werror)

PG_CPPFLAGS = -I$(srcdir)/src $(DEP_CFLAGS) -DAML_OPENBLAS_LIBRARY='"$(OPENBLAS_LIBRARY)"'
# no fused multiply-add contraction: row and batch paths give identical bits
PG_CFLAGS = $(WARNINGS) -std=gnu11 -ffp-contract=off
SHLIB_LINK = $(DEP_LIBS) -ldl -lm

# Sanitizers: frame pointers for readable reports; float-cast-overflow is
# not part of "undefined" in GCC but is how NaN or 1e308 become an index.
# AML_SANITIZE makes the glue give the pure layers malloc'd blocks instead
# of palloc chunks (src/pg/core_bridge.c), so ASan sees each block's bounds.
comma := ,
ifdef SANITIZE
SAN_FLAGS = -fsanitize=$(SANITIZE)$(if $(findstring undefined,$(SANITIZE)),$(comma)float-cast-overflow) \
	-fno-omit-frame-pointer -g
PG_CFLAGS += $(SAN_FLAGS) -DAML_SANITIZE
SHLIB_LINK += $(SAN_FLAGS)
endif


PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
# libpq for the federation (src/federation), as postgres_fdw and dblink link
# it: the libpq of the server we build for, located by its pg_config
PG_CPPFLAGS += -I$(shell $(PG_CONFIG) --includedir)
SHLIB_LINK += -L$(shell $(PG_CONFIG) --libdir) -lpq
include $(PGXS)

EXTRA_CLEAN = $(AML_INSTALL_SQL) test/results test/unit/bin tmp_check test/tmp_check

all: $(AML_INSTALL_SQL)

# The dashboard (static HTML, CSS, JavaScript) served by the HTTP worker
# from <sharedir>/automl/web (src/web/web_worker.c).
AML_WEB_FILES = $(wildcard web/*.html web/*.js web/*.css)
install: install-web
.PHONY: install-web
install-web:
	$(MKDIR_P) '$(DESTDIR)$(datadir)/automl/web'
	$(INSTALL_DATA) $(AML_WEB_FILES) '$(DESTDIR)$(datadir)/automl/web/'

# PGXS tracks no header dependencies: rebuild every object when a header changes
$(OBJS): $(wildcard src/*/*.h)

$(AML_INSTALL_SQL): $(AML_INSTALL_PARTS)
	cat $^ > $@

# ---------------------------------------------------------------- unit tests
# Each test/unit/test_*.c is a program linked with the pure layers only
# (no postgres.h, no server), plus the shared helpers in test/unit/lib/.
UNIT_CC ?= cc
UNIT_CFLAGS = -O2 -g -std=gnu11 -ffp-contract=off $(WARNINGS) -Isrc -Itest/unit/lib $(DEP_CFLAGS) \
	-DAML_OPENBLAS_LIBRARY='"$(OPENBLAS_LIBRARY)"' $(SAN_FLAGS)
UNIT_LIBS = $(DEP_LIBS) -ldl -lm
UNIT_PURE_OBJS = $(patsubst src/%.c,test/unit/bin/obj/%.o,$(PURE_SRCS))
UNIT_LIB_SRCS = $(sort $(wildcard test/unit/lib/*.c))
UNIT_LIB_OBJS = $(patsubst test/unit/lib/%.c,test/unit/bin/obj/testlib/%.o,$(UNIT_LIB_SRCS))
UNIT_TESTS = $(patsubst test/unit/%.c,test/unit/bin/%,$(sort $(wildcard test/unit/test_*.c)))

test/unit/bin/obj/%.o: src/%.c $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	$(UNIT_CC) $(UNIT_CFLAGS) -c $< -o $@

test/unit/bin/obj/testlib/%.o: test/unit/lib/%.c $(wildcard test/unit/lib/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(UNIT_CC) $(UNIT_CFLAGS) -c $< -o $@

test/unit/bin/libaml_pure.a: $(UNIT_PURE_OBJS)
	rm -f $@
	ar rcs $@ $^

# --whole-archive: every object of the pure layers, used or not by a test
test/unit/bin/test_%: test/unit/test_%.c test/unit/bin/libaml_pure.a $(UNIT_LIB_OBJS)
	$(UNIT_CC) $(UNIT_CFLAGS) $< $(UNIT_LIB_OBJS) -Wl,--whole-archive test/unit/bin/libaml_pure.a \
		-Wl,--no-whole-archive $(UNIT_LIBS) -o $@

.PHONY: unit unit-build regress tap
unit-build: $(UNIT_TESTS)

unit: unit-build
	@failed=0; for t in $(UNIT_TESTS); do \
		echo "== $$t"; \
		if ! (cd test/unit && ../../$$t); then failed=$$((failed+1)); echo "FAILED: $$t"; fi; \
	done; \
	if [ $$failed -ne 0 ]; then echo "$$failed unit test program(s) failed"; exit 1; fi; \
	echo "all unit test programs passed"

# ---------------------------------------------------------------- server tests
PG_BINDIR := $(shell $(PG_CONFIG) --bindir)
PGXS_DIR := $(dir $(PGXS))..

regress:
	
	$(PGXS_DIR)/test/regress/pg_regress --temp-instance=tmp_check --bindir=$(PG_BINDIR) \
		$(REGRESS_OPTS) $(REGRESS)

tap:
	rm -rf test/tmp_check && mkdir -p test/tmp_check
	cd test && TESTDIR=$(CURDIR)/test PATH="$(PG_BINDIR):$$PATH" \
		PERL5LIB="$(PGXS_DIR)/test/perl:$(CURDIR)/test/t" \
		PG_REGRESS=$(PGXS_DIR)/test/regress/pg_regress \
		prove --timer $(if $(PROVE_TESTS),$(PROVE_TESTS),t/*.pl)
