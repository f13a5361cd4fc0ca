"""Pure parse functions over Scrapy responses, one module per page kind."""
