--
-- loader: reading relations of every supported type into datasets (seen through
-- automl_summary), and every kind of bad input
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN small_positive AS integer CHECK (VALUE > 0);
CREATE TABLE every_type (
    c_int2 smallint, c_int4 integer, c_int8 bigint, c_float4 real, c_float8 double precision,
    c_numeric numeric(10,3), c_bool boolean, c_date date, c_ts timestamp, c_tstz timestamptz,
    c_time time, c_timetz timetz, c_interval interval, c_text text, c_varchar varchar(10),
    c_bpchar char(4), c_name name, c_char "char", c_enum mood, c_domain small_positive
);
SET timezone = 'UTC';
INSERT INTO every_type VALUES
 (1, 10, 100, 1.5, 2.25, 3.125, true, '1970-01-02', '1970-01-01 00:01', '2000-01-01 00:00+00',
  '00:00:10', '00:00:10+00', '1 day 2 hours', 'a', 'x', 'ab', 'n1', 'q', 'sad', 1),
 (2, 20, 200, 2.5, 4.25, 6.250, false, '2000-01-01', '1970-01-01 00:02', '2000-01-01 00:00:01+00',
  '00:00:20', '00:00:20+00', '1 month', 'b', 'y', 'ab  ', 'n2', 'r', 'happy', 2),
 (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL),
 (3, 30, 300, 3.5, 6.25, 9.375, true, '1969-12-31', '1970-01-01 00:03', '1999-12-31 23:59:59+00',
  '00:00:30', '00:00:30+00', '-1 year', 'a', 'x', 'cd', 'n1', 'q', 'sad', 3);

-- kinds, counts and values: numbers as is, booleans 0/1, dates and timestamps
-- as seconds since 1970, intervals as seconds, strings/enums as categories
-- (char(n) ignores trailing blanks)
SELECT column_name, kind, count, null_count, distinct_count, mean, min, max, top, top_count
FROM automl_summary('every_type');

-- a subset of columns, in the order given
SELECT column_name, kind FROM automl_summary('every_type', '{c_enum,c_int4}');

-- views, materialized views and partitioned tables can be read too
CREATE VIEW every_type_view AS SELECT c_int4 * 2 AS doubled, c_text FROM every_type;
SELECT column_name, count, mean FROM automl_summary('every_type_view');
CREATE MATERIALIZED VIEW every_type_mv AS SELECT c_float8 FROM every_type;
SELECT column_name, count, mean FROM automl_summary('every_type_mv');
CREATE TABLE parted (k int, v float8) PARTITION BY RANGE (k);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (10) TO (20);
INSERT INTO parted SELECT g, g / 2.0 FROM generate_series(0, 19) g;
SELECT column_name, count, mean, median FROM automl_summary('parted');

-- NaN is treated as missing (with a NOTICE); infinities are kept
CREATE TABLE special_floats (x float8, y numeric);
INSERT INTO special_floats VALUES (1, 1), ('NaN', 'NaN'), ('Infinity', 2), (2, 3), ('-Infinity', 'NaN');
SELECT column_name, count, null_count, mean, std, min, median, max FROM automl_summary('special_floats');

-- an empty table: one row per column, counts zero
CREATE TABLE empty_table (a int, b text);
SELECT column_name, kind, count, null_count, distinct_count, mean, top FROM automl_summary('empty_table');

-- a table without columns
CREATE TABLE no_columns ();
SELECT count(*) FROM automl_summary('no_columns');

-- an all-NULL column
CREATE TABLE all_null (a int, b text);
INSERT INTO all_null SELECT NULL, NULL FROM generate_series(1, 5);
SELECT column_name, count, null_count, distinct_count, mean, std, top FROM automl_summary('all_null');

-- bad input: missing relation (by name, by OID), not a relation with rows
SELECT * FROM automl_summary('no_such_table');
SELECT * FROM automl_summary(4000000000::oid::regclass);
CREATE SEQUENCE a_sequence;
SELECT * FROM automl_summary('a_sequence');
CREATE INDEX every_type_idx ON every_type (c_int4);
SELECT * FROM automl_summary('every_type_idx');
-- missing column, duplicate names, NULL element, empty array
SELECT * FROM automl_summary('every_type', '{c_int4,nope}');
SELECT * FROM automl_summary('every_type', '{c_int4,c_int4}');
SELECT * FROM automl_summary('every_type', ARRAY['c_int4', NULL]::name[]);
SELECT * FROM automl_summary('every_type', '{}');
SELECT * FROM automl_summary('every_type', '{{c_int4},{c_int8}}');
-- unsupported types, named in the message
CREATE TABLE odd_types (ok int, j jsonb, arr int[], b bytea, p point);
SELECT * FROM automl_summary('odd_types');
SELECT * FROM automl_summary('odd_types', '{arr}');
SELECT column_name, count FROM automl_summary('odd_types', '{ok}');
SELECT * FROM automl_summary(NULL);

-- privileges: the loader reads as the calling role
CREATE ROLE regress_reader;
CREATE TABLE secret (visible int, hidden text);
INSERT INTO secret VALUES (1, 'x'), (2, 'y');
GRANT SELECT (visible) ON secret TO regress_reader;
SET ROLE regress_reader;
SELECT * FROM automl_summary('secret');
SELECT column_name, count, mean FROM automl_summary('secret', '{visible}');
SELECT * FROM automl_summary('every_type');
RESET ROLE;
-- row-level security applies as well
ALTER TABLE secret ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_one ON secret FOR SELECT TO regress_reader USING (visible = 1);
SET ROLE regress_reader;
SELECT column_name, count, mean FROM automl_summary('secret', '{visible}');
RESET ROLE;
DROP TABLE secret;
DROP ROLE regress_reader;

-- the memory budget: refused before loading when statistics show it cannot fit,
-- and while loading when they do not (a view)
CREATE TABLE big AS SELECT g AS a, g * 2.0 AS b, g::text AS c FROM generate_series(1, 200000) g;
ANALYZE big;
SET automl.max_memory = '1MB';
SELECT * FROM automl_summary('big');
CREATE VIEW big_view AS SELECT * FROM big;
SELECT * FROM automl_summary('big_view');
RESET automl.max_memory;
SELECT column_name, count, distinct_count FROM automl_summary('big_view');
DROP VIEW big_view;
DROP TABLE big;
