# Reference numbers for tests/test_multiplicity.py: R's p.adjust and, on two datasets, R's own
# per-visit paired t-tests against baseline with the small-numbers rule and the adjustment
# across visits. Run ONCE from the repository root:
#
#     Rscript tools/r_reference/multiplicity_reference.R > tools/r_reference/multiplicity_reference.out
#
# Reads tests/data/demo_sledai.csv (the demo's SLEDAI values with center) and the CDISC pilot's
# adlbc.xpt from ../shared/data. Values printed as Python literals were frozen in the tests.
cat("# R", R.version$major, ".", R.version$minor, "\n", sep = "")
py_num <- function(x) {
  ifelse(is.na(x), "nan", ifelse(is.infinite(x), ifelse(x > 0, "inf", "-inf"), sprintf("%.12g", x)))
}
py_list <- function(x) paste0("[", paste(py_num(x), collapse = ", "), "]")
py_str <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")
emit <- function(name, x) cat(name, " = ", py_list(x), "\n", sep = "")

# (a) p.adjust on a vector with a missing value and ties ----------------------------------------
p <- c(0.01, 0.04, 0.03, NA, 0.2, 0.005, 0.04)
emit("P_RAW", p)
for (m in c("none", "holm", "hochberg")) emit(paste0("P_", toupper(m)), p.adjust(p, m))

# per group and visit: n_paired and the paired t-test p (NA below the minimum of pairs), then the
# adjustment across the visits of each group
per_visit <- function(d, min_paired = 6) {
  base <- d[d$visit == 0, c("id", "value")]
  names(base)[2] <- "baseline"
  d <- merge(d[d$visit != 0, ], base, by = "id")
  d <- d[!is.na(d$value) & !is.na(d$baseline), ]
  out <- do.call(rbind, lapply(split(d, list(d$group, d$visit), drop = TRUE), function(x) {
    p <- if (nrow(x) >= 2 && sd(x$value - x$baseline) > 0) t.test(x$value, x$baseline, paired = TRUE)$p.value else NA
    data.frame(group = x$group[1], visit = x$visit[1], n_paired = nrow(x), p = p)
  }))
  out <- out[order(out$group, out$visit), ]
  out$p[out$n_paired < min_paired] <- NA
  out$holm <- ave(out$p, out$group, FUN = function(q) p.adjust(q, "holm"))
  out$hochberg <- ave(out$p, out$group, FUN = function(q) p.adjust(q, "hochberg"))
  out
}
dump <- function(prefix, out) {
  cat(prefix, "_GROUP = ", py_str(out$group), "\n", sep = "")
  emit(paste0(prefix, "_VISIT"), out$visit); emit(paste0(prefix, "_N_PAIRED"), out$n_paired)
  emit(paste0(prefix, "_P"), out$p); emit(paste0(prefix, "_HOLM"), out$holm)
  emit(paste0(prefix, "_HOCHBERG"), out$hochberg)
}

# (b) the demo: SLEDAI by center (small groups: 6 to 15 pairs; a minimum of 8 drops some) ------
s <- read.csv("tests/data/demo_sledai.csv")
sd <- data.frame(id = s$patient_id, group = s$center, visit = s$month, value = s$value)
dump("DEMO", per_visit(sd))
dump("DEMO_MIN8", per_visit(sd, min_paired = 8))

# (c) CDISC pilot: albumin by actual arm over the scheduled weeks -------------------------------
f <- "../shared/data/cdiscpilot01/adlbc.xpt"
if (file.exists(f)) {
  suppressMessages(library(foreign))
  lb <- read.xport(f)
  lb <- lb[lb$PARAMCD == "ALB" & !is.na(lb$AVISITN) & round(lb$AVISITN) != 99, ]
  lb$AVISITN <- round(lb$AVISITN)
  lb <- lb[!duplicated(paste(lb$USUBJID, lb$AVISITN)), ]
  dump("PILOT", per_visit(data.frame(id = lb$USUBJID, group = lb$TRTA, visit = lb$AVISITN, value = lb$AVAL)))
}
