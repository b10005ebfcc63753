--
-- summary: automl_summary on the MIP sample patients, checked against
-- PostgreSQL's own aggregates on every column
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
\set ECHO none
\i test/data/load_mip.sql
\set ECHO all

SELECT column_name, kind, count, null_count, distinct_count,
       round(mean::numeric, 6) AS mean, round(std::numeric, 6) AS std,
       min, q1, median, q3, max, top, top_count
FROM automl_summary('science.cde_features_a',
                    '{subjectageyears,gender,agegroup,lefthippocampus,minimentalstate,alzheimerbroadcategory,edsdcategory,tiv}');

-- one row per column, kinds from the SQL types
SELECT kind, count(*) FROM automl_summary('science.cde_features_a') GROUP BY kind ORDER BY kind;

-- every column against avg, stddev_samp, percentile_cont, min, max, count,
-- count(DISTINCT) and the mode computed by PostgreSQL (float8 statistics must
-- be identical; integer columns agree to 1e-12 relative because avg(integer)
-- is computed in numeric)
CREATE FUNCTION pg_column_stats(rel regclass, col name, is_text boolean,
    OUT count bigint, OUT nulls bigint, OUT distinct_count bigint, OUT mean float8, OUT std float8,
    OUT min float8, OUT q1 float8, OUT median float8, OUT q3 float8, OUT max float8,
    OUT top text, OUT top_count bigint)
LANGUAGE plpgsql AS $$
BEGIN
    IF is_text THEN
        EXECUTE format('SELECT count(%1$I), count(*) - count(%1$I), count(DISTINCT %1$I) FROM %2$s', col, rel)
            INTO count, nulls, distinct_count;
        EXECUTE format('SELECT %1$I, count(*) FROM %2$s WHERE %1$I IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, %1$I COLLATE "C" LIMIT 1', col, rel)
            INTO top, top_count;
    ELSE
        EXECUTE format('SELECT count(%1$I), count(*) - count(%1$I), count(DISTINCT %1$I), avg(%1$I), stddev_samp(%1$I),
                               min(%1$I), percentile_cont(0.25) WITHIN GROUP (ORDER BY %1$I),
                               percentile_cont(0.5) WITHIN GROUP (ORDER BY %1$I),
                               percentile_cont(0.75) WITHIN GROUP (ORDER BY %1$I), max(%1$I) FROM %2$s', col, rel)
            INTO count, nulls, distinct_count, mean, std, min, q1, median, q3, max;
    END IF;
END $$;

CREATE FUNCTION close(a float8, b float8) RETURNS boolean LANGUAGE sql IMMUTABLE AS
$$ SELECT (a IS NULL AND b IS NULL) OR abs(a - b) <= 1e-12 * greatest(1, abs(a), abs(b)) $$;

WITH ours AS (SELECT * FROM automl_summary('science.cde_features_a')),
     theirs AS (SELECT o.column_name, p.*
                FROM ours o, pg_column_stats('science.cde_features_a', o.column_name, o.kind = 'categorical') p)
SELECT count(*) AS columns_checked,
       count(*) FILTER (WHERE o.count <> t.count OR o.null_count <> t.nulls
                           OR o.distinct_count <> t.distinct_count) AS count_mismatches,
       count(*) FILTER (WHERE NOT (close(o.mean, t.mean) AND close(o.std, t.std) AND close(o.min, t.min)
                           AND close(o.q1, t.q1) AND close(o.median, t.median) AND close(o.q3, t.q3)
                           AND close(o.max, t.max))) AS statistic_mismatches,
       count(*) FILTER (WHERE o.kind = 'categorical'
                           AND (o.top IS DISTINCT FROM t.top OR o.top_count IS DISTINCT FROM t.top_count)) AS mode_mismatches,
       count(*) FILTER (WHERE o.kind = 'numeric' AND o.mean IS DISTINCT FROM t.mean
                           AND pg_typeof(t.mean) = 'double precision'::regtype
                           AND (SELECT atttypid FROM pg_attribute WHERE attrelid = 'science.cde_features_a'::regclass
                                AND attname = o.column_name) = 'float8'::regtype) AS float8_mean_not_identical
FROM ours o JOIN theirs t USING (column_name);

-- the same on the classic datasets' shapes: a boolean column counts true/false
CREATE TABLE flags AS SELECT g % 3 = 0 AS flag FROM generate_series(1, 10) g;
SELECT column_name, kind, count, mean, top, top_count FROM automl_summary('flags');
