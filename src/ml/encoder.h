/*
 * encoder.h — the first step of every pipeline: typed input columns to numbers.
 *
 * The input of a pipeline is a raw matrix whose columns follow an AmlSchema:
 * numeric values, binary 0/1, or category codes of the column's dictionary
 * (NaN = missing, and at predict time an unseen category has code -1).  The
 * encoder turns it into the numeric matrix transformers and estimators see:
 *   numeric, binary   passed through (NaN stays NaN for the imputer or a tree)
 *   categorical       "onehot": one 0/1 column per category seen at least
 *                     min_frequency (a fraction of the rows) and among the
 *                     max_categories most frequent; the others share an
 *                     "infrequent" column; a column that had missing values
 *                     gets a "missing" column; unseen categories at predict
 *                     time go to "infrequent" when it exists, else all zeros.
 *                     "ordinal": the category code as a number (categories in
 *                     byte order), NaN for missing and unseen — for trees.
 */
#ifndef AML_ENCODER_H
#define AML_ENCODER_H

#include <json.h>

#include "core/dataset.h"
#include "core/matrix.h"
#include "core/status.h"
#include "ml/estimator.h"
#include "ml/params.h"

/* Raw code of a category not seen in training (predict time). */
#define AML_UNSEEN_CATEGORY (-1.0)

/* One input column of a pipeline: what predict must provide, by name. */
typedef struct AmlInputColumn
{
	char	   *name;
	AmlColumnKind kind;
	AmlDictionary *dict;		/* categorical: training categories in code order */
} AmlInputColumn;

/* Inputs and target of a pipeline. */
typedef struct AmlSchema
{
	int			n_inputs;
	AmlInputColumn *inputs;
	char	   *target;
	AmlTask		task;
	AmlDictionary *classes;		/* classification: labels in class-index order */
} AmlSchema;

void		aml_schema_free(AmlSchema *schema);	/* frees the contents, not the struct */
AmlStatus	aml_schema_copy(const AmlSchema *src, AmlSchema *dst, AmlError *err);
json_object *aml_schema_to_json(const AmlSchema *schema);
AmlStatus	aml_schema_from_json(json_object *obj, AmlSchema *schema, AmlError *err);

typedef enum AmlCategoricalEncoding
{
	AML_ENCODE_ONEHOT = 0,
	AML_ENCODE_ORDINAL
} AmlCategoricalEncoding;

typedef struct AmlEncoderParams
{
	int			categorical;	/* AmlCategoricalEncoding */
	double		min_frequency;	/* fraction of rows, [0, 1) */
	int			max_categories; /* one-hot columns per input at most */
} AmlEncoderParams;

extern const AmlParamTable aml_encoder_params;

/* What output column j is made of. */
typedef struct AmlEncodedColumn
{
	int			input;			/* input column */
	int			category;		/* one-hot: category code; -1 infrequent, -2 missing; else -3 */
} AmlEncodedColumn;

typedef struct AmlEncoder
{
	AmlEncoderParams params;
	int			n_in;
	int			n_out;
	AmlEncodedColumn *out;		/* n_out */
	int		   *first_out;		/* per input: index of its first output column */
	int		   *slot;			/* per input: offset into category_out */
	int		   *category_out;	/* per (input, category code): output column or -1 */
	int		   *infrequent_out; /* per input: output column of "infrequent" or -1 */
	int		   *missing_out;	/* per input: output column of "missing" or -1 */
	AmlColumnKind *kinds;		/* per input */
} AmlEncoder;

AmlStatus	aml_encoder_create(json_object *params, AmlEncoder **out, AmlError *err);
void		aml_encoder_free(AmlEncoder *enc);
AmlStatus	aml_encoder_fit(AmlEncoder *enc, const AmlSchema *schema, const AmlMatrix *raw,
							AmlError *err);
AmlStatus	aml_encoder_transform(const AmlEncoder *enc, const AmlMatrix *raw, AmlMatrix **out,
								  AmlError *err);
/* raw row (n_in values) -> out (n_out values); no allocation */
void		aml_encoder_transform_row(const AmlEncoder *enc, const double *raw, double *out);
/* "gender=F", "age", "gender=(infrequent)" ... into buf */
void		aml_encoder_column_name(const AmlEncoder *enc, const AmlSchema *schema, int j,
									char *buf, size_t buflen);
json_object *aml_encoder_to_json(const AmlEncoder *enc);
AmlStatus	aml_encoder_from_json(json_object *obj, AmlEncoder **out, AmlError *err);
/* "one-hot encoding" / "ordinal encoding" (with non-default parameters) */
void		aml_encoder_describe(const AmlEncoder *enc, char *buf, size_t buflen);
/* Output width a one-hot encoding of the schema would have at most (for budget checks). */
long		aml_encoder_max_width(const AmlSchema *schema, int max_categories, bool onehot);

#endif
