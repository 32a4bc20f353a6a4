"""histar.transform: the dbt project (staging -> star schema) and its in-process runner."""

from histar.transform.runner import BuildResult, TransformError, dbt_build, default_project_dir

__all__ = ["BuildResult", "TransformError", "dbt_build", "default_project_dir"]
