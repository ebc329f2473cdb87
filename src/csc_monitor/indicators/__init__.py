"""Indicator definitions (indicators/<id>.yml) and their set-based computation (sql/indicators/<id>.sql)."""
