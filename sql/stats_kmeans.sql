--
-- stats_kmeans: k-means as a model (automl_fit(relation, NULL, 'kmeans')),
-- automl_predict / automl_predict_value (cluster number from 0) and
-- automl_kmeans_centers, against scikit-learn's KMeans on the numeric
-- columns of iris: best inertia over ten seeds of KMeans(n_clusters=3,
-- n_init=10) = 77.919890350877, sizes 38, 48, 61 (test/reference/kmeans.py,
-- numbers in test/unit/reference/kmeans.json).  Tolerance: inertia within
-- 1e-6 relative; sizes exact.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
-- (NOTICEs name model ids, which depend on the suites run before)
CREATE SCHEMA km;
CREATE TABLE km.iris (sepal_length float8, sepal_width float8, petal_length float8,
                      petal_width float8, name text);
\copy km.iris FROM 'test/data/iris.csv' WITH (FORMAT csv, HEADER true)

SELECT automl_fit('km.iris', NULL, 'kmeans', '{"n_clusters": 3}',
                  features => '{sepal_length,sepal_width,petal_length,petal_width}') AS km \gset
SELECT task, algorithm, target, description, params FROM automl.models WHERE id = :km;
SELECT abs((metrics->>'inertia')::float8 - 77.919890350877) / 77.919890350877 < 1e-6 AS inertia_as_sklearn,
       metrics->'holdout' AS holdout, (metrics->>'rows')::int AS rows
FROM automl.models WHERE id = :km;

-- the clusters: sizes as scikit-learn's, centres in the columns' units
SELECT size, center->>'petal_length' AS petal_length, center->>'petal_width' AS petal_width
FROM automl_kmeans_centers(:km) ORDER BY size;
SELECT count(*) AS clusters, sum(size) AS rows,
       bool_and(cluster BETWEEN 0 AND 2) AS numbered_from_0
FROM automl_kmeans_centers(:km);
-- each centre is the mean of its rows
SELECT bool_and(abs((c.center->>'sepal_length')::float8 - m.mean) < 1e-9) AS centres_are_means
FROM automl_kmeans_centers(:km) c
JOIN (SELECT automl_predict(:km, i)::int AS cluster, avg(sepal_length) AS mean
      FROM km.iris i GROUP BY 1) m USING (cluster);

-- predictions: the cluster number as text and as a number, sizes as the centres say
SELECT p.cluster, count(*) AS n, c.size = count(*) AS as_centres
FROM (SELECT automl_predict(:km, i) AS cluster, automl_predict_value(:km, i) AS value FROM km.iris i) p
JOIN automl_kmeans_centers(:km) c ON c.cluster = p.cluster::int
WHERE p.value = p.cluster::float8
GROUP BY p.cluster, c.size ORDER BY n;
-- a row of its own, with a NULL (imputed with the training median)
SELECT automl_predict(:km, r) = automl_predict(:km, s) AS null_is_median
FROM (SELECT 5.0::float8 AS sepal_length, NULL::float8 AS sepal_width, 1.5::float8 AS petal_length,
             0.2::float8 AS petal_width) r,
     (SELECT 5.0::float8 AS sepal_length, percentile_cont(0.5) WITHIN GROUP (ORDER BY sepal_width) AS sepal_width,
             1.5::float8 AS petal_length, 0.2::float8 AS petal_width FROM km.iris) s;

-- every usable column (the species one-hot encoded, as fractions), seed and n_init given
SELECT automl_fit('km.iris', NULL, 'kmeans', '{"n_clusters": 3, "n_init": 3, "max_iter": 50}', seed => 7) AS km_all \gset
SELECT task, description FROM automl.models WHERE id = :km_all;
SELECT jsonb_object_keys(center) AS key FROM automl_kmeans_centers(:km_all) WHERE cluster = 0 ORDER BY 1;
SELECT sum(size) AS rows,
       bool_and(abs((center->>'name=Iris-setosa')::float8 + (center->>'name=Iris-versicolor')::float8
                     + (center->>'name=Iris-virginica')::float8 - 1) < 1e-12) AS fractions_sum_to_1
FROM automl_kmeans_centers(:km_all);
-- the same seed gives the same model
SELECT automl_fit('km.iris', NULL, 'kmeans', '{"n_clusters": 3, "n_init": 3, "max_iter": 50}', seed => 7) AS km_again \gset
SELECT a.center = b.center AS reproducible
FROM automl_kmeans_centers(:km_all) a JOIN automl_kmeans_centers(:km_again) b USING (cluster);

-- a classifier for the other functions' errors
SELECT automl_fit('km.iris', 'name', 'gaussian_nb') > 0 AS classifier;

-- bad input: each statement and the error it gets (SQLSTATE: message | detail | hint)
\set ECHO none
\i test/regress_helpers.sql
\set ECHO all
CREATE TABLE km.tiny AS SELECT g::float8 AS x FROM generate_series(1, 4) g;
CREATE TABLE km.constant AS SELECT 1::float8 AS x FROM generate_series(1, 4) g;
\pset format unaligned
SELECT statement || E'\n    -> ' || regexp_replace(pg_temp.try(statement), 'model \d+', 'model N', 'g')
       AS "statement -> result" FROM (VALUES
  ($q$SELECT automl_fit('km.iris', NULL, 'kmeans', '{"n_clusters": 0}')$q$),
  ($q$SELECT automl_fit('km.iris', NULL, 'kmeans', '{"n_clusters": -3}')$q$),
  ($q$SELECT automl_fit('km.tiny', NULL, 'kmeans', '{"n_clusters": 5}')$q$),
  ($q$SELECT automl_fit('km.iris', NULL, 'kmeans', '{"n_init": 0}')$q$),
  ($q$SELECT automl_fit('km.iris', NULL, 'kmeans', '{"tol": -1}')$q$),
  ($q$SELECT automl_fit('km.iris', NULL, 'kmeans', '{"k": 3}')$q$),
  ($q$SELECT automl_fit('km.iris', 'name', 'kmeans', '{"n_clusters": 3}')$q$),
  ($q$SELECT automl_fit('km.iris', NULL, 'kmeans', task => 'regression')$q$),
  ($q$SELECT automl_fit('km.iris', NULL, 'gaussian_nb')$q$),
  ($q$SELECT automl_fit('km.iris', 'name', 'gaussian_nb', task => 'clustering')$q$),
  ($q$SELECT model_id FROM automl_train('km.iris', 'name', task => 'clustering')$q$),
  ($q$SELECT automl_fit('km.constant', NULL, 'kmeans', '{"n_clusters": 1}')$q$),
  ($q$SELECT automl_fit('km.iris', NULL, 'kmeans', features => '{}')$q$),
  ($q$SELECT automl_fit('km.iris', NULL, 'kmeans', features => '{nope}')$q$),
  ($q$SELECT automl_fit('km.iris', NULL, 'kmeans', filter => '{"rules": [{"field": "sepal_length", "operator": "greater", "value": 100}]}')$q$),
  ($q$SELECT * FROM automl_kmeans_centers((SELECT id FROM automl.models WHERE algorithm = 'gaussian_nb' AND relation = 'km.iris'))$q$),
  ($q$SELECT * FROM automl_kmeans_centers(-1)$q$),
  ($q$SELECT automl_predict_proba((SELECT min(id) FROM automl.models WHERE algorithm = 'kmeans' AND relation = 'km.iris'), i) FROM km.iris i LIMIT 1$q$),
  ($q$SELECT automl_evaluate((SELECT min(id) FROM automl.models WHERE algorithm = 'kmeans' AND relation = 'km.iris'), 'km.iris')$q$),
  ($q$SELECT automl_export_pfa((SELECT min(id) FROM automl.models WHERE algorithm = 'kmeans' AND relation = 'km.iris'))$q$),
  ($q$SELECT automl_explain((SELECT min(id) FROM automl.models WHERE algorithm = 'kmeans' AND relation = 'km.iris'), i) FROM km.iris i LIMIT 1$q$),
  ($q$SELECT count(*) FROM automl_feature_importance((SELECT min(id) FROM automl.models WHERE algorithm = 'kmeans' AND relation = 'km.iris'))$q$),
  ($q$SELECT count(*) FROM automl_feature_importance((SELECT min(id) FROM automl.models WHERE algorithm = 'kmeans' AND relation = 'km.iris'), 'permutation', 'km.iris')$q$)
) AS t(statement);
\pset format aligned

DROP SCHEMA km CASCADE;
RESET client_min_messages;
