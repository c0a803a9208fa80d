# Independent reference numbers for trial/tables.py's safety table (treatment-emergent adverse
# events by system organ class and preferred term, by actual arm, in the safety population),
# from the CDISC pilot's XPT files with haven and base R.
#   Rscript tools/r_reference/safety_reference.R ../shared/data/cdiscpilot01 \
#     tests/data/pilot_teae_reference.csv > tools/r_reference/safety_reference.out
# Rules: subjects of ADSL with SAFFL = "Y", arm TRT01A; ADAE records with TRTEMFL = "Y" of
# those subjects; SOC = AEBODSYS, PT = AEDECOD. Per row (any TEAE, SOC, SOC x PT) and arm (and
# Total): N, subjects with >= 1 event, events, subjects with a serious event (AESER = "Y"), with
# a related event (AEREL POSSIBLE or PROBABLE), and subjects by worst AESEV
# (MILD < MODERATE < SEVERE). The CSV is compared row by row in tests/unit/test_safety.py.
suppressPackageStartupMessages(library(haven))
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) >= 1) args[1] else "../shared/data/cdiscpilot01"
out <- if (length(args) >= 2) args[2] else "tests/data/pilot_teae_reference.csv"
sl <- as.data.frame(read_xpt(file.path(dir, "adsl.xpt")))
ae <- as.data.frame(read_xpt(file.path(dir, "adae.xpt")))
saf <- sl[sl$SAFFL == "Y", c("USUBJID", "TRT01A")]
ae <- ae[ae$TRTEMFL == "Y" & ae$USUBJID %in% saf$USUBJID, ]
ae$arm <- saf$TRT01A[match(ae$USUBJID, saf$USUBJID)]
sev_levels <- c("MILD", "MODERATE", "SEVERE")
arms <- c(sort(unique(saf$TRT01A)), "Total")
rows <- list()
count <- function(id, soc, pt, rec) {
  for (a in arms) {
    r <- if (a == "Total") rec else rec[rec$arm == a, ]
    n <- if (a == "Total") nrow(saf) else sum(saf$TRT01A == a)
    worst <- tapply(match(r$AESEV, sev_levels), r$USUBJID, max)
    rows[[length(rows) + 1]] <<- data.frame(
      row = id, arm = a, N = n, subjects = length(unique(r$USUBJID)), events = nrow(r),
      serious = length(unique(r$USUBJID[r$AESER == "Y"])),
      related = length(unique(r$USUBJID[r$AEREL %in% c("POSSIBLE", "PROBABLE")])),
      mild = sum(worst == 1, na.rm = TRUE), moderate = sum(worst == 2, na.rm = TRUE),
      severe = sum(worst == 3, na.rm = TRUE), stringsAsFactors = FALSE)
  }
}
count("any", NA, NA, ae)
for (soc in sort(unique(ae$AEBODSYS))) {
  s <- ae[ae$AEBODSYS == soc, ]
  count(paste0("soc:", soc), soc, NA, s)
  for (pt in sort(unique(s$AEDECOD))) {
    count(paste0("pt:", soc, ":", pt), soc, pt, s[s$AEDECOD == pt, ])
  }
}
res <- do.call(rbind, rows)
write.csv(res, out, row.names = FALSE)
cat(sprintf("safety population %d; TEAE records %d; subjects with a TEAE %d\n", nrow(saf),
            nrow(ae), length(unique(ae$USUBJID))))
print(table(saf$TRT01A))
print(res[res$row == "any", ])
cat(sprintf("rows %d (SOC %d, PT %d)\n", length(unique(res$row)),
            length(unique(ae$AEBODSYS)), nrow(unique(ae[, c("AEBODSYS", "AEDECOD")]))))
cat(sprintf("# %s haven %s\n", R.version.string, packageVersion("haven")))
