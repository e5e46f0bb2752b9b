"""The demo: a fictional CoVE grant, a portfolio around it and a login for each kind of user."""
