-------------------------------------------------------------------------------
-- statistics equal to R's (issue 11): src/stats (numerics), src/pg/stats_*.c
-- Every function reads the relation as the caller, through an optional
-- filter (query-builder JSON, src/pg/filter.h); rows with NULL in a used
-- column are left out (R's na.omit) with a NOTICE.
-------------------------------------------------------------------------------
-- nodes, strict: federation (issue 15, sql/install/90_federation.sql); the
-- C entry points automl_fed_* call the local ones when nodes is NULL.
CREATE FUNCTION automl_lm(relation regclass, formula text, filter jsonb DEFAULT NULL,
                          nodes text[] DEFAULT NULL, strict boolean DEFAULT false)
RETURNS TABLE(term text, estimate float8, std_error float8, statistic float8,
              p_value float8, conf_low float8, conf_high float8)
AS 'MODULE_PATHNAME', 'automl_fed_lm'
LANGUAGE C CALLED ON NULL INPUT STABLE;
COMMENT ON FUNCTION automl_lm(regclass, text, jsonb, text[], boolean) IS
    'Linear model of an R formula: one row per coefficient as broom::tidy(lm(formula), conf.int = TRUE); aliased coefficients are NULL';

CREATE FUNCTION automl_lm_glance(relation regclass, formula text, filter jsonb DEFAULT NULL,
                                 nodes text[] DEFAULT NULL, strict boolean DEFAULT false)
RETURNS TABLE(r_squared float8, adj_r_squared float8, sigma float8, statistic float8,
              p_value float8, df int, df_residual int, nobs bigint, log_lik float8,
              aic float8, bic float8, deviance float8)
AS 'MODULE_PATHNAME', 'automl_fed_lm_glance'
LANGUAGE C CALLED ON NULL INPUT STABLE;
COMMENT ON FUNCTION automl_lm_glance(regclass, text, jsonb, text[], boolean) IS
    'One-row summary of a linear model, as broom::glance(lm(formula))';

CREATE FUNCTION automl_anova(relation regclass, formula text, type int DEFAULT 1,
                             filter jsonb DEFAULT NULL, nodes text[] DEFAULT NULL,
                             strict boolean DEFAULT false)
RETURNS TABLE(term text, df int, sum_sq float8, mean_sq float8, statistic float8, p_value float8)
AS 'MODULE_PATHNAME', 'automl_fed_anova'
LANGUAGE C CALLED ON NULL INPUT STABLE;
COMMENT ON FUNCTION automl_anova(regclass, text, int, jsonb, text[], boolean) IS
    'ANOVA table of a linear model: type 1 as R''s anova(lm), types 2 and 3 as car::Anova (type 3 with sum-to-zero contrasts), with a Residuals row';

CREATE FUNCTION automl_glm(relation regclass, formula text, family text DEFAULT 'binomial',
                           filter jsonb DEFAULT NULL)
RETURNS TABLE(term text, estimate float8, std_error float8, statistic float8,
              p_value float8, conf_low float8, conf_high float8)
AS 'MODULE_PATHNAME', 'automl_glm'
LANGUAGE C CALLED ON NULL INPUT STABLE;
COMMENT ON FUNCTION automl_glm(regclass, text, text, jsonb) IS
    'Generalised linear model (binomial/logit or poisson/log) fitted as R''s glm; broom::tidy columns with Wald intervals (confint.default)';
