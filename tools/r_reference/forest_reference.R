# Reference numbers for tests/test_forest.py: subgroup effects and interaction tests computed by
# R (survival::coxph, survfit, binom.test, glm(binomial), anova(..., test = "LRT") and a
# hand-coded Newcombe hybrid score interval). Run ONCE from the repository root:
#
#     Rscript tools/r_reference/forest_reference.R > tools/r_reference/forest_reference.out
#
# Writes tests/data/forest_response_sim.csv; reads tests/data/veteran.csv,
# tests/data/demo_response.csv and the CDISC pilot (../shared/data). Values printed as Python
# literals were frozen in the tests.
suppressMessages(library(survival))
cat("# R", R.version$major, ".", R.version$minor, " survival ", as.character(packageVersion("survival")), "\n", sep = "")
py_num <- function(x) {
  ifelse(is.na(x), "nan", ifelse(is.infinite(x), ifelse(x > 0, "inf", "-inf"), sprintf("%.12g", x)))
}
py_list <- function(x) paste0("[", paste(py_num(x), collapse = ", "), "]")
emit <- function(name, x) cat(name, " = ", py_list(x), "\n", sep = "")

# Cox HR of each non-reference arm within each level of `sub`, and the arm x sub LR test
cox_forest <- function(prefix, d, sub) {
  hr <- lo <- up <- p <- c()
  for (lv in levels(d[[sub]])) {
    s <- summary(coxph(Surv(time, event) ~ arm, data = d[d[[sub]] == lv, ]))
    hr <- c(hr, s$conf.int[, "exp(coef)"]); lo <- c(lo, s$conf.int[, "lower .95"])
    up <- c(up, s$conf.int[, "upper .95"]); p <- c(p, s$coefficients[, "Pr(>|z|)"])
  }
  cat("# ", prefix, " rows: level x non-reference arm, levels ", paste(levels(d[[sub]]), collapse = " | "), "\n", sep = "")
  emit(paste0(prefix, "_HR"), hr); emit(paste0(prefix, "_LOWER"), lo)
  emit(paste0(prefix, "_UPPER"), up); emit(paste0(prefix, "_P"), p)
  d$sub <- d[[sub]]
  a <- anova(coxph(Surv(time, event) ~ arm + sub, data = d), coxph(Surv(time, event) ~ arm * sub, data = d))
  emit(paste0(prefix, "_INTERACTION"), c(a$Chisq[2], a$Df[2], a[["Pr(>|Chi|)"]][2]))
}

# (a) veteran: test vs standard chemotherapy by cell type and by prior therapy -----------------
vet <- read.csv("tests/data/veteran.csv")
vet$arm <- factor(vet$trt, 1:2, c("standard", "test"))
vet$event <- vet$status
vet$celltype <- factor(vet$celltype, c("squamous", "smallcell", "adeno", "large"))
vet$prior <- factor(vet$prior)
cox_forest("VET_CELL", vet, "celltype")
cox_forest("VET_PRIOR", vet, "prior")
# single arm: median (log-log CI) and events by cell type
tab <- summary(survfit(Surv(time, event) ~ celltype, data = vet, conf.type = "log-log"))$table
emit("VET_SINGLE_MEDIAN", tab[, "median"]); emit("VET_SINGLE_LCL", tab[, "0.95LCL"])
emit("VET_SINGLE_UCL", tab[, "0.95UCL"]); emit("VET_SINGLE_EVENTS", tab[, "events"])
ci <- sapply(levels(vet$celltype), function(l) binom.test(sum(vet$event[vet$celltype == l]), sum(vet$celltype == l))$conf.int)
emit("VET_SINGLE_RATE_LOWER", ci[1, ]); emit("VET_SINGLE_RATE_UPPER", ci[2, ])

# response: rates (binom.test), Newcombe RD, glm OR (Wald), interaction LRT
wilson <- function(k, n, z = qnorm(0.975)) {
  p <- k / n; c <- (p + z^2 / (2 * n)) / (1 + z^2 / n)
  h <- z * sqrt(p * (1 - p) / n + z^2 / (4 * n^2)) / (1 + z^2 / n)
  c(c - h, c + h)
}
newcombe <- function(k1, n1, k2, n2) {  # Newcombe (1998) method 10, p1 - p2
  p1 <- k1 / n1; p2 <- k2 / n2; w1 <- wilson(k1, n1); w2 <- wilson(k2, n2)
  d <- p1 - p2
  c(d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
}
# glm's default convergence (epsilon = 1e-8) leaves its standard errors off by up to 1e-6
# (relative; checked against Woolf's exact 2 x 2 formula): the fits here are run to 1e-14.
resp_forest <- function(prefix, d, sub) {
  rate_lo <- rate_up <- rd <- rd_lo <- rd_up <- or <- or_lo <- or_up <- or_p <- c()
  ref <- levels(d$arm)[1]
  for (lv in levels(d[[sub]])) {
    s <- d[d[[sub]] == lv, ]
    for (a in levels(d$arm)) {
      ci <- binom.test(sum(s$y[s$arm == a]), sum(s$arm == a))$conf.int
      rate_lo <- c(rate_lo, ci[1]); rate_up <- c(rate_up, ci[2])
    }
    for (a in levels(d$arm)[-1]) {
      k1 <- sum(s$y[s$arm == a]); n1 <- sum(s$arm == a); k2 <- sum(s$y[s$arm == ref]); n2 <- sum(s$arm == ref)
      rd <- c(rd, k1 / n1 - k2 / n2); nc <- newcombe(k1, n1, k2, n2); rd_lo <- c(rd_lo, nc[1]); rd_up <- c(rd_up, nc[2])
      two <- s[s$arm %in% c(a, ref), ]; two$arm <- droplevels(two$arm)
      g <- glm(y ~ arm, family = binomial, data = two, control = glm.control(epsilon = 1e-14, maxit = 100))
      b <- coef(g)[2]; ci <- confint.default(g)[2, ]
      or <- c(or, exp(b)); or_lo <- c(or_lo, exp(ci[1])); or_up <- c(or_up, exp(ci[2]))
      or_p <- c(or_p, summary(g)$coefficients[2, "Pr(>|z|)"])
    }
  }
  cat("# ", prefix, " rates: level x arm; effects: level x non-reference arm; levels ", paste(levels(d[[sub]]), collapse = " | "), "\n", sep = "")
  emit(paste0(prefix, "_RATE_LOWER"), rate_lo); emit(paste0(prefix, "_RATE_UPPER"), rate_up)
  emit(paste0(prefix, "_RD"), rd); emit(paste0(prefix, "_RD_LOWER"), rd_lo); emit(paste0(prefix, "_RD_UPPER"), rd_up)
  emit(paste0(prefix, "_OR"), or); emit(paste0(prefix, "_OR_LOWER"), or_lo); emit(paste0(prefix, "_OR_UPPER"), or_up)
  emit(paste0(prefix, "_OR_P"), or_p)
  d$sub <- d[[sub]]
  tight <- glm.control(epsilon = 1e-14, maxit = 100)
  a <- anova(glm(y ~ arm + sub, binomial, d, control = tight), glm(y ~ arm * sub, binomial, d, control = tight), test = "LRT")
  emit(paste0(prefix, "_INTERACTION"), c(a$Deviance[2], a$Df[2], a[["Pr(>Chi)"]][2]))
}

# (b) simulated response: 2 arms, 3 subgroup levels -------------------------------------------
set.seed(2014)
n <- 240
sim <- data.frame(arm = sample(c("control", "active"), n, TRUE), site = sample(c("north", "south", "west"), n, TRUE))
sim$y <- rbinom(n, 1, plogis(-0.4 + 0.8 * (sim$arm == "active") + c(north = 0, south = 0.3, west = -0.2)[sim$site] +
                               0.7 * (sim$arm == "active" & sim$site == "west")))
write.csv(sim, "tests/data/forest_response_sim.csv", row.names = FALSE)
sim$arm <- factor(sim$arm, c("control", "active")); sim$site <- factor(sim$site)
resp_forest("SIM", sim, "site")

# (c) the demo: responders (MCR or PCR) by center, single arm ---------------------------------
dr <- read.csv("tests/data/demo_response.csv")
ci <- sapply(sort(unique(dr$center)), function(cn) binom.test(sum(dr$responder[dr$center == cn]), sum(dr$center == cn))$conf.int)
emit("DEMO_CENTER_RATE_LOWER", ci[1, ]); emit("DEMO_CENTER_RATE_UPPER", ci[2, ])

# (d) CDISC pilot: time to dermatologic event by arm within sex and age group; completing
# week 24 (ADSL COMP24FL) as a binary outcome by arm ---------------------------------------------
p <- "../shared/data/cdiscpilot01/"
if (file.exists(paste0(p, "adtte.xpt"))) {
  suppressMessages(library(foreign))
  ad <- read.xport(paste0(p, "adtte.xpt"))
  ad$time <- ad$AVAL; ad$event <- 1 - ad$CNSR
  ad$arm <- factor(ad$TRTA, c("Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"))
  ad$SEX <- factor(ad$SEX); ad$AGEGR1 <- factor(ad$AGEGR1, c("<65", "65-80", ">80"))
  cox_forest("PILOT_SEX", ad, "SEX")
  cox_forest("PILOT_AGE", ad, "AGEGR1")
  sl <- read.xport(paste0(p, "adsl.xpt"))
  sl$arm <- factor(sl$TRT01A, c("Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"))
  sl$y <- as.integer(sl$COMP24FL == "Y"); sl$SEX <- factor(sl$SEX)
  resp_forest("PILOT_RESP_SEX", sl, "SEX")
}
