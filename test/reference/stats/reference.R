# reference.R — R's answers for the statistics suites (sql/stats_lm.sql ...).
#   cd test/reference/stats && LC_ALL=C Rscript reference.R
# writes *_ref.csv: case, term, then the numbers with 17 significant digits.
# R 4.x, car, broom from Debian (r-base-core r-cran-car r-cran-broom).
suppressPackageStartupMessages({ library(car); library(broom) })
Sys.setlocale("LC_COLLATE", "C")        # factor levels in byte order, as automl
rd <- function(f) read.csv(f, na.strings = "", stringsAsFactors = FALSE)
num <- rd("lm_num.csv"); fac <- rd("lm_fac.csv"); def <- rd("lm_def.csv"); gl <- rd("glm.csv")
num$id <- NULL; fac$id <- NULL
# fewer rows than coefficients (sql/stats_lm.sql makes the same tables with WHERE age < ...):
# 10 rows, 12 coefficients of rank 8; 6 rows, 8 coefficients of rank 6 (an exact fit)
few <- subset(fac, age < 24); exact <- subset(fac, age < 23)
g17 <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", x))
out <- function(rows, file) write.csv(rows, file, row.names = FALSE, quote = FALSE, na = "")  # no commas in any field

# --- lm: tidy with conf.int, aliased coefficients included as NA
lm_cases <- list(
  list("num1", num, y ~ x1 + x2 + x3), list("num2", num, y ~ x1 * x2),
  list("num3", num, y ~ .), list("num4", num, y ~ x1 - 1),
  list("num5", num, y ~ (x1 + x2 + x3)^2), list("num6", num, y ~ x2 + x1:x2),
  list("fac1", fac, y ~ grp + sex + age), list("fac2", fac, y ~ grp * sex),
  list("fac3", fac, y ~ grp:sex), list("fac4", fac, y ~ grp - 1),
  list("fac5", fac, y ~ age + grp:age), list("fac6", fac, y ~ flag + grp),
  list("fac7", fac, y ~ 0 + sex + grp), list("fac8", fac, y ~ grp * age + sex),
  list("fac9", fac, y ~ sex:age + grp), list("fac10", fac, y ~ grp / sex),
  list("def1", def, y ~ x1 + x2 + x3), list("def2", def, y ~ x3 + x1 + x2),
  list("def3", def, y ~ g + h), list("def4", def, y ~ x1 + g + x3 + x2 + h),
  list("few1", few, y ~ grp * sex * age), list("exact1", exact, y ~ grp * sex * age))
tidy_rows <- NULL; glance_rows <- NULL
for (cs in lm_cases) {
  fit <- lm(cs[[3]], data = cs[[2]])
  cf <- coef(fit); s <- coef(summary(fit)); ci <- suppressWarnings(confint(fit))
  for (t in names(cf)) {
    r <- if (t %in% rownames(s)) s[t, ] else rep(NA, 4)
    tidy_rows <- rbind(tidy_rows, data.frame(case = cs[[1]], formula = deparse(cs[[3]]), term = t,
      estimate = g17(r[1]), std_error = g17(r[2]), statistic = g17(r[3]), p_value = g17(r[4]),
      conf_low = g17(ci[t, 1]), conf_high = g17(ci[t, 2])))
  }
  gl1 <- glance(fit)
  glance_rows <- rbind(glance_rows, data.frame(case = cs[[1]], formula = deparse(cs[[3]]),
    r_squared = g17(gl1$r.squared), adj_r_squared = g17(gl1$adj.r.squared), sigma = g17(gl1$sigma),
    statistic = g17(gl1$statistic), p_value = g17(gl1$p.value), df = gl1$df,
    df_residual = gl1$df.residual, nobs = gl1$nobs, log_lik = g17(gl1$logLik),
    aic = g17(gl1$AIC), bic = g17(gl1$BIC), deviance = g17(gl1$deviance)))
}
out(tidy_rows, "lm_tidy_ref.csv"); out(glance_rows, "lm_glance_ref.csv")

# --- ANOVA type 1 (anova), 2 and 3 (car::Anova; type 3 with contr.sum)
an_cases <- list(
  list("a1", fac, y ~ grp * sex + age), list("a2", num, y ~ x1 * x2),
  list("a3", fac, y ~ sex + grp), list("a4", fac, y ~ age * grp),
  list("a5", num, y ~ x1 + x2 + x3), list("a6", fac, y ~ sex + sex:age + grp))
an_rows <- NULL
add_an <- function(case, type, tab, formula) {
  ss <- tab[["Sum Sq"]]; df <- tab[["Df"]]
  Fv <- if ("F value" %in% names(tab)) tab[["F value"]] else tab[["F"]]
  data.frame(case = case, type = type, formula = formula, term = trimws(rownames(tab)), df = df,
             sum_sq = g17(ss), mean_sq = g17(ss / df), statistic = g17(Fv), p_value = g17(tab[["Pr(>F)"]]))
}
for (cs in an_cases) {
  f <- deparse(cs[[3]])
  an_rows <- rbind(an_rows, add_an(cs[[1]], 1, anova(lm(cs[[3]], data = cs[[2]])), f))
  an_rows <- rbind(an_rows, add_an(cs[[1]], 2, Anova(lm(cs[[3]], data = cs[[2]]), type = 2), f))
  op <- options(contrasts = c("contr.sum", "contr.poly"))
  an_rows <- rbind(an_rows, add_an(cs[[1]], 3, Anova(lm(cs[[3]], data = cs[[2]]), type = 3), f))
  options(op)
}
# type 1 on a rank-deficient model
an_rows <- rbind(an_rows, add_an("d1", 1, anova(lm(y ~ x1 + x2 + x3 + g + h, data = def)), "y ~ x1 + x2 + x3 + g + h"))
# type 2 on a rank-deficient model: car compares models
an_rows <- rbind(an_rows, add_an("d2", 2, suppressMessages(Anova(lm(y ~ x1 + x2 + x3 + g, data = def), type = 2)), "y ~ x1 + x2 + x3 + g"))
out(an_rows, "anova_ref.csv")
cat("done\n")

# --- glm: tidy with Wald intervals (confint.default)
glm_cases <- list(
  list("g1", y ~ a + b, "binomial", "outcome"), list("g2", y ~ a * b + cat3, "binomial", "outcome"),
  list("g3", y ~ cat3, "binomial", "sick"), list("g4", y ~ a + b + cat3, "poisson", "count"),
  list("g5", y ~ a:b + three, "poisson", "count"), list("g6", y ~ . , "binomial", "sick"))
glm_rows <- NULL
for (cs in glm_cases) {
  d <- gl; d$y <- d[[cs[[4]]]]
  if (cs[[4]] == "outcome") d$y <- factor(d$y)
  keep <- setdiff(names(d), c("outcome", "sick", "count", "three"))
  if (cs[[1]] == "g5") keep <- c(keep, "three")
  d <- d[, keep]
  fam <- if (cs[[3]] == "binomial") binomial() else poisson()
  fit <- glm(cs[[2]], data = d, family = fam)
  cf <- coef(fit); s <- coef(summary(fit)); ci <- confint.default(fit)
  fs <- sub("^y ", paste0(cs[[4]], " "), deparse(cs[[2]]))
  for (t in names(cf)) {
    r <- if (t %in% rownames(s)) s[t, ] else rep(NA, 4)
    glm_rows <- rbind(glm_rows, data.frame(case = cs[[1]], family = cs[[3]], formula = fs, term = t,
      estimate = g17(r[1]), std_error = g17(r[2]), statistic = g17(r[3]), p_value = g17(r[4]),
      conf_low = g17(ci[t, 1]), conf_high = g17(ci[t, 2])))
  }
}
out(glm_rows, "glm_ref.csv")
cat("glm done\n")

# --- cor.test, t.test, chisq.test
num <- rd("lm_num.csv")
tr <- NULL
addr <- function(case, x, y, t, n) data.frame(case = case, x = x, y = y,
  estimate = g17(if (is.null(t$estimate)) NA else unname(t$estimate[1])),
  estimate1 = g17(if (length(t$estimate) == 2) t$estimate[1] else NA),
  estimate2 = g17(if (length(t$estimate) == 2) t$estimate[2] else NA),
  statistic = g17(unname(t$statistic)), p_value = g17(t$p.value),
  parameter = g17(if (is.null(t$parameter)) NA else unname(t$parameter)),
  conf_low = g17(if (is.null(t$conf.int)) NA else t$conf.int[1]),
  conf_high = g17(if (is.null(t$conf.int)) NA else t$conf.int[2]),
  method = trimws(t$method), n = n)
cor_case <- function(case, d, cols, method, exact = NULL) {
  for (i in 1:(length(cols) - 1)) for (j in (i + 1):length(cols)) {
    x <- d[[cols[i]]]; y <- d[[cols[j]]]; ok <- !is.na(x) & !is.na(y)
    t <- suppressWarnings(cor.test(x[ok], y[ok], method = method, exact = exact))
    tr <<- rbind(tr, addr(case, cols[i], cols[j], t, sum(ok)))
  }
}
cor_case("c1", num, c("y", "x1", "x2", "x3"), "pearson")
cor_case("c2", num, c("y", "x1", "x2", "x3"), "spearman")
cor_case("c3", num, c("y", "x1", "x2", "x3"), "kendall")
cor_case("c4", num[num$id <= 30, ], c("x1", "x2", "x3"), "kendall")
cor_case("c5", gl, c("a", "count"), "spearman", exact = FALSE)
cor_case("c6", gl, c("a", "b", "count"), "kendall")
cor_case("c7", num[num$id <= 8, ], c("x1", "x2"), "spearman")
cor_case("c8", num[num$id <= 40, ], c("x1", "x2"), "spearman")
ff <- fac[!is.na(fac$y), ]
tt <- function(case, ...) { t <- t.test(...); tr <<- rbind(tr, addr(case, "", "", t, NA)) }
tt("t1", y ~ sex, data = ff)
tt("t2", y ~ sex, data = ff, var.equal = TRUE)
tt("t3", ff$y, mu = 7)
nn <- num[!is.na(num$x1) & !is.na(num$x2), ]
tt("t4", nn$x1, nn$x2, paired = TRUE)
tt("t5", y ~ flag, data = ff, mu = 0.25)
cq <- function(case, x, y) { ok <- !is.na(x) & !is.na(y); t <- chisq.test(table(x[ok], y[ok]))
  tr <<- rbind(tr, addr(case, "", "", t, sum(ok))) }
cq("x1", fac$grp, fac$sex); cq("x2", fac$sex, fac$flag); cq("x3", gl$cat3, gl$three)
out(tr, "tests_ref.csv")
cat("tests done\n")

# --- hist (breaks = seq(min, max, length.out = bins + 1)) and prcomp
hr <- NULL
h1 <- function(case, x, bins, group = NULL) {
  ok <- !is.na(x); br <- seq(min(x[ok]), max(x[ok]), length.out = bins + 1)
  gs <- if (is.null(group)) list(all = ok) else
    lapply(split(seq_along(x), group), function(i) { m <- rep(FALSE, length(x)); m[i] <- TRUE; m & ok })
  for (gname in names(gs)) {
    h <- hist(x[gs[[gname]]], breaks = br, plot = FALSE)
    hr <<- rbind(hr, data.frame(case = case, grp = gname, bin = seq_along(h$counts),
      lower = g17(br[-length(br)]), upper = g17(br[-1]), count = h$counts))
  }
}
h1("h1", num$y, 20); h1("h2", num$x1, 7); h1("h3", fac$age, 10, fac$sex)
# values exactly on breaks: integers 0..40 in 8 bins
h1("h4", rep(0:40, 3), 8)
out(hr, "hist_ref.csv")
pr <- NULL
p1 <- function(case, d, scale) {
  d <- na.omit(d); p <- prcomp(d, center = TRUE, scale. = scale)
  for (c in seq_along(p$sdev)) {
    v <- p$rotation[, c]; s <- sign(v[which.max(abs(v))])
    pr <<- rbind(pr, data.frame(case = case, component = c, std_dev = g17(p$sdev[c]),
      variable = names(v), loading = g17(s * v)))
  }
}
p1("p1", num[, c("y", "x1", "x2", "x3")], TRUE); p1("p2", num[, c("y", "x1", "x2", "x3")], FALSE)
p1("p3", gl[, c("a", "b", "count")], TRUE)
out(pr, "pca_ref.csv")
cat("describe done\n")
