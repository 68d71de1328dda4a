"""Reorganisations of the unit tree (the July 2025 reform and its like), above the apps they
touch: a plan's dry run (``plan.impact``) reads units, positions, assignments, meetings and
reminders; applying it (``services.do_apply_plan``) changes them all in one transaction.
"""
