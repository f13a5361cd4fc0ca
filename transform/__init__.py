"""Arrow job: raw JSONL runs to typed, partitioned Parquet, DDL and publishing."""
