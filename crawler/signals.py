"""The crawl's own signals (sent with crawler.signals): how spiders, the raw-run writer and cricket-scrape meet."""

# Components connect to them in `from_crawler`; none of them reads state patched onto Scrapy's objects.

# A spider parsed the data page `url` into `items` items (its RawRows, or 0 for a page without rows), before
# yielding them: the raw-run writer then knows when all of the page's rows are stored (the resume ledger).
page_parsed = object()

# Something the run needed failed for good (`reason`: a page after every retry, no players to crawl): the
# crawl goes on, but the run is incomplete and gets no manifest.
run_incomplete = object()

# A raw part is stored at its destination: `location` (a cricket_storage.Location), `rows`, `by_record`
# (rows per record kind), `size` (bytes stored).
part_stored = object()

# The run's `_manifest.json` was written last, after every part: `location`, `manifest` (the dict written).
manifest_written = object()

# A parsed page's header row showed optional columns absent or headers the column map does not know (`url`,
# `report`: a crawler.pages.headers.HeaderReport); sent before the page's rows. The raw-run writer counts them
# into the manifest's `columns_absent` and `unknown_headers`.
headers_reported = object()
