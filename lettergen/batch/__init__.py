"""Batch generation from CSV / Excel: plan (read + validate), run, report, combine."""
from .combine import combine_docx
from .outputs import BatchOutputs, generate
from .plan import Plan, PlannedLetter, plan_batch, source_fields
from .report import write_error_report, write_manifest
from .run import BatchResult, LetterResult, run_batch

__all__ = [
    "BatchOutputs", "BatchResult", "LetterResult", "generate", "Plan", "PlannedLetter", "combine_docx", "plan_batch",
    "run_batch", "source_fields", "write_error_report", "write_manifest",
]
