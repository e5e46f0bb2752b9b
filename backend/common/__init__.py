"""What every layer needs and nothing of HTTP: dates, domain errors, the seam to the watchers."""
