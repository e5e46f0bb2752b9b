"""Consortium eligibility: the composition rules of a call, judged on any date."""
