-- demo.sql — what test/demo.sh shows, run by psql from a directory holding
-- test/data (the quick start of README.md).
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION automl;
\i test/data/load_mip.sql
\set hierarchy `cat test/data/mip_cde_variables.json`
SELECT automl_import_variables(:'hierarchy') AS variables_imported;
RESET client_min_messages;

\echo
\echo == What the patients look like: automl_summary('science.cde_features_a')
SELECT column_name, kind, count, null_count, distinct_count,
       round(mean::numeric, 3) AS mean, round(std::numeric, 3) AS std,
       min, median, max, top, top_count
FROM automl_summary('science.cde_features_a',
       '{subjectageyears,gender,lefthippocampus,righthippocampus,leftamygdala,minimentalstate,alzheimerbroadcategory}');
