"""Cadastro individual: the citizen registry, its search, versions and merges."""
