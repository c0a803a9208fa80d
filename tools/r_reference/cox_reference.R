# Reference numbers for tests/test_cox.py, from R's survival package (coxph, Efron ties;
# cox.zph, R >= 3 score test). Run ONCE from the repository root:
#
#     Rscript tools/r_reference/cox_reference.R > tools/r_reference/cox_reference.out
#
# It writes tests/data/cox_noevents.csv and prints the reference values as Python literals, which
# were pasted, frozen, into tests/test_cox.py. The tests never recompute expectations.
suppressMessages(library(survival))
cat("# R", R.version$major, ".", R.version$minor, " survival ", as.character(packageVersion("survival")), "\n", sep = "")

py_num <- function(x) {
  ifelse(is.na(x), "nan", ifelse(is.infinite(x), ifelse(x > 0, "inf", "-inf"), sprintf("%.12g", x)))
}
py_list <- function(x) paste0("[", paste(py_num(x), collapse = ", "), "]")
emit <- function(name, x) cat(name, " = ", py_list(x), "\n", sep = "")

cox_dump <- function(prefix, fit, transforms = c("km")) {
  s <- summary(fit)
  cat("# ", prefix, " coefficients: ", paste(rownames(s$coefficients), collapse = " | "), "\n", sep = "")
  emit(paste0(prefix, "_COEF"), s$coefficients[, "coef"])
  emit(paste0(prefix, "_SE"), s$coefficients[, "se(coef)"])
  emit(paste0(prefix, "_HR"), s$conf.int[, "exp(coef)"])
  emit(paste0(prefix, "_LOWER"), s$conf.int[, "lower .95"])
  emit(paste0(prefix, "_UPPER"), s$conf.int[, "upper .95"])
  emit(paste0(prefix, "_P"), s$coefficients[, "Pr(>|z|)"])
  emit(paste0(prefix, "_LOGLIK"), fit$loglik)
  # global tests: statistic, df, p
  emit(paste0(prefix, "_LR"), s$logtest)
  # summary() rounds its Wald statistic to 2 decimals: use the fit's own
  w <- unname(fit$wald.test); k <- length(coef(fit))
  emit(paste0(prefix, "_WALD"), c(w, k, pchisq(w, k, lower.tail = FALSE)))
  emit(paste0(prefix, "_SCORE"), s$sctest)
  for (tr in transforms) {
    z <- cox.zph(fit, transform = tr)
    cat("# ", prefix, " cox.zph transform=", tr, " rows: ", paste(rownames(z$table), collapse = " | "), "\n", sep = "")
    emit(paste0(prefix, "_ZPH_", toupper(tr), "_CHISQ"), z$table[, "chisq"])
    emit(paste0(prefix, "_ZPH_", toupper(tr), "_DF"), z$table[, "df"])
    emit(paste0(prefix, "_ZPH_", toupper(tr), "_P"), z$table[, "p"])
  }
}

# (a) veteran (tests/data/veteran.csv, written by survival_reference.R): 4 cell types -------------
vet <- read.csv("tests/data/veteran.csv")
vet$celltype <- factor(vet$celltype, c("squamous", "smallcell", "adeno", "large"))
cox_dump("VET_CELL", coxph(Surv(time, status) ~ celltype, data = vet), c("km", "identity", "rank", "log"))
# reference level "large", adjusted for karno (numeric) and trt (0/1 numeric), stratified by prior
vet$celltype2 <- relevel(vet$celltype, "large")
cox_dump("VET_ADJ", coxph(Surv(time, status) ~ celltype2 + karno + trt + strata(prior), data = vet))

# (b) a level without events: R's estimate diverges (warning); the model without that level's
# patients gives the limit of the other coefficients
set.seed(20240611)
ne <- data.frame(time = round(rexp(30, 0.1), 1) + 0.1, status = rbinom(30, 1, 0.7),
                 arm = rep(c("A", "B", "C"), each = 10))
ne$status[ne$arm == "C"] <- 0
write.csv(ne, "tests/data/cox_noevents.csv", row.names = FALSE)
fit <- suppressWarnings(coxph(Surv(time, status) ~ arm, data = ne))
emit("NOEV_FULL_COEF", coef(fit))
cox_dump("NOEV_AB", coxph(Surv(time, status) ~ arm, data = subset(ne, arm != "C")))

# (c) CDISC pilot ADTTE, TTDE by TRTA (not shipped: read from ../shared/data) ---------------------
p <- "../shared/data/cdiscpilot01/"
if (file.exists(paste0(p, "adtte.xpt"))) {
  suppressMessages(library(foreign))
  ad <- read.xport(paste0(p, "adtte.xpt"))
  sl <- read.xport(paste0(p, "adsl.xpt"))
  ad <- merge(ad, sl[, c("USUBJID", "SITEGR1")], by = "USUBJID")
  ad$EVENT <- 1 - ad$CNSR
  ad$TRTA <- factor(ad$TRTA, c("Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"))
  cox_dump("ADTTE_ARM", coxph(Surv(AVAL, EVENT) ~ TRTA, data = ad), c("km", "identity"))
  cox_dump("ADTTE_ADJ", coxph(Surv(AVAL, EVENT) ~ TRTA + AGE + SEX + strata(SITEGR1), data = ad))
}
