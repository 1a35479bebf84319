"""Release step: protective transformations (k-anonymised microdata, protected aggregate tables) and their audit."""
