# ---- The analysis datasets (data/*.csv; codebook: data/codebook.csv) ----------------------
# Empty cells are missing values; dates are YYYY-MM-DD; booleans True/False.
read_dataset <- function(name, classes) {
  read.csv(file.path("data", paste0(name, ".csv")), colClasses = classes, na.strings = "",
           check.names = FALSE, encoding = "UTF-8")
}

figures <- c()
# Keeps an analysis's figures under its path in the report ("overall.cr_rate" + ".n").
record <- function(path, values) {
  if (length(values) == 0) return(invisible())
  names(values) <- ifelse(names(values) == "", path, paste0(path, ".", names(values)))
  figures <<- c(figures, values)
}
