"""Scrapy project: spiders, page parsers, pipelines and extensions for ESPNcricinfo."""
