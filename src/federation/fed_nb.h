/*
 * fed_nb.h — naive Bayes over federation nodes, shared by the fit
 * (fed_nb.c) and its k-fold cross-validation over the nodes (fed_nb_cv.c).
 */
#ifndef AML_FEDERATION_FED_NB_H
#define AML_FEDERATION_FED_NB_H

#include "federation/fed_model.h"
#include "pg/loader.h"
#include "pg/stats_frame.h"

/* What automl_fit's checks leave for the combination of the answers. */
typedef struct AmlFedNbPrep
{
	char	  **names;			/* target, then the features */
	int			n;
	AmlSource  *src;			/* kinds and types at the centre */
	double		var_smoothing;
} AmlFedNbPrep;

/* automl_fit's checks (task, target kind, hyperparameters) before any node works. */
void		aml_fed_nb_prepare(const AmlFedFitArgs *a, AmlFedNbPrep *prep);
/*
 * The pipeline fitted on the union of the rows the answers describe
 * (docs[i]: node i's answer or NULL; released); quiet: no NOTICE.
 */
AmlPipeline *aml_fed_nb_combine(const AmlFedFitArgs *a, const AmlFedNbPrep *prep, AmlFedCall *c,
								json_object **docs, bool quiet, bool *contributed, long *rows,
								char **features_json);
/* Node side: a node's answer for the complete rows of a frame (target first). */
char	   *aml_fed_nb_frame_answer(const AmlStatsFrame *fr, const char **suppressed);
/* automl_fit's class label of a numeric or boolean target value. */
char	   *aml_fed_nb_class_label(double v, AmlColumnKind kind);

/* fed_nb_cv.c: the fold (1..k) of a frame's row: its values hashed. */
int			aml_fed_fold_of_row(const AmlStatsFrame *fr, long row, int k);
/*
 * k-fold cross-validation over the nodes (fold models on the union of the
 * other folds' rows): confusion[f] (f = 0..k-1) is the n_classes x
 * n_classes matrix (true x predicted, classes as the final model's) of
 * fold f+1's rows summed over the nodes that sent theirs; *rows their count.
 */
void		aml_fed_nb_cross_validate(const AmlFedFitArgs *a, int k, char **classes, int n_classes,
									  int64 **confusion, long *rows);

#endif
