# Independent reference numbers for trial/tables.py (Table 1 and response rates), from the demo
# CSV files with base R only: mean, sd, quantile (type 7), binom.test (Clopper-Pearson).
#   Rscript tools/r_reference/tables_reference.R data > tools/r_reference/tables_reference.out
# The numbers are frozen in tests/test_tables.py.
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args)) args[1] else "data"
pt <- read.csv(file.path(dir, "patients.csv"), stringsAsFactors = FALSE, encoding = "UTF-8")
ms <- read.csv(file.path(dir, "measurements.csv"), stringsAsFactors = FALSE)
ev <- read.csv(file.path(dir, "events.csv"), stringsAsFactors = FALSE)
pt$patient_id <- as.character(pt$patient_id)
ms$patient_id <- as.character(ms$patient_id)
ev$patient_id <- as.character(ev$patient_id)
ln <- tolower(as.character(pt$lupus_nephritis)) == "true"
pt$ln <- ln

# Best response as recorded: MCR if any MCR event, else PCR if any response event, else NR.
resp <- ev[ev$event == "response", ]
pt$response <- ifelse(pt$patient_id %in% resp$patient_id[resp$term == "MCR"], "MCR",
                      ifelse(pt$patient_id %in% resp$patient_id, "PCR", "NR"))

centers <- c("Drum Tower Hospital, Nanjing", "Jiangsu University Hospital, Zhenjiang",
             "Subei People's Hospital, Yangzhou", "Jiangsu Provincial People's Hospital, Nanjing")
groups <- c(as.list(setNames(centers, centers)), list(Overall = NULL))

desc <- function(x) {
  x <- x[!is.na(x)]
  q <- quantile(x, c(.25, .5, .75), type = 7, names = FALSE)
  sprintf("n=%d mean=%.10g sd=%.10g median=%.10g q1=%.10g q3=%.10g",
          length(x), mean(x), sd(x), q[2], q[1], q[3])
}
baseline <- function(ids, code, population = NULL) {
  if (!is.null(population)) ids <- intersect(ids, pt$patient_id[pt[[population]]])
  ms$value[ms$measure == code & ms$month == 0 & ms$patient_id %in% ids]
}
for (g in names(groups)) {
  sel <- if (g == "Overall") pt else pt[pt$center == g, ]
  ids <- sel$patient_id
  cat(sprintf("[%s]\n", g))
  cat(sprintf("n %d\n", nrow(sel)))
  cat("age ", desc(sel$age), "\n", sep = "")
  cat("disease_duration_months ", desc(sel$disease_duration_months), "\n", sep = "")
  cat(sprintf("female %d\n", sum(sel$sex == "F")))
  cat(sprintf("lupus_nephritis %d\n", sum(sel$ln)))
  for (code in c("sledai", "bilag", "creatinine", "c3", "anti_dsdna"))
    cat(code, " ", desc(baseline(ids, code)), "\n", sep = "")
  cat("proteinuria ", desc(baseline(ids, "proteinuria", "ln")), "\n", sep = "")
  n <- nrow(sel)
  for (o in list(c("mcr", "MCR"), c("pcr", "PCR"), c("overall", "MCR", "PCR"))) {
    k <- sum(sel$response %in% o[-1])
    ci <- binom.test(k, n)$conf.int
    cat(sprintf("%s k=%d n=%d low=%.10g high=%.10g\n", o[1], k, n, ci[1], ci[2]))
  }
}
