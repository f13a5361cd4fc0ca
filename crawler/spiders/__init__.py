"""Spiders: they route requests; crawler.pages parses."""
