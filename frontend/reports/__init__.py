"""Periodic reports and the partners' contributions to them."""
