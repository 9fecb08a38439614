"""Filter operators: thresholders, random sampling, input and keyword filters."""
