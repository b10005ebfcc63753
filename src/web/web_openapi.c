/*
 * web_openapi.c — /openapi.json, generated from the route table
 * (web_routes.c) and the columns a body may set (web_registry_routes.c).
 */
#include "postgres.h"

#include "utils/json.h"

#include "web/web_routes.h"

/* ------------------------------------------------------------ OpenAPI */

static const char *
status_text_of(const char *method, const Route *r)
{
	if (strcmp(method, "POST") == 0 && r->body)
		return "201";
	if (strstr(r->path, "/deploy") != NULL)
		return "202";
	return "200";
}

void
aml_web_openapi(StringInfo out)
{
	appendStringInfoString(out,
						   "{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"automl registry API\", \"version\": \"0.1\"},"
						   " \"components\": {\"securitySchemes\": {\"basic\": {\"type\": \"http\", \"scheme\": \"basic\"}},"
						   " \"schemas\": {\"Error\": {\"type\": \"object\", \"required\": [\"error\"], \"properties\":"
						   " {\"error\": {\"type\": \"string\"}, \"detail\": {\"type\": \"string\"}, \"hint\": {\"type\": \"string\"}}},");
	for (int s = 0; s < 2; s++)
	{
		const char *const *cols = s == 0 ? aml_web_app_columns : aml_web_config_columns;

		appendStringInfo(out, "%s\"%s\": {\"type\": \"object\", \"additionalProperties\": false, \"properties\": {",
						 s ? ", " : " ", s == 0 ? "App" : "Config");
		for (int k = 0; cols[k]; k++)
			appendStringInfo(out, "%s\"%s\": {}", k ? ", " : "", cols[k]);
		appendStringInfoString(out, "}}");
	}
	/* automl_submit's arguments are automl_train's: open-ended, checked by the server */
	appendStringInfoString(out, ", \"JobSubmit\": {\"type\": \"object\", \"required\": [\"relation\", \"target\"],"
						   " \"properties\": {\"relation\": {\"type\": \"string\"}, \"target\": {\"type\": \"string\"}},"
						   " \"additionalProperties\": true}");
	appendStringInfoString(out, "}}, \"security\": [{\"basic\": []}], \"paths\": {");
	for (int k = 0; k < aml_web_n_routes; k++)
	{
		const Route *r = &aml_web_routes[k];
		bool		first_of_path = (k == 0 || strcmp(aml_web_routes[k - 1].path, r->path) != 0);
		bool		last_of_path = (k == aml_web_n_routes - 1 || strcmp(aml_web_routes[k + 1].path, r->path) != 0);
		const char *s;
		bool		anyp = false;
		char		lower[8];

		if (first_of_path)
			appendStringInfo(out, "%s\"%s\": {", k ? ", " : "", r->path);
		else
			appendStringInfoString(out, ", ");
		for (int i = 0; r->method[i] && i < 7; i++)
			lower[i] = pg_ascii_tolower(r->method[i]), lower[i + 1] = '\0';
		appendStringInfo(out, "\"%s\": {\"summary\": ", lower);
		escape_json(out, r->summary);
		appendStringInfoString(out, ", \"parameters\": [");
		for (s = r->path; (s = strchr(s, '{')) != NULL; s++)
		{
			const char *e = strchr(s, '}');

			appendStringInfo(out, "%s{\"name\": \"%.*s\", \"in\": \"path\", \"required\": true, \"schema\": {\"type\": \"string\"}}",
							 anyp ? ", " : "", (int) (e - s - 1), s + 1);
			anyp = true;
		}
		if (r->list)
		{
			appendStringInfo(out, "%s{\"name\": \"limit\", \"in\": \"query\", \"schema\": {\"type\": \"integer\", \"maximum\": %d}},"
							 " {\"name\": \"offset\", \"in\": \"query\", \"schema\": {\"type\": \"integer\"}}",
							 anyp ? ", " : "", AML_WEB_MAX_LIMIT);
			anyp = true;
		}
		if (r->filter)
			appendStringInfo(out, "%s{\"name\": \"%s\", \"in\": \"query\", \"schema\": {\"type\": \"string\"}}",
							 anyp ? ", " : "", r->filter);
		appendStringInfoString(out, "]");
		if (r->body)
			appendStringInfo(out, ", \"requestBody\": {\"required\": true, \"content\": {\"application/json\":"
							 " {\"schema\": {\"$ref\": \"#/components/schemas/%s\"}}}}", r->body);
		if (strcmp(r->path, "/openapi.json") == 0)
			appendStringInfoString(out, ", \"security\": []");
		appendStringInfo(out, ", \"responses\": {\"%s\": {\"description\": \"success\", \"content\": {\"%s\": {}}}",
						 status_text_of(r->method, r),
						 strcmp(r->path, "/events") == 0 ? "text/event-stream" : "application/json");
		appendStringInfoString(out, ", \"default\": {\"description\": \"error\", \"content\": {\"application/json\":"
							   " {\"schema\": {\"$ref\": \"#/components/schemas/Error\"}}}}}}");
		if (last_of_path)
			appendStringInfoString(out, "}");
	}
	appendStringInfoString(out, "}}");
}
