"""Tests of histar.transform (the dbt project and its runner)."""
