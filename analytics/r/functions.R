# ---- The registry's statistics, written out in base R and the survival package ----------
# DEFINITIONS.md, "Survival statistics". Each function returns a named vector of figures;
# a name is the figure's path below its analysis, as in registry/figures.csv.

tolerance <- 1e-9 # S(t) is compared with 0.5 (0.55, 0.45, 0.25, 0.75) with this tolerance
z95 <- qnorm(0.975)

# The rows of a dataset that pass a population's conditions (a logical vector).
rows <- function(data, keep) data[keep, , drop = FALSE]

# Smallest time at which a step curve is <= level; NA if it never gets there.
first_time_at_or_below <- function(times, values, level) {
  i <- which(!is.na(values) & values <= level + tolerance)
  if (length(i) == 0) NA_real_ else times[i[1]]
}

# Kaplan-Meier with the pointwise log(-log) 95% band (lifelines' band; R's default is "log").
km_fit <- function(time, event) survfit(Surv(time, event) ~ 1, conf.type = "log-log")

# Greenwood's cumulative sum of d / (n (n - d)) at each distinct time (Inf once S = 0).
greenwood <- function(fit) {
  d <- fit$n.event
  n <- fit$n.risk
  cumsum(ifelse(d > 0, d / (n * (n - d)), 0))
}

# The quantile as DEFINITIONS.md defines the median: the smallest time with S(t) <= level.
# (R's quantile.survfit takes the midpoint where S is exactly 0.5 over an interval.)
km_quantile <- function(fit, level) first_time_at_or_below(fit$time, fit$surv, level)

# Transformed CI: the times where the log(-log) band crosses 0.5. The band is undefined
# where S(t) = 0 (R gives NA there): a curve that ends at 0 does not close the interval.
transformed_ci <- function(fit, level = 0.5) {
  defined <- fit$surv > tolerance
  c(
    lower = first_time_at_or_below(fit$time, ifelse(defined, fit$lower, NA), level),
    upper = first_time_at_or_below(fit$time, ifelse(defined, fit$upper, NA), level)
  )
}

# Symmetric CI: median +/- 1.96 SE(median), SE = se[S(m)] / f (Greenwood), Collett's
# density f = (S(u) - S(l)) / (l - u) with u the last event time with S >= 0.55 (0 if
# none) and l the first event time with S <= 0.45. NA where not estimable.
symmetric_ci <- function(fit, median) {
  not_estimable <- c(lower = NA_real_, upper = NA_real_)
  if (is.na(median)) return(not_estimable)
  s <- fit$surv
  t <- fit$time
  event_time <- fit$n.event > 0
  high <- which(event_time & s >= 0.55 - tolerance)
  low <- which(event_time & s <= 0.45 + tolerance)
  if (length(low) == 0) return(not_estimable)
  if (length(high) == 0) {
    u <- 0
    su <- 1
  } else {
    u <- t[max(high)]
    su <- s[max(high)]
  }
  l <- t[min(low)]
  density <- (su - s[min(low)]) / (l - u)
  m <- which(t == median)[1]
  variance_sum <- greenwood(fit)[m]
  if (!is.finite(variance_sum)) return(not_estimable) # S falls to 0 at the median
  se_median <- s[m] * sqrt(variance_sum) / density
  c(lower = median - z95 * se_median, upper = median + z95 * se_median)
}

# S(t) with its band at given times: the step in force at t; NA beyond the last observation.
# Before the first event S = 1 and the band is 1 (R leaves it NA); where S = 0 the band is 0.
survival_at <- function(fit, at) {
  times <- c(0, fit$time)
  surv <- c(1, fit$surv)
  lower <- c(1, ifelse(fit$surv == 1, 1, ifelse(fit$surv == 0, 0, fit$lower)))
  upper <- c(1, ifelse(fit$surv == 1, 1, ifelse(fit$surv == 0, 0, fit$upper)))
  out <- c()
  for (k in seq_along(at)) {
    prefix <- paste0("survival_at[", k - 1, "].")
    values <- c(at[k], NA_real_, NA_real_, NA_real_)
    if (at[k] <= max(fit$time)) {
      i <- max(which(times <= at[k]))
      values <- c(at[k], surv[i], lower[i], upper[i])
    }
    names(values) <- paste0(prefix, c("time", "survival", "lower", "upper"))
    out <- c(out, values)
  }
  out
}

# Times and event indicators of the rows with a time; every time is an event without one.
durations <- function(data, time, event) {
  data <- data[!is.na(data[[time]]), , drop = FALSE]
  list(
    time = data[[time]],
    event = if (is.null(event)) rep(TRUE, nrow(data)) else data[[event]] %in% TRUE
  )
}

kaplan_meier <- function(data, time, event, at) {
  d <- durations(data, time, event)
  out <- c(n = length(d$time), events = sum(d$event), censored = sum(!d$event))
  if (length(d$time) == 0) {
    return(c(out, median = NA, "median_ci_transformed.lower" = NA,
             "median_ci_transformed.upper" = NA, "median_ci_symmetric.lower" = NA,
             "median_ci_symmetric.upper" = NA))
  }
  fit <- km_fit(d$time, d$event)
  median <- km_quantile(fit, 0.5)
  transformed <- transformed_ci(fit)
  symmetric <- symmetric_ci(fit, median)
  c(out, median = median,
    "median_ci_transformed.lower" = unname(transformed["lower"]),
    "median_ci_transformed.upper" = unname(transformed["upper"]),
    "median_ci_symmetric.lower" = unname(symmetric["lower"]),
    "median_ci_symmetric.upper" = unname(symmetric["upper"]),
    survival_at(fit, at))
}

# Median follow-up by reverse Kaplan-Meier: being alive at last contact is the event.
follow_up <- function(data, time, alive) {
  d <- durations(data, time, alive)
  labels <- c("median", "q1", "q3", "ci_transformed.lower", "ci_transformed.upper",
              "ci_symmetric.lower", "ci_symmetric.upper")
  if (length(d$time) == 0) return(setNames(rep(NA_real_, length(labels)), labels))
  fit <- km_fit(d$time, d$event)
  median <- km_quantile(fit, 0.5)
  setNames(c(median, km_quantile(fit, 0.75), km_quantile(fit, 0.25), transformed_ci(fit),
             symmetric_ci(fit, median)), labels)
}

# Log-rank test across the groups present (survdiff); NA when fewer than two have rows.
log_rank <- function(data, time, event, group) {
  data <- data[!is.na(data[[time]]), , drop = FALSE]
  groups <- factor(as.character(data[[group]]))
  if (nlevels(groups) < 2) return(c(log_rank = NA_real_))
  test <- survdiff(Surv(data[[time]], data[[event]] %in% TRUE) ~ groups)
  df <- nlevels(groups) - 1
  c("log_rank.chi_square" = test$chisq, "log_rank.df" = df,
    "log_rank.p_value" = pchisq(test$chisq, df, lower.tail = FALSE))
}

# A proportion with its Wilson 95% interval (prop.test without continuity correction).
rate <- function(data, outcome) {
  k <- sum(data[[outcome]] %in% TRUE)
  n <- nrow(data)
  ci <- c(NA_real_, NA_real_)
  if (n > 0) ci <- suppressWarnings(prop.test(k, n, correct = FALSE)$conf.int)
  c(n = k, N = n, "ci95.lower" = ci[1], "ci95.upper" = ci[2])
}

# Median, quartiles (type 7: linear interpolation, as the registry's) and range of a column.
describe <- function(data, column) {
  x <- as.numeric(data[[column]])
  x <- x[!is.na(x)]
  if (length(x) == 0) return(c(n = 0, median = NA, q1 = NA, q3 = NA, min = NA, max = NA))
  q <- unname(quantile(x, c(0.5, 0.25, 0.75), type = 7))
  c(n = length(x), median = q[1], q1 = q[2], q3 = q[3], min = min(x), max = max(x))
}

# Rows in each category of a column over all rows; a missing value counts as "unknown".
category_counts <- function(data, column, categories) {
  x <- as.character(data[[column]])
  x[is.na(x)] <- "unknown"
  out <- c()
  for (category in categories) {
    values <- c(sum(x == category), length(x))
    names(values) <- paste0(category, c(".n", ".N"))
    out <- c(out, values)
  }
  out
}
