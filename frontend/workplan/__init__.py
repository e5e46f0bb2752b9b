"""The work plan: deliverables and milestones."""
