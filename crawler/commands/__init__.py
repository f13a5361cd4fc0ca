"""Project commands for the `scrapy` tool (COMMANDS_MODULE): `check` that finds or starts its replica."""
