"""Operational scripts: the end-to-end demo and the MWAA trigger."""
