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
RETURNS TABLE(feature text, importance float8, std float8)
AS 'MODULE_PATHNAME', 'automl_feature_importance'
LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL RESTRICTED ROWS 20;
COMMENT ON FUNCTION automl_feature_importance(bigint, text, regclass, int, int) IS
    'Global importance of each input column: mean |contribution| (shap) or mean score decrease when shuffled (permutation), on a relation (default: the training relation)';
