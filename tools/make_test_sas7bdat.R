# Writes tests/data/adsl_small.sas7bdat: a small ADSL (36 subjects) in SAS's own format, for
# the tests of reading SAS datasets (pyreadstat cannot write sas7bdat; haven can).
#   Rscript tools/make_test_sas7bdat.R      (Debian: r-base-core, r-cran-haven)
suppressWarnings(library(haven))
n <- 36
adsl <- data.frame(
  USUBJID = sprintf("01-%03d", 0:(n - 1)),
  SITEID = sprintf("%02d", (0:(n - 1)) %% 2 + 1),
  TRT01A = ifelse((0:(n - 1)) %% 2 == 1, "Placebo", "Drug"),
  SEX = ifelse((0:(n - 1)) %% 3 == 0, "M", "F"),
  AGE = as.numeric(40 + 0:(n - 1)),
  stringsAsFactors = FALSE)
suppressWarnings(write_sas(adsl, "tests/data/adsl_small.sas7bdat"))
