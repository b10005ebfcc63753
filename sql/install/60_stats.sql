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
                           filter jsonb DEFAULT NULL, nodes text[] DEFAULT NULL,
                           strict boolean DEFAULT false)
RETURNS TABLE(term text, estimate float8, std_error float8, statistic float8,
              p_value float8, conf_low float8, conf_high float8)
AS 'MODULE_PATHNAME', 'automl_fed_glm'
LANGUAGE C CALLED ON NULL INPUT STABLE;
COMMENT ON FUNCTION automl_glm(regclass, text, text, jsonb, text[], boolean) IS
    'Generalised linear model (binomial/logit or poisson/log) fitted as R''s glm; broom::tidy columns with Wald intervals (confint.default); nodes: fitted over federation nodes, one round per IRLS iteration (strict: a node failure is an error)';

CREATE FUNCTION automl_correlation(relation regclass, columns name[] DEFAULT NULL,
                                   method text DEFAULT 'pearson', filter jsonb DEFAULT NULL,
                                   nodes text[] DEFAULT NULL, strict boolean DEFAULT false)
RETURNS TABLE(x text, y text, estimate float8, statistic float8, p_value float8,
              conf_low float8, conf_high float8, n bigint)
AS 'MODULE_PATHNAME', 'automl_fed_correlation'
LANGUAGE C CALLED ON NULL INPUT STABLE;
COMMENT ON FUNCTION automl_correlation(regclass, name[], text, jsonb, text[], boolean) IS
    'Correlation of every pair of columns (pairwise-complete rows) with R''s cor.test: pearson (Fisher-z interval), spearman (t approximation), kendall (tau-b); nodes: pearson over federation nodes from combined co-moments (strict: a node failure is an error)';

CREATE FUNCTION automl_t_test(relation regclass, formula text, paired boolean DEFAULT false,
                              var_equal boolean DEFAULT false, mu float8 DEFAULT 0,
                              filter jsonb DEFAULT NULL)
RETURNS TABLE(estimate float8, estimate1 float8, estimate2 float8, statistic float8,
              p_value float8, parameter float8, conf_low float8, conf_high float8,
              method text, alternative text)
AS 'MODULE_PATHNAME', 'automl_t_test'
LANGUAGE C CALLED ON NULL INPUT STABLE;
COMMENT ON FUNCTION automl_t_test(regclass, text, boolean, boolean, float8, jsonb) IS
    'R''s t.test: y ~ 1 (one sample), y ~ group (two samples, Welch or pooled), y ~ x with paired (differences of each row); broom::tidy columns';

CREATE FUNCTION automl_chisq_test(relation regclass, x name, y name, filter jsonb DEFAULT NULL)
RETURNS TABLE(statistic float8, p_value float8, parameter int, method text, n bigint)
AS 'MODULE_PATHNAME', 'automl_chisq_test'
LANGUAGE C CALLED ON NULL INPUT STABLE;
COMMENT ON FUNCTION automl_chisq_test(regclass, name, name, jsonb) IS
    'Pearson''s chi-squared test of independence of two columns (R''s chisq.test, Yates'' correction on 2 x 2 tables)';

CREATE FUNCTION automl_histogram(relation regclass, "column" name, bins int DEFAULT 20,
                                 group_by name[] DEFAULT NULL, filter jsonb DEFAULT NULL,
                                 nodes text[] DEFAULT NULL, strict boolean DEFAULT false)
RETURNS TABLE(group_values jsonb, bin int, lower float8, upper float8, count bigint, category text)
AS 'MODULE_PATHNAME', 'automl_fed_histogram'
LANGUAGE C CALLED ON NULL INPUT STABLE;
COMMENT ON FUNCTION automl_histogram(regclass, name, int, name[], jsonb, text[], boolean) IS
    'Histogram of a column (equal-width bins over [min, max], counted as R''s hist; one row per category for a categorical column), per group of group_by values; nodes: over federation nodes with global bins, per group too (strict: a node failure is an error)';

CREATE FUNCTION automl_pca(relation regclass, columns name[] DEFAULT NULL, scale boolean DEFAULT true,
                           filter jsonb DEFAULT NULL, nodes text[] DEFAULT NULL,
                           strict boolean DEFAULT false)
RETURNS TABLE(component int, std_dev float8, proportion float8, cumulative float8, loadings jsonb)
AS 'MODULE_PATHNAME', 'automl_fed_pca'
LANGUAGE C CALLED ON NULL INPUT STABLE;
COMMENT ON FUNCTION automl_pca(regclass, name[], boolean, jsonb, text[], boolean) IS
    'Principal components as R''s prcomp(center = TRUE, scale. = scale) on complete rows; each component''s largest loading is positive; nodes: over federation nodes from stacked triangular factors (strict: a node failure is an error)';
