"""sluice-zh: clean scraped Chinese web pages with sluice, from Python.

    >>> from sluice_zh import Cleaner
    >>> cleaner = Cleaner()                       # compile the default rules once
    >>> result = cleaner.clean(page_bytes)         # bytes in any charset, or str
    >>> result["text"], result["title"], result["report"]["edits"]

`Cleaner.clean_batch` cleans a list in parallel (one thread per core, the GIL released);
`Cleaner.clean_warc` reads a WARC file with sluice's own reader. The datatrove steps are in
`sluice_zh.datatrove`, the data-juicer mapper in `sluice_zh.data_juicer`; each imports its framework
only when used.
"""

from ._native import Cleaner, SluiceError, WarcResults, version

__all__ = ["Cleaner", "SluiceError", "WarcResults", "version"]
__version__ = version()
