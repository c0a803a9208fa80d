# Reference numbers for tests/test_mixed.py: nlme::lme(y ~ visit * group, random = ~ 1 | id,
# method = "REML") and estimated marginal means computed by hand from fixef() and vcov() (normal
# reference, baseline covariate at its mean over the observations). Run ONCE from the repository
# root:
#
#     Rscript tools/r_reference/mixed_reference.R > tools/r_reference/mixed_reference.out
#
# Writes tests/data/orthodont.csv (nlme's Orthodont); reads tests/data/demo_sledai.csv and the
# CDISC pilot's adlbc.xpt (../shared/data). Values printed as Python literals were frozen.
suppressMessages(library(nlme))
cat("# R", R.version$major, ".", R.version$minor, " nlme ", as.character(packageVersion("nlme")), "\n", sep = "")
py_num <- function(x) {
  ifelse(is.na(x), "nan", ifelse(is.infinite(x), ifelse(x > 0, "inf", "-inf"), sprintf("%.12g", x)))
}
py_list <- function(x) paste0("[", paste(py_num(x), collapse = ", "), "]")
py_str <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")
emit <- function(name, x) cat(name, " = ", py_list(x), "\n", sep = "")

fit_dump <- function(prefix, d, change = FALSE) {
  d$visit <- factor(d$visit); d$group <- factor(d$group)
  f <- if (change) y ~ visit * group + baseline else y ~ visit * group
  m <- lme(f, random = ~ 1 | id, data = d, method = "REML",
           control = lmeControl(opt = "optim", msMaxIter = 500, tolerance = 1e-12))
  b <- fixef(m); V <- vcov(m)
  cat(prefix, "_TERMS = ", py_str(names(b)), "\n", sep = "")
  emit(paste0(prefix, "_COEF"), b); emit(paste0(prefix, "_SE"), sqrt(diag(V)))
  # patient intercept variance, residual variance (VarCorr() prints them rounded)
  emit(paste0(prefix, "_VAR"), c(as.numeric(getVarCov(m)), m$sigma^2))
  emit(paste0(prefix, "_REML_LOGLIK"), as.numeric(logLik(m)))
  grid <- expand.grid(visit = levels(d$visit), group = levels(d$group))
  grid$visit <- factor(grid$visit, levels(d$visit)); grid$group <- factor(grid$group, levels(d$group))
  if (change) grid$baseline <- mean(d$baseline)
  X <- model.matrix(delete.response(terms(f)), grid)
  est <- drop(X %*% b); se <- sqrt(rowSums((X %*% V) * X))
  cat(prefix, "_EMM_GROUP = ", py_str(grid$group), "\n", sep = "")
  emit(paste0(prefix, "_EMM_VISIT"), as.numeric(as.character(grid$visit)))
  emit(paste0(prefix, "_EMM"), est); emit(paste0(prefix, "_EMM_SE"), se)
  emit(paste0(prefix, "_EMM_LOWER"), est - qnorm(0.975) * se)
  emit(paste0(prefix, "_EMM_UPPER"), est + qnorm(0.975) * se)
}
with_baseline <- function(d) {
  base <- d[d$visit == 0, c("id", "y")]; names(base)[2] <- "baseline"
  d <- merge(d[d$visit != 0, ], base, by = "id")
  d$y <- d$y - d$baseline
  d
}

# (a) nlme's Orthodont: distance by age (visits 8-14 years) and sex ---------------------------
o <- as.data.frame(Orthodont)
write.csv(data.frame(patient_id = as.character(o$Subject), month = o$age, sex = as.character(o$Sex),
                     value = o$distance), "tests/data/orthodont.csv", row.names = FALSE)
fit_dump("ORTHO", data.frame(id = as.character(o$Subject), visit = o$age, group = o$Sex, y = o$distance))

# (b) the demo: SLEDAI by response group (values; change from baseline with baseline covariate)
s <- read.csv("tests/data/demo_sledai.csv")
sd <- data.frame(id = s$patient_id, visit = s$month, group = s$response, y = s$value)
fit_dump("DEMO", sd)
fit_dump("DEMO_CHANGE", with_baseline(sd), change = TRUE)
# here the REML patient variance is at the boundary 0: lme (optimising log sd) stops inside at
# 0.0014; lme4's lmer reaches the boundary ("singular fit"), a higher REML likelihood
suppressMessages(library(lme4))
dc <- with_baseline(sd); dc$visit <- factor(dc$visit); dc$group <- factor(dc$group)
m4 <- suppressMessages(lmer(y ~ visit * group + baseline + (1 | id), data = dc, REML = TRUE))
emit("DEMO_CHANGE_LMER_VAR", c(as.numeric(VarCorr(m4)$id), sigma(m4)^2))
emit("DEMO_CHANGE_LMER_REML_LOGLIK", as.numeric(logLik(m4)))
cat("DEMO_CHANGE_LMER_TERMS = ", py_str(names(fixef(m4))), "\n", sep = "")
emit("DEMO_CHANGE_LMER_COEF", fixef(m4)); emit("DEMO_CHANGE_LMER_SE", sqrt(diag(as.matrix(vcov(m4)))))

# (c) CDISC pilot: albumin by actual arm over the scheduled weeks -----------------------------
f <- "../shared/data/cdiscpilot01/adlbc.xpt"
if (file.exists(f)) {
  suppressMessages(library(foreign))
  lb <- read.xport(f)
  lb <- lb[lb$PARAMCD == "ALB" & !is.na(lb$AVISITN) & round(lb$AVISITN) != 99, ]
  lb$AVISITN <- round(lb$AVISITN)
  lb <- lb[!duplicated(paste(lb$USUBJID, lb$AVISITN)) & !is.na(lb$AVAL), ]
  pd <- data.frame(id = lb$USUBJID, visit = lb$AVISITN, group = lb$TRTA, y = lb$AVAL)
  fit_dump("PILOT", pd)
  fit_dump("PILOT_CHANGE", with_baseline(pd), change = TRUE)
}
