/*
 * fed_nb.h — naive Bayes over federation nodes, shared by the fit
 * (fed_nb.c) and its k-fold cross-validation over the nodes (fed_nb_cv.c).
 */
#ifndef AML_FEDERATION_FED_NB_H
#define AML_FEDERATION_FED_NB_H

#include "federation/fed_model.h"
#include "pg/loader.h"
#include "pg/stats_frame.h"
#include "stats/combine.h"

/* What automl_fit's checks leave for the combination of the answers. */
typedef struct AmlFedNbPrep
{
	char	  **names;			/* target, then the features */
	int			n;
	AmlSource  *src;			/* kinds and types at the centre */
	double		var_smoothing;
} AmlFedNbPrep;

/*
 * The pooled statistics of the encoded columns (one-hot levels, numbers) a
 * discrete naive Bayes builds its scaler and model from (fed_nb_discrete.c).
 */
typedef struct AmlFedNbPool
{
	int			k;				/* classes, in automl_fit's order */
	int			p;				/* encoded columns */
	int			nf;				/* features (target excluded) */
	const AmlMoments *cm;		/* k x p class-major: n, sum, sum of squared deviations */
	const AmlMoments *all;		/* p */
	const double *count;		/* k: rows per class */
	const int  *enc_feature;	/* p: the feature (0..nf-1) of an encoded column */
	const int  *enc_level;		/* p: its level (one-hot), -1 for a number */
	const double *min;			/* nf: pooled extremes (answers with "min"/"max") */
	const double *max;
	bool		categorical_target;
	char	  **class_labels;	/* k: categorical target */
	const double *class_values; /* k: numeric / boolean target */
	const bool *contributed;	/* per node of the call */
} AmlFedNbPool;

/* Fills the scaler's and the estimator's state of the pipeline JSON pj. */
typedef void (*AmlFedNbDiscrete) (const AmlFedFitArgs *a, const AmlFedNbPrep *prep, AmlFedCall *c,
								  const AmlFedNbPool *pool, json_object *pj, void *arg);

/* automl_fit's checks (task, target kind, hyperparameters) before any node works. */
void		aml_fed_nb_prepare(const AmlFedFitArgs *a, AmlFedNbPrep *prep);
/*
 * The pipeline fitted on the union of the rows the answers describe
 * (docs[i]: node i's answer or NULL; released); quiet: no NOTICE.
 */
AmlPipeline *aml_fed_nb_combine(const AmlFedFitArgs *a, const AmlFedNbPrep *prep, AmlFedCall *c,
								json_object **docs, bool quiet, bool *contributed, long *rows,
								char **features_json, AmlFedNbDiscrete discrete, void *discrete_arg);
/* Node side: a node's answer for the complete rows of a frame (target first); minmax: with extremes. */
char	   *aml_fed_nb_frame_answer(const AmlStatsFrame *fr, bool minmax, const char **suppressed);
/* automl.node_nb's answer for the relation's target names[0] and features (fed_nb_node.c). */
char	   *aml_fed_nb_node_json(Oid relid, char **names, int n, Jsonb *filter, int64 *rows,
								 const char **suppressed);
/* fed_nb_discrete.c: automl_fit(..., 'multinomial_nb' | 'bernoulli_nb', nodes => ...) */
int64		aml_fed_discrete_nb(const AmlFedFitArgs *a);
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
