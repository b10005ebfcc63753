/*
 * fed_lm.h — the parts of a federated linear model that other federated
 * models (fed_glm.c) share: the union of factor levels over the nodes
 * (centre) and the node's design matrix coded with those levels.
 */
#ifndef AML_FEDERATION_FED_LM_H
#define AML_FEDERATION_FED_LM_H

#include "federation/federation.h"

#include "utils/jsonb.h"

#include "pg/stats_frame.h"
#include "stats/design.h"

char	   *aml_fed_model_levels(AmlFedCall *c, Oid relid, const char *formula_text, Jsonb *filter,
								 AmlFormula *f, AmlDesignVar *dv, bool any_factor, const char *what);
AmlDesign  *aml_fed_node_design(Oid relid, const char *formula, Jsonb *filter, const char *levels_text,
								const char *contrast, const char *what, AmlStatsFrame **frame,
								const double ***x);

#endif
