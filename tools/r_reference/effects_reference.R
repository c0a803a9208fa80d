# Reference numbers for tests/unit/test_effects.py: the effect estimates the dashboard's views
# show, computed by R on the rows R selects itself (survival::coxph, survdiff, cox.zph;
# p.adjust). Run ONCE from the repository root:
#
#     Rscript tools/r_reference/effects_reference.R > tools/r_reference/effects_reference.out
#
# Reads tests/data/demo_os.csv, tests/data/demo_sledai.csv and the CDISC pilot's adtte.xpt and
# adsl.xpt (../shared/data, skipped when absent). Values printed as Python literals were frozen.
suppressMessages(library(survival))
cat("# R", R.version$major, ".", R.version$minor, " survival ",
    as.character(packageVersion("survival")), "\n", sep = "")
py_num <- function(x) {
  ifelse(is.na(x), "nan", ifelse(is.infinite(x), ifelse(x > 0, "inf", "-inf"), sprintf("%.12g", x)))
}
emit <- function(name, x) cat(name, " = [", paste(py_num(x), collapse = ", "), "]\n", sep = "")
hr_dump <- function(prefix, fit) {
  s <- summary(fit)
  emit(paste0(prefix, "_HR"), s$conf.int[, "exp(coef)"])
  emit(paste0(prefix, "_LOWER"), s$conf.int[, "lower .95"])
  emit(paste0(prefix, "_UPPER"), s$conf.int[, "upper .95"])
  emit(paste0(prefix, "_P"), s$coefficients[, "Pr(>|z|)"])
  z <- cox.zph(fit, transform = "km")$table
  emit(paste0(prefix, "_ZPH_GLOBAL"), z["GLOBAL", c("chisq", "df", "p")])
}

# (a) demo overall survival by responder group, MCR the reference -----------------------------
os <- read.csv("tests/data/demo_os.csv")
os$response <- factor(os$response, c("MCR", "PCR", "NR"))
# PCR has no death: R's coefficient diverges; the dashboard leaves PCR out (not estimable), the
# limit of the full fit. Fitted here without PCR, as the dashboard does:
hr_dump("DEMO_OS_RESPONSE", coxph(Surv(time, event) ~ response,
                                  data = droplevels(os[os$response != "PCR", ])))

# (b) demo landmark at 3 months (day 3 * 30.4375): the status reached by then -------------------
L <- 3 * 30.4375
lm <- os[os$time > L, ]
lm$status <- ifelse(!is.na(lm$response_day) & lm$response_day <= L, as.character(lm$response),
                    "No response by month 3")
lm$status <- factor(lm$status, c("No response by month 3", "MCR", "PCR"))
lm$t <- lm$time - L
emit("DEMO_LM3_EXCLUDED", c(sum(os$time <= L & os$event == 1), sum(os$time <= L & os$event == 0)))
emit("DEMO_LM3_N", table(lm$status))
lr <- survdiff(Surv(t, event) ~ status, data = lm)
emit("DEMO_LM3_LOGRANK", c(lr$chisq, length(lr$n) - 1, pchisq(lr$chisq, length(lr$n) - 1,
                                                                 lower.tail = FALSE)))
km <- survfit(Surv(t, event) ~ status, data = lm)
emit("DEMO_LM3_KM_NOT", summary(km[1])$surv)

# (c) demo SLEDAI by responder group: paired t-tests against baseline per visit, no test with
# fewer than 6 pairs, Holm and Hochberg across each group's follow-up visits ----------------------
sl <- read.csv("tests/data/demo_sledai.csv")
base <- sl[sl$month == 0, c("patient_id", "value")]
names(base)[2] <- "baseline"
sl <- merge(sl[sl$month != 0, ], base, by = "patient_id")
for (g in c("MCR", "PCR", "NR")) {
  d <- sl[sl$response == g, ]
  months <- sort(unique(d$month))
  p <- sapply(months, function(m) {
    x <- d[d$month == m, ]
    if (nrow(x) < 6) NA else t.test(x$value, x$baseline, paired = TRUE)$p.value
  })
  emit(paste0("DEMO_SLEDAI_", g, "_MONTHS"), months)
  emit(paste0("DEMO_SLEDAI_", g, "_P"), p)
  emit(paste0("DEMO_SLEDAI_", g, "_HOLM"), p.adjust(p, "holm"))
  emit(paste0("DEMO_SLEDAI_", g, "_HOCHBERG"), p.adjust(p, "hochberg"))
}

# (d) CDISC pilot: time to first dermatologic event by arm, Placebo the reference, stratified by
# site (SITEID, the dashboard's center) and adjusted for age ------------------------------------
p <- "../shared/data/cdiscpilot01/"
if (file.exists(paste0(p, "adtte.xpt"))) {
  suppressMessages(library(foreign))
  ad <- read.xport(paste0(p, "adtte.xpt"))
  sl <- read.xport(paste0(p, "adsl.xpt"))
  ad <- merge(ad, sl[, c("USUBJID", "TRT01A")], by = "USUBJID")  # SITEID, AGE: ADTTE's own
  ad$EVENT <- 1 - ad$CNSR
  ad$TRT01A <- factor(ad$TRT01A, c("Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"))
  hr_dump("PILOT_STRATA_AGE", coxph(Surv(AVAL, EVENT) ~ TRT01A + AGE + strata(SITEID),
                                    data = ad))
}
