--
-- fuzz_regress: the smallest reproducer of each bug the fuzzer
-- (test/fuzz/fuzz.py) or the sanitizer stage found and that is fixed; each
-- was a crash, an internal error or a call that could not be cancelled
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
CREATE SCHEMA fuzz_regress;
SET search_path = fuzz_regress, public;

-- 1. Naive Bayes with more classes than rows in a prediction block (512):
-- the Gaussian batch path sized a per-row buffer for the block, not for the
-- classes, and wrote past it (heap corruption: "double free or corruption",
-- the backend aborted; AddressSanitizer: heap-buffer-overflow in
-- nb_softmax).  Every class once or twice, so each row is its own class.
CREATE TABLE many_classes AS
    SELECT md5((g % 700)::text) AS label, (g % 7)::float8 AS x, (g % 5)::float8 AS z
    FROM generate_series(1, 1400) g;
SELECT automl_fit('many_classes', 'label', 'gaussian_nb', features => '{x,z}') AS gnb \gset
SELECT automl_fit('many_classes', 'label', 'bernoulli_nb', features => '{x,z}') AS bnb \gset
SELECT automl_fit('many_classes', 'label', 'multinomial_nb', features => '{x,z}') AS mnb \gset
SELECT m.algorithm, jsonb_array_length(m.classes) AS classes,
       (SELECT count(automl_predict(m.id, t)) FROM many_classes t) AS predicted,
       (SELECT round(sum(p.value::float8)::numeric, 9)
        FROM jsonb_each_text(automl_predict_proba(m.id, (SELECT t FROM many_classes t LIMIT 1))) p) AS total_probability
FROM automl.models m WHERE m.id IN (:gnb, :bnb, :mnb) ORDER BY m.id;

-- 2. A huge name[] argument (columns, features): duplicates were found by
-- comparing every name with every earlier one, so 100 000 names took seconds
-- that statement_timeout could not interrupt.  Now the names are hashed: the
-- call fails at once on the first unknown (or repeated) name.
SET statement_timeout = '3s';
SELECT count(*) FROM automl_summary('many_classes',
    (SELECT array_agg('c' || g) FROM generate_series(1, 100000) g)::name[]);
SELECT count(*) FROM automl_summary('many_classes',
    (SELECT array_agg('c' || g) FROM generate_series(1, 100000) g)::name[] || '{c1}'::name[]);
SELECT automl_fit('many_classes', 'label', 'gaussian_nb',
    features => (SELECT array_agg('c' || g) FROM generate_series(1, 100000) g)::name[]);
SELECT count(*) FROM automl_summary('many_classes', '{x,z,x}');
RESET statement_timeout;

-- 3. The columns variant of automl_predict called directly with as many
-- names as values differing was an internal error (XX000); it is 22023.
SELECT automl.predict_columns(:gnb::bigint, ARRAY['x', 'z'], 1.5);

-- 4. A test_size close to 1 made (int) ceil(cv_folds / (1 - test_size))
-- overflow an int (undefined behaviour; UBSan: "outside the range of
-- representable values of type 'int'").  That check is gone (validation
-- adapts to the data); here every class has 2 rows, so no row can be held
-- out: 22000 with a hint.
SELECT automl_train('many_classes', 'label', features => '{x,z}', test_size => 0.999999999, cv_folds => 5);

DROP SCHEMA fuzz_regress CASCADE;
