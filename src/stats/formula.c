/*
 * formula.c — parsing and expanding R model formulas (formula.h).
 *
 * A recursive-descent parser with R's precedences (lowest first):
 *   ~    + -    * /    :    ^    unary -    ( ) names . 0 1
 * Each sub-expression evaluates to a list of terms (sets of variables);
 * the number 1 is the empty term (the intercept) and 0 a request to drop it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/memory.h"
#include "stats/formula.h"

#define MAX_TERMS 4096

typedef struct TermList
{
	int			n;
	AmlTermSet	t[MAX_TERMS];
	bool		zero;			/* the expression was the number 0 */
} TermList;

typedef struct Parser
{
	const char *text;
	int			pos;
	const char *const *columns;
	int			n_columns;
	AmlFormula *f;
	const char *response;
	AmlError   *err;
	int		   *error_pos;
	int			depth;
} Parser;

static AmlStatus parse_sum(Parser *p, TermList *out);

static AmlStatus
fail(Parser *p, int pos, const char *msg)
{
	*p->error_pos = pos + 1;
	aml_error(p->err, AML_ERR_INVALID_PARAMETER, "syntax error in formula: %s", msg);
	aml_error_detail(p->err, "At character %d of \"%s\".", pos + 1, p->text);
	return AML_ERR_INVALID_PARAMETER;
}

static void
skip_space(Parser *p)
{
	while (p->text[p->pos] && isspace((unsigned char) p->text[p->pos]))
		p->pos++;
}

static bool
add_term(TermList *l, AmlTermSet t)
{
	for (int i = 0; i < l->n; i++)
		if (l->t[i] == t)
			return true;
	if (l->n == MAX_TERMS)
		return false;
	l->t[l->n++] = t;
	return true;
}

static AmlStatus
too_many(Parser *p)
{
	*p->error_pos = 0;
	return aml_error(p->err, AML_ERR_INVALID_PARAMETER, "formula has too many terms");
}

static AmlStatus
variable(Parser *p, const char *name, int len, int pos, int *index)
{
	AmlFormula *f = p->f;

	if (p->response && (int) strlen(p->response) == len && memcmp(p->response, name, len) == 0)
		return fail(p, pos, "the response cannot also be a term");
	for (int i = 0; i < f->n_vars; i++)
		if ((int) strlen(f->vars[i]) == len && memcmp(f->vars[i], name, len) == 0)
		{
			*index = i;
			return AML_OK;
		}
	if (f->n_vars == AML_FORMULA_MAX_VARS)
	{
		*p->error_pos = pos + 1;
		return aml_error(p->err, AML_ERR_INVALID_PARAMETER,
						 "formula has more than %d variables", AML_FORMULA_MAX_VARS);
	}
	f->vars[f->n_vars] = aml_strndup(name, len);
	if (f->vars[f->n_vars] == NULL)
		return aml_error_nomem(p->err, "formula");
	*index = f->n_vars++;
	return AML_OK;
}

/* a name: letters, digits, '.', '_' (R's syntactic names) or `backquoted` */
static AmlStatus
parse_name(Parser *p, char *buf, int buflen, int *len)
{
	const char *s = p->text;
	int			start = p->pos;
	int			n = 0;

	if (s[p->pos] == '`')
	{
		p->pos++;
		while (s[p->pos] && s[p->pos] != '`')
		{
			if (n < buflen - 1)
				buf[n++] = s[p->pos];
			p->pos++;
		}
		if (s[p->pos] != '`')
			return fail(p, start, "unterminated backquoted name");
		p->pos++;
		if (n == 0)
			return fail(p, start, "empty name");
	}
	else
		while (isalnum((unsigned char) s[p->pos]) || s[p->pos] == '_' || s[p->pos] == '.' ||
			   (unsigned char) s[p->pos] >= 0x80)
		{
			if (n < buflen - 1)
				buf[n++] = s[p->pos];
			p->pos++;
		}
	if (n >= 63)
		return fail(p, start, "name too long");
	buf[n] = '\0';
	*len = n;
	return AML_OK;
}

static AmlStatus
parse_primary(Parser *p, TermList *out)
{
	const char *s = p->text;
	int			start;

	out->n = 0;
	out->zero = false;
	skip_space(p);
	start = p->pos;
	if (++p->depth > 200)
		return fail(p, start, "formula nested too deeply");
	if (s[p->pos] == '(')
	{
		p->pos++;
		AML_TRY(parse_sum(p, out));
		skip_space(p);
		if (s[p->pos] != ')')
			return fail(p, p->pos, s[p->pos] ? "expected ')'" : "missing ')'");
		p->pos++;
	}
	else if (s[p->pos] == '.' && !isalnum((unsigned char) s[p->pos + 1]) &&
			 s[p->pos + 1] != '_' && s[p->pos + 1] != '.')
	{
		p->pos++;
		if (p->columns == NULL)
			return fail(p, start, "'.' needs a relation");
		for (int c = 0; c < p->n_columns; c++)
		{
			int			v;

			if (p->response && strcmp(p->columns[c], p->response) == 0)
				continue;
			AML_TRY(variable(p, p->columns[c], (int) strlen(p->columns[c]), start, &v));
			if (!add_term(out, (AmlTermSet) 1 << v))
				return too_many(p);
		}
	}
	else if (isdigit((unsigned char) s[p->pos]))
	{
		int			v = 0;

		while (isdigit((unsigned char) s[p->pos]))
		{
			v = v * 10 + (s[p->pos] - '0');
			if (v > 1)
				return fail(p, start, "only the numbers 0 and 1 may appear as terms");
			p->pos++;
		}
		if (v == 1)
			add_term(out, 0);
		else
			out->zero = true;
	}
	else if (isalpha((unsigned char) s[p->pos]) || s[p->pos] == '`' || s[p->pos] == '.' ||
			 (unsigned char) s[p->pos] >= 0x80)
	{
		char		name[64];
		int			len;
		int			v;

		AML_TRY(parse_name(p, name, sizeof(name), &len));
		skip_space(p);
		if (s[p->pos] == '(')
			return fail(p, start, "functions of variables are not supported");
		AML_TRY(variable(p, name, len, start, &v));
		add_term(out, (AmlTermSet) 1 << v);
	}
	else if (s[p->pos] == '\0')
		return fail(p, start, "unexpected end of formula");
	else
	{
		char		msg[32];

		snprintf(msg, sizeof(msg), "unexpected '%c'", s[p->pos]);
		return fail(p, start, msg);
	}
	p->depth--;
	return AML_OK;
}

/* A:B — every union of a term of A with a term of B */
static AmlStatus
interact(Parser *p, const TermList *a, const TermList *b, TermList *out)
{
	TermList   *r = aml_alloc(sizeof(TermList));

	if (r == NULL)
		return aml_error_nomem(p->err, "formula");
	r->n = 0;
	r->zero = false;
	for (int i = 0; i < a->n; i++)
		for (int j = 0; j < b->n; j++)
			if (!add_term(r, a->t[i] | b->t[j]))
			{
				aml_free(r);
				return too_many(p);
			}
	*out = *r;
	aml_free(r);
	return AML_OK;
}

/* power := unary ('^' integer)? */
static AmlStatus
parse_power(Parser *p, TermList *out)
{
	const char *s = p->text;

	skip_space(p);
	if (s[p->pos] == '-')
	{
		/* unary minus inside a product makes no sense in R either */
		return fail(p, p->pos, "unexpected '-'");
	}
	AML_TRY(parse_primary(p, out));
	skip_space(p);
	if (s[p->pos] == '^')
	{
		int			start = ++p->pos;
		int			n = 0;
		TermList   *base = aml_alloc(sizeof(TermList));
		AmlStatus	st = AML_OK;

		skip_space(p);
		start = p->pos;
		while (isdigit((unsigned char) s[p->pos]) && n < 100)
			n = n * 10 + (s[p->pos++] - '0');
		if (base == NULL)
			return aml_error_nomem(p->err, "formula");
		if (p->pos == start || n < 1)
		{
			aml_free(base);
			return fail(p, start, "'^' needs a positive integer");
		}
		*base = *out;
		/* (A)^n = A * A * ... : all unions of up to n terms */
		for (int k = 1; k < n && st == AML_OK; k++)
		{
			TermList   *prod = aml_alloc(sizeof(TermList));

			if (prod == NULL)
			{
				st = aml_error_nomem(p->err, "formula");
				break;
			}
			st = interact(p, out, base, prod);
			for (int i = 0; st == AML_OK && i < prod->n; i++)
				if (!add_term(out, prod->t[i]))
					st = too_many(p);
			aml_free(prod);
		}
		aml_free(base);
		return st;
	}
	return AML_OK;
}

/* inter := power (':' power)* */
static AmlStatus
parse_inter(Parser *p, TermList *out)
{
	AML_TRY(parse_power(p, out));
	for (;;)
	{
		TermList   *rhs;
		AmlStatus	st;

		skip_space(p);
		if (p->text[p->pos] != ':')
			return AML_OK;
		p->pos++;
		rhs = aml_alloc(sizeof(TermList));
		if (rhs == NULL)
			return aml_error_nomem(p->err, "formula");
		st = parse_power(p, rhs);
		if (st == AML_OK)
			st = interact(p, out, rhs, out);
		aml_free(rhs);
		AML_TRY(st);
	}
}

/* product := inter (('*' | '/') inter)* */
static AmlStatus
parse_product(Parser *p, TermList *out)
{
	AML_TRY(parse_inter(p, out));
	for (;;)
	{
		char		op;
		TermList   *rhs;
		TermList   *both;
		AmlStatus	st;

		skip_space(p);
		op = p->text[p->pos];
		if (op != '*' && op != '/')
			return AML_OK;
		p->pos++;
		rhs = aml_alloc(sizeof(TermList));
		both = aml_alloc(sizeof(TermList));
		if (rhs == NULL || both == NULL)
		{
			aml_free(rhs);
			aml_free(both);
			return aml_error_nomem(p->err, "formula");
		}
		st = parse_inter(p, rhs);
		if (st == AML_OK && op == '*')
		{
			/* A*B = A + B + A:B */
			st = interact(p, out, rhs, both);
			for (int i = 0; st == AML_OK && i < rhs->n; i++)
				if (!add_term(out, rhs->t[i]))
					st = too_many(p);
		}
		else if (st == AML_OK)
		{
			/* A/B = A + (all of A):B */
			TermList   *all = aml_alloc(sizeof(TermList));

			if (all == NULL)
				st = aml_error_nomem(p->err, "formula");
			else
			{
				AmlTermSet u = 0;

				for (int i = 0; i < out->n; i++)
					u |= out->t[i];
				all->n = 1;
				all->t[0] = u;
				all->zero = false;
				st = interact(p, all, rhs, both);
				aml_free(all);
			}
		}
		for (int i = 0; st == AML_OK && i < both->n; i++)
			if (!add_term(out, both->t[i]))
				st = too_many(p);
		aml_free(rhs);
		aml_free(both);
		AML_TRY(st);
	}
}

/* sum := ['-'] product (('+' | '-') product)*; collects intercept removal */
static AmlStatus
parse_sum_impl(Parser *p, TermList *out, bool *no_intercept)
{
	bool		first = true;

	out->n = 0;
	out->zero = false;
	for (;;)
	{
		char		op = '+';
		TermList   *rhs;
		AmlStatus	st;

		skip_space(p);
		if (!first)
		{
			op = p->text[p->pos];
			if (op != '+' && op != '-')
				return AML_OK;
			p->pos++;
		}
		else if (p->text[p->pos] == '-')
		{
			op = '-';
			p->pos++;
		}
		first = false;
		rhs = aml_alloc(sizeof(TermList));
		if (rhs == NULL)
			return aml_error_nomem(p->err, "formula");
		st = parse_product(p, rhs);
		if (st == AML_OK)
		{
			if (op == '+')
			{
				if (rhs->zero)
					*no_intercept = true;
				for (int i = 0; st == AML_OK && i < rhs->n; i++)
				{
					if (rhs->t[i] == 0)
						*no_intercept = false;
					if (!add_term(out, rhs->t[i]))
						st = too_many(p);
				}
			}
			else
			{
				if (rhs->zero)
					*no_intercept = false;
				for (int i = 0; i < rhs->n; i++)
				{
					if (rhs->t[i] == 0)
						*no_intercept = true;
					for (int j = 0; j < out->n; j++)
						if (out->t[j] == rhs->t[i])
						{
							memmove(&out->t[j], &out->t[j + 1], sizeof(AmlTermSet) * (out->n - j - 1));
							out->n--;
							break;
						}
				}
			}
		}
		aml_free(rhs);
		AML_TRY(st);
	}
}

static AmlStatus
parse_sum(Parser *p, TermList *out)
{
	bool		no_intercept = false;

	AML_TRY(parse_sum_impl(p, out, &no_intercept));
	/* inside parentheses "0" and "-1" keep their meaning as a lone zero */
	if (no_intercept && out->n == 0)
		out->zero = true;
	else if (no_intercept)
		out->zero = true;
	return AML_OK;
}

int
aml_term_order(AmlTermSet t)
{
	return __builtin_popcountll(t);
}

void
aml_term_label(const AmlFormula *f, AmlTermSet t, char *buf, int buflen)
{
	int			n = 0;

	buf[0] = '\0';
	for (int v = 0; v < f->n_vars; v++)
		if (t & ((AmlTermSet) 1 << v))
			n += snprintf(buf + (n < buflen ? n : buflen - 1), n < buflen ? buflen - n : 1,
						  "%s%s", n ? ":" : "", f->vars[v]);
}

int
aml_formula_find_var(const AmlFormula *f, const char *name)
{
	for (int i = 0; i < f->n_vars; i++)
		if (strcmp(f->vars[i], name) == 0)
			return i;
	return -1;
}

void
aml_formula_free(AmlFormula *f)
{
	if (f == NULL)
		return;
	for (int i = 0; i < f->n_vars; i++)
		aml_free(f->vars[i]);
	aml_free(f->vars);
	aml_free(f->terms);
	aml_free(f->response);
	aml_free(f);
}

AmlStatus
aml_formula_parse(const char *text, const char *const *columns, int n_columns,
				  AmlFormula **out, int *error_pos, AmlError *err)
{
	Parser		p;
	AmlFormula *f;
	TermList   *terms;
	bool		no_intercept = false;
	const char *tilde;
	AmlStatus	st;
	int			dummy_pos;

	if (error_pos == NULL)
		error_pos = &dummy_pos;
	*error_pos = 0;
	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.text = text;
	p.columns = columns;
	p.n_columns = n_columns;
	p.err = err;
	p.error_pos = error_pos;

	f = aml_alloc0(sizeof(AmlFormula));
	terms = aml_alloc(sizeof(TermList));
	if (f == NULL || terms == NULL)
	{
		aml_free(f);
		aml_free(terms);
		return aml_error_nomem(err, "formula");
	}
	f->vars = aml_alloc0(sizeof(char *) * AML_FORMULA_MAX_VARS);
	if (f->vars == NULL)
	{
		st = aml_error_nomem(err, "formula");
		goto done;
	}

	/* response: a single name before '~', or nothing */
	tilde = strchr(text, '~');
	if (tilde == NULL)
	{
		st = fail(&p, (int) strlen(text), "a formula needs '~'");
		goto done;
	}
	skip_space(&p);
	if (p.text + p.pos < tilde)
	{
		char		name[64];
		int			len;
		int			start = p.pos;

		if (!(isalpha((unsigned char) text[p.pos]) || text[p.pos] == '`' || text[p.pos] == '.' ||
			  (unsigned char) text[p.pos] >= 0x80))
		{
			st = fail(&p, p.pos, "the response must be a column name");
			goto done;
		}
		if ((st = parse_name(&p, name, sizeof(name), &len)) != AML_OK)
			goto done;
		skip_space(&p);
		if (p.text + p.pos != tilde)
		{
			st = fail(&p, p.pos < start ? start : p.pos, "the response must be a single column name");
			goto done;
		}
		f->response = aml_strdup(name);
		if (f->response == NULL)
		{
			st = aml_error_nomem(err, "formula");
			goto done;
		}
	}
	p.response = f->response;
	p.pos = (int) (tilde - text) + 1;
	p.f = f;
	if ((st = parse_sum_impl(&p, terms, &no_intercept)) != AML_OK)
		goto done;
	skip_space(&p);
	if (text[p.pos] != '\0')
	{
		char		msg[32];

		snprintf(msg, sizeof(msg), "unexpected '%c'", text[p.pos]);
		st = fail(&p, p.pos, msg);
		goto done;
	}

	/* order terms by their order, stably; the empty term is the intercept */
	f->intercept = !no_intercept;
	f->terms = aml_alloc(sizeof(AmlTermSet) * (terms->n + 1));
	if (f->terms == NULL)
	{
		st = aml_error_nomem(err, "formula");
		goto done;
	}
	for (int order = 1; order <= AML_FORMULA_MAX_VARS; order++)
		for (int i = 0; i < terms->n; i++)
			if (terms->t[i] != 0 && aml_term_order(terms->t[i]) == order)
				f->terms[f->n_terms++] = terms->t[i];
	st = AML_OK;

done:
	aml_free(terms);
	if (st != AML_OK)
		aml_formula_free(f);
	else
		*out = f;
	return st;
}
