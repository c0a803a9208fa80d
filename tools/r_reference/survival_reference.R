# Reference numbers for tests/test_survival.py, from R's survival package (an implementation
# independent of lifelines). Run ONCE from the repository root:
#
#     Rscript tools/r_reference/survival_reference.R > tools/r_reference/survival_reference.out
#
# It writes the small datasets the tests use to tests/data/ and prints the reference values as
# Python literals; these were pasted, frozen, into tests/test_survival.py. The tests never
# recompute expectations. The output of the run used is kept next to this script.
#
# Conventions: survfit(conf.type = "log-log") (Greenwood variance, CI on log(-log S)),
# 95 %; medians and their CIs from summary(fit)$table; log-rank from survdiff (rho = 0).
suppressMessages(library(survival))
cat("# R", R.version$major, ".", R.version$minor, " survival ", as.character(packageVersion("survival")), "\n", sep = "")
options(digits = 15)

py_num <- function(x) {
  ifelse(is.na(x), "nan", ifelse(is.infinite(x), ifelse(x > 0, "inf", "-inf"), sprintf("%.12g", x)))
}
py_list <- function(x) paste0("[", paste(py_num(x), collapse = ", "), "]")
emit <- function(name, x) cat(name, " = ", py_list(x), "\n", sep = "")

km_dump <- function(prefix, fit) {
  # one block per stratum: the full survfit table
  s <- summary(fit, censored = TRUE)
  strata <- if (is.null(s$strata)) rep("all", length(s$time)) else as.character(s$strata)
  for (g in unique(strata)) {
    k <- strata == g
    cat("# ", prefix, " stratum ", g, "\n", sep = "")
    emit(paste0(prefix, "_time"), s$time[k])
    emit(paste0(prefix, "_n_risk"), s$n.risk[k])
    emit(paste0(prefix, "_n_event"), s$n.event[k])
    emit(paste0(prefix, "_n_censor"), s$n.censor[k])
    emit(paste0(prefix, "_surv"), s$surv[k])
    emit(paste0(prefix, "_lower"), s$lower[k])
    emit(paste0(prefix, "_upper"), s$upper[k])
  }
  tab <- summary(fit)$table
  if (is.null(dim(tab))) tab <- t(as.matrix(tab))
  cat("# ", prefix, " medians (rows: ", paste(rownames(tab), collapse = " | "), ")\n", sep = "")
  emit(paste0(prefix, "_median"), tab[, "median"])
  emit(paste0(prefix, "_median_lcl"), tab[, "0.95LCL"])
  emit(paste0(prefix, "_median_ucl"), tab[, "0.95UCL"])
}

logrank_dump <- function(prefix, sd) {
  df <- sum(sd$n > 0) - 1
  cat(prefix, "_logrank = (", py_num(sd$chisq), ", ", df, ", ",
      py_num(pchisq(sd$chisq, df, lower.tail = FALSE)), ")\n", sep = "")
}

# (a) aml: 23 patients, 2 groups, ties and censoring ------------------------------------------
write.csv(aml, "tests/data/aml.csv", row.names = FALSE)
fit <- survfit(Surv(time, status) ~ 1, data = aml, conf.type = "log-log")
km_dump("AML_ALL", fit)
s <- summary(fit, times = c(12, 24, 36))
emit("AML_ALL_LANDMARK_TIMES", s$time); emit("AML_ALL_LANDMARK_SURV", s$surv)
emit("AML_ALL_LANDMARK_LOWER", s$lower); emit("AML_ALL_LANDMARK_UPPER", s$upper)
emit("AML_ALL_LANDMARK_N_RISK", s$n.risk)
ticks <- c(0, 10, 20, 30, 40, 50)
s <- summary(fit, times = ticks, extend = TRUE)
emit("AML_ALL_TICK_N_RISK", s$n.risk)
fit <- survfit(Surv(time, status) ~ x, data = aml, conf.type = "log-log")
km_dump("AML_X", fit)
s <- summary(fit, times = ticks, extend = TRUE)
cat("# AML_X ticks by stratum ", paste(as.character(s$strata), collapse = " "), "\n")
emit("AML_X_TICK_N_RISK", s$n.risk)
logrank_dump("AML_X", survdiff(Surv(time, status) ~ x, data = aml))

# (b) veteran: 137 patients, 4 cell types ----------------------------------------------------
write.csv(veteran, "tests/data/veteran.csv", row.names = FALSE)
fit <- survfit(Surv(time, status) ~ celltype, data = veteran, conf.type = "log-log")
tab <- summary(fit)$table
cat("# VETERAN medians rows: ", paste(rownames(tab), collapse = " | "), "\n")
emit("VET_median", tab[, "median"]); emit("VET_median_lcl", tab[, "0.95LCL"])
emit("VET_median_ucl", tab[, "0.95UCL"])
s <- summary(fit, times = c(30, 90, 180))
cat("# VETERAN landmark strata ", paste(as.character(s$strata), collapse = " "), "\n")
emit("VET_LANDMARK_TIME", s$time); emit("VET_LANDMARK_SURV", s$surv)
emit("VET_LANDMARK_LOWER", s$lower); emit("VET_LANDMARK_UPPER", s$upper)
logrank_dump("VET_CELLTYPE", survdiff(Surv(time, status) ~ celltype, data = veteran))

# (c) competing risks: Aalen-Johansen via survfit with a factor status --------------------------
# Variance: R's multi-state survfit uses the infinitesimal jackknife, not the delta method that
# lifelines implements, so CIs are referenced by an independent R implementation of the delta
# method formula (Marubini & Valsecchi; Collett 3rd ed. p. 411; SAS LIFETEST "delta method")
# with the log(-log F) transform, written here from the formula, not from lifelines' code.
aj_delta <- function(time, status, k) {
  ut <- sort(unique(time))
  n <- sapply(ut, function(t) sum(time >= t))
  d <- sapply(ut, function(t) sum(time == t & status != 0))
  dk <- sapply(ut, function(t) sum(time == t & status == k))
  S <- cumprod(1 - d / n); Slag <- c(1, head(S, -1))
  F <- cumsum(Slag * dk / n)
  v <- sapply(seq_along(ut), function(i) {
    j <- seq_len(i)
    sum((F[i] - F[j])^2 * d[j] / (n[j] * (n[j] - d[j]))) +
      sum(Slag[j]^2 * dk[j] * (n[j] - dk[j]) / n[j]^3) -
      2 * sum((F[i] - F[j]) * Slag[j] * dk[j] / n[j]^2)
  })
  z <- qnorm(0.975); se <- sqrt(v) / (F * abs(log(F)))
  data.frame(time = ut, n = n, F = F, var = v,
             lower = exp(-exp(log(-log(F)) + z * se)), upper = exp(-exp(log(-log(F)) - z * se)))
}

# small hand-made set: ties between causes (t = 5, 12), an event tied with a censoring (t = 8, 12),
# same-cause ties (t = 20)
cr <- data.frame(
  time = c(2, 3, 5, 5, 5, 7, 8, 8, 10, 12, 12, 12, 15, 18, 20, 20, 22, 25, 30, 30),
  status = c(1, 0, 1, 2, 1, 2, 1, 0, 2, 1, 2, 0, 0, 1, 1, 1, 2, 0, 1, 0)
)
write.csv(cr, "tests/data/competing_small.csv", row.names = FALSE)
fit <- survfit(Surv(time, factor(status, 0:2, c("censor", "relapse", "death"))) ~ 1, data = cr)
s <- summary(fit)
emit("CR_TIME", s$time); emit("CR_N_RISK", s$n.risk[, 1])
emit("CR_CIF1", s$pstate[, which(fit$states == "relapse")])
emit("CR_CIF2", s$pstate[, which(fit$states == "death")])
emit("CR_R_IJ_STD_ERR1", s$std.err[, which(fit$states == "relapse")])
ref <- aj_delta(cr$time, cr$status, 1)
emit("CR_DELTA_TIME", ref$time); emit("CR_DELTA_VAR1", ref$var)
emit("CR_DELTA_LOWER1", ref$lower); emit("CR_DELTA_UPPER1", ref$upper)

# mgus2 (survival vignette "compete"): progression to plasma-cell malignancy vs death, months
mg <- mgus2[, c("id", "ptime", "pstat", "futime", "death")]
mg$etime <- with(mg, ifelse(pstat == 0, futime, ptime))
mg$event <- with(mg, ifelse(pstat == 0, 2 * death, 1))
write.csv(mg[, c("id", "etime", "event")], "tests/data/mgus2.csv", row.names = FALSE)
fit <- survfit(Surv(etime, factor(event, 0:2, c("censor", "pcm", "death"))) ~ 1, data = mg)
s <- summary(fit, times = c(12, 60, 120, 240, 360))
emit("MGUS_TIMES", s$time)
emit("MGUS_CIF_PCM", s$pstate[, which(fit$states == "pcm")])
emit("MGUS_CIF_DEATH", s$pstate[, which(fit$states == "death")])
ref <- aj_delta(mg$etime, mg$event, 1)
k <- sapply(c(12, 60, 120, 240, 360), function(t) max(which(ref$time <= t)))
emit("MGUS_DELTA_LOWER_PCM", ref$lower[k]); emit("MGUS_DELTA_UPPER_PCM", ref$upper[k])

# (d) CDISC pilot ADTTE by arm (not shipped: read from ../shared/data) ------------------------
p <- "../shared/data/cdiscpilot01/adtte.xpt"
if (file.exists(p)) {
  suppressMessages(library(foreign))
  ad <- read.xport(p)
  ad$EVENT <- 1 - ad$CNSR
  fit <- survfit(Surv(AVAL, EVENT) ~ TRTA, data = ad, conf.type = "log-log")
  tab <- summary(fit)$table
  cat("# ADTTE medians rows: ", paste(rownames(tab), collapse = " | "), "\n")
  emit("ADTTE_median", tab[, "median"]); emit("ADTTE_median_lcl", tab[, "0.95LCL"])
  emit("ADTTE_median_ucl", tab[, "0.95UCL"])
  emit("ADTTE_N", tab[, "records"]); emit("ADTTE_EVENTS", tab[, "events"])
  s <- summary(fit, times = c(30, 60, 90))
  cat("# ADTTE landmark strata ", paste(as.character(s$strata), collapse = " "), "\n")
  emit("ADTTE_LANDMARK_TIME", s$time); emit("ADTTE_LANDMARK_SURV", s$surv)
  emit("ADTTE_LANDMARK_LOWER", s$lower); emit("ADTTE_LANDMARK_UPPER", s$upper)
  emit("ADTTE_LANDMARK_N_RISK", s$n.risk)
  logrank_dump("ADTTE_TRTA", survdiff(Surv(AVAL, EVENT) ~ TRTA, data = ad))
}

# (e) medians when the curve equals 0.5 exactly on an interval (R takes the midpoint) ----------
# case 1: 6 patients, events on days 1-3, 3 censored on day 100 (S = 0.5 to the end)
# case 2: 8 patients, events on days 1-7, 1 censored on day 8 (S = 0.5 on [4, 5))
plateau <- list(c1 = data.frame(time = c(1, 2, 3, 100, 100, 100), status = c(1, 1, 1, 0, 0, 0)),
                c2 = data.frame(time = 1:8, status = c(rep(1, 7), 0)))
for (nm in names(plateau)) {
  tab <- summary(survfit(Surv(time, status) ~ 1, data = plateau[[nm]], conf.type = "log-log"))$table
  cat("PLATEAU_", toupper(nm), " = (", py_num(tab["median"]), ", ", py_num(tab["0.95LCL"]), ", ",
      py_num(tab["0.95UCL"]), ")\n", sep = "")
}
