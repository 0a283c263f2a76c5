# Independent reference values for tests/analytics/test_survival.py, from R's survival
# package. Regenerate with:  Rscript tests/analytics/reference/reference.R
# (run from the repository root; writes lung.csv and expected.json beside this script).
library(survival)

here <- "tests/analytics/reference"
num <- function(x) if (length(x) == 0 || is.na(x)) NULL else unname(x)

# Collett's symmetric median interval (Modelling Survival Data, 2.4), written out by hand:
# SE(median) = se[S(m)] / f, f = (S(u) - S(l)) / (l - u), u = last event time with
# S >= 0.55 (0 if none), l = first event time with S <= 0.45.
collett <- function(fit) {
  tol <- 1e-9
  s <- fit$surv; t <- fit$time; d <- fit$n.event; n <- fit$n.risk
  m_index <- which(s <= 0.5 + tol)[1]
  if (is.na(m_index)) return(list(lower = NULL, upper = NULL))
  greenwood <- cumsum(ifelse(d > 0, d / (n * (n - d)), 0))
  se_s <- s[m_index] * sqrt(greenwood[m_index])
  upper_candidates <- which(d > 0 & s >= 0.55 - tol)
  lower_candidates <- which(d > 0 & s <= 0.45 + tol)
  if (length(lower_candidates) == 0) return(list(lower = NULL, upper = NULL))
  if (length(upper_candidates) == 0) { u <- 0; su <- 1 } else {
    u <- t[max(upper_candidates)]; su <- s[max(upper_candidates)] }
  l <- t[min(lower_candidates)]; sl <- s[min(lower_candidates)]
  se_m <- se_s / ((su - sl) / (l - u))
  m <- t[m_index]
  list(lower = m - qnorm(0.975) * se_m, upper = m + qnorm(0.975) * se_m)
}

km <- function(time, status, at = c()) {
  fit <- survfit(Surv(time, status) ~ 1, conf.type = "log-log")
  q <- quantile(fit, 0.5)
  out <- list(
    n = fit$n, events = sum(fit$n.event),
    median = num(q$quantile), lower = num(q$lower), upper = num(q$upper),
    symmetric = collett(fit)
  )
  if (length(at) > 0) {
    s <- summary(fit, times = at, extend = FALSE)
    out$survival_at <- lapply(seq_along(s$time), function(i) list(
      time = s$time[i], survival = s$surv[i], lower = s$lower[i], upper = s$upper[i]))
  }
  out
}

reverse <- function(time, status) {
  fit <- survfit(Surv(time, 1 - status) ~ 1, conf.type = "log-log")
  q <- quantile(fit, c(0.25, 0.5, 0.75))
  list(q1 = num(q$quantile[1]), median = num(q$quantile[2]), q3 = num(q$quantile[3]),
       lower = num(q$lower[2]), upper = num(q$upper[2]))
}

aml_m <- subset(aml, x == "Maintained")
aml_n <- subset(aml, x == "Nonmaintained")
lung_data <- data.frame(time = lung$time, status = lung$status - 1, sex = lung$sex)
write.csv(lung_data, file.path(here, "lung.csv"), row.names = FALSE)

lr <- survdiff(Surv(time, status) ~ sex, data = lung_data)
cox <- coxph(Surv(time, status) ~ I(sex == 2), data = lung_data, ties = "efron")
cox_aml <- coxph(Surv(time, status) ~ I(x == "Nonmaintained"), data = aml, ties = "efron")
lr_aml <- survdiff(Surv(time, status) ~ x, data = aml)
wilson <- function(x, n) unname(prop.test(x, n, correct = FALSE)$conf.int[1:2])

expected <- list(
  aml_maintained = km(aml_m$time, aml_m$status, at = c(12, 24, 36)),
  aml_nonmaintained = km(aml_n$time, aml_n$status, at = c(12, 24)),
  aml_follow_up = reverse(aml$time, aml$status),
  aml_log_rank = list(chi_square = lr_aml$chisq, p_value = 1 - pchisq(lr_aml$chisq, 1)),
  aml_hazard_ratio = list(ratio = unname(exp(coef(cox_aml))),
                          lower = unname(exp(confint(cox_aml))[1]),
                          upper = unname(exp(confint(cox_aml))[2])),
  lung = km(lung_data$time, lung_data$status, at = c(180, 365, 730)),
  lung_female = km(lung_data$time[lung_data$sex == 2], lung_data$status[lung_data$sex == 2]),
  lung_follow_up = reverse(lung_data$time, lung_data$status),
  lung_log_rank = list(chi_square = lr$chisq, p_value = 1 - pchisq(lr$chisq, 1)),
  lung_hazard_ratio = list(ratio = unname(exp(coef(cox))), lower = unname(exp(confint(cox))[1]),
                           upper = unname(exp(confint(cox))[2])),
  wilson = list(`47/76` = wilson(47, 76), `4/5` = wilson(4, 5), `0/12` = wilson(0, 12))
)
# A small JSON writer (jsonlite is not in Debian's minimal R): lists, numbers, NULL.
to_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!is.null(names(x))) {
      items <- mapply(function(k, v) paste0('"', k, '": ', to_json(v)), names(x), x)
      return(paste0("{", paste(items, collapse = ", "), "}"))
    }
    return(paste0("[", paste(sapply(x, to_json), collapse = ", "), "]"))
  }
  if (length(x) > 1) return(paste0("[", paste(sapply(x, to_json), collapse = ", "), "]"))
  if (is.na(x)) return("null")
  formatC(x, digits = 15, format = "g")
}
writeLines(to_json(expected), file.path(here, "expected.json"))
