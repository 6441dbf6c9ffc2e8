"""A data-juicer mapper that cleans each sample's text with sluice.

Importing this module registers `sluice_clean_mapper` with data-juicer's operator registry, so a
recipe can name it:

    process:
      - sluice_clean_mapper:
          minhash: true

or use it directly: `NestedDataset.from_list(rows).process(SluiceCleanMapper())`.
"""

from __future__ import annotations

import importlib.util
import json
from contextlib import contextmanager

from data_juicer.ops import base_op
from data_juicer.ops.base_op import OPERATORS, Mapper

from ._worker import WorkerCleaner


@OPERATORS.register_module("sluice_clean_mapper")
class SluiceCleanMapper(WorkerCleaner, Mapper):
    """Clean the text of each sample with sluice, a batch at a time on all cores (GIL released).

    The text key gets the cleaned text (empty when the sample could not be cleaned); new columns:
    `sluice_title`, `sluice_report` (the report JSON as a string, since reports differ in shape from
    sample to sample and Arrow columns may not) and, with `minhash`, `sluice_minhash` (slots, band
    keys and clean text length, for a global near-duplicate pass).
    """

    _batched_op = True

    def __init__(self, rules_dir: str | None = None, minhash: bool = False, *args, **kwargs):
        """
        :param rules_dir: a rules directory laid over sluice's defaults (None: the defaults)
        :param minhash: add each sample's MinHash fingerprint (`sluice_minhash`)
        """
        # One process: each batch already runs on every core (rayon, GIL released), and data-juicer's
        # default of one process per core forks copies that each compile the rules and compete.
        kwargs.setdefault("num_proc", 1)
        super().__init__(*args, **kwargs)
        self.rules_dir = rules_dir
        self.minhash = minhash

    def run(self, dataset, *, exporter=None, tracer=None):
        with _models_left_alone_without_torch():
            return super().run(dataset, exporter=exporter, tracer=tracer)

    def process_batched(self, samples):
        results = self.cleaner.clean_batch(samples[self.text_key])
        samples[self.text_key] = [r["text"] or "" for r in results]
        samples["sluice_title"] = [r["title"] for r in results]
        samples["sluice_report"] = [
            json.dumps(r.get("report") or {"error": r.get("error")}, ensure_ascii=False) for r in results
        ]
        if self.minhash:
            empty = {"slots": [], "bands": [], "text_bytes": 0}
            samples["sluice_minhash"] = [r.get("minhash", empty) for r in results]
        return samples


@contextmanager
def _models_left_alone_without_torch():
    """data-juicer's `Mapper.run` ends with `free_models()`, whose `torch.cuda.empty_cache()` makes
    data-juicer pip-install torch (gigabytes of CUDA wheels) when it is missing: torch is only in
    its `all` extra. sluice loads no model, and without torch no other operator has one loaded, so
    there is nothing to free: skip the call then, and keep it whenever torch is installed."""
    if importlib.util.find_spec("torch") is not None:
        yield
        return
    free_models = base_op.free_models
    base_op.free_models = lambda *args, **kwargs: None
    try:
        yield
    finally:
        base_op.free_models = free_models
