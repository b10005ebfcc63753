--
-- variables: importing MIP's variable hierarchy into automl.variables, and the
-- loader using it to decide column kinds
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
\set hierarchy `cat test/data/mip_cde_variables.json`
SELECT automl_import_variables(:'hierarchy') AS imported;
SELECT count(*), count(DISTINCT type) FROM automl.variables;
SELECT type, count(*) FROM automl.variables GROUP BY type ORDER BY type;
SELECT code, label, type, sql_type, units, group_path, jsonb_array_length(enumerations) AS n_enum
FROM automl.variables WHERE code IN ('apoe4', 'lefthippocampus', 'gender', 'alzheimerbroadcategory', 'minimentalstate')
ORDER BY code;
-- MIP's doubled apostrophes are imported as one
SELECT count(*) AS doubled_quotes_left FROM automl.variables WHERE label LIKE '%''''%' OR description LIKE '%''''%';
SELECT code, substring(description FROM '\w+''s disease') AS apostrophe FROM automl.variables
WHERE description LIKE '%''%' ORDER BY code LIMIT 2;
-- importing again updates in place
SELECT automl_import_variables(:'hierarchy') AS imported_again;
SELECT count(*) FROM automl.variables;
-- the sample-data hierarchy adds its variables
\set sample `cat test/data/sample_variables.json`
SELECT automl_import_variables(:'sample') AS imported;
SELECT code, type, datasets FROM automl.variables WHERE 'CHUV4' = ANY (datasets) ORDER BY code LIMIT 3;

-- metadata decides kinds: an integer column described as polynominal is
-- categorical, a text column described as real is numeric
SELECT automl_import_variables('{"code": "root", "variables": [
  {"code": "grade", "label": "Grade", "type": "polynominal",
   "enumerations": [{"code": 1, "label": "low"}, {"code": 2, "label": "high"}]},
  {"code": "weight_text", "label": "Weight", "type": "real", "units": "kg"}]}');
CREATE TABLE described (grade int, weight_text text, plain int);
INSERT INTO described VALUES (1, '70.5', 1), (2, ' 80', 2), (2, NULL, 3);
SELECT column_name, kind, count, distinct_count, mean, top, top_count FROM automl_summary('described');
INSERT INTO described VALUES (1, 'heavy', 4);
SELECT * FROM automl_summary('described');

-- malformed hierarchies: each names what is wrong and where
SELECT automl_import_variables('[]');
SELECT automl_import_variables('{"groups": {}}');
SELECT automl_import_variables('{"groups": [{"code": "g", "variables": [{"label": "no code", "type": "real"}]}]}');
SELECT automl_import_variables('{"groups": [{"code": "g", "groups": [{"code": "h", "variables": [{"code": "v", "type": "decimal"}]}]}]}');
SELECT automl_import_variables('{"variables": [{"code": "v"}]}');
SELECT automl_import_variables('{"variables": [{"code": "v", "type": "real"}, {"code": "v", "type": "integer"}]}');
SELECT automl_import_variables('{"variables": [{"code": "v", "type": "real", "enumerations": [{"label": "x"}]}]}');
SELECT automl_import_variables('{"variables": [{"code": "v", "type": "real", "minValue": "low"}]}');
SELECT automl_import_variables('{"variables": [7]}');
SELECT automl_import_variables(NULL) IS NULL AS null_in_null_out;
-- a failed import changes nothing
SELECT count(*) FROM automl.variables WHERE code = 'v';

-- only roles allowed to write automl.variables may import
CREATE ROLE regress_importer;
SET ROLE regress_importer;
SELECT automl_import_variables('{"variables": [{"code": "x", "type": "real"}]}');
SELECT count(*) > 0 AS can_read FROM automl.variables;
RESET ROLE;
DROP ROLE regress_importer;
