"""Type stubs of the Rust extension module (python/src/lib.rs)."""

from collections.abc import Iterator, Sequence
from os import PathLike
from typing import Any, Literal, TypedDict, Union

from typing_extensions import NotRequired

Content = Union[bytes, bytearray, str]

class Fingerprint(TypedDict):
    """A MinHash signature with its LSH band keys, stable across machines."""

    slots: list[int]
    """256 MinHash values over the character 5-grams of the folded text (empty without text)."""
    bands: list[str]
    """The LSH key of each band, 16 hex digits."""
    text_bytes: int
    """The UTF-8 length of the clean text (what the `longest` keep policy compares)."""

class Result(TypedDict):
    """One cleaned document."""

    text: str | None
    """The cleaned text (None when the document could not be cleaned)."""
    title: str | None
    report: NotRequired[dict[str, Any]]
    """The library's report JSON: encoding, decode, stages, edits, flags, … (as `sluice clean --format json`)."""
    minhash: NotRequired[Fingerprint]
    """Present when the cleaner was built with `minhash=True`."""
    error: NotRequired[str]
    """Why the document could not be cleaned (batch and WARC results only; `clean` raises)."""
    record: NotRequired[int]
    """The record's position in its WARC file (WARC results only)."""

class DedupSettings(TypedDict):
    bands: int
    rows: int
    jaccard: float
    keep: Literal["longest", "first"]
    stream_bound: int
    max_bucket_compare: int

class SluiceError(Exception):
    """A document or a rule set sluice could not use."""

class Cleaner:
    """A compiled rule set that cleans documents; build one and reuse it (thread-safe)."""

    def __init__(
        self,
        rules_dir: str | PathLike[str] | None = None,
        *,
        default_rules: bool = True,
        minhash: bool = False,
    ) -> None:
        """Compile the default rules, or `rules_dir` laid over them (alone when `default_rules` is
        False, like `--no-default-rules`). With `minhash`, every result carries its fingerprint."""
    def clean(self, content: Content) -> Result:
        """Clean one document (bytes in any charset, or str); raises SluiceError when it cannot."""
    def clean_batch(self, contents: Sequence[Content]) -> list[Result]:
        """Clean documents in parallel on all cores with the GIL released; a failure is a result
        with `error`."""
    def fingerprint(self, text: str) -> Fingerprint:
        """The MinHash fingerprint of a clean text."""
    def dedup_settings(self) -> DedupSettings:
        """The `[settings.dedup]` a global near-duplicate pass must use to agree with one run."""
    def clean_warc(self, path: str | PathLike[str], *, batch_size: int = 256) -> WarcResults:
        """The cleaned HTML and text records of a WARC file (plain, .gz or .zst), read from their
        raw bytes by sluice's reader and cleaned in parallel batches."""

class WarcResults(Iterator[Result]):
    """Cleaned records of a WARC file, in file order; each has `record`, and `url` and
    `warc_record_id` in its report."""

    def __iter__(self) -> WarcResults: ...
    def __next__(self) -> Result: ...

def version() -> str:
    """The version of the sluice library inside the wheel."""
