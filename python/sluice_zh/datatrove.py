"""datatrove steps: clean documents with sluice, and read WARC files through sluice's own reader.

datatrove's `WarcReader` decodes each payload to str (UTF-8, else cchardet's guess) before any step
runs, so a cleaning step never sees the bytes or the HTTP charset. `SluiceWarcReader` hands the raw
record bytes to sluice's WARC reader instead (HTTP chunking and content codings undone, the
`Content-Type` charset kept as evidence) and yields cleaned documents. `SluiceClean` cleans the
documents of any other reader: their `text`, or raw bytes left under `metadata[raw_key]`.

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.writers import JsonlWriter
    from sluice_zh.datatrove import SluiceWarcReader

    LocalPipelineExecutor(pipeline=[SluiceWarcReader("crawl/"), JsonlWriter("out/")], tasks=4).run()
"""

from __future__ import annotations

from itertools import islice
from typing import Iterable, Iterator

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers.base import BaseDiskReader

from ._worker import WorkerCleaner


def _annotate(document: Document, result: dict) -> None:
    """Put a sluice result on a datatrove document: the text, and title, report and fingerprint in
    its metadata."""
    document.text = result["text"]
    document.metadata["title"] = result["title"]
    document.metadata["sluice"] = result["report"]
    if "minhash" in result:
        document.metadata["minhash"] = result["minhash"]


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class SluiceClean(WorkerCleaner, PipelineStep):
    """Clean each document with sluice, `batch_size` at a time on all cores.

    A document's `text` is cleaned (HTML is recognised as such), or the bytes under
    `metadata[raw_key]` when a reader left them there (they are removed). A document that cannot be
    cleaned, or whose clean text is empty, is dropped and counted (`sluice_failed`, `sluice_empty`).
    """

    name = "🧹 sluice"
    type = "✂️ - FORMAT"

    def __init__(
        self,
        rules_dir: str | None = None,
        minhash: bool = False,
        batch_size: int = 256,
        raw_key: str = "content_bytes",
    ):
        super().__init__()
        self.rules_dir = rules_dir
        self.minhash = minhash
        self.batch_size = batch_size
        self.raw_key = raw_key

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data is None:
            return
        for batch in _batches(data, self.batch_size):
            contents = [doc.metadata.pop(self.raw_key, None) or doc.text for doc in batch]
            with self.track_time("batch"):
                results = self.cleaner.clean_batch(contents)
            for document, result in zip(batch, results):
                self.stat_update("documents")
                if "error" in result:
                    self.stat_update("sluice_failed")
                    continue
                _annotate(document, result)
                if not document.text:
                    self.stat_update("sluice_empty")
                    continue
                self.update_doc_stats(document)
                yield document


class SluiceWarcReader(BaseDiskReader):
    """Read WARC files (plain, .gz, .zst) with sluice's reader and yield cleaned documents.

    Each HTML or text `response`/`resource` record is cleaned from its raw bytes; the document's id
    is its `WARC-Record-ID` (else `<file>#<record>`), and its metadata has `url`, `title`, the
    `sluice` report and, with `minhash`, its fingerprint. Records that fail or clean to nothing are
    counted and skipped. Files must be on a local file system (sluice opens them itself).
    """

    name = "🕷 sluice WARC"

    def __init__(
        self,
        data_folder,
        paths_file=None,
        limit: int = -1,
        skip: int = 0,
        rules_dir: str | None = None,
        minhash: bool = False,
        batch_size: int = 256,
        glob_pattern: str | None = None,
        recursive: bool = True,
        default_metadata: dict | None = None,
    ):
        super().__init__(
            data_folder,
            paths_file,
            limit,
            skip,
            default_metadata=default_metadata,
            recursive=recursive,
            glob_pattern=glob_pattern,
        )
        self.cleaner_step = SluiceClean(rules_dir, minhash, batch_size)

    def read_file(self, filepath: str):
        path = self.data_folder.resolve_paths(filepath)
        if not self.data_folder.is_local():
            raise ValueError(f"{path}: SluiceWarcReader reads local files only")
        results = self.cleaner_step.cleaner.clean_warc(path, batch_size=self.cleaner_step.batch_size)
        for result in results:
            if "error" in result:
                self.stat_update("sluice_failed")
                continue
            if not result["text"]:
                self.stat_update("sluice_empty")
                continue
            report = result["report"]
            document = self.get_document_from_dict(
                {
                    "text": result["text"],
                    "id": report.get("warc_record_id") or f"{filepath}#{result['record']}",
                    "url": report.get("url"),
                },
                filepath,
                result["record"],
            )
            if document:
                _annotate(document, result)
                yield document
