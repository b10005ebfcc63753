/*
 * stats_rows.h — the result rows of a fitted linear model (broom's tidy and
 * glance, the ANOVA table), shared by the local functions (stats_lm.c) and
 * their federated forms (src/federation/fed_lm.c), which fit the same
 * AmlLm from other inputs.
 */
#ifndef AML_PG_STATS_ROWS_H
#define AML_PG_STATS_ROWS_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/execnodes.h"

#include "stats/design.h"
#include "stats/formula.h"
#include "stats/lm.h"

/* automl_lm's rows: term, estimate, std_error, statistic, p_value, conf_low, conf_high */
void		aml_stats_put_lm_tidy(ReturnSetInfo *rsinfo, const AmlDesign *design, const AmlLm *lm);
/* automl_lm_glance's row */
void		aml_stats_put_lm_glance(ReturnSetInfo *rsinfo, const AmlLm *lm);
/* automl_anova's rows of the given type (errors of aml_lm_anova raised) */
void		aml_stats_put_anova(ReturnSetInfo *rsinfo, const AmlFormula *f, const AmlLm *lm, int type);

#endif
