"""The municipal and installation administrators' pages and their writes."""
