-- 70_explain.sql — why a model says what it says: explanations, feature
-- importance (src/pg/explain.c) and evaluation reports (src/pg/evaluate.c)

CREATE FUNCTION automl_explain(model_id bigint, "row" record, top_n int DEFAULT NULL)
RETURNS TABLE(feature text, value text, contribution float8, class text)
AS 'MODULE_PATHNAME', 'automl_explain'
LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION automl_explain(bigint, record, int) IS
    'Additive per-column contributions to a model''s output for a row: a (base) row plus one row per column, largest first; base + contributions = the output (value, probability, log-odds or margin)';

CREATE FUNCTION automl_feature_importance(model_id bigint, method text DEFAULT 'shap',
                                          relation regclass DEFAULT NULL,
                                          n_repeats int DEFAULT 5, seed int DEFAULT 42)
RETURNS TABLE(feature text, importance float8, std float8, source text)
AS 'MODULE_PATHNAME', 'automl_feature_importance'
LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL RESTRICTED ROWS 20;
COMMENT ON FUNCTION automl_feature_importance(bigint, text, regclass, int, int) IS
    'Global importance of each input column: mean |contribution| (shap) or mean score decrease when shuffled (permutation), on a relation (default: the training relation); shap without a relation reads what automl_train stored (mean |SHAP| on the holdout rows, or the training rows when it held none out); source says which';

CREATE FUNCTION automl_evaluate(model_id bigint, relation regclass, filter jsonb DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_evaluate'
LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION automl_evaluate(bigint, regclass, jsonb) IS
    'Evaluate a model on a labelled relation (the rows that pass filter, query-builder JSON, when given; NULL model or relation: NULL): every metric, confusion matrix, per-class report, ROC/PR/reliability curves and Brier score (and, for a calibrated model, its log loss and Brier score before calibration), or the residual summary (jsonb)';

-- the same report's numbers as rows
CREATE FUNCTION automl_evaluate_metrics(model_id bigint, relation regclass, filter jsonb DEFAULT NULL)
RETURNS TABLE(metric text, value float8)
LANGUAGE sql CALLED ON NULL INPUT STABLE PARALLEL RESTRICTED
BEGIN ATOMIC
    SELECT e.key, (e.value)::text::pg_catalog.float8
    FROM pg_catalog.jsonb_each(automl_evaluate(model_id, relation, filter)) e
    WHERE pg_catalog.jsonb_typeof(e.value) OPERATOR(pg_catalog.=) 'number'
      AND e.key OPERATOR(pg_catalog.<>) 'model_id'
    ORDER BY e.key;
END;
COMMENT ON FUNCTION automl_evaluate_metrics(bigint, regclass, jsonb) IS
    'The scalar metrics of automl_evaluate as rows (metric, value)';
