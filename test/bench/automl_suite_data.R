# automl_suite_data.R — writes the R-package tables of the automl_train
# benchmark suite as CSV files (header, NA as empty) into the directory given
# as the first argument.  Debian packages: r-cran-mlbench, r-cran-modeldata,
# r-cran-ggplot2, r-cran-kernlab, r-cran-aer (see automl_suite.sh).
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
put <- function(x, name) {
  x <- as.data.frame(x)
  for (j in seq_along(x))
    if (is.factor(x[[j]]) || is.logical(x[[j]])) x[[j]] <- as.character(x[[j]])
  names(x) <- make.unique(tolower(gsub("[^A-Za-z0-9]+", "_", names(x))), sep = "_")
  write.csv(x, file.path(out, paste0(name, ".csv")), row.names = FALSE, na = "")
}
get_data <- function(name, package) {
  e <- new.env()
  data(list = name, package = package, envir = e)
  get(name, envir = e)
}
suppressMessages({
  put(get_data("Zoo", "mlbench"), "zoo")
  put(get_data("Glass", "mlbench"), "glass")
  put(get_data("Sonar", "mlbench"), "sonar")
  put(get_data("Soybean", "mlbench"), "soybean")
  put(get_data("Vehicle", "mlbench"), "vehicle")
  ion <- get_data("Ionosphere", "mlbench")
  ion$V2 <- NULL  # constant
  put(ion, "ionosphere")
  put(get_data("LetterRecognition", "mlbench"), "letter")
  put(get_data("ad_data", "modeldata"), "ad_data")
  put(get_data("credit_data", "modeldata"), "credit_data")
  put(get_data("concrete", "modeldata"), "concrete")
  put(get_data("spam", "kernlab"), "spam")
  d <- as.data.frame(ggplot2::diamonds)
  for (j in c("cut", "color", "clarity")) d[[j]] <- as.character(d[[j]])
  put(d, "diamonds")
  cps <- get_data("CPS1988", "AER")
  cps$wage <- log(cps$wage)
  put(cps, "cps1988")
})
