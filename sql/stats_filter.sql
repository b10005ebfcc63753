--
-- stats_filter: query-builder JSON filters (src/pg/filter.c) through
-- automl_summary and automl_fit: every operator, nested groups, NOT, types,
-- and the errors (unknown field or operator, injection attempts).
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
CREATE SCHEMA flt;
CREATE TYPE flt.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE flt.p (id int, age float8, sex text, dx varchar(10), mood flt.mood,
                    seen date, ok boolean, note text, "Odd Name" int, j json);
INSERT INTO flt.p
SELECT i, 40 + (i * 7) % 50, CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END,
       CASE i % 3 WHEN 0 THEN 'AD' WHEN 1 THEN 'MCI' ELSE 'CN' END,
       (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::flt.mood,
       DATE '2020-01-01' + i, i % 4 = 0,
       CASE WHEN i % 5 = 0 THEN NULL WHEN i % 5 = 1 THEN '' ELSE 'note ' || i || ' x' END,
       i % 10, '{}'
FROM generate_series(1, 100) i;

-- count(age) of the rows passing a filter
CREATE FUNCTION flt.n(f jsonb) RETURNS bigint LANGUAGE sql AS
$$ SELECT count FROM automl_summary('flt.p', ARRAY['id']::name[], f) $$;

SELECT flt.n(NULL) AS all_rows, flt.n('null') AS json_null, flt.n('{}') AS empty_group,
       flt.n('{"condition": "AND", "rules": []}') AS no_rules;
-- each operator against the WHERE clause a person would write
CREATE FUNCTION flt.sqlcount(w text) RETURNS bigint LANGUAGE plpgsql AS
$$ DECLARE n bigint; BEGIN EXECUTE 'SELECT count(*) FROM flt.p WHERE ' || w INTO n; RETURN n; END $$;
SELECT f, op, v, flt.n(pg_catalog.jsonb_build_object('rules',
              pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('field', f, 'operator', op, 'value', v)))) AS n,
       flt.sqlcount(w) AS expected
FROM (VALUES
  ('age', 'equal', '61'::jsonb, 'age = 61'),
  ('age', 'less', '61', 'age < 61'),
  ('age', 'less_or_equal', '61', 'age <= 61'),
  ('age', 'greater', '61', 'age > 61'),
  ('age', 'greater_or_equal', '61', 'age >= 61'),
  ('sex', 'not_equal', '"F"', 'sex <> ''F'''),
  ('dx', 'in', '["AD", "CN"]', 'dx IN (''AD'', ''CN'')'),
  ('dx', 'not_in', '["AD"]', 'dx NOT IN (''AD'')'),
  ('dx', 'in', '[]', 'false'),
  ('age', 'between', '[50, 60.5]', 'age BETWEEN 50 AND 60.5'),
  ('age', 'not_between', '[50, 60.5]', 'age NOT BETWEEN 50 AND 60.5'),
  ('note', 'begins_with', '"note 1"', 'note LIKE ''note 1%'''),
  ('note', 'not_begins_with', '"note 1"', 'note NOT LIKE ''note 1%'''),
  ('note', 'contains', '"7"', 'note LIKE ''%7%'''),
  ('note', 'not_contains', '"7"', 'note NOT LIKE ''%7%'''),
  ('note', 'ends_with', '"3 x"', 'note LIKE ''%3 x'''),
  ('note', 'not_ends_with', '"3 x"', 'note NOT LIKE ''%3 x'''),
  ('note', 'contains', '"%"', 'false'),
  ('note', 'begins_with', '"_"', 'false'),
  ('note', 'is_empty', 'null', 'note = '''''),
  ('note', 'is_not_empty', 'null', 'note <> '''''),
  ('note', 'is_null', 'null', 'note IS NULL'),
  ('note', 'is_not_null', 'null', 'note IS NOT NULL'),
  ('mood', 'greater', '"sad"', 'mood > ''sad'''),
  ('seen', 'less', '"2020-01-11"', 'seen < ''2020-01-11'''),
  ('ok', 'equal', 'true', 'ok'),
  ('Odd Name', 'in', '[1, 2, 3]', '"Odd Name" IN (1, 2, 3)'),
  ('id', 'equal', '"42"', 'id = 42')
) AS t(f, op, v, w);

-- nested groups, OR, NOT, "id" standing for "field", a lone rule
SELECT flt.n('{"condition": "OR", "rules": [
                {"field": "age", "operator": "less", "value": 45},
                {"condition": "AND", "rules": [{"id": "sex", "operator": "equal", "value": "F"},
                                               {"field": "dx", "operator": "equal", "value": "AD"}]}]}') AS nested,
       flt.sqlcount('age < 45 OR (sex = ''F'' AND dx = ''AD'')') AS expected;
SELECT flt.n('{"condition": "AND", "not": true, "rules": [{"field": "sex", "operator": "equal", "value": "F"}]}') AS negated,
       flt.n('{"field": "sex", "operator": "equal", "value": "F"}') AS lone_rule;

-- automl_fit on the filtered rows (its NOTICE names the model id, which depends on other suites)
SET client_min_messages = warning;
SELECT automl_fit('flt.p', 'age', 'linear_regression', '{}', ARRAY['id']::name[],
                  filter => '{"rules": [{"field": "sex", "operator": "equal", "value": "F"}]}') > 0 AS fitted;
RESET client_min_messages;
SELECT metrics->'rows' AS rows FROM automl.models ORDER BY id DESC LIMIT 1;

-- errors
\i test/regress_helpers.sql
SELECT pg_temp.try($$SELECT flt.n('{"rules": [{"field": "age", "operator": "like", "value": 1}]}')$$);
SELECT pg_temp.try($$SELECT flt.n('{"rules": [{"field": "nope", "operator": "equal", "value": 1}]}')$$);
-- injection attempts: a field is a column name or nothing, a value is a parameter
SELECT pg_temp.try($$SELECT flt.n('{"rules": [{"field": "age\" > 0 OR true OR \"x", "operator": "equal", "value": 1}]}')$$);
SELECT pg_temp.try($$SELECT flt.n('{"rules": [{"field": "age) OR (1=1", "operator": "equal", "value": 1}]}')$$);
SELECT flt.n('{"rules": [{"field": "sex", "operator": "equal", "value": "F'' OR ''1''=''1"}]}') AS injected_value,
       flt.n('{"rules": [{"field": "sex", "operator": "equal", "value": "F\" OR true --"}]}') AS injected_value2;
SELECT pg_temp.try($$SELECT flt.n('{"rules": [{"field": "ctid", "operator": "is_null"}]}')$$);
SELECT pg_temp.try($$SELECT flt.n('{"condition": "XOR", "rules": []}')$$);
SELECT pg_temp.try($$SELECT flt.n('[1, 2]')$$);
SELECT pg_temp.try($$SELECT flt.n('{"rules": {"field": "age"}}')$$);
SELECT pg_temp.try($$SELECT flt.n('{"rules": [1]}')$$);
SELECT pg_temp.try($$SELECT flt.n('{"rules": [{"field": "age", "operator": "equal"}]}')$$);
SELECT pg_temp.try($$SELECT flt.n('{"rules": [{"field": "age", "operator": "equal", "value": null}]}')$$);
SELECT pg_temp.try($$SELECT flt.n('{"rules": [{"field": "age", "operator": "equal", "value": [1]}]}')$$);
SELECT pg_temp.try($$SELECT flt.n('{"rules": [{"field": "age", "operator": "in", "value": 1}]}')$$);
SELECT pg_temp.try($$SELECT flt.n('{"rules": [{"field": "age", "operator": "between", "value": [1, 2, 3]}]}')$$);
SELECT pg_temp.try($$SELECT flt.n('{"rules": [{"field": "age", "operator": "equal", "value": "old"}]}')$$);
SELECT pg_temp.try($$SELECT flt.n('{"rules": [{"field": "j", "operator": "less", "value": "{}"}]}')$$);
SELECT pg_temp.try($$SELECT flt.n('{"rules": [{"operator": "is_null"}]}')$$);
SELECT pg_temp.try($$SELECT flt.n('{"not": "yes", "rules": []}')$$);
SELECT pg_temp.try($$SELECT automl_fit('flt.p', 'age', 'linear_regression', '{}', ARRAY['id']::name[],
                  filter => '{"rules": [{"field": "age", "operator": "less", "value": 0}]}')$$);

DROP SCHEMA flt CASCADE;
