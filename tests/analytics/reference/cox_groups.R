# Independent reference for a Cox model of three groups against a reference group, and the
# log-rank test across them (tests/analytics/test_endpoints.py). Regenerate with:
#   Rscript tests/analytics/reference/cox_groups.R   (from the repository root)
library(survival)

here <- "tests/analytics/reference"
ecog <- lung[!is.na(lung$ph.ecog), ]
data <- data.frame(
  time = ecog$time,
  status = ecog$status - 1,
  ecog = ifelse(ecog$ph.ecog >= 2, "2+", as.character(ecog$ph.ecog))
)
write.csv(data, file.path(here, "lung_ecog.csv"), row.names = FALSE)
data$ecog <- factor(data$ecog, levels = c("0", "1", "2+"))
cox <- coxph(Surv(time, status) ~ ecog, data = data, ties = "efron")
ci <- exp(confint(cox))
lr <- survdiff(Surv(time, status) ~ ecog, data = data)
out <- list(
  reference = "0",
  ratios = lapply(1:2, function(i) list(
    group = c("1", "2+")[i], ratio = unname(exp(coef(cox))[i]),
    lower = unname(ci[i, 1]), upper = unname(ci[i, 2])
  )),
  log_rank = list(chi_square = lr$chisq, df = length(lr$n) - 1,
                  p_value = 1 - pchisq(lr$chisq, length(lr$n) - 1))
)
# A small JSON writer (jsonlite is not in Debian's minimal R).
to_json <- function(x) {
  fmt <- function(v) formatC(v, digits = 17, format = "g")
  r <- sapply(x$ratios, function(g) sprintf(
    '{"group": "%s", "ratio": %s, "lower": %s, "upper": %s}',
    g$group, fmt(g$ratio), fmt(g$lower), fmt(g$upper)))
  sprintf(paste0('{"reference": "%s", "ratios": [%s], ',
                 '"log_rank": {"chi_square": %s, "df": %d, "p_value": %s}}'),
          x$reference, paste(r, collapse = ", "), fmt(x$log_rank$chi_square),
          as.integer(x$log_rank$df), fmt(x$log_rank$p_value))
}
writeLines(to_json(out), file.path(here, "cox_groups.json"))
