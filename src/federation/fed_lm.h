/*
 * fed_lm.h — the parts of a federated linear model that other federated
 * models (fed_glm.c) share: the union of factor levels over the nodes
 * (centre) and the node's design matrix coded with those levels
 * (fed_lm_node.c), and the node's answers computed in-process.
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
/* fed_lm_node.c: a node's answers (the local node's part is computed in-process). */
char	   *aml_fed_node_levels_json(Oid relid, const char *formula, Jsonb *filter, int64 *rows,
									 const char **suppressed);
char	   *aml_fed_node_lm_factor_json(Oid relid, const char *formula, Jsonb *filter, int64 *rows,
										const char **suppressed);

#endif
