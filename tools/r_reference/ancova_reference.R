# Independent reference numbers for trial/analysis/compare.py (ANCOVA of the change from
# baseline at each visit: lm(chg ~ base + arm), anova(), emmeans).
#   Rscript tools/r_reference/ancova_reference.R tests/data ../shared/data/cdiscpilot01 \
#     > tools/r_reference/ancova_reference.out
# Writes tests/data/ancova_small.csv (simulated with set.seed: 3 arms, 2 visits, unequal n,
# missing values) and prints, for it and for the CDISC pilot's creatinine by planned arm in the
# ITT population (ADLBC CREAT, ADSL TRT01P, ITTFL = Y), per visit: the F test of arm, the
# contrasts with the reference arm (placebo) and the least-squares means. Frozen in
# tests/unit/test_compare.py.
suppressPackageStartupMessages({library(emmeans); library(haven)})
args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[1] else "tests/data"
pilot <- if (length(args) >= 2) args[2] else "../shared/data/cdiscpilot01"

set.seed(20240611)
arms <- c("Placebo", "Drug low", "Drug high")
n <- c(9, 8, 10)
d <- do.call(rbind, lapply(seq_along(arms), function(i) {
  base <- round(rnorm(n[i], 50, 8), 1)
  do.call(rbind, lapply(c(4, 12), function(wk) {
    value <- round(base * 0.6 + 20 - (i - 1) * wk / 4 + rnorm(n[i], 0, 4), 1)
    data.frame(patient_id = sprintf("%s-%02d", substr(arms[i], 1, 1), seq_len(n[i])),
               arm = arms[i], month = wk, baseline = base, value = value)
  }))
}))
d$value[c(3, 20, 41)] <- NA  # missing at some visits
write.csv(d, file.path(out_dir, "ancova_small.csv"), row.names = FALSE)

report <- function(tag, d) {
  d$chg <- d$value - d$baseline
  for (m in sort(unique(d$month))) {
    v <- d[d$month == m & !is.na(d$chg) & !is.na(d$baseline), ]
    v$arm <- factor(v$arm, levels = unique(c("Placebo", sort(unique(v$arm)))))
    fit <- lm(chg ~ baseline + arm, data = v)
    a <- anova(lm(chg ~ baseline, data = v), fit)
    cat(sprintf("%s month=%g n=%d F=%.12g df1=%d df2=%d p=%.12g\n", tag, m, nrow(v),
                a$F[2], a$Df[2], a$Res.Df[2], a$`Pr(>F)`[2]))
    co <- summary(fit)$coefficients
    ci <- confint(fit)
    for (lv in levels(v$arm)[-1]) {
      r <- paste0("arm", lv)
      cat(sprintf("%s month=%g diff %s est=%.12g se=%.12g lo=%.12g hi=%.12g t=%.12g p=%.12g\n",
                  tag, m, lv, co[r, 1], co[r, 2], ci[r, 1], ci[r, 2], co[r, 3], co[r, 4]))
    }
    em <- summary(emmeans(fit, "arm"))
    for (i in seq_len(nrow(em))) {
      cat(sprintf("%s month=%g lsmean %s est=%.12g se=%.12g lo=%.12g hi=%.12g\n", tag, m,
                  em$arm[i], em$emmean[i], em$SE[i], em$lower.CL[i], em$upper.CL[i]))
    }
  }
}
report("SMALL", d)

if (dir.exists(pilot)) {
  sl <- read_xpt(file.path(pilot, "adsl.xpt"))
  lb <- read_xpt(file.path(pilot, "adlbc.xpt"))
  lb <- lb[lb$PARAMCD == "CREAT" & !is.na(lb$AVAL), ]
  itt <- sl[sl$ITTFL == "Y", c("USUBJID", "TRT01P")]
  base <- lb[lb$ABLFL == "Y", c("USUBJID", "AVAL")]
  names(base)[2] <- "baseline"
  post <- lb[!is.na(lb$AVISITN) & lb$AVISITN %in% c(2, 24) & lb$ABLFL != "Y",
             c("USUBJID", "AVISITN", "AVAL")]
  p <- merge(merge(post, base, by = "USUBJID"), itt, by = "USUBJID")
  p <- data.frame(patient_id = p$USUBJID, arm = p$TRT01P, month = p$AVISITN,
                  baseline = p$baseline, value = p$AVAL)
  report("PILOT_CREAT", p)
}
cat(sprintf("# %s emmeans %s haven %s\n", R.version.string, packageVersion("emmeans"),
            packageVersion("haven")))
