# ---- Results: results/r_results.csv and .json, and the comparison with the registry -------
if (length(figures) == 0) figures <- setNames(numeric(0), character(0))
number_text <- function(x) ifelse(is.na(x), "", formatC(x, digits = 17, format = "g"))
json_value <- function(x) ifelse(is.na(x), "null", formatC(x, digits = 17, format = "g"))
json_name <- function(x) paste0("\"", gsub("\"", "\\\\\"", gsub("\\\\", "\\\\\\\\", x)), "\"")

dir.create("results", showWarnings = FALSE)
write.csv(data.frame(figure = names(figures), value = number_text(figures)),
          file.path("results", "r_results.csv"), row.names = FALSE)
members <- paste0("  ", json_name(names(figures)), ": ", json_value(figures))
writeLines(c("{", if (length(members)) paste0(members, c(rep(",", length(members) - 1), "")),
             "}"), file.path("results", "r_results.json"))

# The registry's own figures (registry/figures.csv, the report's CSV): each figure computed
# here must equal the registry's to TOLERANCE (relative above 1), and be missing where the
# registry's is missing.
registry <- read.csv(file.path("registry", "figures.csv"), colClasses = "character",
                     na.strings = character(0), check.names = FALSE, encoding = "UTF-8")
theirs <- registry$value[match(names(figures), registry$figure)]
theirs_number <- suppressWarnings(as.numeric(ifelse(theirs %in% "", NA, theirs)))
agrees <- !is.na(theirs) & ifelse(
  is.na(figures) | is.na(theirs_number),
  is.na(figures) & theirs %in% "",
  abs(figures - theirs_number) <= TOLERANCE * pmax(1, abs(theirs_number))
)
write.csv(data.frame(figure = names(figures), r = number_text(figures),
                     registry = ifelse(is.na(theirs), "(not in the report)", theirs),
                     agrees = agrees),
          file.path("results", "comparison.csv"), row.names = FALSE)
if (all(agrees)) {
  cat(sprintf("%d figures recomputed; all equal the registry's to TOLERANCE.\n", length(figures)))
} else {
  cat(sprintf("%d of %d figures differ from the registry's (results/comparison.csv):\n",
              sum(!agrees), length(figures)))
  print(head(data.frame(figure = names(figures), r = figures, registry = theirs)[!agrees, ], 20))
  quit(status = 1)
}
