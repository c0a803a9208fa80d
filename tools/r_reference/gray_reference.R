# Reference numbers for tests/test_gray.py: Gray's test and the CIF estimates of R's
# cmprsk::cuminc. Run ONCE from the repository root:
#
#     Rscript tools/r_reference/gray_reference.R > tools/r_reference/gray_reference.out
#
# It writes tests/data/gray_small.csv, gray_sim.csv and gray_mgus2.csv and reads
# tests/data/demo_relapse.csv (the demo's relapse endpoint, written by
# trial.survival.relapse_endpoint(load_trial("data").patients); columns patient_id, center,
# response, time, status). The values printed as Python literals were frozen in the tests.
suppressMessages(library(cmprsk))
suppressMessages(library(survival))
cat("# R", R.version$major, ".", R.version$minor, " cmprsk ", as.character(packageVersion("cmprsk")), "\n", sep = "")

py_num <- function(x) {
  ifelse(is.na(x), "nan", ifelse(is.infinite(x), ifelse(x > 0, "inf", "-inf"), sprintf("%.12g", x)))
}
py_list <- function(x) paste0("[", paste(py_num(x), collapse = ", "), "]")
emit <- function(name, x) cat(name, " = ", py_list(x), "\n", sep = "")

tests_dump <- function(prefix, z) {
  tt <- z$Tests
  cat("# ", prefix, " causes: ", paste(rownames(tt), collapse = " | "), "\n", sep = "")
  emit(paste0(prefix, "_STAT"), tt[, "stat"])
  emit(paste0(prefix, "_P"), tt[, "pv"])
  emit(paste0(prefix, "_DF"), tt[, "df"])
}

# (a) hand-made: 3 groups, ties within and between causes and groups, censorings tied with events
small <- data.frame(
  time = c(1, 2, 2, 3, 4, 4, 4, 5, 6, 7, 7, 8, 9, 10, 10, 11, 12, 12, 13, 14, 15, 15, 16, 18,
           2, 3, 4, 4, 6, 7, 8, 8, 9, 12),
  status = c(1, 1, 2, 0, 1, 1, 2, 0, 1, 2, 0, 1, 1, 2, 1, 0, 1, 1, 2, 0, 1, 2, 1, 0,
             1, 2, 2, 1, 0, 1, 1, 2, 0, 1),
  group = c(rep(c("A", "B", "C"), 8), rep(c("A", "B"), 5))
)
write.csv(small, "tests/data/gray_small.csv", row.names = FALSE)
z <- cuminc(small$time, small$status, small$group)
tests_dump("SMALL", z)
tests_dump("SMALL_RHO1", cuminc(small$time, small$status, small$group, rho = 1))
# CIF estimate and variance of cause 1 in group A at its event times (cuminc's steps: keep the
# value after each jump, i.e. every second entry)
a1 <- z[["A 1"]]
k <- seq(3, length(a1$time), by = 2)
emit("SMALL_A1_TIME", a1$time[k]); emit("SMALL_A1_EST", a1$est[k]); emit("SMALL_A1_VAR", a1$var[k])
b2 <- z[["B 2"]]
k <- seq(3, length(b2$time), by = 2)
emit("SMALL_B2_TIME", b2$time[k]); emit("SMALL_B2_EST", b2$est[k])

# (b) simulated: 300 patients, 3 groups, 2 strata, causes 1-3, times rounded (ties) -----------
set.seed(1988)
n <- 300
sim <- data.frame(group = sample(c("g1", "g2", "g3"), n, TRUE), stratum = sample(c("s1", "s2"), n, TRUE))
rate1 <- c(g1 = 0.10, g2 = 0.15, g3 = 0.12)[sim$group]
t1 <- rexp(n, rate1); t2 <- rexp(n, 0.05); t3 <- rexp(n, 0.03); cens <- runif(n, 2, 25)
tt <- pmin(t1, t2, t3, cens)
sim$status <- ifelse(tt == cens, 0, ifelse(tt == t1, 1, ifelse(tt == t2, 2, 3)))
sim$time <- ceiling(tt)
write.csv(sim, "tests/data/gray_sim.csv", row.names = FALSE)
tests_dump("SIM", cuminc(sim$time, sim$status, sim$group))
tests_dump("SIM_STRATA", cuminc(sim$time, sim$status, sim$group, strata = sim$stratum))
tests_dump("SIM_STRATA_RHO05", cuminc(sim$time, sim$status, sim$group, strata = sim$stratum, rho = 0.5))

# (c) real: mgus2 (survival package), progression to PCM (1) vs death (2), by sex ---------------
mg <- mgus2
mg$etime <- with(mg, ifelse(pstat == 0, futime, ptime))
mg$event <- with(mg, ifelse(pstat == 0, 2 * death, 1))
write.csv(mg[, c("id", "sex", "etime", "event")], "tests/data/gray_mgus2.csv", row.names = FALSE)
tests_dump("MGUS", cuminc(mg$etime, mg$event, mg$sex))

# (d) the demo's relapse endpoint (responders; 1 relapse, 2 death before relapse) ---------------
dr <- read.csv("tests/data/demo_relapse.csv")
tests_dump("DEMO_RESPONSE", cuminc(dr$time, dr$status, dr$response))
tests_dump("DEMO_CENTER", cuminc(dr$time, dr$status, dr$center))
