/*
 * filter.c — query-builder JSON to a parameterised WHERE clause (filter.h).
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "access/htup_details.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "pg/filter.h"

typedef enum FilterOp
{
	OP_EQUAL,
	OP_NOT_EQUAL,
	OP_IN,
	OP_NOT_IN,
	OP_LESS,
	OP_LESS_OR_EQUAL,
	OP_GREATER,
	OP_GREATER_OR_EQUAL,
	OP_BETWEEN,
	OP_NOT_BETWEEN,
	OP_BEGINS_WITH,
	OP_NOT_BEGINS_WITH,
	OP_CONTAINS,
	OP_NOT_CONTAINS,
	OP_ENDS_WITH,
	OP_NOT_ENDS_WITH,
	OP_IS_EMPTY,
	OP_IS_NOT_EMPTY,
	OP_IS_NULL,
	OP_IS_NOT_NULL
} FilterOp;

static const struct
{
	const char *name;
	FilterOp	op;
}			operators[] =
{
	{"equal", OP_EQUAL},
	{"not_equal", OP_NOT_EQUAL},
	{"in", OP_IN},
	{"not_in", OP_NOT_IN},
	{"less", OP_LESS},
	{"less_or_equal", OP_LESS_OR_EQUAL},
	{"greater", OP_GREATER},
	{"greater_or_equal", OP_GREATER_OR_EQUAL},
	{"between", OP_BETWEEN},
	{"not_between", OP_NOT_BETWEEN},
	{"begins_with", OP_BEGINS_WITH},
	{"not_begins_with", OP_NOT_BEGINS_WITH},
	{"contains", OP_CONTAINS},
	{"not_contains", OP_NOT_CONTAINS},
	{"ends_with", OP_ENDS_WITH},
	{"not_ends_with", OP_NOT_ENDS_WITH},
	{"is_empty", OP_IS_EMPTY},
	{"is_not_empty", OP_IS_NOT_EMPTY},
	{"is_null", OP_IS_NULL},
	{"is_not_null", OP_IS_NOT_NULL},
};

typedef struct Compiler
{
	Oid			relid;
	StringInfoData sql;
	int			nparams;
	int			capacity;
	Oid		   *types;
	Datum	   *values;
	int			first_param;
} Compiler;

/* a resolved column: quoted name, base type and its input function */
typedef struct FilterColumn
{
	const char *quoted;
	const char *name;
	Oid			base;
	int32		typmod;
	Oid			input;
	Oid			ioparam;
} FilterColumn;

static void compile_group(Compiler *c, JsonbContainer *group, int depth);

static void
invalid(const char *message, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid filter: %s", message),
			 detail ? errdetail("%s", detail) : 0,
			 errhint("A filter is query-builder JSON: {\"condition\": \"AND\", \"rules\": [{\"field\": \"age\", \"operator\": \"greater\", \"value\": 60}]}.")));
}

static bool
get_key(JsonbContainer *obj, const char *key, JsonbValue *out)
{
	return getKeyJsonValueFromContainer(obj, key, strlen(key), out) != NULL;
}

static char *
get_string_key(JsonbContainer *obj, const char *key, bool required, const char *what)
{
	JsonbValue	v;

	if (!get_key(obj, key, &v) || v.type == jbvNull)
	{
		if (required)
			invalid(psprintf("%s has no \"%s\"", what, key), NULL);
		return NULL;
	}
	if (v.type != jbvString)
		invalid(psprintf("\"%s\" of %s must be a string", key, what), NULL);
	return pnstrdup(v.val.string.val, v.val.string.len);
}

static int
add_param(Compiler *c, Oid type, Datum value)
{
	if (c->nparams == c->capacity)
	{
		c->capacity *= 2;
		c->types = repalloc(c->types, sizeof(Oid) * c->capacity);
		c->values = repalloc(c->values, sizeof(Datum) * c->capacity);
	}
	c->types[c->nparams] = type;
	c->values[c->nparams] = value;
	return c->first_param + c->nparams++;
}

/* The text of a JSON scalar value (strings, numbers, booleans). */
static char *
scalar_text(const JsonbValue *v, const FilterColumn *col)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		case jbvNull:
			invalid(psprintf("a null value for column \"%s\"", col->name),
					"Use the operators is_null and is_not_null to test for NULL.");
			break;
		default:
			invalid(psprintf("the value for column \"%s\" must be a string, a number or a boolean",
							 col->name), NULL);
	}
	return NULL;
}

/* A value converted to the column's type, bound as the next parameter. */
static int
typed_param(Compiler *c, const FilterColumn *col, const JsonbValue *v)
{
	char	   *text = scalar_text(v, col);
	Datum		d = OidInputFunctionCall(col->input, text, col->ioparam, col->typmod);

	return add_param(c, col->base, d);
}

static int
text_param(Compiler *c, const FilterColumn *col, const JsonbValue *v)
{
	return add_param(c, TEXTOID, CStringGetTextDatum(scalar_text(v, col)));
}

static Oid
operator_namespace(Oid opr)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opr));
	Oid			nsp;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", opr);
	nsp = ((Form_pg_operator) GETSTRUCT(tup))->oprnamespace;
	ReleaseSysCache(tup);
	return nsp;
}

/* "OPERATOR(schema.op)" of a B-tree strategy of the column's type */
static char *
comparison(const FilterColumn *col, int strategy)
{
	TypeCacheEntry *tc = lookup_type_cache(col->base, TYPECACHE_BTREE_OPFAMILY);
	Oid			opr = InvalidOid;

	if (OidIsValid(tc->btree_opf))
		opr = get_opfamily_member(tc->btree_opf, tc->btree_opintype, tc->btree_opintype, strategy);
	if (!OidIsValid(opr))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("invalid filter: column \"%s\" of type %s cannot be compared",
						col->name, format_type_be(col->base)),
				 errhint("Use is_null, is_not_null or a string operator on this column.")));
	return psprintf("OPERATOR(%s.%s)",
					quote_identifier(get_namespace_name(operator_namespace(opr))),
					get_opname(opr));
}

static void
resolve_column(Compiler *c, const char *field, FilterColumn *col)
{
	AttrNumber	attnum = get_attnum(c->relid, field);
	Oid			typid;
	Oid			collation;

	if (attnum == InvalidAttrNumber || attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("invalid filter: column \"%s\" of relation %s does not exist",
						field, get_rel_name(c->relid))));
	col->name = field;
	col->quoted = quote_identifier(field);
	get_atttypetypmodcoll(c->relid, attnum, &typid, &col->typmod, &collation);
	col->base = getBaseTypeAndTypmod(typid, &col->typmod);
	getTypeInputInfo(col->base, &col->input, &col->ioparam);
}

/* the elements of an array value, checked for count (-1: any) */
static JsonbContainer *
array_value(const JsonbValue *v, const FilterColumn *col, const char *opname, int count)
{
	JsonbContainer *a;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		invalid(psprintf("operator %s on column \"%s\" needs an array value", opname, col->name), NULL);
	a = v->val.binary.data;
	if (count >= 0 && JsonContainerSize(a) != (uint32) count)
		invalid(psprintf("operator %s on column \"%s\" needs an array of %d values",
						 opname, col->name, count), NULL);
	return a;
}

static void
compile_rule(Compiler *c, JsonbContainer *rule)
{
	char	   *field = get_string_key(rule, "field", false, "a rule");
	char	   *opname = get_string_key(rule, "operator", true, "a rule");
	FilterOp	op = OP_EQUAL;
	bool		found = false;
	bool		has_value;
	JsonbValue	value;
	FilterColumn col;
	StringInfo	s = &c->sql;

	if (field == NULL)
		field = get_string_key(rule, "id", false, "a rule");
	if (field == NULL)
		invalid("a rule has no \"field\"", NULL);
	for (int i = 0; i < lengthof(operators); i++)
		if (strcmp(operators[i].name, opname) == 0)
		{
			op = operators[i].op;
			found = true;
		}
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid filter: unknown operator \"%s\"", opname),
				 errhint("The operators are those of jQuery QueryBuilder: equal, not_equal, in, not_in, less, less_or_equal, greater, greater_or_equal, between, not_between, begins_with, not_begins_with, contains, not_contains, ends_with, not_ends_with, is_empty, is_not_empty, is_null, is_not_null.")));
	resolve_column(c, field, &col);
	has_value = get_key(rule, "value", &value);
	if (!has_value && op != OP_IS_EMPTY && op != OP_IS_NOT_EMPTY &&
		op != OP_IS_NULL && op != OP_IS_NOT_NULL)
		invalid(psprintf("operator %s on column \"%s\" needs a value", opname, field), NULL);

	switch (op)
	{
		case OP_EQUAL:
		case OP_NOT_EQUAL:
		case OP_LESS:
		case OP_LESS_OR_EQUAL:
		case OP_GREATER:
		case OP_GREATER_OR_EQUAL:
			{
				int			strategy = op == OP_LESS ? BTLessStrategyNumber :
					op == OP_LESS_OR_EQUAL ? BTLessEqualStrategyNumber :
					op == OP_GREATER ? BTGreaterStrategyNumber :
					op == OP_GREATER_OR_EQUAL ? BTGreaterEqualStrategyNumber :
					BTEqualStrategyNumber;
				char	   *opr = comparison(&col, strategy);
				int			p = typed_param(c, &col, &value);

				appendStringInfo(s, "%s(%s %s $%d)", op == OP_NOT_EQUAL ? "NOT " : "",
								 col.quoted, opr, p);
				break;
			}
		case OP_IN:
		case OP_NOT_IN:
			{
				JsonbContainer *a = array_value(&value, &col, opname, -1);
				int			n = JsonContainerSize(a);
				char	   *opr = comparison(&col, BTEqualStrategyNumber);

				appendStringInfoString(s, op == OP_NOT_IN ? "NOT (false" : "(false");
				for (int i = 0; i < n; i++)
				{
					JsonbValue *e = getIthJsonbValueFromContainer(a, i);

					appendStringInfo(s, " OR %s %s $%d", col.quoted, opr, typed_param(c, &col, e));
				}
				appendStringInfoChar(s, ')');
				break;
			}
		case OP_BETWEEN:
		case OP_NOT_BETWEEN:
			{
				JsonbContainer *a = array_value(&value, &col, opname, 2);
				char	   *ge = comparison(&col, BTGreaterEqualStrategyNumber);
				char	   *le = comparison(&col, BTLessEqualStrategyNumber);
				int			lo = typed_param(c, &col, getIthJsonbValueFromContainer(a, 0));
				int			hi = typed_param(c, &col, getIthJsonbValueFromContainer(a, 1));

				appendStringInfo(s, "%s(%s %s $%d AND %s %s $%d)", op == OP_NOT_BETWEEN ? "NOT " : "",
								 col.quoted, ge, lo, col.quoted, le, hi);
				break;
			}
		case OP_BEGINS_WITH:
		case OP_NOT_BEGINS_WITH:
			appendStringInfo(s, "%spg_catalog.starts_with((%s)::pg_catalog.text, $%d)",
							 op == OP_NOT_BEGINS_WITH ? "NOT " : "", col.quoted,
							 text_param(c, &col, &value));
			break;
		case OP_CONTAINS:
		case OP_NOT_CONTAINS:
			appendStringInfo(s, "%s(pg_catalog.strpos((%s)::pg_catalog.text, $%d) OPERATOR(pg_catalog.>) 0)",
							 op == OP_NOT_CONTAINS ? "NOT " : "", col.quoted,
							 text_param(c, &col, &value));
			break;
		case OP_ENDS_WITH:
		case OP_NOT_ENDS_WITH:
			appendStringInfo(s, "%spg_catalog.starts_with(pg_catalog.reverse((%s)::pg_catalog.text), pg_catalog.reverse($%d))",
							 op == OP_NOT_ENDS_WITH ? "NOT " : "", col.quoted,
							 text_param(c, &col, &value));
			break;
		case OP_IS_EMPTY:
		case OP_IS_NOT_EMPTY:
			appendStringInfo(s, "((%s)::pg_catalog.text OPERATOR(pg_catalog.%s) '')", col.quoted,
							 op == OP_IS_EMPTY ? "=" : "<>");
			break;
		case OP_IS_NULL:
			appendStringInfo(s, "(%s IS NULL)", col.quoted);
			break;
		case OP_IS_NOT_NULL:
			appendStringInfo(s, "(%s IS NOT NULL)", col.quoted);
			break;
	}
}

static void
compile_group(Compiler *c, JsonbContainer *group, int depth)
{
	char	   *condition = get_string_key(group, "condition", false, "a group");
	JsonbValue	v;
	JsonbContainer *rules;
	bool		negate = false;
	bool		is_or = false;
	int			n;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (condition != NULL)
	{
		if (pg_strcasecmp(condition, "OR") == 0)
			is_or = true;
		else if (pg_strcasecmp(condition, "AND") != 0)
			invalid(psprintf("unknown condition \"%s\"", condition), "A condition is AND or OR.");
	}
	if (get_key(group, "not", &v) && v.type != jbvNull)
	{
		if (v.type != jbvBool)
			invalid("\"not\" must be a boolean", NULL);
		negate = v.val.boolean;
	}
	if (!get_key(group, "rules", &v) || v.type == jbvNull)
	{
		appendStringInfoString(&c->sql, negate ? "false" : "true");
		return;
	}
	if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
		invalid("\"rules\" must be an array", NULL);
	rules = v.val.binary.data;
	n = JsonContainerSize(rules);
	appendStringInfoString(&c->sql, negate ? "NOT (" : "(");
	if (n == 0)
		appendStringInfoString(&c->sql, "true");
	for (int i = 0; i < n; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(rules, i);

		if (e->type != jbvBinary || !JsonContainerIsObject(e->val.binary.data))
			invalid("every element of \"rules\" must be an object", NULL);
		if (i > 0)
			appendStringInfoString(&c->sql, is_or ? " OR " : " AND ");
		if (get_key(e->val.binary.data, "rules", &v) || get_key(e->val.binary.data, "condition", &v))
			compile_group(c, e->val.binary.data, depth + 1);
		else
			compile_rule(c, e->val.binary.data);
	}
	appendStringInfoChar(&c->sql, ')');
}

AmlWhere *
aml_filter_compile(Jsonb *filter, Oid relid, int first_param)
{
	AmlWhere   *w = palloc0(sizeof(AmlWhere));
	Compiler	c;

	w->first_param = first_param;
	if (filter == NULL || (JB_ROOT_IS_SCALAR(filter) &&
						   getIthJsonbValueFromContainer(&filter->root, 0)->type == jbvNull))
		return w;
	if (!JB_ROOT_IS_OBJECT(filter))
		invalid("a filter must be a JSON object", NULL);
	memset(&c, 0, sizeof(c));
	c.relid = relid;
	c.first_param = first_param;
	c.capacity = 8;
	c.types = palloc(sizeof(Oid) * c.capacity);
	c.values = palloc(sizeof(Datum) * c.capacity);
	initStringInfo(&c.sql);
	{
		JsonbValue	v;

		/* a lone rule is accepted as a group of one */
		if (get_key(&filter->root, "operator", &v))
			compile_rule(&c, &filter->root);
		else
			compile_group(&c, &filter->root, 0);
	}

	w->clause = c.sql.data;
	w->nparams = c.nparams;
	w->types = c.types;
	w->values = c.values;
	w->nulls = palloc(c.nparams + 1);
	memset(w->nulls, ' ', c.nparams);
	w->nulls[c.nparams] = '\0';
	return w;
}
