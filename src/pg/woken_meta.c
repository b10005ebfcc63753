/*
 * woken_meta.c — automl_import_variables(hierarchy, target_table, source,
 * histogram_groupings): meta-db's meta_variables row of a table, kept whole
 * as Woken reads it, and its variables imported into automl.variables.
 *
 * Both writes run with the caller's rights (who may change metadata is
 * decided by the grants on the tables), with search_path pinned.
 */
#include "postgres.h"

#include "fmgr.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "pg/security.h"

PG_FUNCTION_INFO_V1(automl_import_meta_variables);

extern Datum automl_import_variables(PG_FUNCTION_ARGS);

Datum
automl_import_meta_variables(PG_FUNCTION_ARGS)
{
	Jsonb	   *hierarchy;
	text	   *target;
	char	   *source;
	text	   *groupings;
	Oid			types[4] = {TEXTOID, JSONBOID, TEXTOID, TEXTOID};
	Datum		values[4];
	AmlActAs	safe;
	int			ret;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("hierarchy and target_table must not be NULL")));
	hierarchy = PG_GETARG_JSONB_P(0);
	target = PG_GETARG_TEXT_PP(1);
	if (!JB_ROOT_IS_OBJECT(hierarchy) || JB_ROOT_IS_SCALAR(hierarchy))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a variable hierarchy must be a JSON object"),
				 errhint("Pass the root group: {\"code\": \"root\", \"groups\": [...], \"variables\": [...]}.")));
	if (VARSIZE_ANY_EXHDR(target) == 0 || VARSIZE_ANY_EXHDR(target) > 256)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target_table must have between 1 and 256 characters")));
	source = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	groupings = PG_ARGISNULL(3) ? cstring_to_text("") : PG_GETARG_TEXT_PP(3);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aml_act_as(&safe, InvalidOid);
	values[0] = source ? CStringGetTextDatum(source) : (Datum) 0;
	values[1] = JsonbPGetDatum(hierarchy);
	values[2] = PointerGetDatum(target);
	values[3] = PointerGetDatum(groupings);
	ret = SPI_execute_with_args(
		"INSERT INTO woken.meta_variables AS m (source, hierarchy, target_table, histogram_groupings) "
		"VALUES (COALESCE($1, pg_catalog.lower($3)), $2, $3, $4) "
		"ON CONFLICT (source) DO UPDATE SET hierarchy = excluded.hierarchy, "
		"target_table = excluded.target_table, histogram_groupings = excluded.histogram_groupings",
		4, types, values, source ? "    " : "n   ", false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "storing the hierarchy failed: %s", SPI_result_code_string(ret));
	aml_act_end(&safe);
	SPI_finish();
	PG_RETURN_DATUM(DirectFunctionCall1(automl_import_variables, JsonbPGetDatum(hierarchy)));
}
