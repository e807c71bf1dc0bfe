"""Vaccination: doses given, the rule table, the vaccination card."""
