/*
 * design.c — model matrices as R builds them (design.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/memory.h"
#include "stats/design.h"

/* columns a variable contributes to a term under a coding */
static int
var_cols(const AmlDesignVar *v, int coding)
{
	if (!v->factor)
		return 1;
	return coding == 2 ? v->n_levels : v->n_levels - 1;
}

/* the name of column j of variable v under a coding */
static void
var_col_name(const AmlFormula *f, const AmlDesignVar *v, int var, int coding, AmlContrast contrast,
			 int j, char *buf, int buflen)
{
	if (!v->factor)
		snprintf(buf, buflen, "%s", f->vars[var]);
	else if (coding == 2 || contrast == AML_CONTRAST_TREATMENT)
		snprintf(buf, buflen, "%s%s", f->vars[var], v->levels[coding == 2 ? j : j + 1]);
	else
		snprintf(buf, buflen, "%s%d", f->vars[var], j + 1);
}

void
aml_design_free(AmlDesign *d)
{
	if (d == NULL)
		return;
	if (d->names)
		for (int i = 0; i < d->n_cols; i++)
			aml_free(d->names[i]);
	aml_free(d->names);
	aml_free(d->assign);
	aml_free(d->term_cols);
	aml_free(d->coding);
	aml_free(d);
}

AmlStatus
aml_design_build(const AmlFormula *f, const AmlDesignVar *vars, AmlContrast contrast,
				 AmlDesign **out, AmlError *err)
{
	AmlDesign  *d = aml_alloc0(sizeof(AmlDesign));
	int			nv = f->n_vars;
	int			col;
	bool		adjusted = f->intercept;

	*out = NULL;
	if (d == NULL)
		return aml_error_nomem(err, "model matrix");
	d->formula = f;
	d->vars = vars;
	d->contrast = contrast;
	d->coding = aml_alloc0((size_t) (f->n_terms + 1) * (nv + 1));
	d->term_cols = aml_alloc0(sizeof(int) * (f->n_terms + 1));
	if (d->coding == NULL || d->term_cols == NULL)
	{
		aml_design_free(d);
		return aml_error_nomem(err, "model matrix");
	}

	/* codings (R's TermCode) and column counts */
	d->n_cols = f->intercept ? 1 : 0;
	for (int t = 0; t < f->n_terms; t++)
	{
		AmlTermSet term = f->terms[t];
		long		ncols = 1;

		for (int v = 0; v < nv; v++)
		{
			AmlTermSet rest;
			int			code = 2;

			if (!(term & ((AmlTermSet) 1 << v)))
				continue;
			rest = term & ~((AmlTermSet) 1 << v);
			if (rest == 0)
				code = 1;
			for (int u = 0; u < t && code == 2; u++)
				if ((rest & ~f->terms[u]) == 0)
					code = 1;
			d->coding[t * nv + v] = (unsigned char) code;
		}
		/* no intercept: the first factor of the first term with one is full */
		for (int v = 0; v < nv && !adjusted; v++)
			if (vars[v].factor && d->coding[t * nv + v])
			{
				d->coding[t * nv + v] = 2;
				adjusted = true;
			}
		for (int v = 0; v < nv; v++)
			if (d->coding[t * nv + v])
				ncols *= var_cols(&vars[v], d->coding[t * nv + v]);
		if (ncols > 100000 || d->n_cols + ncols > 100000)
		{
			aml_design_free(d);
			return aml_error(err, AML_ERR_INVALID_PARAMETER,
							 "the model matrix would have more than 100000 columns");
		}
		d->term_cols[t] = (int) ncols;
		d->n_cols += (int) ncols;
	}

	d->names = aml_alloc0(sizeof(char *) * (d->n_cols + 1));
	d->assign = aml_alloc0(sizeof(int) * (d->n_cols + 1));
	if (d->names == NULL || d->assign == NULL)
	{
		aml_design_free(d);
		return aml_error_nomem(err, "model matrix");
	}
	col = 0;
	if (f->intercept)
	{
		d->names[col] = aml_strdup("(Intercept)");
		d->assign[col++] = 0;
	}
	for (int t = 0; t < f->n_terms; t++)
	{
		for (int k = 0; k < d->term_cols[t]; k++)
		{
			char		name[1024];
			int			len = 0;
			int			rem = k;

			name[0] = '\0';
			for (int v = 0; v < nv; v++)
			{
				int			code = d->coding[t * nv + v];
				int			n;
				char		part[512];

				if (!code)
					continue;
				n = var_cols(&vars[v], code);
				var_col_name(f, &vars[v], v, code, contrast, rem % n, part, sizeof(part));
				rem /= n;
				len += snprintf(name + len, sizeof(name) - len, "%s%s", len ? ":" : "", part);
				if (len >= (int) sizeof(name))
					len = sizeof(name) - 1;
			}
			d->names[col] = aml_strdup(name);
			d->assign[col++] = t + 1;
		}
	}
	for (int i = 0; i < d->n_cols; i++)
		if (d->names[i] == NULL)
		{
			aml_design_free(d);
			return aml_error_nomem(err, "model matrix");
		}
	*out = d;
	return AML_OK;
}

/* value of column j of variable v (given its value x) under a coding */
static inline double
var_value(const AmlDesign *d, const AmlDesignVar *v, int coding, int j, double x)
{
	int			level;

	if (!v->factor)
		return x;
	level = (int) x;
	if (coding == 2)
		return level == j ? 1.0 : 0.0;
	if (d->contrast == AML_CONTRAST_TREATMENT)
		return level == j + 1 ? 1.0 : 0.0;
	if (level == v->n_levels - 1)
		return -1.0;
	return level == j ? 1.0 : 0.0;
}

void
aml_design_row(const AmlDesign *d, const double *x, double *row)
{
	const AmlFormula *f = d->formula;
	int			nv = f->n_vars;
	int			col = 0;

	if (f->intercept)
		row[col++] = 1.0;
	for (int t = 0; t < f->n_terms; t++)
	{
		const unsigned char *coding = d->coding + t * nv;

		for (int k = 0; k < d->term_cols[t]; k++)
		{
			double		value = 1.0;
			int			rem = k;

			for (int v = 0; v < nv; v++)
			{
				int			n;

				if (!coding[v])
					continue;
				n = var_cols(&d->vars[v], coding[v]);
				value *= var_value(d, &d->vars[v], coding[v], rem % n, x[v]);
				rem /= n;
			}
			row[col++] = value;
		}
	}
}
