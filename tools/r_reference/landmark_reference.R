# Reference numbers for tests/test_landmark.py: landmark analyses built by R itself (subset,
# groups at the landmark, time re-based) and analysed with survival's survfit (log-log CIs),
# survdiff and coxph. Run ONCE from the repository root:
#
#     Rscript tools/r_reference/landmark_reference.R > tools/r_reference/landmark_reference.out
#
# Writes tests/data/jasa.csv (Stanford heart transplant, survival::jasa: the classic
# immortal-time example) and reads tests/data/demo_os.csv (the demo's overall survival with the
# response day). Values printed as Python literals were frozen in the tests.
suppressMessages(library(survival))
cat("# R", R.version$major, ".", R.version$minor, " survival ", as.character(packageVersion("survival")), "\n", sep = "")

py_num <- function(x) {
  ifelse(is.na(x), "nan", ifelse(is.infinite(x), ifelse(x > 0, "inf", "-inf"), sprintf("%.12g", x)))
}
py_list <- function(x) paste0("[", paste(py_num(x), collapse = ", "), "]")
emit <- function(name, x) cat(name, " = ", py_list(x), "\n", sep = "")

# the landmark population, R's own code: followed beyond L, group = status reached by L
landmark <- function(d, L, time, event, known) {
  out <- d[d[[time]] > L, ]
  k <- out[[known]]
  out$grp <- factor(ifelse(!is.na(k) & k <= L, "by", "not"), c("not", "by"))
  out$lt <- out[[time]] - L
  out$le <- out[[event]]
  list(pop = out, n_event_before = sum(d[[time]] <= L & d[[event]] == 1),
       n_cens_before = sum(d[[time]] <= L & d[[event]] == 0))
}

dump <- function(prefix, lm) {
  p <- lm$pop
  emit(paste0(prefix, "_EXCLUDED"), c(lm$n_event_before, lm$n_cens_before))
  emit(paste0(prefix, "_N"), table(p$grp))
  fit <- survfit(Surv(lt, le) ~ grp, data = p, conf.type = "log-log")
  s <- summary(fit)
  for (g in levels(p$grp)) {
    k <- as.character(s$strata) == paste0("grp=", g)
    G <- toupper(g)
    emit(paste0(prefix, "_", G, "_TIME"), s$time[k]); emit(paste0(prefix, "_", G, "_SURV"), s$surv[k])
    emit(paste0(prefix, "_", G, "_LOWER"), s$lower[k]); emit(paste0(prefix, "_", G, "_UPPER"), s$upper[k])
    emit(paste0(prefix, "_", G, "_N_RISK"), s$n.risk[k])
  }
  tab <- summary(fit)$table
  emit(paste0(prefix, "_MEDIAN"), tab[, "median"])
  sd <- survdiff(Surv(lt, le) ~ grp, data = p)
  emit(paste0(prefix, "_LOGRANK"), c(sd$chisq, 1, pchisq(sd$chisq, 1, lower.tail = FALSE)))
  cf <- summary(coxph(Surv(lt, le) ~ grp, data = p))
  emit(paste0(prefix, "_HR"), cf$conf.int[1, c("exp(coef)", "lower .95", "upper .95")])
  emit(paste0(prefix, "_HR_P"), cf$coefficients[1, "Pr(>|z|)"])
}

# (a) jasa: survival by heart transplant, landmarks at 30 and 60 days ---------------------------
ja <- jasa[, c("futime", "fustat", "wait.time", "transplant")]
ja$id <- seq_len(nrow(ja))
write.csv(ja, "tests/data/jasa.csv", row.names = FALSE)
dump("JASA30", landmark(ja, 30, "futime", "fustat", "wait.time"))
dump("JASA60", landmark(ja, 60, "futime", "fustat", "wait.time"))

# (b) CDISC pilot: time to first dermatologic event by "treatment discontinued by day 30" -------
p <- "../shared/data/cdiscpilot01/"
if (file.exists(paste0(p, "adtte.xpt"))) {
  suppressMessages(library(foreign))
  ad <- read.xport(paste0(p, "adtte.xpt"))
  sl <- read.xport(paste0(p, "adsl.xpt"))
  sl$STOPDAY <- ifelse(sl$DISCONFL == "Y", sl$TRTEDT - sl$TRTSDT + 1, NA)
  ad <- merge(ad, sl[, c("USUBJID", "STOPDAY")], by = "USUBJID")
  ad$EVENT <- 1 - ad$CNSR
  dump("PILOT30", landmark(ad, 30, "AVAL", "EVENT", "STOPDAY"))
}

# (c) the demo: overall survival by response, landmark at 3 months (day 91) ---------------------
demo <- read.csv("tests/data/demo_os.csv")
lm <- landmark(demo, 91, "time", "event", "response_day")
emit("DEMO91_EXCLUDED", c(lm$n_event_before, lm$n_cens_before))
emit("DEMO91_N", table(lm$pop$grp))
sd <- survdiff(Surv(lt, le) ~ grp, data = lm$pop)
emit("DEMO91_LOGRANK", c(sd$chisq, 1, pchisq(sd$chisq, 1, lower.tail = FALSE)))
