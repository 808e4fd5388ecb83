"""linkis-magic: Jupyter magics and a Python client for Apache Linkis."""

__version__ = "0.1.0"
