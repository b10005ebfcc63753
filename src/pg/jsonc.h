/*
 * jsonc.h — include json-c next to PostgreSQL's headers.
 *
 * PostgreSQL's utils/fmgrprotos.h declares the SQL function json_object();
 * json-c names its type json_object.  Include this header right after
 * postgres.h in every glue file that uses json-c or the pure-C layers: it
 * reads fmgrprotos.h with the function renamed, then json-c.
 */
#ifndef AML_PG_JSONC_H
#define AML_PG_JSONC_H

#define json_object pg_sql_json_object
#include "utils/fmgrprotos.h"
#undef json_object

#include <json.h>

#endif
