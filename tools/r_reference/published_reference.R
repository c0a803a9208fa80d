# Reference numbers for tests/test_published.py: the Aalen-Johansen cumulative incidence of
# relapse in the demo (survival::survfit with a multi-state status) at the 9- and 12-month visit
# days, and the point counts recorded by those days. Run ONCE from the repository root:
#
#     Rscript tools/r_reference/published_reference.R > tools/r_reference/published_reference.out
#
# Reads tests/data/demo_relapse.csv (responders as analysed; 1 relapse, 2 death before relapse)
# and tests/data/demo_os.csv. Values printed as Python literals were frozen in the test.
suppressMessages(library(survival))
cat("# R", R.version$major, ".", R.version$minor, " survival ", as.character(packageVersion("survival")), "\n", sep = "")
py_list <- function(x) paste0("[", paste(sprintf("%.12g", x), collapse = ", "), "]")
d <- read.csv("tests/data/demo_relapse.csv")
fit <- survfit(Surv(time, factor(status, 0:2, c("censor", "relapse", "death"))) ~ 1, data = d)
s <- summary(fit, times = c(273, 365))
cat("AJ_DAYS = ", py_list(s$time), "\n", sep = "")
cat("AJ_RELAPSE = ", py_list(s$pstate[, which(fit$states == "relapse")]), "\n", sep = "")
cat("AJ_N_RISK = ", py_list(s$n.risk[, 1]), "\n", sep = "")
# relapses recorded by day 273 and by day 365 among the analysed responders
cat("ANALYSED_BY_DAY = ", py_list(c(sum(d$status == 1 & d$time <= 273), sum(d$status == 1 & d$time <= 365))), "\n", sep = "")
