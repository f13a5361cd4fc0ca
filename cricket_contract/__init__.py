"""The pipeline's contract: vocabulary, column map, raw record spec, storage layout, profile readers, teams.

Standard library only, so the crawler, the transformer image (no Scrapy), the replica and the DAG all import it.
"""
