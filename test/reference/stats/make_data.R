# make_data.R — the test tables of the statistics suites (sql/stats_*.sql).
# Run once; the CSV files are kept in git, so neither CI nor the tests need R:
#   cd test/reference/stats && LC_ALL=C Rscript make_data.R
set.seed(20261205)
w <- function(d, f) write.csv(d, f, row.names = FALSE, na = "")

# numeric predictors, NULLs in x3 and y
n <- 200
x1 <- round(rnorm(n, 10, 3), 4); x2 <- round(runif(n, 0, 5), 4); x3 <- round(rnorm(n), 4)
y <- round(1 + 2 * x1 - 1.5 * x2 + 0.3 * x1 * x2 + rnorm(n, 0, 2), 4)
x3[c(5, 17, 99)] <- NA; y[c(42, 150)] <- NA
w(data.frame(id = 1:n, y, x1, x2, x3), "lm_num.csv")

# factors with 3 and 2 levels, a boolean, unbalanced, NULLs
n <- 150
grp <- sample(c("ctl", "trtA", "trtB"), n, replace = TRUE, prob = c(.5, .3, .2))
sex <- sample(c("F", "M"), n, replace = TRUE)
age <- round(runif(n, 20, 80), 1)
flag <- runif(n) < 0.4
y <- round(5 + c(ctl = 0, trtA = 1.5, trtB = -2)[grp] + (sex == "M") * 0.8 +
           (grp == "trtA" & sex == "M") * 1.2 + 0.05 * age + flag * 0.5 + rnorm(n), 4)
grp[c(3, 77)] <- NA; age[c(10)] <- NA
w(data.frame(id = 1:n, y, grp, sex, age, flag), "lm_fac.csv")

# rank deficiency: x3 = x1 + x2 exactly, a duplicated factor
n <- 80
x1 <- round(rnorm(n), 3); x2 <- round(rnorm(n), 3); x3 <- x1 + x2
g <- sample(c("a", "b", "c"), n, replace = TRUE); h <- g
y <- round(x1 - x2 + (g == "b") + rnorm(n, 0, 0.5), 4)
w(data.frame(y, x1, x2, x3, g, h), "lm_def.csv")

# logistic and Poisson responses
n <- 300
a <- round(rnorm(n), 3); b <- round(rnorm(n), 3)
cat3 <- sample(c("lo", "mid", "hi"), n, replace = TRUE)
eta <- -0.5 + 1.2 * a - 0.7 * b + c(lo = 0, mid = 0.4, hi = -0.6)[cat3]
outcome <- ifelse(runif(n) < plogis(eta), "yes", "no")
sick <- runif(n) < plogis(eta)
count <- rpois(n, exp(0.3 + 0.5 * a - 0.2 * b))
three <- sample(c("x", "y", "z"), n, replace = TRUE)
a[c(7)] <- NA
w(data.frame(a, b, cat3, outcome, sick, count, three), "glm.csv")
