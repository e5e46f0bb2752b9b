"""The consortium, its eligibility and the amendment requests."""
