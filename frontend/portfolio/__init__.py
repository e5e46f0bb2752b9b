"""The officer's portfolio: the compliance dashboard, a project's compliance page, flag triage
and the exports."""
