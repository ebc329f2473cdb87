"""The managers' dashboard, served by Airflow's api-server through a plugin (see plugin.py).

Import `indicator_url` from here to link a Slack message to a figure; importing it does not import Airflow.
"""

from .links import URL_PREFIX, indicator_url

__all__ = ["URL_PREFIX", "indicator_url"]
